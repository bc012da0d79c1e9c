#include "firmware/journal/Checkpointer.h"

#include <nlohmann/json.hpp>

#include "firmware/base/Log.h"

namespace sentinel::journal {
namespace {

// After a failed attempt (disk full, I/O error), the next one waits this long at least.
constexpr std::chrono::seconds kRetryAfterFailure{5};

}  // namespace

bool checkpointDue(const CheckpointOptions& options, std::uint64_t committed, std::uint64_t signedSize, MonoTime lastAt,
                   MonoTime now) {
    if (committed <= signedSize) return false;
    return committed - signedSize >= options.everyRecords || now - lastAt >= options.interval;
}

Result<StoredCheckpoint> makeCheckpoint(Journal& journal, const NoteSigner& signer, std::string_view kioskId, UtcTime at) {
    const LogHead head = journal.logHead();
    CheckpointBody body{checkpointOrigin(kioskId, journal.journalId()), head.size, head.root, journal.checkpointExtensions()};
    auto note = signer.sign(formatCheckpointBody(body));
    if (!note) return makeError("checkpoint " + std::to_string(head.size) + ": " + note.error().message);
    StoredCheckpoint checkpoint{head.size, std::move(*note), at};
    auto stored = journal.storeCheckpoint(checkpoint);
    if (!stored) return makeError("checkpoint " + std::to_string(head.size) + " not stored: " + stored.error().message);
    return checkpoint;
}

nlohmann::json checkpointStatus(const StoredCheckpoint& checkpoint) {
    nlohmann::json j{{"size", checkpoint.size}, {"root", nullptr}, {"at", formatRfc3339(checkpoint.at)}};
    if (auto note = parseNote(checkpoint.note)) {
        if (auto body = parseCheckpointBody(note->text)) j["root"] = tlog::toBase64(body->root);
    }
    return j;
}

Checkpointer::Checkpointer(Journal& journal, NoteSigner signer, std::string kioskId, CheckpointOptions options,
                           const Clock& clock, Listener listener)
    : journal_(journal),
      signer_(std::move(signer)),
      kioskId_(std::move(kioskId)),
      options_(options),
      clock_(clock),
      listener_(std::move(listener)) {
    committed_ = journal_.logHead().size;
    if (auto latest = journal_.latestCheckpoint(); latest && *latest) latest_ = **latest;
    latestAt_ = clock_.monotonic();
    journal_.setCommitListener([this](std::uint64_t size) {
        {
            std::lock_guard lock(mutex_);
            committed_ = size;
        }
        wake_.notify_one();
    });
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

Checkpointer::~Checkpointer() { stop(); }

void Checkpointer::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopped_) return;
        stopped_ = true;
    }
    journal_.setCommitListener(nullptr);
    thread_.request_stop();
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    // The stop checkpoint, on this (the stopping) thread: the decision loop has ended by now.
    (void)makeCheckpoint(false);
}

void Checkpointer::poke() {
    {
        std::lock_guard lock(mutex_);
        ++pokes_;
    }
    wake_.notify_all();
}

std::optional<StoredCheckpoint> Checkpointer::latest() const {
    std::lock_guard lock(mutex_);
    return latest_;
}

std::uint64_t Checkpointer::made() const {
    std::lock_guard lock(mutex_);
    return made_;
}

bool Checkpointer::makeCheckpoint(bool republish) {
    const LogHead head = journal_.logHead();
    std::optional<StoredCheckpoint> previous;
    {
        std::lock_guard lock(mutex_);
        previous = latest_;
    }
    if (previous && previous->size >= head.size) {
        // Nothing new: at start, the kept checkpoint is announced again (a broker may have lost it);
        // at stop, the last one stands.
        if (republish && listener_) listener_(*previous);
        return true;
    }
    auto checkpoint = journal::makeCheckpoint(journal_, signer_, kioskId_, clock_.now());
    if (!checkpoint) {
        SLOG("Journal", Error) << checkpoint.error().message;
        return false;
    }
    {
        std::lock_guard lock(mutex_);
        latest_ = *checkpoint;
        latestAt_ = clock_.monotonic();
        ++made_;
    }
    SLOG("Journal", Debug) << "checkpoint " << checkpoint->size;
    if (listener_) listener_(*checkpoint);
    return true;
}

void Checkpointer::run(std::stop_token stop) {
    bool ok = makeCheckpoint(true);  // at start
    MonoTime failedAt = clock_.monotonic();
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
        const MonoTime now = clock_.monotonic();
        const std::uint64_t signedSize = latest_ ? latest_->size : 0;
        const bool due = (!latest_ || checkpointDue(options_, committed_, signedSize, latestAt_, now)) &&
                         (ok || now - failedAt >= kRetryAfterFailure);
        if (due) {
            lock.unlock();
            ok = makeCheckpoint(false);
            if (!ok) failedAt = clock_.monotonic();
            lock.lock();
            continue;
        }
        // Sleep until an append, a poke, stop, or the interval (as the injected clock counts it).
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(options_.interval);
        if (committed_ > signedSize) wait = std::chrono::duration_cast<std::chrono::milliseconds>(latestAt_ + options_.interval - now);
        if (!ok) wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(failedAt + kRetryAfterFailure - now));
        wait = std::max(wait, std::chrono::milliseconds{1});
        const std::uint64_t seen = committed_, pokes = pokes_;
        wake_.wait_for(lock, stop, wait, [&] { return committed_ != seen || pokes_ != pokes; });
    }
}

}  // namespace sentinel::journal

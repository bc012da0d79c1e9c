#include "firmware/fleet/Uploader.h"

#include <algorithm>

#include "firmware/base/Log.h"
#include "firmware/journal/Journal.h"
#include "firmware/journal/Schema.h"
#include "firmware/journal/Sqlite.h"

namespace sentinel::fleet {
namespace {

using journal::detail::Connection;

constexpr const char* kContentType = "application/x-ndjson";
constexpr const char* kIdempotencyHeader = "Idempotency-Key";
// Back-off jitter: up to +25 % so a fleet does not retry in lockstep after a collector outage.
constexpr std::uint32_t kJitterPercent = 25;

struct Batch {
    std::int64_t first = 0;
    std::int64_t last = 0;
    std::string key;
};

std::uint32_t fnv1a(std::string_view s) {
    std::uint32_t h = 2166136261u;  // FNV-1a 32-bit offset basis / prime
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 16777619u;
    }
    return h == 0 ? 1 : h;
}

}  // namespace

std::string_view toString(DrainResult r) {
    switch (r) {
        case DrainResult::Idle: return "idle";
        case DrainResult::Uploaded: return "uploaded";
        case DrainResult::Failed: return "failed";
        case DrainResult::Waiting: return "waiting";
        case DrainResult::Deadline: return "deadline";
    }
    return "failed";
}

Uploader::Uploader(UploaderOptions options, hal::HttpTransport& transport, const Clock& clock)
    : options_(std::move(options)), transport_(transport), clock_(clock), db_(std::make_unique<Connection>()) {}

Uploader::~Uploader() { stop(); }

Result<std::unique_ptr<Uploader>> Uploader::open(const UploaderOptions& options, hal::HttpTransport& transport,
                                                 const Clock& clock) {
    if (options.url.empty()) return makeError("journal.upload_url is empty");
    if (options.batchMaxRecords == 0) return makeError("upload batch size must be at least 1");
    std::error_code ec;
    if (!std::filesystem::exists(options.journalPath, ec)) {
        return makeError("no journal at " + options.journalPath.string() + " (open the Journal first)");
    }
    auto db = Connection::open(options.journalPath, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX);
    if (!db) return db.error();
    sqlite3_busy_timeout(db->get(), journal::detail::kBusyTimeoutMs);
    auto id = journal::detail::journalId(*db);
    if (!id) return makeError("journal " + options.journalPath.string() + " is not initialised: " + id.error().message);
    std::unique_ptr<Uploader> u(new Uploader(options, transport, clock));
    *u->db_ = std::move(*db);
    u->journalId_ = *id;
    u->jitterState_ = fnv1a(*id);
    return u;
}

std::chrono::milliseconds Uploader::currentBackoff() const {
    std::lock_guard lock(mutex_);
    return backoff_;
}

DrainReport Uploader::drainOnce(MonoTime deadline) {
    std::lock_guard lock(mutex_);
    DrainReport report;
    Connection& db = *db_;
    if (nextAttempt_ && clock_.monotonic() < *nextAttempt_) {
        report.result = DrainResult::Waiting;
        report.detail = lastError_;
        return report;
    }

    auto fail = [&](std::string detail) {
        ++consecutiveFailures_;
        backoff_ = consecutiveFailures_ == 1 ? options_.backoffInitial : std::min(backoff_ * 2, options_.backoffMax);
        jitterState_ = jitterState_ * 1664525u + 1013904223u;  // LCG (Numerical Recipes)
        auto jitter = backoff_ * static_cast<std::int64_t>((jitterState_ >> 8) % (kJitterPercent + 1)) / 100;
        nextAttempt_ = clock_.monotonic() + backoff_ + jitter;
        lastError_ = std::move(detail);
        SLOG("Upload", Warn) << "upload failed (" << consecutiveFailures_ << " in a row): " << lastError_
                             << "; next attempt in " << (backoff_ + jitter).count() << " ms";
        report.result = DrainResult::Failed;
        report.detail = lastError_;
        return report;
    };

    for (;;) {
        if (clock_.monotonic() >= deadline) {
            report.result = DrainResult::Deadline;
            return report;
        }
        // 1. The batch to send: the one fixed before (a retry keeps its range and key), or a new one.
        auto state = db.prepare("SELECT acked_through, batch_first, batch_last, batch_key FROM upload_state WHERE id = 1");
        if (state.step() != SQLITE_ROW) return fail(db.error("upload state").message);
        const std::int64_t acked = state.columnInt(0);
        Batch batch;
        if (!state.columnIsNull(3)) {
            batch = {state.columnInt(1), state.columnInt(2), state.columnText(3)};
        }
        state = {};
        if (batch.key.empty()) {
            auto next = db.prepare(
                "SELECT min(seq), max(seq) FROM (SELECT seq FROM decisions WHERE seq > ?1 ORDER BY seq LIMIT ?2)");
            next.bind(1, acked);
            next.bind(2, static_cast<std::int64_t>(options_.batchMaxRecords));
            if (next.step() != SQLITE_ROW) return fail(db.error("upload read").message);
            if (next.columnIsNull(0)) {
                report.result = report.batches ? DrainResult::Uploaded : DrainResult::Idle;
                return report;
            }
            batch.first = next.columnInt(0);
            batch.last = next.columnInt(1);
            batch.key = options_.kioskId + "/" + journalId_ + "/" + std::to_string(batch.first) + "-" +
                        std::to_string(batch.last);
            next = {};
            // Records deleted by retention before they were sent: counted, never silently.
            const std::int64_t gap = batch.first - acked - 1;
            auto fix = db.prepare(
                "UPDATE upload_state SET batch_first = ?1, batch_last = ?2, batch_key = ?3, batch_attempts = 0, "
                "skipped = skipped + ?4 WHERE id = 1");
            fix.bind(1, batch.first);
            fix.bind(2, batch.last);
            fix.bind(3, batch.key);
            fix.bind(4, gap);
            if (fix.step() != SQLITE_DONE) return fail(db.error("upload state").message);
            if (gap > 0) {
                SLOG("Upload", Warn) << gap << " records were deleted by retention before upload";
            }
        }

        // 2. The body: the batch's records as they are now (records never change once written).
        auto entries = journal::detail::readEntries(db, batch.first, static_cast<std::size_t>(batch.last - batch.first + 1));
        if (!entries) return fail(entries.error().message);
        std::string body;
        for (const auto& e : *entries) {
            if (e.seq > batch.last) break;
            body += journal::toUploadLine(e, journalId_);
            body += '\n';
        }
        std::size_t count = 0;
        for (const auto& e : *entries) count += e.seq <= batch.last ? 1 : 0;

        if (count > 0) {
            hal::HttpRequest request;
            request.url = options_.url;
            request.body = std::move(body);
            request.contentType = kContentType;
            request.headers = options_.headers;
            request.headers[kIdempotencyHeader] = batch.key;
            const MonoTime requestDeadline = std::min(deadline, clock_.monotonic() + options_.requestTimeout);
            auto attempts = db.prepare("UPDATE upload_state SET batch_attempts = batch_attempts + 1 WHERE id = 1");
            attempts.step();
            hal::HttpResponse response = transport_.post(request, requestDeadline);
            if (response.outcome != hal::HttpOutcome::Response) {
                return fail("batch " + batch.key + ": no response (" + response.detail + ")");
            }
            if (response.status < 200 || response.status > 299) {
                return fail("batch " + batch.key + ": HTTP " + std::to_string(response.status));
            }
        }
        // 3. Acknowledged (or emptied by retention): advance the watermark and forget the batch.
        auto ack = db.prepare(
            "UPDATE upload_state SET acked_through = max(acked_through, ?1), batch_first = NULL, batch_last = NULL, "
            "batch_key = NULL, batch_attempts = 0 WHERE id = 1");
        ack.bind(1, batch.last);
        if (ack.step() != SQLITE_DONE) return fail(db.error("upload ack").message);
        consecutiveFailures_ = 0;
        backoff_ = std::chrono::milliseconds{0};
        nextAttempt_.reset();
        lastError_.clear();
        ++report.batches;
        report.records += count;
        SLOG("Upload", Debug) << "batch " << batch.key << " acknowledged (" << count << " records)";
    }
}

Result<UploadStatus> Uploader::status() const {
    std::lock_guard lock(mutex_);
    Connection& db = *db_;
    UploadStatus s;
    auto st = db.prepare(
        "SELECT u.acked_through, u.skipped, u.batch_key, (SELECT coalesce(max(seq), 0) FROM decisions), "
        "(SELECT count(*) FROM decisions WHERE seq > u.acked_through) FROM upload_state u WHERE u.id = 1");
    if (st.step() != SQLITE_ROW) return db.error("upload status");
    s.ackedThrough = st.columnInt(0);
    s.skipped = static_cast<std::uint64_t>(st.columnInt(1));
    s.pendingKey = st.columnOptText(2);
    s.lastSeq = st.columnInt(3);
    s.backlog = static_cast<std::uint64_t>(st.columnInt(4));
    s.consecutiveFailures = consecutiveFailures_;
    s.lastError = lastError_;
    return s;
}

void Uploader::start() {
    std::lock_guard lock(threadMutex_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void Uploader::stop() {
    {
        std::lock_guard lock(threadMutex_);
        stopping_ = true;
    }
    wakeup_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Uploader::wake() {
    {
        std::lock_guard lock(threadMutex_);
        woken_ = true;
    }
    wakeup_.notify_all();
}

void Uploader::run() {
    for (;;) {
        {
            std::lock_guard lock(threadMutex_);
            if (stopping_) return;
        }
        // Time for at least one full request per round, however short the poll interval.
        DrainReport r = drainOnce(clock_.monotonic() + options_.requestTimeout + options_.idlePoll);
        std::chrono::milliseconds wait = options_.idlePoll;
        if (r.result == DrainResult::Deadline) wait = std::chrono::milliseconds{0};
        if (r.result == DrainResult::Failed || r.result == DrainResult::Waiting) {
            std::lock_guard lock(mutex_);
            if (nextAttempt_) {
                auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*nextAttempt_ - clock_.monotonic());
                wait = std::clamp(left, std::chrono::milliseconds{0}, options_.idlePoll);
            }
        }
        std::unique_lock lock(threadMutex_);
        wakeup_.wait_for(lock, wait, [this] { return stopping_ || woken_; });
        woken_ = false;
    }
}

}  // namespace sentinel::fleet

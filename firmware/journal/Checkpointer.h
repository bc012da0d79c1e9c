#pragma once
// Makes the journal's signed checkpoints (DESIGN §16) on a thread of its own: never on the decision
// thread. Woken by appends (Journal's commit listener); a checkpoint is made every
// `everyRecords` records, after `interval` when records came in since the last one, at start and at
// stop. It signs the committed log only (a checkpoint never covers a record that is not durable),
// stores the note in the journal, then hands it to the listener (the app publishes it on
// sentinel/v1/{kiosk_id}/checkpoints and shows it in status) — the journal itself knows no network.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json_fwd.hpp>

#include "firmware/base/Result.h"
#include "firmware/base/Time.h"
#include "firmware/journal/Journal.h"
#include "firmware/journal/SignedNote.h"

namespace sentinel::journal {

struct CheckpointOptions {
    std::uint64_t everyRecords = 100;     // journal.checkpoint_records (1–100 000)
    std::chrono::seconds interval{300};   // journal.checkpoint_interval_s (1–86 400)
};

// When a checkpoint is due (pure): `committed` records logged, `signed_` covered by the last one
// made at `lastAt` (monotonic).
bool checkpointDue(const CheckpointOptions& options, std::uint64_t committed, std::uint64_t signedSize,
                   MonoTime lastAt, MonoTime now);

// Signs the journal's committed log as it stands now and keeps the checkpoint: what the Checkpointer
// does on its thread (tools and tests call it directly). `kioskId` names the origin.
Result<StoredCheckpoint> makeCheckpoint(Journal& journal, const NoteSigner& signer, std::string_view kioskId, UtcTime at);

// The checkpoint the status shows: {"size","root","at"} (root base64).
nlohmann::json checkpointStatus(const StoredCheckpoint& checkpoint);

class Checkpointer {
public:
    using Listener = std::function<void(const StoredCheckpoint&)>;

    // Starts the thread (which makes the start checkpoint at once). `journal` and `clock` must
    // outlive the Checkpointer; `kioskId` names the origin sentinel.kiosk/{kioskId}/{journalId}.
    // The listener runs on the checkpointer's thread and may be empty.
    Checkpointer(Journal& journal, NoteSigner signer, std::string kioskId, CheckpointOptions options, const Clock& clock,
                 Listener listener);
    ~Checkpointer();  // stop()
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    // Joins the thread, then makes the stop checkpoint (when records came in since the last) on the
    // calling thread: call it after the decision loop has ended.
    void stop();
    // Wakes the thread to look again (after the injected clock moved, in tests).
    void poke();
    // The latest checkpoint made or found in the journal; nullopt before the first.
    std::optional<StoredCheckpoint> latest() const;
    // Checkpoints made by this Checkpointer (including the start one).
    std::uint64_t made() const;

private:
    void run(std::stop_token stop);
    // Makes (or, with nothing new and `republish`, re-announces) a checkpoint; false on failure.
    bool makeCheckpoint(bool republish);

    Journal& journal_;
    NoteSigner signer_;
    std::string kioskId_;
    CheckpointOptions options_;
    const Clock& clock_;
    Listener listener_;

    mutable std::mutex mutex_;
    std::condition_variable_any wake_;
    std::uint64_t committed_ = 0;  // the log size the journal last reported
    std::optional<StoredCheckpoint> latest_;
    MonoTime latestAt_{};
    std::uint64_t made_ = 0;
    std::uint64_t pokes_ = 0;
    bool stopped_ = false;
    std::jthread thread_;  // last: starts after every member above is ready
};

}  // namespace sentinel::journal

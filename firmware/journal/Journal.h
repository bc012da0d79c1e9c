#pragma once
// The audit journal (issue 5, DESIGN §3): one SQLite row per decision, durable before the gate
// opens, no personal data. Thread-safe; one Journal per file per process (the Uploader opens its
// own connection). Schema, retention and the upload wire format: docs/journal.md.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "firmware/base/DecisionRecord.h"
#include "firmware/base/Result.h"
#include "firmware/base/Time.h"
#include "firmware/journal/Checkpoint.h"
#include "firmware/journal/JournalStats.h"
#include "firmware/journal/MerkleLog.h"
#include "firmware/journal/WriteFaultInjector.h"

namespace sentinel::journal {

namespace detail {
class Connection;
}

struct JournalOptions {
    std::filesystem::path path;  // `journal.path`, e.g. /var/lib/sentinel/journal.db
    std::string kioskId;         // `kiosk.id`, stored in every record
    std::chrono::hours retainAge{24 * 90};       // records older than this are deleted
    std::uint64_t retainMaxBytes = 256ull << 20;  // live database pages above this → oldest records deleted
    // Tests and diag drills only: route every write through this fault injector. nullptr = none.
    std::shared_ptr<WriteFaultInjector> faults;
    // `sentinel bench journal` only (the A/B of the log's cost): false appends without leaf hash and
    // log update, which leaves a file `journal verify` rejects. Never false in the kiosk.
    bool maintainLog = true;
};

// One stored record as read back (what the upload sends, DESIGN §3 plus where and when).
struct JournalEntry {
    std::int64_t seq = 0;   // contiguous, from 1, never reused in one journal file
    UtcTime utc;            // Clock::now() at append
    std::int64_t monoMs = 0;  // Clock::monotonic() at append, ms (CLOCK_MONOTONIC: since boot)
    std::string bootId;     // /proc/sys/kernel/random/boot_id at open ("" if unreadable)
    std::string kioskId;
    DecisionRecord record;  // test.collectedAt and file are never stored (empty when read back)
};

// The upload line of one entry (docs/journal.md): the record plus seq, journal_id, kiosk_id,
// boot_id, utc, mono_ms and at (= utc, DESIGN §13), keys sorted, no newline. Deterministic: the same
// entry always gives the same bytes. It is what the fleet link publishes and the leaf of the
// record's seq in the Merkle log (DESIGN §16).
std::string toUploadLine(const JournalEntry& entry, const std::string& journalId);

// The committed Merkle log: `size` leaves (= the highest seq appended) and their root.
struct LogHead {
    std::uint64_t size = 0;
    tlog::Hash root = tlog::emptyRoot();
};

// A signed checkpoint as kept in the journal (DESIGN §16).
struct StoredCheckpoint {
    std::uint64_t size = 0;
    std::string note;  // the C2SP signed note
    UtcTime at{};      // when it was made
};

struct RetentionReport {
    std::uint64_t deletedByAge = 0;
    std::uint64_t deletedBySize = 0;
};

class Journal {
public:
    // Opens or creates the journal (WAL, synchronous=FULL). Runs PRAGMA integrity_check; a damaged
    // file (integrity errors, not a database) is renamed to `<path>.damaged-<UTC time>` together
    // with its -wal/-shm, a fresh journal is started and recoveredFromDamage() is true — raise a
    // REFER-level alarm. Other failures (permissions, I/O) are errors and leave the file alone.
    // `clock` must outlive the journal. Applies retention once before returning.
    static Result<std::unique_ptr<Journal>> open(const JournalOptions& options, const Clock& clock);
    ~Journal();
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;

    // Stores one decision and returns its sequence number once the record is durable (committed
    // and fsynced: pulse the relay only after this returns a value). Never stores record.file or
    // test.collectedAt. Errors are values (disk full, I/O error, a subject that is not a hex hash,
    // a malformed format/code): the caller must fail closed (see commitDecision). The journal
    // recovers by itself when the fault clears.
    //
    // The record's leaf (the hash of toUploadLine of the entry read() will return) and the log's
    // compact range are written in the same transaction: a crash leaves log and records equal.
    // Errors also when the log is out of step with the file (the next seq is taken).
    Result<std::int64_t> append(const DecisionRecord& record);
    // Several records in one transaction (one fsync): tools and tests. All or none are stored.
    Result<std::int64_t> appendBatch(const std::vector<DecisionRecord>& records);

    // A frame where a code was seen but not read. Counted in memory; written with the next append,
    // by flush(), or by itself at most once a minute.
    void noteDecodeFailure();
    Status flush();

    // Committed records only, through a separate read-only connection (never blocks append()).
    Result<JournalStats> stats(std::optional<UtcTime> since) const;
    // Up to `limit` entries with seq ≥ fromSeq, in order.
    Result<std::vector<JournalEntry>> read(std::int64_t fromSeq, std::size_t limit) const;
    // Deletes records past the age limit, then the oldest while the live pages exceed the size limit.
    // append() also does a bounded step of this every kRetentionEveryAppends appends.
    //
    // Only records below the latest checkpoint go (the cut is a checkpoint's size whose root the
    // log, with the pruned prefix's compact range, still gives), so every later checkpoint stays
    // verifiable; without checkpoints nothing is deleted. Checkpoints below the cut go with them.
    Result<RetentionReport> enforceRetention();

    // --- the Merkle log and its checkpoints (DESIGN §16) --------------------------------------
    LogHead logHead() const;
    std::uint64_t prunedSize() const;  // records 1..prunedSize() were deleted by retention
    // Extension lines every checkpoint of this log carries: the migration note (empty for a
    // journal that had the log from its first record).
    std::vector<std::string> checkpointExtensions() const;
    // Keeps a signed checkpoint. Refused when `size` exceeds the committed log or the note is not a
    // checkpoint of this log at that size (origin aside: the signer names it). A second note for a
    // size already kept is ignored (false).
    Result<bool> storeCheckpoint(const StoredCheckpoint& checkpoint);
    Result<std::optional<StoredCheckpoint>> latestCheckpoint() const;
    // Called after every committed append with the new log size, on the appending thread and under
    // the journal's lock: it must only take note and return (the Checkpointer wakes its thread).
    void setCommitListener(std::function<void(std::uint64_t size)> listener);
    // The log's own work in the last append (line, leaf hash, range update; not the commit).
    std::chrono::nanoseconds lastLogWork() const;

    bool recoveredFromDamage() const { return !damagedPath_.empty(); }
    const std::filesystem::path& damagedPath() const { return damagedPath_; }  // where the damaged file went
    const std::string& journalId() const { return journalId_; }  // random per journal file, 32 hex
    const std::string& bootId() const { return bootId_; }
    const std::filesystem::path& path() const { return options_.path; }

    static constexpr std::uint64_t kRetentionEveryAppends = 100;

private:
    Journal(JournalOptions options, const Clock& clock);
    Result<RetentionReport> retentionStep(std::size_t maxRows);
    Status flushLocked();
    Result<std::int64_t> appendLocked(const std::vector<DecisionRecord>& records);
    Result<std::uint64_t> pruneTo(std::uint64_t cut);

    JournalOptions options_;
    const Clock& clock_;
    mutable std::mutex mutex_;
    std::unique_ptr<detail::Connection> db_;
    std::filesystem::path damagedPath_;
    std::string journalId_;
    std::string bootId_;
    std::uint64_t appendsSinceRetention_ = 0;
    std::map<std::int64_t, std::uint64_t> pendingDecodeFailures_;  // UTC hour → count
    MonoTime lastFlush_{};
    tlog::CompactRange range_;   // the committed log (size = highest seq appended)
    tlog::CompactRange pruned_;  // the pruned prefix
    std::optional<Migration> migration_;
    std::function<void(std::uint64_t)> commitListener_;
    std::chrono::nanoseconds lastLogWork_{0};
};

// The fail-closed step of the kiosk loop: appends `record`; if that fails, turns the record into
// REFER JOURNAL_FAULT (the gate stays shut) and returns the error. A value = durable, gate may open
// if record.decision is PASS.
Result<std::int64_t> commitDecision(Journal& journal, DecisionRecord& record);

}  // namespace sentinel::journal

#pragma once
// HTTP fleet upload (issue 5 item 3; moved from journal to fleet by issue 14): when `journal.upload_url` is set, unacknowledged journal records
// are POSTed in NDJSON batches through a hal::HttpTransport (in the kiosk: the pinned libcurl
// transport of the online path). Each batch carries an `Idempotency-Key` that stays the same for
// that batch across retries and restarts (the batch range is fixed in the journal file before the
// first attempt); a 2xx marks it acknowledged. Failures back off exponentially. Delivery is
// at-least-once; the collector dedupes by key. Wire format: docs/journal.md.
//
// The uploader uses its own SQLite connection (WAL: it never blocks Journal::append) and, once
// started, its own thread. drainOnce() is the same work without the thread, for deterministic tests.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "drivers/hal/HttpTransport.h"
#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::journal::detail {
class Connection;
}

namespace sentinel::fleet {

struct UploaderOptions {
    std::filesystem::path journalPath;  // the file Journal::open created
    std::string url;                    // `journal.upload_url`
    std::string kioskId;                // part of the idempotency key
    std::map<std::string, std::string> headers;  // extra request headers, e.g. Authorization
    std::size_t batchMaxRecords = 200;  // ≈ 100 KiB of NDJSON (records are ≈ 500 bytes)
    std::chrono::milliseconds requestTimeout{10'000};
    std::chrono::milliseconds backoffInitial{1'000};
    std::chrono::milliseconds backoffMax{5 * 60'000};  // a long outage is retried every 5 min at most
    std::chrono::milliseconds idlePoll{5'000};  // background thread: look for new records this often
};

enum class DrainResult {
    Idle,      // nothing (left) to send
    Uploaded,  // at least one batch acknowledged and nothing failed
    Failed,    // an attempt failed; backing off
    Waiting,   // still inside a back-off interval: nothing was attempted
    Deadline,  // stopped at the deadline with records left
};
std::string_view toString(DrainResult r);

struct DrainReport {
    DrainResult result = DrainResult::Idle;
    std::size_t batches = 0;  // acknowledged in this call
    std::size_t records = 0;  // acknowledged in this call
    std::string detail;       // the failure, for logs and diag
};

struct UploadStatus {
    std::int64_t ackedThrough = 0;  // every record with seq ≤ this is acknowledged
    std::int64_t lastSeq = 0;       // newest record in the journal (0 = none)
    std::uint64_t backlog = 0;      // records not yet acknowledged
    std::uint64_t skipped = 0;      // records deleted by retention before they were uploaded
    std::uint64_t consecutiveFailures = 0;
    std::optional<std::string> pendingKey;  // the batch being retried, if any
    std::string lastError;
};

class Uploader {
public:
    // `transport` and `clock` must outlive the uploader. The journal file must exist (Journal::open).
    static Result<std::unique_ptr<Uploader>> open(const UploaderOptions& options, hal::HttpTransport& transport,
                                                  const Clock& clock);
    ~Uploader();  // stop()s
    Uploader(const Uploader&) = delete;
    Uploader& operator=(const Uploader&) = delete;

    // Sends batches until the backlog is empty, an attempt fails, or `deadline` passes. Inside a
    // back-off interval (per clock.monotonic()) it attempts nothing and returns Waiting.
    DrainReport drainOnce(MonoTime deadline);

    // Background thread: drains, then waits idlePoll (or until the back-off ends, or wake()).
    // stop() waits for an in-flight request (at most requestTimeout).
    void start();
    void stop();
    void wake();

    Result<UploadStatus> status() const;
    // The back-off interval now in force (0 after a success); for diag.
    std::chrono::milliseconds currentBackoff() const;

private:
    Uploader(UploaderOptions options, hal::HttpTransport& transport, const Clock& clock);
    void run();

    UploaderOptions options_;
    hal::HttpTransport& transport_;
    const Clock& clock_;
    std::unique_ptr<journal::detail::Connection> db_;
    std::string journalId_;

    mutable std::mutex mutex_;  // db_, failure state; held for a whole drainOnce
    std::uint64_t consecutiveFailures_ = 0;
    std::optional<MonoTime> nextAttempt_;
    std::chrono::milliseconds backoff_{0};
    std::string lastError_;
    std::uint32_t jitterState_ = 1;

    std::mutex threadMutex_;
    std::condition_variable wakeup_;
    bool stopping_ = false;
    bool woken_ = false;
    std::thread thread_;
};

}  // namespace sentinel::fleet

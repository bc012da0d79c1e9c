#pragma once
// Statistics over the journal (DESIGN §4 `sentinel stats`): counts by decision and by reason,
// percentiles of the total decision latency, decode failures. Readable by another process while
// `sentinel run` writes (WAL: readers never block the writer and see only committed records).

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::journal {

struct LatencyPercentiles {
    // Nearest-rank percentiles of `latency_ms.total` over the records that have one, in ms.
    double p50Ms = 0.0, p95Ms = 0.0, p99Ms = 0.0, maxMs = 0.0;
    std::uint64_t samples = 0;
};

struct JournalStats {
    std::optional<UtcTime> since;               // records at or after this UTC time; nullopt = all retained
    std::uint64_t records = 0;                  // decisions counted (test cards are not: testCards)
    std::uint64_t testCards = 0;                // records of format "TEST" (§13.1): never a PASS, no latency sample
    std::map<std::string, std::uint64_t> decisions;  // "PASS" | "DENY" | "REFER" (all three always present)
    std::map<std::string, std::uint64_t> reasons;    // reason id → count (only reasons that occurred)
    std::optional<LatencyPercentiles> latency;  // nullopt when no record has a total latency
    // Frames where a code was seen but could not be read (Journal::noteDecodeFailure); counted per
    // UTC hour, so `since` applies from the start of its hour.
    std::uint64_t decodeFailures = 0;
    std::optional<std::int64_t> firstSeq, lastSeq;  // range of the records read (test cards included)
    std::optional<UtcTime> oldest, newest;
};

// PASS STAFF_OVERRIDE records (§11): gates opened by staff, also counted under PASS.
std::uint64_t staffOverrides(const JournalStats& stats);

// DESIGN §4 shape: {"decisions":{"PASS":n,"DENY":n,"REFER":n},"reasons":{…},
// "latency_ms":{"p50":…,"p95":…,"p99":…,"max":…,"samples":n}|null, "decode_failures":n, "staff_overrides":n,
// "test_cards":n, "records":n, "since":"<RFC 3339>"|null, "first_seq":n|null, "last_seq":n|null}
nlohmann::json toJson(const JournalStats& stats);

// A plain-text table for a terminal (`sentinel stats` without --json), newline-terminated.
std::string renderStatsTable(const JournalStats& stats);

// Opens the journal at `path` read-only (never creates or modifies it; safe while `sentinel run`
// writes) and computes the statistics. A missing file is an error naming the path.
Result<JournalStats> readJournalStats(const std::filesystem::path& path, std::optional<UtcTime> since);

// Records the uploader has not had acknowledged yet (`sentinel status`), read-only like the above.
Result<std::uint64_t> readUploadBacklog(const std::filesystem::path& path);

}  // namespace sentinel::journal

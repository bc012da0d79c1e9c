#pragma once
// `sentinel journal verify` and `sentinel journal prove` (DESIGN §16) over a journal file, read-only
// (one read transaction: safe while `sentinel run` writes; never migrates, prunes or repairs).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "firmware/base/Result.h"
#include "firmware/journal/Checkpoint.h"
#include "firmware/journal/LogCheck.h"
#include "firmware/journal/SignedNote.h"

namespace sentinel::journal {

struct VerifyReport {
    std::string path;
    std::string journalId;
    std::uint64_t logSize = 0;  // leaves in the stored log (= the highest seq appended)
    std::uint64_t records = 0;  // records present
    SeqSpan pruned;             // deleted by retention (kept as the log's compact range)
    SeqSpan verified;           // covered by a checkpoint whose root (and signature, with a key) holds
    SeqSpan unattested;         // after the last such checkpoint: intact as far as the log shows, not yet signed
    std::optional<Migration> migration;
    std::size_t checkpoints = 0;
    std::size_t checkpointsVerified = 0;
    std::optional<std::uint64_t> latestCheckpoint;  // size of the largest
    std::string key;                   // the verifier key used; empty = roots only, signatures not checked
    std::vector<Problem> problems;     // in seq order, at most kMaxProblemsReported
    std::size_t problemCount = 0;      // all of them
    bool intact() const { return problemCount == 0; }
    std::optional<std::int64_t> firstBadSeq() const { return journal::firstBadSeq(problems); }
};
inline constexpr std::size_t kMaxProblemsReported = 100;

// Recomputes every leaf from the stored records (a record must be canonical and give its stored
// leaf), replays the log from the pruned prefix, checks every checkpoint's root and, with `key`, its
// signature, and compares the stored log state. Error: the file does not exist or cannot be opened
// as a database (the caller exits 2); every other finding is a Problem.
Result<VerifyReport> verifyJournal(const std::filesystem::path& path, const NoteVerifier* key);
nlohmann::json toJson(const VerifyReport& r);
std::string renderVerifyReport(const VerifyReport& r);  // a few lines for a technician

// A C2SP tlog-proof that record `seq` is in the latest checkpoint (extra = its published line).
// Errors: no such record, pruned, not covered by a checkpoint yet, or the stored record or log does
// not agree with the checkpoint (the journal fails verify).
Result<std::string> proveRecord(const std::filesystem::path& path, std::int64_t seq);

}  // namespace sentinel::journal

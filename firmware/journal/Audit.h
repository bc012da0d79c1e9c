#pragma once
// `sentinel audit` (DESIGN §16), pure: the back office's check of what a subscriber received — the
// payloads of the decisions and checkpoints topics, one per line, as `mosquitto_sub -F %p` writes
// them — against the kiosk's verifier key. Records are the leaves exactly as received (the bytes of
// each line, no newline); the roots are recomputed from them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "firmware/journal/Checkpoint.h"
#include "firmware/journal/LogCheck.h"
#include "firmware/journal/SignedNote.h"

namespace sentinel::journal {

// One journal of the kiosk (records and checkpoints share its journal_id / origin).
struct JournalAudit {
    std::string journalId;
    std::uint64_t records = 0;  // distinct seqs received
    std::uint64_t repeats = 0;  // identical lines received again (at-least-once delivery: harmless)
    std::size_t checkpoints = 0;
    std::size_t checkpointsVerified = 0;
    std::optional<std::uint64_t> latestCheckpoint;
    SeqSpan verified;    // 1..the largest checkpoint whose root the received records give
    SeqSpan unattested;  // records received after it
    std::optional<Migration> migration;
    std::vector<Problem> problems;  // in seq order
};

struct ProofAudit {
    bool ok = false;
    std::int64_t seq = 0;
    std::uint64_t checkpointSize = 0;
    std::string journalId;
    std::string detail;
};

struct AuditReport {
    std::string kioskId;
    std::string key;
    std::vector<JournalAudit> journals;
    std::vector<Problem> problems;       // lines that belong to no journal (unreadable)
    std::uint64_t otherKiosks = 0;       // records and checkpoints of other kiosks, ignored
    std::optional<ProofAudit> proof;
    bool intact() const;
    std::optional<std::int64_t> firstBadSeq() const;
};

struct AuditInput {
    std::optional<std::string_view> records;      // decisions payloads, NDJSON
    std::optional<std::string_view> checkpoints;  // checkpoints payloads, one JSON line each
    std::optional<std::string_view> proof;        // a tlog-proof file
};

// The key must be named "sentinel.kiosk/{kioskId}" (error otherwise): records and checkpoints of
// other kiosks are ignored.
Result<AuditReport> audit(const AuditInput& input, const NoteVerifier& key);
nlohmann::json toJson(const AuditReport& r);
std::string renderAuditReport(const AuditReport& r);

}  // namespace sentinel::journal

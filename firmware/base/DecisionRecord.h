#pragma once
// The decision record of DESIGN §3: printed by `--json` commands (one object per line) and kept in
// the journal. It never holds personal data: `subject` is a keyed hash.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "firmware/base/Reason.h"

namespace sentinel {

enum class TestType { Naat, Rat, Other };
std::string_view toString(TestType t);  // "NAAT", "RAT", "OTHER"

// The test a decision was made on (the newest relevant one).
struct TestSummary {
    TestType type = TestType::Other;
    std::string collectedAt;  // RFC 3339 UTC, as formatRfc3339 prints it
    double ageHours = 0.0;
    std::string result;  // "negative" | "positive" | "unknown"
};

// Each verification step that ran: true passed, false failed, nullopt not reached / not applicable.
struct Stages {
    std::optional<bool> prefix, base45, inflate, cbor, signature, keyUsage, expiry, policy;
};

struct Latency {
    std::optional<double> decodeMs, verifyMs, backendMs, totalMs;
};

// The rule set that decided (§12): its id/version and the identifiers of the rules that failed.
struct RulesOutcome {
    std::string set;                  // "<id>/<version>", e.g. "CN/1.2.0" or "builtin/policy"
    std::vector<std::string> failed;  // rule identifiers, e.g. "TR-CN-0001"
};

// §14: the risk level a decision found among the holder's stays and the list that said so (never a region).
struct RiskOutcome {
    std::string level;  // "high" | "medium" | "low"
    std::string list;   // the list's version, e.g. "2026-12-08.1"
};

// DecisionRecord::format of a test card's decision (§13.1): counted apart, never as a PASS.
inline constexpr std::string_view kTestCardFormat = "TEST";

struct DecisionRecord {
    Decision decision = Decision::Deny;
    Reason reason = Reason::InternalError;
    std::string format;  // "HC1", "HK1", "ID", "MRZ", "TEST" (a test card, §13.1), or "" when unknown
    std::optional<TestSummary> test;
    std::optional<std::string> code;  // online status colour ("green", …)
    Stages stages;
    Latency latency;
    std::string subject;  // keyed hash, hex; empty when there is no credential identifier
    std::string file;     // `scan` only: the image the record came from
    std::optional<RulesOutcome> rules;     // §12: present when a loaded rule set decided
    std::optional<std::int64_t> overrides;  // §11: STAFF_OVERRIDE records: seq of the overridden record
    std::optional<std::string> staff;       // §11: the operator-assigned staff number of an override
    std::optional<std::string> route;       // §14: "isolation" | "observation" | "testing" | "staff"; null = none
    std::optional<RiskOutcome> risk;        // §14: present when a risk-area list was applied
    // §13.1: the bundle that supplied the policy in force (its issued_at) or "config"; empty = not
    // known to the component that made the record (desk commands print it only when set).
    std::string policyVersion;
    std::optional<std::string> revocation;  // §17: the hash type that matched ("UCI", …)
    std::optional<std::string> binding;     // §15: "match" | "mismatch" | "none" (holder binding)

    // Sets reason and the decision it implies (decisionFor).
    void decide(Reason r);
};

nlohmann::json toJson(const DecisionRecord& r);
// One line, no trailing newline.
std::string toJsonLine(const DecisionRecord& r);

}  // namespace sentinel

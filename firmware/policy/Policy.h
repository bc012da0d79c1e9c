#pragma once
// The rules of DESIGN §6 and §14 that turn what a credential says into a reason. Pure: values in,
// values out; the validation time and the risk-area list in force are parameters.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "firmware/base/DecisionRecord.h"
#include "firmware/base/Reason.h"
#include "firmware/base/Time.h"
#include "firmware/policy/Itinerary.h"
#include "firmware/policy/RiskAreaList.h"

namespace sentinel::policy {

struct PolicyConfig {
    double maxTestAgeNaatH = 48.0;  // hours, sample collection → now; exactly the limit passes
    double maxTestAgeRatH = 0.0;    // hours; 0 = antigen tests not accepted
    int futureToleranceS = 300;     // seconds; sample later than now + tolerance → TEST_IN_FUTURE
    std::vector<std::string> acceptStatus{"green"};  // online code colours that may pass
    bool requireTest = true;        // vaccination/recovery alone → NO_TEST_RESULT
    // §14: risk areas.
    double riskMaxAgeH = 36.0;       // hours; a list in force issued longer ago → RISK_LIST_STALE (travel only)
    int riskLookbackHighDays = 14;   // days; a stay in a high-risk area counts when it ended this recently
    int riskLookbackMediumDays = 7;  // days; the same for medium-risk areas
    bool requireTravel = false;      // an online answer without travel data → TRAVEL_UNKNOWN

    bool operator==(const PolicyConfig&) const = default;
};

struct TestEntry {
    TestType type = TestType::Other;
    std::optional<UtcTime> collectedAt;  // nullopt: absent or unparseable → MALFORMED
    bool negative = false;               // HCERT tr == 260415000, online "negative"
    std::string result;                  // "negative" | "positive" | "pending" | raw value for display
    bool pending = false;                // §5 v1.1: sampled, result not yet in (never negative)
};

struct PolicyInput {
    std::vector<TestEntry> tests;             // any order
    bool hasVaccination = false;
    bool hasRecovery = false;
    std::optional<std::string> statusColour;  // online codes only
    // §14: the holder's stays from the service (v1.1); nullopt = no travel data (a v1 service, HC1).
    std::optional<Itinerary> travel;
};

struct PolicyOutcome {
    Reason reason = Reason::InternalError;
    std::optional<TestSummary> test;  // the test the decision rests on, when there is one
    std::optional<RiskOutcome> risk;  // §14: when travel data met a fresh list (level + list version)
};

// An online code colour in accept_status.
bool acceptsColour(const std::string& colour, const PolicyConfig& config);

// The age limit of a test type, in milliseconds (the configured hours, truncated to whole ms); an
// age of exactly the limit passes. nullopt: the type is not accepted (a limit of 0 h; other types).
std::optional<std::chrono::milliseconds> maxTestAge(TestType type, const PolicyConfig& config);

// The test a decision rests on, as evaluate() reports it in PolicyOutcome::test: none when the
// colour is not accepted, there is no test, or a test has no sample time. A holder whose decision is
// TEST_RESULT_PENDING rests on the pending test (result "pending").
std::optional<TestSummary> testSummary(const PolicyInput& input, UtcTime now, const PolicyConfig& config);

// §14 risk of an itinerary against `list` at `now`: the highest level among the stays that count —
// a stay counts for a level when it ended (an open stay: now; a `to` in the future: now) within that
// level's lookback (high riskLookbackHighDays, medium riskLookbackMediumDays; exactly the lookback
// counts), its region's level being the list's at `now` (highest covering entry, `until` applied).
RiskLevel assessItinerary(const Itinerary& travel, const RiskAreaList& list, UtcTime now, const PolicyConfig& config);

// A list in force whose issued_at is more than riskMaxAgeH before `now` (exactly the limit is fresh).
bool riskListStale(const RiskAreaList& list, UtcTime now, const PolicyConfig& config);
// riskMaxAgeH in milliseconds (truncated to whole ms), as the built-in rules use it.
std::chrono::milliseconds riskMaxAge(const PolicyConfig& config);

// The record's `risk` (§14): the itinerary's level and the list's version, when the input carries
// travel (possibly no stays) and `riskList` is fresh at `now`; else none.
std::optional<RiskOutcome> riskOutcome(const PolicyInput& input, UtcTime now, const PolicyConfig& config,
                                       const RiskAreaList* riskList);

// §14 routes: RISK_AREA_HIGH → "isolation", RISK_AREA_MEDIUM → "observation", TEST_RESULT_PENDING →
// "testing", RISK_LIST_STALE and BACKEND_UNAVAILABLE → "staff"; every other reason has none.
std::optional<std::string_view> routeFor(Reason reason);

// The reference implementation of DESIGN §6 and §14 (the built-in rule set, verify/BuiltinRules,
// decides exactly as this; an equivalence test holds them together). `riskList` is the list in
// force (nullptr: none). In this order, the first that applies gives the reason:
//   1. colour (online codes) not in acceptStatus                        → CODE_NOT_GREEN
//   2. travel with at least one stay, and no list or a stale one       → RISK_LIST_STALE
//   3. requireTravel, an online answer (statusColour set) without travel → TRAVEL_UNKNOWN
//   4. a stay counting for high (assessItinerary)                       → RISK_AREA_HIGH
//   5. a stay counting for medium                                       → RISK_AREA_MEDIUM
//   6. no negative test qualifies and the newest test within its limit is pending → TEST_RESULT_PENDING
//      ("within its limit": accepted type, sample time known, not in the future, age within the
//      limit; "qualifies": the same and negative; "newest": a completed test within its limit taken
//      at the same time or later makes the pending one not the newest)
//   7. no completed (non-pending) test → NO_TEST_RESULT when requireTest, else OK
//   8. the completed tests: every one with a sample time (MALFORMED), then the newest of an accepted
//      type (the newest of any type when none is accepted): type accepted, not in the future,
//      negative, age within the limit for its type.
// PolicyOutcome::risk is set when travel is present and a fresh list is in force.
PolicyOutcome evaluate(const PolicyInput& input, UtcTime now, const PolicyConfig& config,
                       const RiskAreaList* riskList = nullptr);

}  // namespace sentinel::policy

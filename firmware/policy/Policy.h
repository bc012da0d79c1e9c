#pragma once
// The rules of DESIGN §6 that turn what a credential says into a reason. Pure: values in, values
// out; the validation time is a parameter.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "firmware/base/DecisionRecord.h"
#include "firmware/base/Reason.h"
#include "firmware/base/Time.h"

namespace sentinel::policy {

struct PolicyConfig {
    double maxTestAgeNaatH = 48.0;  // hours, sample collection → now; exactly the limit passes
    double maxTestAgeRatH = 0.0;    // hours; 0 = antigen tests not accepted
    int futureToleranceS = 300;     // seconds; sample later than now + tolerance → TEST_IN_FUTURE
    std::vector<std::string> acceptStatus{"green"};  // online code colours that may pass
    bool requireTest = true;        // vaccination/recovery alone → NO_TEST_RESULT

    bool operator==(const PolicyConfig&) const = default;
};

struct TestEntry {
    TestType type = TestType::Other;
    std::optional<UtcTime> collectedAt;  // nullopt: absent or unparseable → MALFORMED
    bool negative = false;               // HCERT tr == 260415000, online "negative"
    std::string result;                  // "negative" | "positive" | raw value for display
};

struct PolicyInput {
    std::vector<TestEntry> tests;             // any order
    bool hasVaccination = false;
    bool hasRecovery = false;
    std::optional<std::string> statusColour;  // online codes only
};

struct PolicyOutcome {
    Reason reason = Reason::InternalError;
    std::optional<TestSummary> test;  // the test the decision rests on, when there is one
};

// An online code colour in accept_status.
bool acceptsColour(const std::string& colour, const PolicyConfig& config);

// The age limit of a test type, in milliseconds (the configured hours, truncated to whole ms); an
// age of exactly the limit passes. nullopt: the type is not accepted (a limit of 0 h; other types).
std::optional<std::chrono::milliseconds> maxTestAge(TestType type, const PolicyConfig& config);

// The test a decision rests on, as evaluate() reports it in PolicyOutcome::test: none when the
// colour is not accepted, there is no test, or a test has no sample time.
std::optional<TestSummary> testSummary(const PolicyInput& input, UtcTime now, const PolicyConfig& config);

// The reference implementation of DESIGN §6 (the built-in rule set, verify/BuiltinRules, decides
// exactly as this; an equivalence test holds them together).
// Colour first (online), then the newest test of an accepted type (the newest of any type when none
// is accepted): type accepted, not in the future, result negative, age within the limit for its
// type. No test → NO_TEST_RESULT when requireTest, else OK.
PolicyOutcome evaluate(const PolicyInput& input, UtcTime now, const PolicyConfig& config);

}  // namespace sentinel::policy

#include "firmware/policy/Policy.h"

#include <algorithm>

namespace sentinel::policy {
namespace {

constexpr double kMsPerHour = 3600.0 * 1000.0;

double maxAgeHoursFor(TestType type, const PolicyConfig& config) {
    switch (type) {
        case TestType::Naat: return config.maxTestAgeNaatH;
        case TestType::Rat: return config.maxTestAgeRatH;
        case TestType::Other: return 0.0;
    }
    return 0.0;
}

bool colourAccepted(const PolicyInput& input, const PolicyConfig& config) {
    return !input.statusColour || acceptsColour(*input.statusColour, config);
}

bool everySampleTimeKnown(const PolicyInput& input) {
    return std::all_of(input.tests.begin(), input.tests.end(), [](const TestEntry& t) { return t.collectedAt.has_value(); });
}

// The newest test of a type the policy accepts decides (a newer antigen test must not hide a valid
// NAAT); when no test is of an accepted type, the newest one does (→ not accepted). Of tests taken
// at the same time, the first. Needs at least one test, all with a sample time.
const TestEntry& decisiveEntry(const PolicyInput& input, const PolicyConfig& config) {
    const auto newer = [](const TestEntry& a, const TestEntry& b) { return *a.collectedAt < *b.collectedAt; };
    auto decisive = input.tests.end();
    for (auto it = input.tests.begin(); it != input.tests.end(); ++it) {
        if (maxTestAge(it->type, config) && (decisive == input.tests.end() || newer(*decisive, *it))) decisive = it;
    }
    if (decisive == input.tests.end()) decisive = std::max_element(input.tests.begin(), input.tests.end(), newer);
    return *decisive;
}

TestSummary summaryOf(const TestEntry& t, UtcTime now) {
    const auto ageMs = (now - *t.collectedAt).count();
    return TestSummary{t.type, formatRfc3339(*t.collectedAt), static_cast<double>(ageMs) / kMsPerHour, t.result};
}

}  // namespace

bool acceptsColour(const std::string& colour, const PolicyConfig& config) {
    const auto& accepted = config.acceptStatus;
    return std::find(accepted.begin(), accepted.end(), colour) != accepted.end();
}

std::optional<std::chrono::milliseconds> maxTestAge(TestType type, const PolicyConfig& config) {
    const double hours = maxAgeHoursFor(type, config);
    if (hours <= 0.0) return std::nullopt;
    return std::chrono::milliseconds{static_cast<long long>(hours * kMsPerHour)};
}

std::optional<TestSummary> testSummary(const PolicyInput& input, UtcTime now, const PolicyConfig& config) {
    if (!colourAccepted(input, config) || input.tests.empty() || !everySampleTimeKnown(input)) return std::nullopt;
    return summaryOf(decisiveEntry(input, config), now);
}

PolicyOutcome evaluate(const PolicyInput& input, UtcTime now, const PolicyConfig& config) {
    PolicyOutcome out;
    if (!colourAccepted(input, config)) {
        out.reason = Reason::CodeNotGreen;
        return out;
    }
    if (input.tests.empty()) {
        out.reason = config.requireTest ? Reason::NoTestResult : Reason::Ok;
        return out;
    }
    if (!everySampleTimeKnown(input)) {
        out.reason = Reason::Malformed;
        return out;
    }
    const TestEntry& t = decisiveEntry(input, config);
    out.test = summaryOf(t, now);
    const auto maxAge = maxTestAge(t.type, config);
    if (!maxAge) {
        out.reason = Reason::TestTypeNotAccepted;
    } else if (*t.collectedAt > now + std::chrono::seconds{config.futureToleranceS}) {
        out.reason = Reason::TestInFuture;
    } else if (!t.negative) {
        out.reason = Reason::TestPositive;
    } else if (now - *t.collectedAt > *maxAge) {
        out.reason = Reason::TestTooOld;
    } else {
        out.reason = Reason::Ok;
    }
    return out;
}

}  // namespace sentinel::policy

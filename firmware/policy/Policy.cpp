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

}  // namespace

PolicyOutcome evaluate(const PolicyInput& input, UtcTime now, const PolicyConfig& config) {
    PolicyOutcome out;
    if (input.statusColour) {
        const auto& accepted = config.acceptStatus;
        if (std::find(accepted.begin(), accepted.end(), *input.statusColour) == accepted.end()) {
            out.reason = Reason::CodeNotGreen;
            return out;
        }
    }
    if (input.tests.empty()) {
        out.reason = config.requireTest ? Reason::NoTestResult : Reason::Ok;
        return out;
    }
    for (const auto& t : input.tests) {
        if (!t.collectedAt) {
            out.reason = Reason::Malformed;
            return out;
        }
    }
    // The newest test of a type the policy accepts decides (a newer antigen test must not hide a
    // valid NAAT); when no test is of an accepted type, the newest one does (→ not accepted).
    const auto newer = [](const TestEntry& a, const TestEntry& b) { return *a.collectedAt < *b.collectedAt; };
    auto decisive = input.tests.end();
    for (auto it = input.tests.begin(); it != input.tests.end(); ++it) {
        if (maxAgeHoursFor(it->type, config) > 0.0 && (decisive == input.tests.end() || newer(*decisive, *it))) decisive = it;
    }
    if (decisive == input.tests.end()) decisive = std::max_element(input.tests.begin(), input.tests.end(), newer);
    const TestEntry& t = *decisive;
    const auto ageMs = (now - *t.collectedAt).count();
    out.test = TestSummary{t.type, formatRfc3339(*t.collectedAt), static_cast<double>(ageMs) / kMsPerHour,
                           t.result};
    const double maxAgeH = maxAgeHoursFor(t.type, config);
    if (maxAgeH <= 0.0) {
        out.reason = Reason::TestTypeNotAccepted;
    } else if (*t.collectedAt > now + std::chrono::seconds{config.futureToleranceS}) {
        out.reason = Reason::TestInFuture;
    } else if (!t.negative) {
        out.reason = Reason::TestPositive;
    } else if (ageMs > static_cast<long long>(maxAgeH * kMsPerHour)) {
        out.reason = Reason::TestTooOld;
    } else {
        out.reason = Reason::Ok;
    }
    return out;
}

}  // namespace sentinel::policy

#include "firmware/policy/Policy.h"

#include <algorithm>

namespace sentinel::policy {
namespace {

constexpr double kMsPerHour = 3600.0 * 1000.0;
constexpr std::chrono::milliseconds kDay{24LL * 3600 * 1000};

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

bool everySampleTimeKnown(const std::vector<TestEntry>& tests) {
    return std::all_of(tests.begin(), tests.end(), [](const TestEntry& t) { return t.collectedAt.has_value(); });
}

std::vector<TestEntry> completedTests(const PolicyInput& input) {
    std::vector<TestEntry> out;
    for (const auto& t : input.tests) {
        if (!t.pending) out.push_back(t);
    }
    return out;
}

// The newest test of a type the policy accepts decides (a newer antigen test must not hide a valid
// NAAT); when no test is of an accepted type, the newest one does (→ not accepted). Of tests taken
// at the same time, the first. Needs at least one test, all with a sample time.
const TestEntry& decisiveEntry(const std::vector<TestEntry>& tests, const PolicyConfig& config) {
    const auto newer = [](const TestEntry& a, const TestEntry& b) { return *a.collectedAt < *b.collectedAt; };
    auto decisive = tests.end();
    for (auto it = tests.begin(); it != tests.end(); ++it) {
        if (maxTestAge(it->type, config) && (decisive == tests.end() || newer(*decisive, *it))) decisive = it;
    }
    if (decisive == tests.end()) decisive = std::max_element(tests.begin(), tests.end(), newer);
    return *decisive;
}

TestSummary summaryOf(const TestEntry& t, UtcTime now) {
    const auto ageMs = (now - *t.collectedAt).count();
    return TestSummary{t.type, formatRfc3339(*t.collectedAt), static_cast<double>(ageMs) / kMsPerHour, t.result};
}

// Accepted type, sample time known, not in the future, age within the limit of its type.
bool withinLimit(const TestEntry& t, UtcTime now, const PolicyConfig& config) {
    const auto limit = maxTestAge(t.type, config);
    if (!t.collectedAt || !limit) return false;
    if (*t.collectedAt > now + std::chrono::seconds{config.futureToleranceS}) return false;
    return now - *t.collectedAt <= *limit;
}

// §14 TEST_RESULT_PENDING: no negative test qualifies and the newest test within its limit is
// pending. Returns that pending test (the first of equal times), else nullptr.
const TestEntry* decisivePending(const PolicyInput& input, UtcTime now, const PolicyConfig& config) {
    const TestEntry* pending = nullptr;
    for (const auto& t : input.tests) {
        if (!t.pending && t.negative && withinLimit(t, now, config)) return nullptr;  // a negative qualifies
    }
    for (const auto& p : input.tests) {
        if (!p.pending || !withinLimit(p, now, config)) continue;
        const bool newest = std::none_of(input.tests.begin(), input.tests.end(), [&](const TestEntry& c) {
            return !c.pending && withinLimit(c, now, config) && *c.collectedAt >= *p.collectedAt;
        });
        if (newest && (!pending || *p.collectedAt > *pending->collectedAt)) pending = &p;
    }
    return pending;
}

bool hasStays(const PolicyInput& input) { return input.travel && !input.travel->empty(); }

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

std::chrono::milliseconds riskMaxAge(const PolicyConfig& config) {
    return std::chrono::milliseconds{static_cast<long long>(std::max(0.0, config.riskMaxAgeH) * kMsPerHour)};
}

bool riskListStale(const RiskAreaList& list, UtcTime now, const PolicyConfig& config) {
    return now - list.issuedAt() > riskMaxAge(config);
}

RiskLevel assessItinerary(const Itinerary& travel, const RiskAreaList& list, UtcTime now, const PolicyConfig& config) {
    RiskLevel found = RiskLevel::Low;
    const auto highLookback = kDay * config.riskLookbackHighDays;
    const auto mediumLookback = kDay * config.riskLookbackMediumDays;
    for (const Stay& s : travel.stays()) {
        const UtcTime ended = s.to ? *s.to : now;
        const auto since = now - ended;  // negative for a `to` in the future: counts
        const RiskLevel level = list.levelOf(s.regionCode(), now);
        if (level == RiskLevel::High && since <= highLookback) return RiskLevel::High;
        if (level == RiskLevel::Medium && since <= mediumLookback) found = RiskLevel::Medium;
    }
    return found;
}

std::optional<RiskOutcome> riskOutcome(const PolicyInput& input, UtcTime now, const PolicyConfig& config,
                                       const RiskAreaList* riskList) {
    if (!input.travel || !riskList || riskListStale(*riskList, now, config)) return std::nullopt;
    return RiskOutcome{std::string(toString(assessItinerary(*input.travel, *riskList, now, config))), riskList->version()};
}

std::optional<std::string_view> routeFor(Reason reason) {
    switch (reason) {
        case Reason::RiskAreaHigh: return "isolation";
        case Reason::RiskAreaMedium: return "observation";
        case Reason::TestResultPending: return "testing";
        case Reason::RiskListStale:
        case Reason::BackendUnavailable: return "staff";
        default: return std::nullopt;
    }
}

std::optional<TestSummary> testSummary(const PolicyInput& input, UtcTime now, const PolicyConfig& config) {
    if (!colourAccepted(input, config)) return std::nullopt;
    if (const TestEntry* p = decisivePending(input, now, config)) return summaryOf(*p, now);
    const auto completed = completedTests(input);
    if (completed.empty() || !everySampleTimeKnown(completed)) return std::nullopt;
    return summaryOf(decisiveEntry(completed, config), now);
}

PolicyOutcome evaluate(const PolicyInput& input, UtcTime now, const PolicyConfig& config, const RiskAreaList* riskList) {
    PolicyOutcome out;
    if (!colourAccepted(input, config)) {
        out.reason = Reason::CodeNotGreen;
        return out;
    }
    const bool freshList = riskList && !riskListStale(*riskList, now, config);
    if (hasStays(input) && !freshList) {
        out.reason = Reason::RiskListStale;
        return out;
    }
    if (config.requireTravel && input.statusColour && !input.travel) {
        out.reason = Reason::TravelUnknown;
        return out;
    }
    out.risk = riskOutcome(input, now, config, riskList);
    if (out.risk && out.risk->level == toString(RiskLevel::High)) {
        out.reason = Reason::RiskAreaHigh;
        return out;
    }
    if (out.risk && out.risk->level == toString(RiskLevel::Medium)) {
        out.reason = Reason::RiskAreaMedium;
        return out;
    }
    if (const TestEntry* p = decisivePending(input, now, config)) {
        out.test = summaryOf(*p, now);
        out.reason = Reason::TestResultPending;
        return out;
    }
    const auto completed = completedTests(input);
    if (completed.empty()) {
        out.reason = config.requireTest ? Reason::NoTestResult : Reason::Ok;
        return out;
    }
    if (!everySampleTimeKnown(completed)) {
        out.reason = Reason::Malformed;
        return out;
    }
    const TestEntry& t = decisiveEntry(completed, config);
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

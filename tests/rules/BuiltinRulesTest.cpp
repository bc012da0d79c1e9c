// The built-in rule set made from [policy] (verify/BuiltinRules) decides exactly as the reference
// policy::evaluate, with its reasons, on a generated grid of policies and inputs.
#include "firmware/verify/BuiltinRules.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <sstream>

#include "firmware/rules/CertLogic.h"

namespace sentinel::verify {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::milliseconds;

// A validation clock with a millisecond part, so that ms truncation anywhere would show.
const UtcTime kNow = *parseRfc3339("2026-11-22T08:00:00.437Z");
const std::vector<std::optional<std::string>> kColours{std::nullopt, "green", "yellow", "red"};

std::string describe(const policy::PolicyConfig& p) {
    std::ostringstream s;
    s << "naat=" << p.maxTestAgeNaatH << "h rat=" << p.maxTestAgeRatH << "h tol=" << p.futureToleranceS
      << "s require=" << p.requireTest << " accept=[";
    for (const auto& c : p.acceptStatus) s << c << ' ';
    return s.str() + "]";
}

std::string describe(const policy::PolicyInput& in) {
    std::ostringstream s;
    s << "colour=" << in.statusColour.value_or("-") << " tests=[";
    for (const auto& t : in.tests) {
        s << '{' << toString(t.type) << ' '
          << (t.collectedAt ? std::to_string((kNow - *t.collectedAt).count()) + "ms ago" : std::string("no time")) << ' '
          << t.result << '}';
    }
    return s.str() + "]";
}

policy::TestEntry test(TestType type, std::optional<milliseconds> age, bool negative) {
    policy::TestEntry t;
    t.type = type;
    if (age) t.collectedAt = kNow - *age;
    t.negative = negative;
    t.result = negative ? "negative" : "positive";
    return t;
}

// Ages around every limit of `p`: the limits of both types (−1, 0, +1 ms), the future tolerance
// (−1, 0, +1 ms), now, and a few ordinary ones.
std::vector<milliseconds> edgeAges(const policy::PolicyConfig& p) {
    std::set<long long> ms{0, 1, -1, 3'600'000, 6 * 3'600'000, 100 * 3'600'000};
    for (const auto type : {TestType::Naat, TestType::Rat}) {
        if (const auto limit = policy::maxTestAge(type, p)) {
            for (long long d : {-1, 0, 1}) ms.insert(limit->count() + d);
        }
    }
    const long long tolerance = p.futureToleranceS * 1000LL;
    for (long long d : {-1, 0, 1}) ms.insert(-tolerance + d);
    std::vector<milliseconds> out;
    for (long long v : ms) out.emplace_back(v);
    return out;
}

struct Counts {
    int cases = 0;
    std::map<Reason, int> byReason;
};

void expectSameDecision(const BuiltinRules& builtin, const policy::PolicyConfig& p, const policy::PolicyInput& in,
                        Counts& counts) {
    const auto reference = policy::evaluate(in, kNow, p);
    const Reason generated = decideBuiltin(builtin, in, kNow);
    ++counts.cases;
    ++counts.byReason[reference.reason];
    ASSERT_EQ(toString(reference.reason), toString(generated)) << describe(p) << ' ' << describe(in);
    const auto summary = policy::testSummary(in, kNow, p);
    ASSERT_EQ(reference.test.has_value(), summary.has_value()) << describe(p) << ' ' << describe(in);
    if (summary) {
        EXPECT_EQ(reference.test->collectedAt, summary->collectedAt);
        EXPECT_EQ(reference.test->type, summary->type);
    }
}

std::vector<policy::PolicyConfig> policyGrid() {
    std::vector<policy::PolicyConfig> out;
    // NAAT limits: the default, fractional hours (30 min, 24 h 15 min), 0.0001 h = 360 ms, a value
    // that truncates to whole ms (1/3 h + a fraction), not accepted.
    for (double naat : {48.0, 0.5, 24.25, 0.0001, 1.0 / 3.0 + 1e-7, 0.0}) {
        for (double rat : {0.0, 24.0, 1.5, 0.000277}) {  // 0.000277 h = 997.2 ms → 997 ms
            for (int tolerance : {300, 0, 1}) {
                for (const auto& accept : {std::vector<std::string>{"green"}, std::vector<std::string>{"green", "yellow"},
                                           std::vector<std::string>{}}) {
                    for (bool requireTest : {true, false}) {
                        policy::PolicyConfig p;
                        p.maxTestAgeNaatH = naat;
                        p.maxTestAgeRatH = rat;
                        p.futureToleranceS = tolerance;
                        p.acceptStatus = accept;
                        p.requireTest = requireTest;
                        out.push_back(p);
                    }
                }
            }
        }
    }
    return out;
}

TEST(BuiltinRules, DecideExactlyAsPolicyEvaluateOnAGeneratedGrid) {
    std::mt19937 random(20261122);  // fixed seed: the same cases on every run and platform
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
    Counts counts;
    for (const auto& p : policyGrid()) {
        const auto builtin = makeBuiltinRules(p, "CN");
        ASSERT_TRUE(builtin->issues.empty()) << describe(p) << ": " << builtin->issues.front().message;
        const auto ages = edgeAges(p);
        for (const auto& colour : kColours) {
            policy::PolicyInput none;
            none.statusColour = colour;
            none.hasVaccination = true;
            expectSameDecision(*builtin, p, none, counts);
            // One test: every type, result and edge age; and one without a sample time.
            for (const auto type : {TestType::Naat, TestType::Rat, TestType::Other}) {
                for (bool negative : {true, false}) {
                    policy::PolicyInput in;
                    in.statusColour = colour;
                    in.tests.push_back(test(type, std::nullopt, negative));
                    expectSameDecision(*builtin, p, in, counts);
                    for (const auto age : ages) {
                        in.tests = {test(type, age, negative)};
                        expectSameDecision(*builtin, p, in, counts);
                    }
                }
            }
        }
        // Several tests (2–4): random types, results, edge ages (ties included), a missing time now
        // and then, any colour.
        for (int i = 0; i < 60; ++i) {
            policy::PolicyInput in;
            in.statusColour = kColours[pick(kColours.size())];
            const std::size_t n = 2 + pick(3);
            for (std::size_t k = 0; k < n; ++k) {
                const auto type = std::array{TestType::Naat, TestType::Rat, TestType::Other}[pick(3)];
                const bool missing = pick(12) == 0;
                in.tests.push_back(test(type, missing ? std::nullopt : std::optional(ages[pick(ages.size())]), pick(3) != 0));
            }
            expectSameDecision(*builtin, p, in, counts);
            if (HasFatalFailure()) return;
        }
        if (HasFatalFailure()) return;
    }
    // The grid reaches every reason the policy gives, many times.
    RecordProperty("cases", counts.cases);
    EXPECT_GT(counts.cases, 50000);
    for (const Reason r : {Reason::Ok, Reason::CodeNotGreen, Reason::NoTestResult, Reason::Malformed, Reason::TestTypeNotAccepted,
                           Reason::TestInFuture, Reason::TestPositive, Reason::TestTooOld}) {
        EXPECT_GT(counts.byReason[r], 100) << toString(r);
    }
}

TEST(BuiltinRules, AreGatewayRulesInDecisionOrderWithTheirReasons) {
    const auto builtin = makeBuiltinRules({}, "CN");
    ASSERT_TRUE(builtin->issues.empty());
    std::vector<std::string> ids;
    for (const auto& r : builtin->set.rules) ids.push_back(r.identifier);
    EXPECT_EQ(ids, (std::vector<std::string>{"GR-CN-0001", "GR-CN-0003", "GR-CN-0005", "GR-CN-0006", "GR-CN-0007", "GR-CN-0002",
                                             "TR-CN-0001", "TR-CN-0002", "TR-CN-0003", "TR-CN-0004", "TR-CN-0005"}));
    EXPECT_EQ(builtin->reasons,
              (std::vector<Reason>{Reason::CodeNotGreen, Reason::RiskListStale, Reason::RiskAreaHigh, Reason::RiskAreaMedium,
                                   Reason::TestResultPending, Reason::NoTestResult, Reason::Malformed, Reason::TestTypeNotAccepted,
                                   Reason::TestInFuture, Reason::TestPositive, Reason::TestTooOld}));
    // The gateway text is a rule set any loader reads back, every rule valid CertLogic.
    const auto parsed = rules::parseRuleSet(builtin->gateway.dump(), "builtin");
    EXPECT_TRUE(parsed.issues.empty());
    EXPECT_EQ(parsed.set.rules.size(), 11u);
    EXPECT_EQ(builtin->set.rules.back().description(), "采样至核验时间不得超过：核酸48小时 / The sample was collected at most this long before the check: NAAT 48 h");
}

TEST(BuiltinRules, WithoutRequireTestThereIsNoPresenceRule) {
    policy::PolicyConfig p;
    p.requireTest = false;
    const auto builtin = makeBuiltinRules(p, "DE");
    ASSERT_TRUE(builtin->issues.empty());
    EXPECT_EQ(builtin->set.rules.size(), 10u);
    EXPECT_EQ(builtin->set.rules.front().identifier, "GR-DE-0001");
    for (const auto& r : builtin->set.rules) EXPECT_NE(r.identifier, "GR-DE-0002");
    EXPECT_EQ(Reason::Ok, decideBuiltin(*builtin, {}, kNow));
}

TEST(BuiltinRules, FractionalLimitsUseExactUnits) {
    policy::PolicyConfig p;
    p.maxTestAgeNaatH = 0.5;
    p.maxTestAgeRatH = 0.0001;  // 360 ms
    p.futureToleranceS = 90;
    const auto builtin = makeBuiltinRules(p, "CN");
    const std::string age = builtin->gateway.back()["Logic"].dump();
    EXPECT_NE(age.find(R"(30,"minute")"), std::string::npos) << age;
    EXPECT_NE(age.find(R"(360,"millisecond")"), std::string::npos) << age;
    const std::string future = builtin->gateway[builtin->gateway.size() - 3]["Logic"].dump();
    EXPECT_NE(future.find(R"(90,"second")"), std::string::npos) << future;
    policy::PolicyInput in;
    in.tests = {test(TestType::Naat, milliseconds{30 * 60 * 1000}, true)};
    EXPECT_EQ(Reason::Ok, decideBuiltin(*builtin, in, kNow));
    in.tests = {test(TestType::Naat, milliseconds{30 * 60 * 1000 + 1}, true)};
    EXPECT_EQ(Reason::TestTooOld, decideBuiltin(*builtin, in, kNow));
}

TEST(BuiltinRules, TheDataObjectCarriesTheTestsAndTheOnlineCode) {
    policy::PolicyInput in;
    in.statusColour = "yellow";
    in.tests = {test(TestType::Rat, hours{2}, false), test(TestType::Other, std::nullopt, true)};
    const json data = builtinDataObject(in, kNow, "CN");
    EXPECT_EQ(data["payload"]["t"][0], (json{{"tt", "LP217198-3"}, {"sc", "2026-11-22T06:00:00.437Z"}, {"tr", "260373001"}}));
    EXPECT_EQ(data["payload"]["t"][1], (json{{"tt", ""}, {"sc", ""}, {"tr", "260415000"}}));
    EXPECT_EQ(data["external"]["validationClock"], "2026-11-22T08:00:00.437Z");
    EXPECT_EQ(data["external"]["code"], (json{{"format", "HK1"}, {"status", "yellow"}, {"travel", false}}));
    EXPECT_FALSE(builtinDataObject({}, kNow, "CN")["external"].contains("code"));
}

TEST(BuiltinRules, ASnapshotsRulesAreReusedOnlyForTheirOwnPolicy) {
    const auto made = makeBuiltinRules({}, "CN");
    EXPECT_EQ(made, builtinRulesFor(made, {}, "CN"));
    policy::PolicyConfig stricter;
    stricter.maxTestAgeNaatH = 24;
    const auto other = builtinRulesFor(made, stricter, "CN");
    EXPECT_NE(made, other);
    EXPECT_EQ(other->policy, stricter);
    EXPECT_NE(made, builtinRulesFor(made, {}, "DE"));
}

}  // namespace
}  // namespace sentinel::verify

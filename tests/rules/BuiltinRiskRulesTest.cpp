// The §14 built-in rules (risk list fresh, travel known, high, medium, pending) decide exactly as
// policy::evaluate; an operator's rule set can state its own policy with payload.travel and the
// risk-area value sets.
#include <gtest/gtest.h>

#include <random>

#include "firmware/policy/Policy.h"
#include "firmware/verify/BuiltinRules.h"
#include "firmware/verify/RiskStatus.h"
#include "firmware/verify/RiskValueSets.h"
#include "firmware/verify/RuleCheck.h"

namespace sentinel::verify {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::milliseconds;

const UtcTime kNow = *parseRfc3339("2026-12-08T08:00:00.437Z");
constexpr milliseconds kDay = hours{24};

std::shared_ptr<const policy::RiskAreaList> makeList(const std::string& areas, const std::string& issued = "2026-12-07T20:00:00Z") {
    auto p = policy::parseRiskAreaList(R"({"format":"sentinel-risk-areas/1","version":"2026-12-08.1","issued_at":")" + issued +
                                       R"(","effective_from":"2026-12-08T00:00:00Z","areas":[)" + areas + "]}");
    EXPECT_TRUE(p.problems.empty()) << (p.problems.empty() ? "" : p.problems.front().message);
    return p.list;
}

// Listed: high county, medium prefecture, high province, an expired high entry, a county that is
// high inside a medium prefecture, a low entry; and codes nobody lists.
const auto kList = makeList(R"({"code":"110105","level":"high"},{"code":"3101","level":"medium"},{"code":"42","level":"high"},)"
                            R"({"code":"440305","level":"high","until":"2026-12-08T08:00:00.437Z"},)"
                            R"({"code":"320102","level":"high"},{"code":"3201","level":"medium"},{"code":"510104","level":"low"},)"
                            R"({"code":"5101","level":"medium","until":"2026-12-08T08:00:00.438Z"})");
const std::vector<std::string> kRegions{"110105", "110106", "310115", "420106", "440305", "320102", "320105", "510104", "510105", "650102"};

policy::TestEntry test(TestType type, milliseconds age, const std::string& result) {
    policy::TestEntry t;
    t.type = type;
    t.collectedAt = kNow - age;
    t.negative = result == "negative";
    t.pending = result == "pending";
    t.result = result;
    return t;
}

std::string describe(const policy::PolicyInput& in) {
    std::string s = "colour=" + in.statusColour.value_or("-") + " tests=[";
    for (const auto& t : in.tests) s += "{" + std::string(toString(t.type)) + " " + std::to_string((kNow - *t.collectedAt).count()) + "ms " + t.result + "}";
    s += "] travel=";
    if (!in.travel) return s + "none";
    for (const auto& st : in.travel->stays()) {
        s += "{" + std::string(st.regionCode()) + " to=" + (st.to ? std::to_string((kNow - *st.to).count()) + "ms ago" : "open") + "}";
    }
    return s;
}

TEST(BuiltinRiskRules, DecideExactlyAsPolicyEvaluateOnAGeneratedGrid) {
    std::mt19937 random(20261208);
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
    const auto stale = makeList(R"({"code":"11","level":"high"})", "2026-12-06T20:00:00.436Z");
    const auto justFresh = makeList(R"({"code":"3101","level":"high"})", "2026-12-06T20:00:00.437Z");
    const std::vector<const policy::RiskAreaList*> lists{kList.get(), nullptr, stale.get(), justFresh.get()};
    std::map<Reason, int> byReason;
    int cases = 0;
    for (bool requireTravel : {false, true}) {
        for (int highDays : {14, 3}) {
            for (double ratH : {0.0, 24.0}) {
                policy::PolicyConfig p;
                p.requireTravel = requireTravel;
                p.riskLookbackHighDays = highDays;
                p.riskLookbackMediumDays = highDays == 14 ? 7 : 1;
                p.maxTestAgeRatH = ratH;
                const auto builtin = makeBuiltinRules(p, "CN");
                ASSERT_TRUE(builtin->issues.empty()) << builtin->issues.front().message;
                // End ages around both lookbacks (±1 ms), now, the future, ordinary ones.
                std::vector<milliseconds> ends{milliseconds{0}, milliseconds{-3'600'000}, kDay * 2, kDay * 20};
                for (int days : {p.riskLookbackHighDays, p.riskLookbackMediumDays}) {
                    for (int d : {-1, 0, 1}) ends.push_back(kDay * days + milliseconds{d});
                }
                std::vector<milliseconds> testAges{hours{2}, hours{30}, hours{47}, hours{48}, hours{48} + milliseconds{1}, hours{60},
                                                   milliseconds{-300'000}, milliseconds{-300'001}};
                for (int i = 0; i < 2500; ++i) {
                    policy::PolicyInput in;
                    if (pick(5) != 0) in.statusColour = pick(8) == 0 ? "yellow" : "green";
                    const std::size_t nTests = pick(4);
                    for (std::size_t k = 0; k < nTests; ++k) {
                        const auto type = std::array{TestType::Naat, TestType::Naat, TestType::Rat}[pick(3)];
                        const char* result = std::array{"negative", "positive", "pending", "pending"}[pick(4)];
                        in.tests.push_back(test(type, testAges[pick(testAges.size())], result));
                    }
                    if (pick(4) != 0) {
                        policy::Itinerary travel;
                        const std::size_t nStays = pick(5);
                        for (std::size_t k = 0; k < nStays; ++k) {
                            const bool open = pick(5) == 0;
                            const UtcTime to = kNow - ends[pick(ends.size())];
                            ASSERT_TRUE(travel.add(kRegions[pick(kRegions.size())], to - kDay, open ? std::nullopt : std::optional(to)));
                        }
                        in.travel = travel;
                    }
                    const auto* list = lists[pick(lists.size())];
                    const auto reference = policy::evaluate(in, kNow, p, list);
                    const Reason generated = decideBuiltin(*builtin, in, kNow, list);
                    ++cases;
                    ++byReason[reference.reason];
                    ASSERT_EQ(toString(reference.reason), toString(generated))
                        << describe(in) << " list=" << (list ? list->version() : "none") << " requireTravel=" << requireTravel
                        << " highDays=" << highDays << " rat=" << ratH;
                }
            }
        }
    }
    RecordProperty("cases", cases);
    for (const Reason r : {Reason::Ok, Reason::CodeNotGreen, Reason::RiskListStale, Reason::TravelUnknown, Reason::RiskAreaHigh,
                           Reason::RiskAreaMedium, Reason::TestResultPending, Reason::NoTestResult, Reason::TestPositive,
                           Reason::TestTooOld, Reason::TestInFuture}) {
        EXPECT_GT(byReason[r], 20) << toString(r);
    }
}

policy::PolicyInput traveller(const std::string& region, milliseconds endedAgo) {
    policy::PolicyInput in;
    in.statusColour = "green";
    in.tests = {test(TestType::Naat, hours{6}, "negative")};
    policy::Itinerary travel;
    travel.add(region, kNow - endedAgo - kDay, kNow - endedAgo);
    in.travel = travel;
    return in;
}

TEST(BuiltinRiskRules, EachFourteenReasonHasItsRoute) {
    const auto builtin = makeBuiltinRules({}, "CN");
    const struct {
        policy::PolicyInput input;
        const policy::RiskAreaList* list;
        Reason reason;
        std::optional<std::string_view> route;
    } cases[] = {
        {traveller("110105", kDay * 3), kList.get(), Reason::RiskAreaHigh, "isolation"},
        {traveller("310115", kDay * 3), kList.get(), Reason::RiskAreaMedium, "observation"},
        {traveller("420106", kDay * 13), kList.get(), Reason::RiskAreaHigh, "isolation"},  // listed by province
        {traveller("440305", kDay), kList.get(), Reason::Ok, std::nullopt},                 // entry expired
        {traveller("650102", kDay), nullptr, Reason::RiskListStale, "staff"},
        {traveller("650102", kDay), kList.get(), Reason::Ok, std::nullopt},
    };
    for (const auto& c : cases) {
        const Reason r = decideBuiltin(*builtin, c.input, kNow, c.list);
        EXPECT_EQ(toString(r), toString(c.reason)) << describe(c.input);
        EXPECT_EQ(policy::routeFor(r), c.route);
    }
    policy::PolicyInput pendingOnly;
    pendingOnly.statusColour = "green";
    pendingOnly.tests = {test(TestType::Naat, hours{3}, "pending")};
    EXPECT_EQ(decideBuiltin(*builtin, pendingOnly, kNow, kList.get()), Reason::TestResultPending);
}

// A 3 000-area list and a clean traveller with 30 stays: decided within CertLogic's default step
// bound (membership is hashed), and a single risky stay among them is found.
TEST(BuiltinRiskRules, ThirtyStaysAgainstThreeThousandAreasStayWithinTheStepBound) {
    std::string areas;
    for (int i = 0; i < 3000; ++i) {
        areas += std::string(i ? "," : "") + R"({"code":")" + std::to_string(110000 + i * 3) + R"(","level":")" + (i % 3 ? "medium" : "high") + R"("})";
    }
    const auto big = makeList(areas);
    const auto builtin = makeBuiltinRules({}, "CN");
    policy::PolicyInput in = traveller("650102", kDay);
    policy::Itinerary travel;
    for (int i = 0; i < 30; ++i) travel.add(std::to_string(620100 + i), kNow - kDay * (i % 14) - kDay, kNow - kDay * (i % 14));
    in.travel = travel;
    const auto sets = riskValueSets(big.get(), kNow);
    EXPECT_EQ(decideBuiltin(*builtin, in, kNow, big.get(), sets), Reason::Ok);
    travel.add("110003", kNow - kDay * 2, kNow - kDay);  // code 110003 is high (i = 1 → medium; 110000 high)
    travel.add("110000", kNow - kDay * 2, kNow - kDay);
    in.travel = travel;
    EXPECT_EQ(decideBuiltin(*builtin, in, kNow, big.get(), sets), Reason::RiskAreaHigh);
}

TEST(BuiltinRiskRules, TheDataObjectCarriesTravelPendingTheListAndTheValueSets) {
    policy::PolicyInput in = traveller("110105", kDay * 3 + hours{5});
    in.tests.push_back(test(TestType::Naat, hours{1}, "pending"));
    const json data = builtinDataObject(in, kNow, "CN", kList.get());
    ASSERT_EQ(data["payload"]["travel"].size(), 1u);
    const json& stay = data["payload"]["travel"][0];
    EXPECT_EQ(stay["region"], "110105");
    EXPECT_EQ(stay["prefixes"], (json{"11", "1101", "110105"}));
    EXPECT_EQ(stay["to"], "2026-12-05T03:00:00.437Z");
    EXPECT_EQ(stay["days_ago"], 3);
    EXPECT_EQ(data["payload"]["t"].size(), 1u);  // the completed test only
    EXPECT_EQ(data["payload"]["pending"], (json{{{"tt", "LP6464-4"}, {"sc", "2026-12-08T07:00:00.437Z"}}}));
    EXPECT_EQ(data["external"]["riskList"]["version"], "2026-12-08.1");
    EXPECT_EQ(data["external"]["riskList"]["issuedAt"], "2026-12-07T20:00:00.000Z");
    const json& high = data["external"]["valueSets"]["risk-areas-high"];
    EXPECT_EQ(high, (json{"110105", "42", "320102"}));  // 440305 expired at kNow
    EXPECT_EQ(data["external"]["valueSets"]["risk-areas-medium"], (json{"3101", "3201", "5101"}));
    EXPECT_FALSE(builtinDataObject({}, kNow, "CN").at("payload").contains("travel"));
    EXPECT_EQ(builtinDataObject({}, kNow, "CN")["external"]["riskList"], nullptr);
}

TEST(BuiltinRiskRules, AreListedInTheGatewayText) {
    policy::PolicyConfig p;
    p.requireTravel = true;
    const auto builtin = makeBuiltinRules(p, "CN");
    const std::string text = builtin->gateway.dump();
    EXPECT_NE(text.find("risk-areas-high"), std::string::npos);
    EXPECT_NE(text.find("risk-areas-medium"), std::string::npos);
    EXPECT_NE(text.find("GR-CN-0004"), std::string::npos);
    EXPECT_NE(text.find("payload.pending"), std::string::npos);
    EXPECT_NE(text.find(R"(14,"day")"), std::string::npos);
}

TEST(RiskValueSetCache, MakesTheSetsAgainOnlyForAnotherListOrWhenAnEntryExpires) {
    RiskValueSetCache cache;
    const auto first = cache.get(kList, kNow - hours{1});
    EXPECT_EQ(cache.get(kList, kNow - hours{1} + milliseconds{5}), first);
    const auto afterUntil = cache.get(kList, kNow);  // 440305's until
    EXPECT_NE(afterUntil, first);
    EXPECT_EQ(afterUntil->find("risk-areas-high")->size(), 3u);
    EXPECT_EQ(first->find("risk-areas-high")->size(), 4u);
    const auto other = makeList(R"({"code":"11","level":"high"})");
    EXPECT_NE(cache.get(other, kNow), afterUntil);
    EXPECT_EQ(cache.get(nullptr, kNow)->find("risk-areas-high")->size(), 0u);
}

// An operator's own §14 policy, in CertLogic: REFER-worthy only a stay in a high-risk area ended
// within 3 days (days_ago), whatever the built-in lookbacks say.
TEST(OperatorRiskRules, ARuleSetStatesItsOwnPolicyWithTravelAndTheValueSets) {
    const std::string ruleSet = R"({"id":"CN-RISK","version":"1.0.0","rules":[{
        "Identifier":"GR-CN-0100","Type":"Acceptance","Country":"CN","Version":"1.0.0","SchemaVersion":"1.0.0",
        "Engine":"CERTLOGIC","EngineVersion":"1.0.0","CertificateType":"General",
        "Description":[{"lang":"en","desc":"No stay in a high-risk area in the last 3 days"},{"lang":"zh","desc":"3天内无高风险地区停留"}],
        "ValidFrom":"2020-01-01T00:00:00Z","ValidTo":"2030-01-01T00:00:00Z","AffectedFields":["travel"],
        "Logic":{"!":[{"reduce":[{"var":"payload.travel"},
          {"or":[{"var":"accumulator"},{"and":[{"<=":[{"var":"current.days_ago"},3]},
            {"or":[{"in":[{"var":"current.prefixes.0"},{"var":"data.external.valueSets.risk-areas-high"}]},
                   {"in":[{"var":"current.prefixes.1"},{"var":"data.external.valueSets.risk-areas-high"}]},
                   {"in":[{"var":"current.prefixes.2"},{"var":"data.external.valueSets.risk-areas-high"}]}]}]}]},
          false]}]}}]})";
    const auto parsed = rules::parseRuleSet(ruleSet, "operator");
    ASSERT_TRUE(parsed.issues.empty()) << parsed.issues.front().message;
    const auto sets = riskValueSets(kList.get(), kNow);
    auto check = [&](const policy::PolicyInput& in) {
        rules::External external;
        external.code = json{{"format", "HK1"}, {"status", "green"}};
        return checkRules(parsed.set, "CN", rules::CertificateKind::Test, kNow, onlinePayload(in, kNow), external, sets);
    };
    EXPECT_TRUE(check(traveller("110105", kDay * 4)).passed);  // the built-in rules would send this one to isolation
    const auto recent = check(traveller("420106", kDay * 2));
    EXPECT_FALSE(recent.passed);
    EXPECT_EQ(recent.outcome.failed, std::vector<std::string>{"GR-CN-0100"});
    EXPECT_TRUE(check(traveller("310115", kDay)).passed);  // medium: not this operator's concern
}

TEST(RiskStatus, ShowsTheListInForceAndTheNextWithoutAreas) {
    policy::RiskSchedule schedule;
    ASSERT_TRUE(schedule.add(kList, kNow).ok());
    auto next = policy::parseRiskAreaList(R"({"format":"sentinel-risk-areas/1","version":"2026-12-09.1","issued_at":"2026-12-08T20:00:00Z",)"
                                          R"("effective_from":"2026-12-09T00:00:00Z","areas":[{"code":"42","level":"high"}]})");
    ASSERT_TRUE(schedule.add(next.list, kNow).ok());
    const json s = riskListStatus(schedule.at(kNow), kNow, {});
    EXPECT_EQ(s["in_force"]["version"], "2026-12-08.1");
    EXPECT_EQ(s["in_force"]["effective_from"], "2026-12-08T00:00:00Z");
    EXPECT_EQ(s["in_force"]["age_h"], 12.0);
    EXPECT_EQ(s["in_force"]["stale"], false);
    EXPECT_EQ(s["in_force"]["high"], 4);
    EXPECT_EQ(s["next"]["version"], "2026-12-09.1");
    EXPECT_EQ(s["next"]["effective_from"], "2026-12-09T00:00:00Z");
    EXPECT_EQ(s.dump().find("110105"), std::string::npos);
    EXPECT_EQ(riskListStatus({}, kNow, {}), (json{{"in_force", nullptr}, {"next", nullptr}}));
}

}  // namespace
}  // namespace sentinel::verify

// `in` against a value set the data object carries is a hashed lookup (DESIGN §14): the same
// result as the specification's scan, one evaluation step whatever the size, the step bound kept
// for every other `in`.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "firmware/rules/CertLogic.h"
#include "firmware/rules/RuleSet.h"

namespace sentinel::rules {
namespace {

using nlohmann::json;

json codes(int n) {
    json out = json::array();
    for (int i = 0; i < n; ++i) out.push_back(std::to_string(100000 + i));
    return out;
}

json inSet(const json& needle, const char* path = "external.valueSets.areas") {
    return {{"in", json::array({needle, {{"var", path}}})}};
}

json dataWith(json set) { return {{"payload", json::object()}, {"external", {{"valueSets", {{"areas", std::move(set)}}}}}}; }

TEST(ValueSets, MembershipInALargeValueSetTakesOneStep) {
    Limits tight;
    tight.maxSteps = 10;  // a scan of 3 000 codes would need 3 000
    const json data = dataWith(codes(3000));
    auto hit = evaluate(inSet("102999"), data, tight);
    ASSERT_TRUE(hit) << hit.error().message;
    EXPECT_EQ(*hit, true);
    auto miss = evaluate(inSet("110105"), data, tight);
    ASSERT_TRUE(miss) << miss.error().message;
    EXPECT_EQ(*miss, false);
}

TEST(ValueSets, ALiteralArrayIsStillScannedWithinTheStepBound) {
    Limits tight;
    tight.maxSteps = 50;
    const json e = {{"in", json::array({"x", codes(100)})}};
    auto r = evaluate(e, json::object(), tight);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("steps"), std::string::npos);
}

TEST(ValueSets, AShortArrayOfTheDataObjectIsScanned) {
    Limits tight;
    tight.maxSteps = 5;
    const json data = dataWith(codes(static_cast<int>(kHashedMembershipMinItems) - 1));
    EXPECT_FALSE(evaluate(inSet("109999"), data, tight));  // 14 steps needed: scanned
}

TEST(ValueSets, HashedMembershipKeepsStrictEquality) {
    json set = codes(20);
    set.push_back("EU/1/20/1528");  // longer than a packed key
    set.push_back("");
    set.push_back(42);
    set.push_back(2.5);
    set.push_back(true);
    set.push_back(nullptr);
    set.push_back(json::array({"100000"}));
    // Needles from the data object: literals may only be booleans, integers and strings.
    auto in = [&](const json& needle) {
        json data = dataWith(set);
        data["payload"]["needle"] = needle;
        auto r = evaluate(inSet(json{{"var", "payload.needle"}}), data);
        EXPECT_TRUE(r) << needle.dump();
        return r && *r == true;
    };
    EXPECT_TRUE(in("100007"));
    EXPECT_FALSE(in("10000"));
    EXPECT_FALSE(in("1000070"));
    EXPECT_TRUE(in("EU/1/20/1528"));
    EXPECT_FALSE(in("EU/1/20/1529"));
    EXPECT_TRUE(in(""));
    EXPECT_FALSE(in("42"));   // a string is not the integer
    EXPECT_TRUE(in(42));
    EXPECT_TRUE(in(42.0));    // JavaScript: 42.0 === 42
    EXPECT_TRUE(in(2.5));
    EXPECT_FALSE(in(1));      // not true
    EXPECT_TRUE(in(true));
    EXPECT_FALSE(in(false));
    EXPECT_TRUE(in(nullptr));
    EXPECT_FALSE(in(json::array({"100000"})));  // arrays are never ===
}

TEST(ValueSets, SharedValueSetsReadAsMembersOfExternalValueSets) {
    auto shared = std::make_shared<const SharedValueSets>(std::map<std::string, json, std::less<>>{{"areas", codes(3000)},
                                                                                                   {"own", json::array({"a"})}});
    const json data = {{"payload", json::object()}, {"external", {{"valueSets", {{"own", json::array({"b"})}}}}}};
    EvaluationContext context(data, shared);
    Limits tight;
    tight.maxSteps = 10;
    auto r = evaluateValidated(inSet("101234"), context, tight);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, true);
    // The data object's own value set of the same name wins.
    EXPECT_EQ(*evaluateValidated(inSet("b", "external.valueSets.own"), context, tight), true);
    EXPECT_EQ(*evaluateValidated(inSet("a", "external.valueSets.own"), context, tight), false);
    // Only at external.valueSets.
    EXPECT_EQ(*evaluateValidated({{"var", "payload.areas"}}, context, tight), nullptr);
}

TEST(ValueSets, ALambdaReachesTheValueSetThroughData) {
    // 30 stays against a 3 000-code value set, within the default step bound (the §14 case).
    json stays = json::array();
    for (int i = 0; i < 30; ++i) stays.push_back({{"region", std::to_string(200000 + i)}});
    stays.push_back({{"region", "101500"}});
    json data = dataWith(codes(3000));
    data["payload"]["travel"] = stays;
    const json e = {{"reduce", json::array({{{"var", "payload.travel"}},
                                            {{"or", json::array({{{"var", "accumulator"}},
                                                                 {{"in", json::array({{{"var", "current.region"}},
                                                                                      {{"var", "data.external.valueSets.areas"}}})}}})}},
                                            false})}};
    Limits tight;
    tight.maxSteps = 400;
    auto r = evaluate(e, data, tight);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, true);
}

TEST(ValueSets, RulesOfOneContextShareTheIndex) {
    const json data = dataWith(codes(3000));
    EvaluationContext context(data);
    const json logic = inSet("100001");
    const ValueSetIndex* first = context.membershipIndex(data["external"]["valueSets"]["areas"]);
    const ValueSetIndex* second = context.membershipIndex(data["external"]["valueSets"]["areas"]);
    EXPECT_NE(first, nullptr);
    EXPECT_EQ(first, second);
    EXPECT_EQ(*evaluateValidated(logic, context, Limits{}), true);
}

TEST(CompiledExpression, EvaluatesAsTheJsonWalkWithTheSameSteps) {
    const json logic = json::parse(R"({"reduce":[{"var":"payload.t"},
        {"if":[{"and":[{"var":"current.ok"},{"in":[{"var":"current.tt"},["A","B"]]}]},{"+":[{"var":"accumulator"},1]},{"var":"accumulator"}]},0]})");
    const json data = json::parse(R"({"payload":{"t":[{"ok":true,"tt":"A"},{"ok":false,"tt":"A"},{"ok":true,"tt":"C"},{"ok":true,"tt":"B"}]}})");
    const CompiledExpression compiled(logic);
    EvaluationContext context(data);
    auto r = evaluateCompiled(compiled, context, Limits{});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, 2);
    EXPECT_EQ(*evaluate(logic, data), 2);
    for (std::size_t steps = 1; steps < 80; ++steps) {
        Limits l;
        l.maxSteps = steps;
        EvaluationContext c(data);
        EXPECT_EQ(evaluateCompiled(compiled, c, l).ok(), evaluateValidated(logic, data, l).ok()) << steps;
    }
}

// Not valid CertLogic (validation refuses them), but evaluateValidated's contract is any JSON: a path
// is walked fragment by fragment, a trailing dot ignored, as before paths were split up front.
TEST(CompiledExpression, PathsWithEmptyFragmentsAreWalkedAsText) {
    const json data = json::parse(R"({"a":{"":{"b":1}},"x":2})");
    const std::vector<std::pair<const char*, json>> cases{
        {"a..b", 1}, {"x.", 2}, {".x", nullptr}, {"a.", json::parse(R"({"":{"b":1}})")}};
    for (const auto& [path, expected] : cases) {
        const CompiledExpression compiled(json{{"var", path}});
        EvaluationContext context(data);
        auto r = evaluateCompiled(compiled, context, Limits{});
        ASSERT_TRUE(r) << path;
        EXPECT_EQ(*r, expected) << path;
    }
}

}  // namespace
}  // namespace sentinel::rules

// Rule-set parsing and selection (DESIGN §12).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "firmware/rules/RuleSet.h"

namespace sentinel::rules {
namespace {

using nlohmann::json;

json rule(const std::string& id, const std::string& version, const std::string& certType, const std::string& from,
          const std::string& to, json logic = true) {
    return {{"Identifier", id},
            {"Type", "Acceptance"},
            {"Country", id.substr(3, 2)},
            {"Version", version},
            {"SchemaVersion", "1.0.0"},
            {"Engine", "CERTLOGIC"},
            {"EngineVersion", "1.0.0"},
            {"CertificateType", certType},
            {"Description", {{{"lang", "en"}, {"desc", "test rule"}}, {{"lang", "zh"}, {"desc", "测试规则"}}}},
            {"ValidFrom", from},
            {"ValidTo", to},
            {"AffectedFields", {"t.0"}},
            {"Logic", logic.is_object() ? logic : json{{"===", {1, 1}}}}};
}

TEST(RuleSet, SelectionTakesTheHighestValidVersionOfEachIdentifierForTheCountryAndType) {
    const json set = json::array({rule("TR-CN-0001", "1.0.0", "Test", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
                                  rule("TR-CN-0001", "1.2.0", "Test", "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z"),
                                  rule("TR-CN-0001", "2.0.0", "Test", "2026-12-31T00:00:00Z", "2027-01-01T00:00:00Z"),
                                  rule("GR-CN-0001", "1.0.0", "General", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
                                  rule("VR-CN-0001", "1.0.0", "Vaccination", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
                                  rule("TR-AT-0001", "1.0.0", "Test", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")});
    const auto parsed = parseRuleSet(set.dump(), "cn");
    ASSERT_TRUE(parsed.issues.empty()) << parsed.issues.front().message;
    EXPECT_EQ(parsed.set.label(), "cn/2.0.0");
    const auto clock = *parseDateTimeMs("2026-11-22T08:00:00Z");
    const auto picked = selectRules(parsed.set, "CN", CertificateKind::Test, clock);
    ASSERT_EQ(picked.size(), 2u);
    EXPECT_EQ(picked[0]->identifier, "GR-CN-0001");
    EXPECT_EQ(picked[1]->identifier, "TR-CN-0001");
    EXPECT_EQ(picked[1]->version, "1.2.0");
    EXPECT_EQ(picked[1]->description(), "测试规则 / test rule");
    EXPECT_EQ(selectRules(parsed.set, "CN", CertificateKind::None, clock).size(), 1u);
}

TEST(RuleSet, CheckReportsEverySchemaProblem) {
    json bad = rule("XR-CN-0001", "one", "Test", "2027-01-01T00:00:00Z", "2026-01-01T00:00:00Z");
    bad["Logic"] = {{"all", {1}}};
    bad.erase("AffectedFields");
    const auto parsed = parseRuleSet(json::array({bad}).dump(), "x");
    EXPECT_GE(parsed.issues.size(), 4u);
    EXPECT_TRUE(parsed.set.rules.empty());
}

TEST(RuleSet, AFailingOrErroringRuleIsAFailedRule) {
    auto parsed = parseRuleSet(json::array({rule("TR-CN-0001", "1.0.0", "Test", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
                                                 {{"<", {{{"var", "payload.x"}}, 3}}})})
                                   .dump(),
                               "x");
    ASSERT_TRUE(parsed.issues.empty());
    const auto picked = selectRules(parsed.set, "CN", CertificateKind::Test, *parseDateTimeMs("2026-06-01"));
    EXPECT_TRUE(evaluateRules(picked, {{"payload", {{"x", 2}}}}).front().passed);
    EXPECT_FALSE(evaluateRules(picked, {{"payload", {{"x", 4}}}}).front().passed);
    const auto err = evaluateRules(picked, {{"payload", {{"x", "2"}}}});
    EXPECT_FALSE(err.front().passed);
    EXPECT_FALSE(err.front().error.empty());
}

TEST(RuleSet, OversizedTextIsRefusedUnparsed) {
    const auto parsed = parseRuleSet(std::string(kMaxRuleSetBytes + 1, ' '), "x");
    ASSERT_FALSE(parsed.issues.empty());
}

}  // namespace
}  // namespace sentinel::rules

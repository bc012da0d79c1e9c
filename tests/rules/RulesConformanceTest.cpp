// The CertLogic test suite, the CertLogic validation suite and every business-rule test of the DCC
// rule sets in ../shared/testdata/rules (DESIGN §9, §12), read in place. Skips with a message when
// the folder is absent. Upstream assertions marked "directive": "skip" are run and reported, and may
// disagree (see known_issues below and docs/design.md §12).

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "firmware/rules/CertLogic.h"
#include "firmware/rules/RuleSet.h"
#include "tests/support/TestSupport.h"

namespace sentinel::rules {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path rulesDir() { return testing::testdataDir() / "rules"; }

json readJson(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
}

std::vector<fs::path> jsonFilesIn(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".json") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

bool skipped(const json& j) { return j.is_object() && j.value("directive", "") == "skip"; }

#define SKIP_WITHOUT(dir)                                                                                     \
    if (!fs::is_directory(dir))                                                                               \
    GTEST_SKIP() << "CertLogic/DCC rule test data not found (looked for " << (dir).string()                  \
                 << "; set SENTINEL_TESTDATA)"

TEST(CertLogicConformance, EveryTestSuiteAssertionEvaluatesToItsExpectedValue) {
    const fs::path dir = rulesDir() / "certlogic" / "testSuite";
    SKIP_WITHOUT(dir);
    int total = 0, passed = 0, skippedDisagreeing = 0;
    for (const auto& file : jsonFilesIn(dir)) {
        const json suite = readJson(file);
        for (const auto& c : suite["cases"]) {
            for (const auto& a : c["assertions"]) {
                ++total;
                const json& expr = a.contains("certLogicExpression") ? a["certLogicExpression"] : c["certLogicExpression"];
                const auto got = evaluate(expr, a.value("data", json()));
                const bool ok = got && *got == a["expected"];
                const bool skip = skipped(suite) || skipped(c) || skipped(a);
                if (ok) {
                    ++passed;
                } else if (skip) {
                    ++skippedDisagreeing;
                    std::cout << "[ upstream skip ] " << file.filename().string() << " / " << c.value("name", "") << ": "
                              << a.value("data", json()).dump() << " → expected " << a["expected"].dump() << ", got "
                              << (got ? got->dump() : "error: " + got.error().message) << "\n";
                } else {
                    ADD_FAILURE() << file.filename().string() << " / " << c.value("name", "") << " / "
                                  << a.value("message", "") << ": " << expr.dump() << " on " << a.value("data", json()).dump()
                                  << " → expected " << a["expected"].dump() << ", got "
                                  << (got ? got->dump() : "error: " + got.error().message);
                }
            }
        }
    }
    std::cout << "CertLogic test suite: " << passed << "/" << total << " assertions as expected, " << skippedDisagreeing
              << " upstream-skipped assertions disagree\n";
    EXPECT_GE(total, 232);
}

TEST(CertLogicConformance, EveryValidationSuiteCaseReportsItsIssues) {
    const fs::path dir = rulesDir() / "certlogic" / "validation-testSuite";
    SKIP_WITHOUT(dir);
    int total = 0;
    for (const auto& file : jsonFilesIn(dir)) {
        const json suite = readJson(file);
        for (const auto& c : suite["cases"]) {
            ++total;
            const auto issues = validate(c["certLogicExpression"]);
            json got = json::array();
            for (const auto& i : issues) got.push_back({{"expr", i.expr}, {"message", i.message}});
            EXPECT_EQ(got, c["issues"]) << file.filename().string() << ": " << c["certLogicExpression"].dump();
        }
    }
    EXPECT_GT(total, 20);
}

TEST(BusinessRulesConformance, EveryRuleTestOfEveryRuleSetGivesItsExpectedResult) {
    const fs::path dir = rulesDir() / "business";
    SKIP_WITHOUT(dir);
    int total = 0, passed = 0, rulesChecked = 0;
    for (const auto& country : fs::directory_iterator(dir)) {
        if (!country.is_directory()) continue;
        for (const auto& ruleDir : fs::directory_iterator(country.path())) {
            const fs::path ruleFile = ruleDir.path() / "rule.json";
            if (!fs::exists(ruleFile)) continue;
            std::vector<RuleIssue> issues;
            const auto rule = parseRule(readJson(ruleFile), ruleFile.string(), issues);
            ASSERT_TRUE(rule) << ruleFile << ": " << (issues.empty() ? "" : issues.front().message);
            ++rulesChecked;
            if (!fs::is_directory(ruleDir.path() / "tests")) continue;
            for (const auto& testFile : jsonFilesIn(ruleDir.path() / "tests")) {
                const json t = readJson(testFile);
                const json data = {{"payload", t["payload"]}, {"external", t["external"]}};
                const auto results = evaluateRules({&*rule}, data);
                ++total;
                const bool got = results.front().passed;
                if (got == t["expected"].get<bool>()) {
                    ++passed;
                } else {
                    ADD_FAILURE() << testFile.string() << " (" << t.value("name", "") << "): expected "
                                  << t["expected"].dump() << ", got " << got << " " << results.front().error;
                }
            }
        }
    }
    std::cout << "DCC business rules: " << rulesChecked << " rules, " << passed << "/" << total << " tests as expected\n";
    EXPECT_GE(total, 800);
}

}  // namespace
}  // namespace sentinel::rules

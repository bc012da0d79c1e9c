// `sentinel rules eval --json` on every CertLogic test-suite assertion and `sentinel rules test
// --json` on every DCC business-rule folder (DESIGN §4, §12), through the real command line.

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "firmware/app/Cli.h"
#include "tests/support/TestSupport.h"

namespace sentinel::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

int run(const std::vector<std::string>& args, std::string& out) {
    std::ostringstream o, e;
    CliContext ctx{o, e};
    std::vector<std::string> argv{"sentinel"};
    argv.insert(argv.end(), args.begin(), args.end());
    const int rc = runCli(argv, ctx);
    out = o.str();
    return rc;
}

json readJson(const fs::path& p) {
    std::ifstream in(p);
    return json::parse(in);
}

bool skipped(const json& j) { return j.is_object() && j.value("directive", "") == "skip"; }

TEST(RulesCli, EvalJsonAnswersEveryCertLogicAssertion) {
    const fs::path dir = testing::testdataDir() / "rules" / "certlogic" / "testSuite";
    if (!fs::is_directory(dir)) GTEST_SKIP() << "CertLogic test suite not found (looked for " << dir << "; set SENTINEL_TESTDATA)";
    testing::TempDir tmp;
    int total = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        const json suite = readJson(entry.path());
        for (const auto& c : suite["cases"]) {
            for (const auto& a : c["assertions"]) {
                ++total;
                std::ofstream(tmp.path() / "logic.json") << (a.contains("certLogicExpression") ? a["certLogicExpression"] : c["certLogicExpression"]).dump();
                std::ofstream(tmp.path() / "data.json") << a.value("data", json()).dump();
                std::string out;
                const int rc = run({"rules", "eval", "--json", (tmp.path() / "logic.json").string(), (tmp.path() / "data.json").string()}, out);
                const json line = json::parse(out);
                if (skipped(suite) || skipped(c) || skipped(a)) continue;  // reported by rules_conformance_tests
                EXPECT_EQ(rc, kExitOk) << out;
                EXPECT_EQ(line.value("result", json("<none>")), a["expected"]) << entry.path().filename() << ": " << out;
            }
        }
    }
    EXPECT_GE(total, 232);
}

TEST(RulesCli, TestJsonPassesEveryBusinessRuleTest) {
    const fs::path dir = testing::testdataDir() / "rules" / "business";
    if (!fs::is_directory(dir)) GTEST_SKIP() << "DCC business rules not found (looked for " << dir << "; set SENTINEL_TESTDATA)";
    int lines = 0;
    for (const auto& country : fs::directory_iterator(dir)) {
        if (!country.is_directory()) continue;
        for (const auto& rule : fs::directory_iterator(country.path())) {
            if (!fs::is_directory(rule.path() / "tests")) continue;
            std::string out;
            EXPECT_EQ(run({"rules", "test", "--json", rule.path().string()}, out), kExitOk) << out;
            std::istringstream in(out);
            for (std::string l; std::getline(in, l);) {
                ++lines;
                EXPECT_TRUE(json::parse(l)["ok"].get<bool>()) << l;
            }
        }
    }
    EXPECT_GE(lines, 800);
}

TEST(RulesCli, CheckAcceptsTheBusinessRuleFolderAndRefusesABrokenSet) {
    const fs::path dir = testing::testdataDir() / "rules" / "business";
    if (!fs::is_directory(dir)) GTEST_SKIP() << "DCC business rules not found (looked for " << dir << "; set SENTINEL_TESTDATA)";
    std::string out;
    EXPECT_EQ(run({"rules", "check", "--json", dir.string()}, out), kExitOk) << out;
    EXPECT_EQ(json::parse(out)["rules"], 121);
    testing::TempDir tmp;
    std::ofstream(tmp.path() / "bad.json") << R"([{"Identifier":"TR-CN-0001","Logic":{"all":[1]}}])";
    EXPECT_EQ(run({"rules", "check", "--json", (tmp.path() / "bad.json").string()}, out), kExitFail);
    EXPECT_FALSE(json::parse(out)["ok"].get<bool>());
}

TEST(RulesCli, BuiltinPrintsTheConfiguredPolicyAsARuleSetThatCheckAccepts) {
    testing::TempDir tmp;
    std::ofstream(tmp.path() / "sentinel.toml") << "[policy]\nfuture_tolerance_s = 90\n[policy.max_test_age_h]\nnaat = 0.5\n"
                                                   "[rules]\ncountry = \"DE\"\n";
    std::string out;
    ASSERT_EQ(kExitOk, run({"rules", "builtin", "--json", "--config", (tmp.path() / "sentinel.toml").string()}, out)) << out;
    const json set = json::parse(out);
    ASSERT_EQ(set.size(), 11u);  // with the §14 risk rules
    EXPECT_EQ(set[0]["Identifier"], "GR-DE-0001");
    EXPECT_NE(set[10]["Logic"].dump().find(R"(30,"minute")"), std::string::npos);
    std::ofstream(tmp.path() / "builtin.json") << out;
    ASSERT_EQ(kExitOk, run({"rules", "check", (tmp.path() / "builtin.json").string()}, out)) << out;
    ASSERT_EQ(kExitOk, run({"rules", "builtin", "--config", (tmp.path() / "sentinel.toml").string()}, out));
    EXPECT_NE(out.find("TR-DE-0005  Test     TEST_TOO_OLD"), std::string::npos) << out;
    EXPECT_NE(out.find("GR-DE-0005  General  RISK_AREA_HIGH"), std::string::npos) << out;
    EXPECT_NE(out.find("GR-DE-0006  General  RISK_AREA_MEDIUM"), std::string::npos) << out;
}

}  // namespace
}  // namespace sentinel::app

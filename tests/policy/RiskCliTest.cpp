// `sentinel risk check` (DESIGN §14): what a technician sees for a list before it is pushed.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "firmware/app/Cli.h"
#include "tests/support/TestSupport.h"

namespace sentinel::app {
namespace {

using nlohmann::json;

int run(const std::vector<std::string>& args, std::string& out) {
    std::ostringstream o, e;
    CliContext ctx{o, e};
    std::vector<std::string> argv{"sentinel"};
    argv.insert(argv.end(), args.begin(), args.end());
    const int code = runCli(argv, ctx);
    out = o.str();
    return code;
}

constexpr const char* kValid = R"({"format":"sentinel-risk-areas/1","version":"2026-12-08.1","issued_at":"2026-12-07T20:00:00Z",
  "effective_from":"2026-12-08T00:00:00Z","areas":[{"code":"110105","level":"high"},{"code":"3101","level":"medium","until":"2026-12-09T00:00:00Z"},
  {"code":"44","level":"low"}]})";

TEST(RiskCli, AValidListPrintsItsVersionTimesAndCountsPerLevel) {
    testing::TempDir tmp;
    std::ofstream(tmp / "list.json") << kValid;
    std::string out;
    ASSERT_EQ(run({"risk", "check", "--json", (tmp / "list.json").string()}, out), kExitOk) << out;
    const json j = json::parse(out);
    EXPECT_TRUE(j["ok"].get<bool>());
    EXPECT_EQ(j["version"], "2026-12-08.1");
    EXPECT_EQ(j["effective_from"], "2026-12-08T00:00:00Z");
    EXPECT_EQ(j["levels"], (json{{"high", 1}, {"medium", 1}, {"low", 1}}));
    EXPECT_EQ(j["with_until"], 1);
    ASSERT_EQ(run({"risk", "check", (tmp / "list.json").string()}, out), kExitOk);
    EXPECT_NE(out.find("3 areas: 1 high, 1 medium, 1 low"), std::string::npos) << out;
}

TEST(RiskCli, ABrokenListNamesEachProblemByItsJsonPath) {
    testing::TempDir tmp;
    std::string text = kValid;
    text.replace(text.find("\"3101\""), 6, "\"31011\"");
    std::ofstream(tmp / "list.json") << text;
    std::string out;
    ASSERT_EQ(run({"risk", "check", "--json", (tmp / "list.json").string()}, out), kExitFail) << out;
    const json j = json::parse(out);
    EXPECT_FALSE(j["ok"].get<bool>());
    ASSERT_EQ(j["problems"].size(), 1u);
    EXPECT_EQ(j["problems"][0]["path"], "$.areas[1].code");
    ASSERT_EQ(run({"risk", "check", (tmp / "list.json").string()}, out), kExitFail);
    EXPECT_NE(out.find("problem  $.areas[1].code"), std::string::npos) << out;
}

TEST(RiskCli, AMissingFileOrNoFileIsAUsageError) {
    std::string out;
    EXPECT_EQ(run({"risk", "check", "/nonexistent/list.json"}, out), kExitUsage);
    EXPECT_EQ(run({"risk", "check"}, out), kExitUsage);
    EXPECT_EQ(run({"risk"}, out), kExitUsage);
}

}  // namespace
}  // namespace sentinel::app

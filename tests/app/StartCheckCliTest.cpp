// Issue 24 "done when": `config check` and `diag` report every problem that would stop `run`, all
// at once, each naming its key; `run` refuses with the same ones. The configuration: five
// missing files (token, update key, broker password, trust path, rules).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "firmware/app/Cli.h"
#include "tests/support/TestSupport.h"

namespace sentinel::app {
namespace {

using ::testing::HasSubstr;

struct CliResult {
    int status;
    std::string out, err;
};

CliResult cli(std::vector<std::string> args) {
    std::ostringstream out, err;
    CliContext ctx{out, err};
    args.insert(args.begin(), "sentinel");
    const int status = runCli(args, ctx);
    return {status, out.str(), err.str()};
}

const std::vector<std::string> kFiveKeys{"online.token_file", "trust.update_key",
                                         "fleet.password_file", "trust.path", "rules.path"};

// The keys named as `key 'a.b'` in `text`.
std::set<std::string> keysNamed(const std::string& text) {
    std::set<std::string> keys;
    for (auto at = text.find("key '"); at != std::string::npos; at = text.find("key '", at + 1)) {
        const auto start = at + 5;
        keys.insert(text.substr(start, text.find('\'', start) - start));
    }
    return keys;
}

class StartCheckCli : public ::testing::Test {
  protected:
    std::string fiveMissingFiles() {
        std::filesystem::create_directories(dir / "frames");
        std::ofstream(dir / "frames" / "0001.png") << "x";
        const auto path = dir / "kiosk.toml";
        std::ofstream(path)
            << "[kiosk]\nid = \"T-5\"\nstate_dir = \"" << (dir / "state").string() << "\"\n"
            << "[camera]\nsource = \"replay:" << (dir / "frames").string() << "\"\n"
            << "[online]\nbase_url = \"https://127.0.0.1:1\"\nca_file = \"\"\ntoken_file = \""
            << (dir / "missing-token").string() << "\"\n"
            << "[trust]\npath = \"" << (dir / "missing-trust").string()
            << "\"\n"
            << "update_key = \"" << (dir / "missing-update-key.pem").string() << "\"\n"
            << "[fleet]\nbroker_url = \"mqtt://127.0.0.1:1\"\nusername = \"T-5\"\npassword_file = "
               "\""
            << (dir / "missing-password").string() << "\"\n"
            << "[rules]\npath = \"" << (dir / "missing-rules.json").string() << "\"\n";
        return path.string();
    }
    testing::TempDir dir;
};

TEST_F(StartCheckCli, ConfigCheckNamesAllFiveMissingFilesByKeyAndExitsTwo) {
    auto r = cli({"config", "check", "--config", fiveMissingFiles()});
    EXPECT_EQ(kExitUsage, r.status);
    EXPECT_THAT(r.err, HasSubstr("5 problems stop `sentinel run`"));
    EXPECT_EQ(std::set<std::string>(kFiveKeys.begin(), kFiveKeys.end()), keysNamed(r.err)) << r.err;
    EXPECT_THAT(r.out, ::testing::Not(HasSubstr(": ok")));
}

TEST_F(StartCheckCli, DiagsConfigCheckListsEveryOne) {
    auto r = cli({"diag", "--json", "--no-relay", "--config", fiveMissingFiles()});
    EXPECT_EQ(kExitFail, r.status) << r.err;
    const auto report = nlohmann::json::parse(r.out);
    ASSERT_TRUE(report.is_array());
    ASSERT_EQ("config", report[0]["check"]);
    EXPECT_EQ("fail", report[0]["status"]);
    const std::string detail = report[0]["detail"];
    EXPECT_EQ(std::set<std::string>(kFiveKeys.begin(), kFiveKeys.end()), keysNamed(detail))
        << detail;
}

TEST_F(StartCheckCli, RunRefusesWithTheSameFiveAndExitsTwo) {
    auto r = cli({"run", "--config", fiveMissingFiles()});
    EXPECT_EQ(kExitUsage, r.status);
    EXPECT_THAT(r.err, HasSubstr("5 problems stop the kiosk"));
    EXPECT_EQ(std::set<std::string>(kFiveKeys.begin(), kFiveKeys.end()), keysNamed(r.err)) << r.err;
    auto check = cli({"config", "check", "--config", fiveMissingFiles()});
    EXPECT_EQ(check.err.substr(check.err.find('\n')), r.err.substr(r.err.find('\n')))
        << "the same lines, word for word";
}

TEST_F(StartCheckCli, ConfigCheckReportsEveryInvalidKeyOfAFileAtOnce) {
    std::ofstream(dir / "bad.toml") << "[camera]\nfps = 9999\n[budget]\ndecision_ms = 1\n";
    auto r = cli({"config", "check", "--config", (dir / "bad.toml").string()});
    EXPECT_EQ(kExitUsage, r.status);
    EXPECT_THAT(r.err, HasSubstr("bad.toml:2: key 'camera.fps'"));
    EXPECT_THAT(r.err, HasSubstr("bad.toml:4: key 'budget.decision_ms'"));
}

}  // namespace
}  // namespace sentinel::app

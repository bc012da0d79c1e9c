// checkStartable (issue 24): every file and folder `run` needs, every problem at once, by key; and
// Runtime::create refusing on exactly those. Real files in a temporary folder.
#include "firmware/kiosk/StartCheck.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "firmware/issuer/TestIssuer.h"
#include "firmware/kiosk/Runtime.h"
#include "tests/support/TestSupport.h"

namespace sentinel::kiosk {
namespace {

using sentinel::testing::ManualClock;
using sentinel::testing::TempDir;
using ::testing::HasSubstr;

std::set<std::string> keysOf(const std::vector<ConfigProblem>& problems) {
    std::set<std::string> keys;
    for (const auto& p : problems) keys.insert(p.key);
    return keys;
}

class StartCheck : public ::testing::Test {
  protected:
    // A configuration `run` starts with: state and journal in the temp folder, a trust list.
    Config startable() {
        Config c;
        c.kiosk.stateDir = dir / "state";
        c.journal.path = (dir / "state" / "journal.db").string();
        c.camera.source = "replay:" + (dir / "frames").string();
        std::filesystem::create_directories(dir / "frames");
        std::ofstream(dir / "frames" / "0001.png") << "not read here";
        std::filesystem::create_directories(dir / "trust");
        std::ofstream(dir / "trust" / "dsc.pem")
            << issuer::TestIssuer::generate("XX").certificatePem();
        c.trust.path = (dir / "trust").string();
        return c;
    }
    // The issue's configuration: five files it names are missing.
    Config fiveMissingFiles() {
        Config c = startable();
        c.online.baseUrl = "https://hc.example.org";
        c.online.caFile = "";
        c.online.tokenFile = (dir / "missing-token").string();
        c.trust.updateKey = (dir / "missing-update-key.pem").string();  // needed with a broker (commands)
        c.fleet.brokerUrl = "mqtt://127.0.0.1:1883";
        c.fleet.username = "T-1";
        c.fleet.passwordFile = (dir / "missing-password").string();
        c.trust.path = (dir / "missing-trust").string();
        c.rules.path = (dir / "missing-rules.json").string();
        return c;
    }
    TempDir dir;
};

TEST_F(StartCheck, AStartableConfigurationHasNoProblem) {
    const auto problems = checkStartable(startable());
    EXPECT_TRUE(problems.empty()) << formatProblems(problems);
}

TEST_F(StartCheck, FiveMissingFilesAreAllNamedByKeyAtOnce) {
    const auto problems = checkStartable(fiveMissingFiles());
    EXPECT_EQ((std::set<std::string>{"online.token_file", "trust.update_key", "fleet.password_file",
                                     "trust.path", "rules.path"}),
              keysOf(problems))
        << formatProblems(problems);
    const std::string text = formatProblems(problems);
    for (const char* file : {"missing-token", "missing-update-key.pem", "missing-password",
                             "missing-trust", "missing-rules.json"}) {
        EXPECT_THAT(text, HasSubstr(file)) << "each problem names its file";
    }
}

TEST_F(StartCheck, RuntimeForRunRefusesWithTheSameProblems) {
    ManualClock clock;
    RuntimeOptions o;
    o.checkStartable = true;
    o.openJournal = true;
    o.requireDeviceSecret = true;
    auto rt = Runtime::create(fiveMissingFiles(), clock, o);
    ASSERT_FALSE(rt);
    const std::string& message = rt.error().message;
    EXPECT_THAT(message, HasSubstr("5 problems stop the kiosk"));
    EXPECT_EQ(message.substr(message.find('\n') + 1) + "\n",
              formatProblems(checkStartable(fiveMissingFiles())));
    EXPECT_FALSE(std::filesystem::exists(dir / "state")) << "refused before anything was created";
}

TEST_F(StartCheck, RuntimeWithoutTheCheckKeepsItsOldLeniencyForDeskCommands) {
    ManualClock clock;
    Config c = startable();
    c.trust.path = (dir / "missing-trust")
                       .string();  // `verify` and `scan` REFER HC1 codes then; `run` refuses
    EXPECT_TRUE(Runtime::create(c, clock, {}));
    RuntimeOptions run;
    run.checkStartable = true;
    EXPECT_FALSE(Runtime::create(c, clock, run));
}

TEST_F(StartCheck, AnEmptyTrustPathMeansNoTrustListOnPurpose) {
    Config c = startable();
    c.trust.path = "";  // an online-only kiosk: HC1 codes are REFERred
    EXPECT_TRUE(checkStartable(c).empty()) << formatProblems(checkStartable(c));
}

TEST_F(StartCheck, WithTrustSyncTheListMayComeLater) {
    Config c = startable();
    c.trust.path = (dir / "missing-trust").string();
    c.trust.syncUrl = "https://fleet.example.org/bundle";  // run's background sync brings the list
    std::ofstream(dir / "update-key.pem") << "a key";
    c.trust.updateKey = (dir / "update-key.pem").string();
    EXPECT_TRUE(checkStartable(c).empty()) << formatProblems(checkStartable(c));
}

TEST_F(StartCheck, ARuleSetThatDoesNotLoadIsAProblemOfRulesPath) {
    Config c = startable();
    std::ofstream(dir / "rules.json") << "{\"not\": \"a rule set\"";
    c.rules.path = (dir / "rules.json").string();
    const auto problems = checkStartable(c);
    ASSERT_EQ(1u, problems.size()) << formatProblems(problems);
    EXPECT_EQ("rules.path", problems[0].key);
    EXPECT_THAT(problems[0].message, HasSubstr("rules.json"));
}

TEST_F(StartCheck, ARiskListThatDoesNotParseIsAProblemOfRiskListPath) {
    Config c = startable();
    std::ofstream(dir / "risk.json") << R"({"format":"sentinel-risk-areas/1","version":"v","issued_at":"2026-12-07T00:00:00Z",)"
                                        R"("effective_from":"2026-12-07T00:00:00Z","areas":[{"code":"1","level":"high"}]})";
    c.riskListPath = (dir / "risk.json").string();
    const auto problems = checkStartable(c);
    ASSERT_EQ(1u, problems.size()) << formatProblems(problems);
    EXPECT_EQ("policy.risk_list_path", problems[0].key);
    EXPECT_THAT(problems[0].message, HasSubstr("$.areas[0].code"));
}

TEST_F(StartCheck, FilesOfFeaturesNotInUseAreNotRequired) {
    Config c = startable();
    c.online.tokenFile = (dir / "missing-token").string();       // online.base_url empty
    c.trust.updateKey = (dir / "missing-update-key").string();   // no sync, no broker
    c.fleet.passwordFile = (dir / "missing-password").string();  // no broker
    EXPECT_TRUE(checkStartable(c).empty()) << formatProblems(checkStartable(c));
}

TEST_F(StartCheck, TheMetricsTextfileFolderMustExist) {
    Config c = startable();
    c.metrics.textfile = (dir / "node-exporter" / "sentinel.prom").string();
    auto problems = checkStartable(c);
    ASSERT_EQ(1u, problems.size());
    EXPECT_EQ("metrics.textfile", problems[0].key);
    EXPECT_THAT(problems[0].message, HasSubstr("node-exporter"));
    std::filesystem::create_directories(dir / "node-exporter");
    EXPECT_TRUE(checkStartable(c).empty());
}

TEST_F(StartCheck, ScreenAndVoiceFoldersMustBeCreatable) {
    Config c = startable();
    std::ofstream(dir / "a-file") << "x";
    c.display.backend = "png:" + (dir / "a-file" / "screens").string();
    c.voice.backend = "wav:" + (dir / "voice").string();  // created on first use: fine
    const auto problems = checkStartable(c);
    EXPECT_EQ((std::set<std::string>{"display.backend"}), keysOf(problems))
        << formatProblems(problems);
}

TEST_F(StartCheck, AFolderThisUserCannotWriteIsAProblemOfItsKey) {
    if (::geteuid() == 0) GTEST_SKIP() << "root writes anywhere";
    Config c = startable();
    std::filesystem::create_directories(dir / "locked");
    ::chmod((dir / "locked").c_str(), 0500);
    c.kiosk.stateDir = dir / "locked";
    c.journal.path = (dir / "locked" / "journal.db").string();
    const auto problems = checkStartable(c);
    ::chmod((dir / "locked").c_str(), 0700);
    EXPECT_EQ((std::set<std::string>{"kiosk.state_dir", "journal.path"}), keysOf(problems))
        << formatProblems(problems);
}

TEST_F(StartCheck, AnEmptyReplayFolderCannotStart) {
    Config c = startable();
    std::filesystem::remove(dir / "frames" / "0001.png");
    const auto problems = checkStartable(c);
    ASSERT_EQ(1u, problems.size());
    EXPECT_EQ("camera.source", problems[0].key);
}

TEST_F(StartCheck, TheStationTestIssuerMustHoldACertificate) {
    Config c = startable();
    std::ofstream(dir / "station.pem") << "not a certificate\n";
    c.kiosk.testIssuer = (dir / "station.pem").string();
    auto problems = checkStartable(c);
    ASSERT_EQ(1u, problems.size());
    EXPECT_EQ("kiosk.test_issuer", problems[0].key);
    std::ofstream(dir / "station.pem") << issuer::TestIssuer::generate("XX").certificatePem();
    EXPECT_TRUE(checkStartable(c).empty()) << formatProblems(checkStartable(c));
}

TEST_F(StartCheck, TheAppsOwnRequirementsAreCheckedAfterTheTable) {
    const std::vector<StartRequirement> extra{
        {"display.backend", [](const Config&) { return std::optional<std::string>("no font"); }}};
    const auto problems = checkStartable(startable(), extra);
    ASSERT_EQ(1u, problems.size());
    EXPECT_EQ("display.backend", problems[0].key);
    EXPECT_EQ("key 'display.backend': no font\n", formatProblems(problems, ""));
}

}  // namespace
}  // namespace sentinel::kiosk

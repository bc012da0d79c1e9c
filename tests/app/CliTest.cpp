// The command line end to end, in process: real images, real signatures, real SQLite journal.
#include "firmware/app/Cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "firmware/issuer/TestIssuer.h"
#include "firmware/render/QrRender.h"
#include "tests/support/TestSupport.h"

namespace sentinel::app {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

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

std::vector<nlohmann::json> jsonLines(const std::string& text) {
    std::vector<nlohmann::json> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    }
    return out;
}

struct KioskBench : ::testing::Test {
    testing::TempDir dir;
    issuer::TestIssuer issuer = issuer::TestIssuer::generate("XX");
    UtcTime now = SystemClock{}.now();

    std::string credential(std::chrono::hours age, bool positive = false, const std::string& id = "URN:UVCI:01:XX:CLI#1") {
        auto spec = issuer::testCredential(TestType::Naat, now - age, positive, now);
        spec.certificateIdentifier = id;
        return issuer.issue(spec);
    }
    std::string writeTrust() {
        std::filesystem::create_directories(dir / "trust");
        std::ofstream(dir / "trust" / "dsc.pem") << issuer.certificatePem();
        return (dir / "trust").string();
    }
    void writeScene(const std::filesystem::path& p, const std::string& payload, std::uint32_t seed = 1) {
        render::SceneOptions o;
        o.seed = seed;
        auto img = render::composeScene(payload, o);
        ASSERT_TRUE(img.ok());
        ASSERT_TRUE(render::writePng(*img, p).ok());
    }
    std::string writeConfig(const std::string& extra = "") {
        std::ofstream f(dir / "kiosk.toml");
        f << "[kiosk]\nid = \"T-01\"\nstate_dir = \"" << (dir / "state").string() << "\"\n"
          << "[camera]\nsource = \"replay:" << (dir / "frames").string() << "\"\nfps = 120\nrearm_frames = 1\n"
          << "[trust]\npath = \"" << writeTrust() << "\"\n"
          << "[journal]\npath = \"" << (dir / "state" / "journal.db").string() << "\"\n"
          << extra;
        return (dir / "kiosk.toml").string();
    }
};

TEST(Cli, NoArgumentsIsAUsageError) { EXPECT_EQ(kExitUsage, cli({}).status); }

TEST(Cli, UnknownCommandIsAUsageError) {
    auto r = cli({"frobnicate"});
    EXPECT_EQ(kExitUsage, r.status);
    EXPECT_THAT(r.err, HasSubstr("unknown command 'frobnicate'"));
}

TEST(Cli, EverySubcommandHasHelp) {
    for (std::string cmd : {"run", "demo", "decode", "verify", "scan", "stats", "config"}) {
        auto r = cli({cmd, "--help"});
        EXPECT_EQ(kExitOk, r.status) << cmd;
        EXPECT_THAT(r.out, HasSubstr("Usage: sentinel " + cmd)) << cmd;
    }
    auto bench = cli({"bench", "--help"});
    EXPECT_EQ(kExitOk, bench.status);
    EXPECT_THAT(bench.out, HasSubstr("Usage: sentinel bench decode"));
    EXPECT_EQ(kExitOk, cli({"bench", "latency", "--help"}).status);
}

TEST(Cli, UnknownOptionIsAUsageError) {
    auto r = cli({"decode", "--colour", "x.png"});
    EXPECT_EQ(kExitUsage, r.status);
    EXPECT_THAT(r.err, HasSubstr("unknown option --colour"));
}

TEST_F(KioskBench, BadConfigExitsTwoNamingFileLineAndKey) {
    std::ofstream(dir / "bad.toml") << "[budget]\ndecision_ms = 60000\n";
    auto r = cli({"config", "check", "--config", (dir / "bad.toml").string()});
    EXPECT_EQ(kExitUsage, r.status);
    EXPECT_THAT(r.err, HasSubstr("bad.toml:2: key 'budget.decision_ms'"));
    auto run = cli({"run", "--config", (dir / "bad.toml").string()});
    EXPECT_EQ(kExitUsage, run.status);
    EXPECT_THAT(run.err, HasSubstr("key 'budget.decision_ms'"));
}

TEST_F(KioskBench, VerifyPassesAFreshTestAndPrintsTheDesignRecord) {
    auto r = cli({"verify", "--json", "--trust", writeTrust(), credential(2h)});
    ASSERT_EQ(kExitOk, r.status) << r.err << r.out;
    auto lines = jsonLines(r.out);
    ASSERT_EQ(1u, lines.size());
    const auto& j = lines[0];
    EXPECT_EQ("PASS", j["decision"]);
    EXPECT_EQ("OK", j["reason"]);
    EXPECT_EQ("HC1", j["format"]);
    EXPECT_EQ("NAAT", j["test"]["type"]);
    EXPECT_NEAR(2.0, j["test"]["age_h"].get<double>(), 0.05);
    for (auto stage : {"prefix", "base45", "inflate", "cbor", "signature", "key_usage", "expiry", "policy"}) {
        EXPECT_TRUE(j["stages"][stage].get<bool>()) << stage;
    }
    EXPECT_EQ(64u, j["subject"].get<std::string>().size());
}

TEST_F(KioskBench, VerifyAtTimeMovesTheValidationClock) {
    const std::string payload = credential(2h);
    const std::string at = formatRfc3339(now + 47h);  // sample is then 49 h old
    auto r = cli({"verify", "--json", "--trust", writeTrust(), "--at", at, payload});
    EXPECT_EQ(kExitFail, r.status);
    EXPECT_EQ("TEST_TOO_OLD", jsonLines(r.out).at(0)["reason"]);
}

TEST_F(KioskBench, VerifyRejectsABadAtAndAMissingTrustPath) {
    EXPECT_EQ(kExitUsage, cli({"verify", "--at", "yesterday", "HC1:X"}).status);
    auto r = cli({"verify", "--trust", (dir / "nope").string(), "HC1:X"});
    EXPECT_EQ(kExitUsage, r.status);
    EXPECT_THAT(r.err, HasSubstr("--trust"));
}

TEST_F(KioskBench, VerifyUnsupportedFormatIsDenied) {
    auto r = cli({"verify", "--json", "--trust", writeTrust(), "https://example.org"});
    EXPECT_EQ(kExitFail, r.status);
    auto j = jsonLines(r.out).at(0);
    EXPECT_EQ("DENY", j["decision"]);
    EXPECT_EQ("UNSUPPORTED_FORMAT", j["reason"]);
    EXPECT_FALSE(j["stages"]["prefix"].get<bool>());
}

TEST_F(KioskBench, DecodeReadsARenderedFrameAndReportsAMissingFile) {
    const std::string payload = credential(1h);
    writeScene(dir / "frame.png", payload);
    auto r = cli({"decode", "--json", (dir / "frame.png").string(), (dir / "missing.png").string()});
    EXPECT_EQ(kExitFail, r.status);  // one image could not be read
    auto lines = jsonLines(r.out);
    ASSERT_EQ(2u, lines.size());
    EXPECT_EQ(payload, lines[0]["payloads"].at(0));
    EXPECT_TRUE(lines[0]["ms"].is_number());
    EXPECT_TRUE(lines[1]["payloads"].empty());
    EXPECT_THAT(r.err, HasSubstr("missing.png"));
}

TEST_F(KioskBench, ScanDecidesEachImage) {
    writeScene(dir / "a.png", credential(3h, false, "URN:A"), 1);
    writeScene(dir / "b.png", credential(3h, true, "URN:B"), 2);
    auto r = cli({"scan", "--json", "--config", writeConfig(), (dir / "a.png").string(), (dir / "b.png").string()});
    EXPECT_EQ(kExitFail, r.status);
    auto lines = jsonLines(r.out);
    ASSERT_EQ(2u, lines.size());
    EXPECT_EQ("PASS", lines[0]["decision"]);
    EXPECT_THAT(lines[0]["file"].get<std::string>(), HasSubstr("a.png"));
    EXPECT_EQ("TEST_POSITIVE", lines[1]["reason"]);
}

TEST_F(KioskBench, RunOnAReplayDirectoryPrintsOneDecisionPerCodeShownAndJournalsThem) {
    std::filesystem::create_directories(dir / "frames");
    writeScene(dir / "frames" / "01.png", credential(2h, false, "URN:1"), 1);
    std::filesystem::copy_file(dir / "frames" / "01.png", dir / "frames" / "02.png");  // held: same code
    auto empty = render::emptyScene(1280, 720, 3);
    ASSERT_TRUE(render::writePng(empty, dir / "frames" / "03.png").ok());
    ASSERT_TRUE(render::writePng(empty, dir / "frames" / "04.png").ok());
    writeScene(dir / "frames" / "05.png", credential(50h, false, "URN:2"), 2);
    writeScene(dir / "frames" / "06.png", "https://example.org/menu", 3);
    const std::string config = writeConfig();
    auto r = cli({"run", "--json", "--config", config});
    ASSERT_EQ(kExitOk, r.status) << r.err;
    std::vector<nlohmann::json> records;
    for (const auto& line : jsonLines([&] {
             std::string json;
             std::istringstream in(r.out);
             for (std::string l; std::getline(in, l);) {
                 if (!l.empty() && l[0] == '{') json += l + "\n";
             }
             return json;
         }())) {
        records.push_back(line);
    }
    ASSERT_EQ(3u, records.size()) << r.out;
    EXPECT_EQ("OK", records[0]["reason"]);
    EXPECT_EQ("TEST_TOO_OLD", records[1]["reason"]);
    EXPECT_EQ("UNSUPPORTED_FORMAT", records[2]["reason"]);

    auto stats = cli({"stats", "--json", "--config", config});
    ASSERT_EQ(kExitOk, stats.status) << stats.err;
    auto s = nlohmann::json::parse(stats.out);
    EXPECT_EQ(1, s["decisions"]["PASS"]);
    EXPECT_EQ(2, s["decisions"]["DENY"]);
    EXPECT_EQ(1, s["reasons"]["TEST_TOO_OLD"]);
}

}  // namespace
}  // namespace sentinel::app

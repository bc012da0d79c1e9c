// The command line end to end, in process: real images, real signatures, real SQLite journal.
#include "firmware/app/Cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

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
    for (std::string cmd : {"run", "demo", "decode", "verify", "scan", "stats", "config", "status", "staff"}) {
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

TEST_F(KioskBench, VerifyAQrThatIsNotAHealthCodeIsReferredToShowOne) {
    auto r = cli({"verify", "--json", "--trust", writeTrust(), "https://example.org"});
    EXPECT_EQ(kExitFail, r.status);
    auto j = jsonLines(r.out).at(0);
    EXPECT_EQ("REFER", j["decision"]);
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
    std::vector<nlohmann::json> records = jsonLines(r.out);  // stdout holds decision records only
    ASSERT_EQ(3u, records.size()) << r.out;
    EXPECT_EQ("OK", records[0]["reason"]);
    EXPECT_EQ("TEST_TOO_OLD", records[1]["reason"]);
    EXPECT_EQ("UNSUPPORTED_FORMAT", records[2]["reason"]);

    auto stats = cli({"stats", "--json", "--config", config});
    ASSERT_EQ(kExitOk, stats.status) << stats.err;
    auto s = nlohmann::json::parse(stats.out);
    EXPECT_EQ(1, s["decisions"]["PASS"]);
    EXPECT_EQ(1, s["decisions"]["DENY"]);
    EXPECT_EQ(1, s["decisions"]["REFER"]);  // the QR that is not a health code: show one
    EXPECT_EQ(1, s["reasons"]["TEST_TOO_OLD"]);
}

// The real binary as a script would run it: stdout and stderr to files, no terminal.
CliResult runBinary(const std::vector<std::string>& args, const std::filesystem::path& dir, const std::string& stdinPath = "/dev/null") {
    const std::string outPath = (dir / "stdout.txt").string(), errPath = (dir / "stderr.txt").string();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, stdinPath.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const std::string bin = std::string(SENTINEL_BINARY_DIR) + "/firmware/app/sentinel";
    std::vector<std::string> all{bin};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return {-1, "", "cannot start " + bin};
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    auto slurp = [](const std::string& p) {
        std::ifstream in(p);
        return std::string((std::istreambuf_iterator<char>(in)), {});
    };
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp(outPath), slurp(errPath)};
}

// Every line of stdout is one JSON value: what a script reading NDJSON needs.
::testing::AssertionResult stdoutIsNdjson(const CliResult& r, std::size_t minLines) {
    std::istringstream in(r.out);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) {
        if (!nlohmann::json::accept(line)) return ::testing::AssertionFailure() << "not JSON: " << line;
        ++n;
    }
    if (n < minLines) return ::testing::AssertionFailure() << n << " JSON lines, expected at least " << minLines;
    return ::testing::AssertionSuccess();
}

TEST_F(KioskBench, VerifyRefusesAPayloadLongerThanAQrCodeCanCarryBeforeParsing) {
    const std::string config = writeConfig();
    const std::string longest = "HC1:" + std::string(7089 - 4, 'A');  // a QR code can carry this
    auto atLimit = cli({"verify", "--json", "--config", config, longest});
    auto rec = nlohmann::json::parse(atLimit.out);
    EXPECT_EQ("MALFORMED", rec["reason"]);
    EXPECT_EQ(true, rec["stages"]["prefix"]) << "at the limit the parsers still run";

    auto over = cli({"verify", "--json", "--config", config, longest + "A"});
    EXPECT_EQ(kExitFail, over.status);
    rec = nlohmann::json::parse(over.out);
    EXPECT_EQ("DENY", rec["decision"]);
    EXPECT_EQ("MALFORMED", rec["reason"]);
    EXPECT_TRUE(rec["stages"]["prefix"].is_null()) << "refused at the door, before the prefix is looked at";
}

TEST_F(KioskBench, VerifyReadsStandardInputWithABound) {
    const std::string config = writeConfig();
    std::filesystem::create_directories(dir / "tmp");
    {
        std::ofstream big(dir / "big.txt");
        big << "HC1:" << std::string(8 << 20, 'A');  // 8 MiB: far more than a QR code
    }
    auto r = runBinary({"verify", "--json", "--config", config, "-"}, dir / "tmp", (dir / "big.txt").string());
    EXPECT_EQ(kExitFail, r.status) << r.err;
    auto rec = nlohmann::json::parse(r.out);
    EXPECT_EQ("MALFORMED", rec["reason"]);

    std::ofstream(dir / "ok.txt") << credential(2h) << "\n";
    auto ok = runBinary({"verify", "--json", "--config", config, "-"}, dir / "tmp", (dir / "ok.txt").string());
    EXPECT_EQ(kExitOk, ok.status) << ok.out << ok.err;
}

TEST_F(KioskBench, EveryJsonCommandPrintsOnlyJsonLinesOnStdout) {
    std::filesystem::create_directories(dir / "frames");
    const std::string fresh = credential(2h, false, "URN:J1");
    writeScene(dir / "frames" / "01.png", fresh, 1);
    writeScene(dir / "frames" / "02.png", credential(50h, false, "URN:J2"), 2);
    writeScene(dir / "frames" / "03.png", "https://example.org/menu", 3);
    const std::string config = writeConfig("[indicator]\nbackends = [\"console\"]\n");
    std::filesystem::create_directories(dir / "tmp");
    const auto tmp = dir / "tmp";

    // run: the console indicator's human lines go to stderr, the records to stdout.
    auto run = runBinary({"run", "--json", "--config", config}, tmp);
    ASSERT_EQ(kExitOk, run.status) << run.err;
    EXPECT_TRUE(stdoutIsNdjson(run, 3));
    EXPECT_THAT(run.err, HasSubstr("PASS")) << "the console indicator still shows each decision (on stderr)";

    const std::string frame = (dir / "frames" / "01.png").string();
    std::ofstream(dir / "bench.tsv") << frame << "\t@" << fresh << "\n";
    const std::vector<std::vector<std::string>> commands{
        {"decode", "--json", frame},
        {"scan", "--json", "--config", config, frame},
        {"verify", "--json", "--config", config, fresh},
        {"stats", "--json", "--config", config},
        {"trust", "list", "--json", "--config", config},
        {"diag", "--json", "--no-relay", "--config", config},
        {"bench", "decode", "--json", "--manifest", (dir / "bench.tsv").string()},
        {"bench", "latency", "--json", "--scans", "3", "--online-delays", "none"},
    };
    for (const auto& c : commands) {
        auto r = runBinary(c, tmp);
        EXPECT_NE(-1, r.status) << r.err;
        EXPECT_NE(kExitUsage, r.status) << c[0] << ": " << r.err;
        EXPECT_TRUE(stdoutIsNdjson(r, 1)) << c[0] << (c.size() > 1 ? " " + c[1] : "") << "\nstderr: " << r.err;
    }
}

}  // namespace
}  // namespace sentinel::app

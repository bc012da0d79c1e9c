// Issue 24: the shipped assets through the tools that consume them — the Prometheus rules through
// `promtool test rules` (their unit tests in assets/prometheus/), the systemd unit through
// `systemd-analyze verify`. Each skips, saying so, when its tool is not installed
// (toolchain/setup-host.sh installs both: prometheus, systemd).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "tests/support/TestSupport.h"

namespace sentinel {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = SENTINEL_SOURCE_DIR;
constexpr const char* kPromtool = "/usr/bin/promtool";
constexpr const char* kSystemdAnalyze = "/usr/bin/systemd-analyze";

struct ToolRun {
    int status = -1;
    std::string output;  // stdout and stderr
};

ToolRun run(const std::string& command) {
    ToolRun r;
    if (FILE* p = ::popen((command + " 2>&1").c_str(), "r")) {
        char buf[512];
        while (std::fgets(buf, sizeof buf, p)) r.output += buf;
        const int st = ::pclose(p);
        r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    return r;
}

TEST(PrometheusRules, PassPromtoolCheck) {
    if (!fs::exists(kPromtool))
        GTEST_SKIP() << kPromtool
                     << " not installed (Debian package prometheus): rules not checked";
    const ToolRun r = run(std::string(kPromtool) + " check rules '" +
                          (kSource / "assets/prometheus/sentinel-rules.yml").string() + "'");
    EXPECT_EQ(0, r.status) << r.output;
}

TEST(PrometheusRules, PassTheirUnitTests) {
    if (!fs::exists(kPromtool))
        GTEST_SKIP() << kPromtool << " not installed (Debian package prometheus): rules not tested";
    const ToolRun r = run("cd '" + (kSource / "assets/prometheus").string() + "' && " + kPromtool +
                          " test rules sentinel-rules.test.yml");
    EXPECT_EQ(0, r.status) << r.output;
    EXPECT_NE(std::string::npos, r.output.find("SUCCESS")) << r.output;
}

// The unit as systemd reads it: no unknown key, no value it cannot parse. The binary it starts is
// not installed on a build machine: /bin/true stands in for it.
TEST(SystemdUnit, PassesSystemdAnalyzeVerify) {
    if (!fs::exists(kSystemdAnalyze))
        GTEST_SKIP() << kSystemdAnalyze << " not installed: unit not verified";
    testing::TempDir dir;
    std::ifstream in(kSource / "assets/systemd/sentinel.service");
    const std::string unit((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(dir / "sentinel.service")
        << std::regex_replace(unit, std::regex("/usr/bin/sentinel"), "/bin/true");
    const ToolRun r =
        run(std::string(kSystemdAnalyze) + " verify '" + (dir / "sentinel.service").string() + "'");
    EXPECT_EQ(0, r.status) << r.output;
    EXPECT_EQ("", r.output) << "warnings about the unit";
}

}  // namespace
}  // namespace sentinel

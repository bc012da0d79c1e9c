// Counters from the loop, the Prometheus textfile (checked with promtool) and the metrics payload.

#include "firmware/fleet/Metrics.h"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/fleet/Broker.h"
#include "tests/journal/JournalTestSupport.h"
#include "tests/support/TestSupport.h"

namespace sentinel::fleet {
namespace {

using namespace std::chrono_literals;
using journal::testing::makeRecord;
using sentinel::testing::ManualClock;
using sentinel::testing::TempDir;

constexpr const char* kPromtool = "/usr/bin/promtool";

int promtoolCheck(const std::filesystem::path& file, const std::filesystem::path& log) {
    pid_t pid = testing::spawn({"/bin/sh", "-c", std::string(kPromtool) + " check metrics < '" + file.string() + "'"}, log);
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string readText(const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Metrics, DecisionsAreCountedByDecisionAndReasonWithALatencyHistogram) {
    ManualClock clock;
    Metrics m(clock);
    m.decided(makeRecord(Reason::Ok, 3.0), {}, 1);
    m.decided(makeRecord(Reason::Ok, 40.0), {}, 2);
    m.decided(makeRecord(Reason::TestTooOld, 7000.0), {}, 3);
    kiosk::FrameObservation unread;
    unread.symbolSeenUnread = true;
    m.frameProcessed({}, unread);
    m.frameProcessed({}, {});
    m.alarm("camera", "no frames", false);
    m.alarm("camera", "delivering frames again", true);
    auto s = m.snapshot({});
    EXPECT_EQ(2u, (s.decisions[{"PASS", "OK"}]));
    EXPECT_EQ(1u, (s.decisions[{"DENY", "TEST_TOO_OLD"}]));
    EXPECT_EQ(3u, s.latencyCount);
    EXPECT_EQ(1u, s.latencyBuckets[2]);      // ≤ 5 ms
    EXPECT_EQ(1u, s.latencyBuckets[5]);      // ≤ 50 ms
    EXPECT_EQ(1u, s.latencyBuckets.back());  // above the last bound (+Inf)
    EXPECT_EQ(2u, s.frames);
    EXPECT_EQ(1u, s.decodeFailures);
    EXPECT_EQ(1u, s.cameraFaults);
    auto j = toMetricsJson(s);
    EXPECT_EQ(2, j["decisions"]["PASS"]);
    EXPECT_EQ(3, j["latency_ms"]["buckets"]["+Inf"]);
}

TEST(Metrics, TheTextfilePassesPromtoolAndIsReplacedAtomically) {
    if (!std::filesystem::exists(kPromtool)) GTEST_SKIP() << "no promtool";
    ManualClock clock;
    Metrics m(clock);
    m.decided(makeRecord(Reason::Ok, 3.0), {}, 1);
    m.decided(makeRecord(Reason::TestTooOld, 12.0), {}, 2);
    TempDir dir;
    const auto file = dir / "sentinel.prom";
    {
        Gauges g;
        g.trustAgeHours = 5.5;
        g.journalBytes = 4096;
        g.outboxBacklog = 2;
        g.linkUp = 0;
        TextfileWriter w(file, "BJ-\"WEST\"-07", m, [g] { return g; }, 1h);
        w.stop();  // one write at start, one at stop
    }
    ASSERT_TRUE(std::filesystem::exists(file));
    const std::string text = readText(file);
    EXPECT_EQ(0, promtoolCheck(file, dir / "promtool.log")) << readText(dir / "promtool.log") << text;
    EXPECT_NE(std::string::npos, text.find("sentinel_decisions_total{kiosk=\"BJ-\\\"WEST\\\"-07\",decision=\"PASS\",reason=\"OK\"} 1"))
        << text;
    EXPECT_NE(std::string::npos, text.find("sentinel_decision_latency_seconds_bucket{kiosk=\"BJ-\\\"WEST\\\"-07\",le=\"+Inf\"} 2"));
    EXPECT_NE(std::string::npos, text.find("sentinel_outbox_backlog_records{kiosk=\"BJ-\\\"WEST\\\"-07\"} 2"));
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
        EXPECT_EQ(std::string::npos, e.path().filename().string().find(".tmp")) << "no temp file left behind";
    }
}

}  // namespace
}  // namespace sentinel::fleet

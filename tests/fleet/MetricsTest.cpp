// Counters from the loop, the Prometheus textfile (checked with promtool) and the metrics payload.

#include "firmware/fleet/Metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "firmware/journal/Journal.h"
#include "firmware/journal/JournalStats.h"
#include "tests/fleet/Broker.h"
#include "tests/journal/JournalTestSupport.h"
#include "tests/support/TestSupport.h"

namespace sentinel::fleet {
namespace {

using namespace std::chrono_literals;
using journal::testing::makeRecord;
using sentinel::testing::ManualClock;
using sentinel::testing::TempDir;
using testing::readText;

constexpr const char* kPromtool = "/usr/bin/promtool";

int promtoolCheck(const std::filesystem::path& file, const std::filesystem::path& log) {
    pid_t pid = testing::spawn({"/bin/sh", "-c", std::string(kPromtool) + " check metrics < '" + file.string() + "'"}, log);
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
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
    auto window = m.rateWindow();
    auto s = m.snapshot({}, window);
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
        g.riskListAgeHours = 2.0;
        g.backendBreakerOpen = 1;
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
    EXPECT_NE(std::string::npos, text.find("sentinel_risk_list_age_seconds{kiosk=\"BJ-\\\"WEST\\\"-07\"} 7200")) << text;
    EXPECT_NE(std::string::npos, text.find("sentinel_backend_breaker_open{kiosk=\"BJ-\\\"WEST\\\"-07\"} 1")) << text;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
        EXPECT_EQ(std::string::npos, e.path().filename().string().find(".tmp")) << "no temp file left behind";
    }
}

// Item 4 of issue 24: the metrics topic and the textfile each read the frame rate over their own
// interval — one's snapshot does not restart the other's window.
TEST(Metrics, EachConsumerGetsTheFrameRateOverItsOwnInterval) {
    ManualClock clock;
    Metrics m(clock);
    auto textfile = m.rateWindow();
    auto topic = m.rateWindow();
    for (int i = 0; i < 100; ++i) {  // 30 fps for 10 s
        for (int f = 0; f < 3; ++f) m.frameProcessed({}, {});
        clock.advance(100ms);
    }
    EXPECT_NEAR(30.0, m.snapshot({}, textfile).cameraFps, 0.2);
    clock.advance(500ms);  // the camera stalls; the topic's interval ends half a second later
    EXPECT_NEAR(300.0 / 10.5, m.snapshot({}, topic).cameraFps, 0.2) << "its own 10.5 s, not the 0.5 s since the textfile's";
    for (int i = 0; i < 10; ++i) m.frameProcessed({}, {});
    clock.advance(1s);
    EXPECT_NEAR(10.0 / 1.5, m.snapshot({}, textfile).cameraFps, 0.01);
    EXPECT_NEAR(10.0, m.snapshot({}, topic).cameraFps, 0.01);
}

// Item 5: a staff override has no total latency; it is counted as a decision, not as a 0 ms one.
TEST(Metrics, AStaffOverrideIsNotA0MsLatencySample) {
    ManualClock clock;
    Metrics m(clock);
    m.decided(makeRecord(Reason::BackendError, 5012.0), {}, 1);
    DecisionRecord override;
    override.decide(Reason::StaffOverride);
    override.overrides = 1;
    m.decided(override, {}, 2);
    auto window = m.rateWindow();
    const auto s = m.snapshot({}, window);
    EXPECT_EQ(1u, (s.decisions.at({"PASS", "STAFF_OVERRIDE"})));
    EXPECT_EQ(1u, s.latencyCount);
    EXPECT_EQ(0u, s.latencyBuckets[0]) << "nothing in the ≤ 1 ms bucket";
    EXPECT_DOUBLE_EQ(5012.0, s.latencySumMs);
}

// Item 6: test cards read while aiming are counted apart, never as PASS OK.
TEST(Metrics, TestCardsAreCountedApartAndNeverAsPass) {
    ManualClock clock;
    Metrics m(clock);
    m.decided(makeRecord(Reason::Ok, 12.0), {}, 1);
    DecisionRecord card = makeRecord(Reason::Ok, 9.0);
    card.format = std::string(kTestCardFormat);
    m.decided(card, {}, 2);
    m.decided(card, {}, 3);
    auto window = m.rateWindow();
    const auto s = m.snapshot({}, window);
    EXPECT_EQ(1u, (s.decisions.at({"PASS", "OK"})));
    EXPECT_EQ(2u, s.testCards);
    EXPECT_EQ(1u, s.latencyCount);
    const std::string text = toPrometheusText(s, "K-1");
    EXPECT_THAT(text, ::testing::HasSubstr("sentinel_decisions_total{kiosk=\"K-1\",decision=\"PASS\",reason=\"OK\"} 1\n"));
    EXPECT_THAT(text, ::testing::HasSubstr("sentinel_test_cards_total{kiosk=\"K-1\"} 2\n"));
    const auto j = toMetricsJson(s);
    EXPECT_EQ(1, j["decisions"]["PASS"]);
    EXPECT_EQ(2, j["test_cards"]);
}

// Items 5 and 6 together: the histogram's _count is `sentinel stats`' latency samples, and both
// leave test cards out of the decisions, over the same records in a real journal.
TEST(Metrics, TheHistogramCountAgreesWithTheJournalStatistics) {
    ManualClock clock;
    TempDir dir;
    journal::JournalOptions o;
    o.path = dir / "journal.db";
    o.kioskId = "K-1";
    auto j = journal::Journal::open(o, clock);
    ASSERT_TRUE(j) << j.error().message;
    Metrics m(clock);
    std::vector<DecisionRecord> records;
    for (int i = 0; i < 14; ++i) records.push_back(makeRecord(i % 3 == 0 ? Reason::TestTooOld : Reason::Ok, 20.0 + i));
    DecisionRecord override;
    override.decide(Reason::StaffOverride);
    override.overrides = 1;
    records.push_back(override);
    records.push_back(override);
    DecisionRecord card = makeRecord(Reason::Ok, 9.0);
    card.format = std::string(kTestCardFormat);
    records.push_back(card);
    for (const auto& r : records) {
        auto seq = (*j)->append(r);
        ASSERT_TRUE(seq) << seq.error().message;
        m.decided(r, {}, *seq);
    }
    auto stats = journal::readJournalStats(o.path, std::nullopt);
    ASSERT_TRUE(stats) << stats.error().message;
    auto window = m.rateWindow();
    const auto s = m.snapshot({}, window);
    ASSERT_TRUE(stats->latency);
    EXPECT_EQ(14u, stats->latency->samples);
    EXPECT_EQ(stats->latency->samples, s.latencyCount);
    EXPECT_EQ(16u, stats->records);
    EXPECT_EQ(1u, stats->testCards);
    EXPECT_EQ(stats->testCards, s.testCards);
    std::uint64_t passes = 0;
    for (const auto& [key, n] : s.decisions) passes += key.first == "PASS" ? n : 0;
    EXPECT_EQ(stats->decisions.at("PASS"), passes);
    EXPECT_EQ(2u, journal::staffOverrides(*stats));
}

}  // namespace
}  // namespace sentinel::fleet

// `run`'s fleet parts on a real broker (issue 24 items 4 and 8): the retained status, the metrics
// topic and the textfile each report the frame rate over their own interval, whoever read the
// counters in between; clock trust and the revocation age reach the metrics; a checkpoint handed
// over by the journal's Checkpointer shows in the status and goes out retained on …/checkpoints.

#include "firmware/fleet/FleetParts.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>

#include "firmware/journal/Checkpoint.h"
#include "tests/fleet/Broker.h"
#include "tests/support/TestSupport.h"

namespace sentinel::fleet {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using sentinel::testing::SharedManualClock;
using sentinel::testing::TempDir;
using testing::Broker;
using testing::readText;
using testing::Message;
using testing::Subscriber;

constexpr const char* kKiosk = "PARTS-01";


std::vector<json> payloads(const std::vector<Message>& messages, const std::string& leaf) {
    std::vector<json> out;
    for (const auto& m : messages) {
        if (m.topic == std::string("sentinel/v1/") + kKiosk + "/" + leaf) out.push_back(json::parse(m.payload, nullptr, false));
    }
    return out;
}

class FleetPartsTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::filesystem::exists(testing::kMosquitto)) GTEST_SKIP() << "no " << testing::kMosquitto;
        broker = std::make_unique<Broker>(dir / "broker", std::vector<testing::BrokerUser>{{kKiosk, "parts-secret"},
                                                                                          {"operator", "op-secret"}});
        ASSERT_TRUE(broker->running()) << broker->log();
        std::ofstream(dir / "password") << "parts-secret\n";
        config.kiosk.id = kKiosk;
        config.kiosk.stateDir = dir.path();
        config.journal.path.clear();  // no decisions outbox: this test is about the status and metrics
        config.trust.updateKey.clear();
        config.fleet.brokerUrl = "mqtt://127.0.0.1:" + std::to_string(broker->port());
        config.fleet.username = kKiosk;
        config.fleet.passwordFile = (dir / "password").string();
        config.fleet.metricsIntervalS = 10;
        config.metrics.textfile = (dir / "sentinel.prom").string();
        sub = std::make_unique<Subscriber>(broker->port(), "operator", "op-secret", std::vector<std::string>{"sentinel/#"});
        ASSERT_TRUE(sub->waitSubscribed());
    }
    void frames(kiosk::KioskObserver* metrics, int n) {
        for (int i = 0; i < n; ++i) metrics->frameProcessed({}, {});
    }

    TempDir dir;
    SharedManualClock clock;
    kiosk::Config config;
    std::unique_ptr<Broker> broker;
    std::unique_ptr<Subscriber> sub;
};

TEST_F(FleetPartsTest, StatusMetricsTopicAndTextfileEachReportTheFrameRateOverTheirOwnInterval) {
    FleetContext context;
    context.clockTrusted = [] { return false; };
    auto parts = FleetParts::start(config, clock, std::move(context));
    ASSERT_TRUE(parts) << parts.error().message;
    kiosk::KioskObserver* metrics = (*parts)->observers()[1];
    // At connect: a status and the first metrics, both over an empty interval.
    ASSERT_TRUE(sub->waitFor([](const auto& m) { return !payloads(m, "metrics").empty() && payloads(m, "status").size() >= 2; }, 30s));

    frames(metrics, 150);  // 30 fps for 5 s
    clock.advance(5s);
    (*parts)->link()->refreshStatus();  // the status reads the counters half-way through the metrics interval
    ASSERT_TRUE(sub->waitFor([](const auto& m) { return payloads(m, "status").back().value("camera_fps", 0.0) > 0; }, 30s));
    EXPECT_NEAR(30.0, payloads(sub->messages(), "status").back()["camera_fps"].get<double>(), 0.01);

    frames(metrics, 300);  // 60 fps for the next 5 s
    clock.advance(5s);     // the metrics interval (10 s) is over: metrics and status go out
    ASSERT_TRUE(sub->waitFor([](const auto& m) { return payloads(m, "metrics").back().value("camera_fps", 0.0) > 0; }, 30s));
    const json m = payloads(sub->messages(), "metrics").back();
    EXPECT_NEAR(45.0, m["camera_fps"].get<double>(), 0.01) << "its own 10 s, not the 5 s since the status read";
    EXPECT_EQ(0, m["clock_trusted"]);
    EXPECT_EQ(-1.0, m["revocation_age_s"].get<double>());
    ASSERT_TRUE(sub->waitFor([](const auto& all) {
        return std::abs(payloads(all, "status").back().value("camera_fps", 0.0) - 60.0) < 0.01;
    }, 30s)) << payloads(sub->messages(), "status").back().dump();
    EXPECT_EQ(false, payloads(sub->messages(), "status").back()["clock_trusted"]);

    (*parts)->stop();  // the textfile's last write: its own window, since it started
    const std::string prom = readText(dir / "sentinel.prom");
    EXPECT_NE(std::string::npos, prom.find("sentinel_camera_fps{kiosk=\"PARTS-01\"} 45\n")) << prom;
    EXPECT_NE(std::string::npos, prom.find("sentinel_clock_trusted{kiosk=\"PARTS-01\"} 0\n")) << prom;
    EXPECT_NE(std::string::npos, prom.find("sentinel_revocation_age_seconds{kiosk=\"PARTS-01\"} -1\n")) << prom;
}

TEST_F(FleetPartsTest, ACheckpointShowsInTheStatusAndGoesOutRetainedOnTheCheckpointsTopic) {
    auto parts = FleetParts::start(config, clock, {});
    ASSERT_TRUE(parts) << parts.error().message;
    ASSERT_TRUE(sub->waitFor([](const auto& m) { return !payloads(m, "status").empty(); }, 30s));
    const std::string note = "sentinel.kiosk/PARTS-01/j1\n12\nAAAA\n\n— sentinel.kiosk/PARTS-01 c2ln\n";
    (*parts)->checkpointed({12, note, clock.now()});
    ASSERT_TRUE(sub->waitFor([](const auto& m) { return !payloads(m, "checkpoints").empty(); }, 30s));
    std::string raw;
    for (const auto& m : sub->messages()) {
        if (m.topic.ends_with("/checkpoints")) raw = m.payload;
    }
    auto received = journal::parseCheckpointMessage(raw);
    ASSERT_TRUE(received) << received.error().message;
    EXPECT_EQ(note, received->note);
    ASSERT_TRUE(sub->waitFor([](const auto& m) { return payloads(m, "status").back().contains("checkpoint") &&
                                                        payloads(m, "status").back()["checkpoint"].is_object(); }, 30s));
    EXPECT_EQ(12, payloads(sub->messages(), "status").back()["checkpoint"]["size"]);
    (*parts)->stop();
    // A late subscriber (the back office's auditor) gets the retained checkpoint.
    Subscriber late(broker->port(), "operator", "op-secret", {std::string("sentinel/v1/") + kKiosk + "/checkpoints"});
    ASSERT_TRUE(late.waitFor([](const auto& m) { return !m.empty() && m.back().retained; }, 30s));
}

}  // namespace
}  // namespace sentinel::fleet

// `sentinel status` content (DESIGN §11): live state from the loop, no personal data.
#include "firmware/control/KioskStatus.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/TestSupport.h"

namespace sentinel::app {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

struct Status : ::testing::Test {
    testing::ManualClock clock;
    control::StatusSources sources;
    Status() {
        sources.kioskId = "T-01";
        sources.version = "0.1.0";
        sources.camera = "replay:/frames (12 images)";
        sources.overrideWindowS = 30;
    }
    kiosk::Verdict verdict(Reason r) {
        kiosk::Verdict v;
        v.record.decide(r);
        v.record.format = "HK1";
        v.record.subject = "a3f1deadbeef";
        v.record.latency.totalMs = 42.123;
        v.holderMasked = "张*";
        return v;
    }
};

TEST_F(Status, ReportsFrameRateDecodeTimeAndRecentDecisionsWithoutPersonalData) {
    control::KioskStatus s(clock, sources);
    for (int i = 0; i < 21; ++i) {
        clock.advance(50ms);  // 20 fps
        s.frameProcessed(hal::Frame{}, kiosk::FrameObservation{3.25, false, false});
    }
    auto v = verdict(Reason::BackendError);
    s.decided(v.record, v, 7);
    auto r = s.report();
    EXPECT_EQ("T-01", r["kiosk_id"]);
    EXPECT_NEAR(20.0, r["camera"]["fps"].get<double>(), 0.01);
    EXPECT_EQ(21, r["camera"]["frames"]);
    EXPECT_EQ(3.25, r["camera"]["last_decode_ms"]);
    ASSERT_EQ(1u, r["decisions"]["recent"].size());
    const auto& d = r["decisions"]["recent"][0];
    EXPECT_EQ(7, d["seq"]);
    EXPECT_EQ("REFER", d["decision"]);
    EXPECT_EQ("BACKEND_ERROR", d["reason"]);
    EXPECT_EQ(42.12, d["total_ms"]);
    const std::string text = r.dump();
    EXPECT_THAT(text, Not(HasSubstr("a3f1deadbeef")));
    EXPECT_THAT(r.dump(-1, ' ', false), Not(HasSubstr("张")));
    EXPECT_EQ("none", r["fleet"]["state"]);
    EXPECT_EQ(true, r["override"]["candidate"]["overridable"]);
}

TEST_F(Status, FrameRateIsZeroWhenFramesStop) {
    control::KioskStatus s(clock, sources);
    for (int i = 0; i < 10; ++i) {
        clock.advance(33ms);
        s.frameProcessed(hal::Frame{}, kiosk::FrameObservation{});
    }
    clock.advance(5s);
    EXPECT_EQ(0.0, s.report()["camera"]["fps"].get<double>());
}

TEST_F(Status, TheOverrideCandidateAgesOutAndIsMarkedOverridden) {
    control::KioskStatus s(clock, sources);
    auto v = verdict(Reason::BackendError);
    s.decided(v.record, v, 3);
    kiosk::Verdict o;
    o.record.decide(Reason::StaffOverride);
    o.record.overrides = 3;
    s.decided(o.record, o, 4);
    auto r = s.report();
    EXPECT_EQ(true, r["override"]["candidate"]["overridden"]);
    EXPECT_EQ(false, r["override"]["candidate"]["overridable"]);
    EXPECT_EQ(1, r["decisions"]["staff_overrides"]);
    EXPECT_EQ(4, r["decisions"]["recent"][0]["seq"]);
    EXPECT_EQ(3, r["decisions"]["recent"][0]["overrides"]);

    s.decided(v.record, v, 5);
    clock.advance(31s);
    EXPECT_EQ(false, s.report()["override"]["candidate"]["overridable"]);
}

TEST_F(Status, AlarmsAppearAndClear) {
    control::KioskStatus s(clock, sources);
    s.alarm("camera", "device gone", false);
    auto r = s.report();
    ASSERT_EQ(1u, r["alarms"].size());
    EXPECT_EQ("camera", r["alarms"][0]["alarm"]);
    s.alarm("camera", "delivering frames again", true);
    EXPECT_TRUE(s.report()["alarms"].empty());
}

TEST_F(Status, ProvidersFillTheirSectionsAndTheFleetLinkCanReportItsState) {
    sources.trust = [] { return nlohmann::json{{"loaded", true}, {"certificates", 3}, {"age_h", 1.5}}; };
    sources.fleet = [] { return nlohmann::json{{"state", "connected"}}; };
    control::KioskStatus s(clock, sources);
    auto r = s.report();
    EXPECT_EQ(3, r["trust"]["certificates"]);
    EXPECT_EQ("connected", r["fleet"]["state"]);
}

// Issue 24 item 6: test cards are counted apart, as `sentinel stats` counts them — never as PASS.
TEST_F(Status, TestCardsAreCountedApartAndNeverAsPass) {
    control::KioskStatus s(clock, sources);
    auto pass = verdict(Reason::Ok);
    s.decided(pass.record, pass, 1);
    auto card = verdict(Reason::Ok);
    card.record.format = std::string(kTestCardFormat);
    card.testCard = true;
    s.decided(card.record, card, 2);
    s.decided(card.record, card, 3);
    auto deny = verdict(Reason::TestTooOld);
    s.decided(deny.record, deny, 4);
    const auto d = s.report()["decisions"];
    EXPECT_EQ(2, d["total"]);
    EXPECT_EQ(1, d["PASS"]);
    EXPECT_EQ(1, d["DENY"]);
    EXPECT_EQ(0, d["REFER"]);
    EXPECT_EQ(2, d["test_cards"]);
    EXPECT_THAT(control::renderStatusTable(s.report()), HasSubstr("2 since start (1 PASS, 1 DENY, 0 REFER), 0 staff overrides, 2 test cards"));
}

TEST_F(Status, TheLatestCheckpointIsShownWhenTheJournalHasOne) {
    EXPECT_TRUE(control::KioskStatus(clock, sources).report()["checkpoint"].is_null());
    sources.checkpoint = [] { return nlohmann::json{{"size", 100}, {"root", "cm9vdA=="}, {"at", "2026-12-01T08:00:00Z"}}; };
    control::KioskStatus s(clock, sources);
    EXPECT_EQ(100, s.report()["checkpoint"]["size"]);
    EXPECT_THAT(control::renderStatusTable(s.report()), HasSubstr("checkpoint        100 records, 2026-12-01T08:00:00Z"));
}

TEST_F(Status, TheTableShowsWhatATechnicianLooksFor) {
    control::KioskStatus s(clock, sources);
    auto v = verdict(Reason::TestTooOld);
    s.decided(v.record, v, 9);
    s.alarm("journal", "damaged; moved aside", false);
    const std::string table = control::renderStatusTable(s.report());
    EXPECT_THAT(table, HasSubstr("Kiosk T-01"));
    EXPECT_THAT(table, HasSubstr("frame rate"));
    EXPECT_THAT(table, HasSubstr("seq 9  DENY TEST_TOO_OLD [HK1]"));
    EXPECT_THAT(table, HasSubstr("ALARM"));
    EXPECT_THAT(table, HasSubstr("overridable"));
    EXPECT_THAT(table, HasSubstr("fleet link        none"));
    EXPECT_THAT(table, HasSubstr("risk list         none"));
}

TEST_F(Status, TheRiskListInForceTheNextOneAndTheBreakerAreShown) {
    sources.riskList = [] {
        return nlohmann::json{{"in_force", {{"version", "2026-12-08.1"}, {"issued_at", "2026-12-08T00:00:00Z"}, {"age_h", 3.5}, {"stale", false}}},
                              {"next", {{"version", "2026-12-09.1"}, {"effective_from", "2026-12-09T00:00:00Z"}}}};
    };
    sources.backendBreaker = [] { return nlohmann::json{{"open", true}, {"opened_at", "2026-12-08T03:00:00Z"}, {"refused", 4}}; };
    control::KioskStatus s(clock, sources);
    const auto r = s.report();
    EXPECT_EQ("2026-12-09.1", r["risk_list"]["next"]["version"]);
    EXPECT_EQ(true, r["backend_breaker"]["open"]);
    const std::string table = control::renderStatusTable(r);
    EXPECT_THAT(table, HasSubstr("risk list         2026-12-08.1 (issued 2026-12-08T00:00:00Z, 3.5 h old); next 2026-12-09.1 from 2026-12-09T00:00:00Z"));
    EXPECT_THAT(table, HasSubstr("backend           BREAKER OPEN since 2026-12-08T03:00:00Z (4 refused)"));
}

}  // namespace
}  // namespace sentinel::app

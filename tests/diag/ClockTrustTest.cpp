// Trusted time (issue 6 item 3): the rules, the floor, and the router's CLOCK_UNTRUSTED — all on
// an injected clock and injected system signals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "firmware/app/ClockTrust.h"
#include "firmware/app/Router.h"
#include "firmware/issuer/TestIssuer.h"
#include "firmware/trust/TrustList.h"
#include "tests/support/TestSupport.h"

namespace sentinel::app {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using sentinel::testing::ManualClock;

constexpr std::chrono::duration<double, std::ratio<3600>> kWeek{168.0};
const UtcTime kNow{std::chrono::seconds{1795000000}};

TEST(ClockTrustRules, NtpSynchronisedIsTrusted) {
    ClockSignals s;
    s.kernelSynced = true;
    EXPECT_TRUE(evaluateClockTrust(s, kNow, kNow - 24h, kWeek).trusted);
}

TEST(ClockTrustRules, TimesyncdFlagAloneIsTrusted) {
    ClockSignals s;
    s.kernelSynced = false;
    s.timesyncFlag = true;
    EXPECT_TRUE(evaluateClockTrust(s, kNow, kNow - 24h, kWeek).trusted);
}

TEST(ClockTrustRules, RtcWithARecentSyncIsTrustedAnOldSyncIsNot) {
    ClockSignals s;
    s.kernelSynced = false;
    s.rtcPresent = true;
    s.lastSync = kNow - 100h;
    EXPECT_TRUE(evaluateClockTrust(s, kNow, kNow - 200h, kWeek).trusted);
    s.lastSync = kNow - 169h;
    auto st = evaluateClockTrust(s, kNow, kNow - 200h, kWeek);
    EXPECT_FALSE(st.trusted);
    EXPECT_THAT(st.detail, HasSubstr("last NTP sync"));
}

TEST(ClockTrustRules, NoSyncAndNoRtcIsUntrusted) {
    EXPECT_FALSE(evaluateClockTrust(ClockSignals{false, false, std::nullopt, false}, kNow, kNow - 1h, kWeek).trusted);
}

TEST(ClockTrustRules, TimeBeforeTheFloorIsUntrustedEvenWhenSynchronised) {
    ClockSignals s;
    s.kernelSynced = true;
    auto st = evaluateClockTrust(s, kNow, kNow + 2h, kWeek);
    EXPECT_FALSE(st.trusted);
    EXPECT_THAT(st.detail, HasSubstr("earlier than"));
    EXPECT_TRUE(evaluateClockTrust(s, kNow, kNow + 30s, kWeek).trusted) << "within the NTP step tolerance";
}

TEST(ClockTrust, AClockThatJumpsBackBehindWhatItTrustedBecomesUntrusted) {
    ManualClock clock(kNow);
    ClockSignals synced;
    synced.kernelSynced = true;
    ClockTrust trust(clock, [&] { return synced; }, kNow - 24h, 168, 10s);
    EXPECT_TRUE(trust.trusted());
    clock.advance(1h);
    EXPECT_TRUE(trust.trusted());
    clock.setUtc(kNow - 2h);  // e.g. an RTC reset after a power cut, and NTP still says synced
    EXPECT_FALSE(trust.trusted());
}

TEST(ClockTrust, ReprobesTheSystemOnlyAfterTheRecheckInterval) {
    ManualClock clock(kNow);
    int probes = 0;
    ClockSignals s;
    s.kernelSynced = true;
    ClockTrust trust(clock, [&] { ++probes; return s; }, kNow - 1h, 168, 10s);
    EXPECT_TRUE(trust.trusted());
    s.kernelSynced = false;  // NTP lost
    clock.advance(5s);
    EXPECT_TRUE(trust.trusted()) << "cached";
    clock.advance(6s);
    EXPECT_FALSE(trust.trusted());
    EXPECT_EQ(2, probes);
}

TEST(ClockTrust, RaisedFloorFromTheJournalApplies) {
    ManualClock clock(kNow);
    ClockSignals s;
    s.kernelSynced = true;
    ClockTrust trust(clock, [&] { return s; }, kNow - 1h, 168, 10s);
    trust.raiseFloor(kNow + 3h);  // a record written at a later time than the clock now says
    EXPECT_FALSE(trust.trusted());
}

TEST(ClockTrust, BuildTimeIsRecentAndNotInTheFuture) {
    const UtcTime built = buildTime();
    EXPECT_GT(built, UtcTime{std::chrono::seconds{1700000000}});  // after 2023-11
    EXPECT_LE(built, SystemClock().now() + 1min);
}

// The router: untrusted time turns a PASS (and time-based denials) into REFER CLOCK_UNTRUSTED.
TEST(RouterClock, UntrustedClockTurnsAPassIntoReferClockUntrusted) {
    ManualClock clock(kNow);
    auto issuer = issuer::TestIssuer::generate("XX");
    auto list = trust::TrustList::fromCertificates({{issuer.certificateDer(), "XX", std::nullopt}}, kNow - 1h);
    ASSERT_TRUE(list.ok());
    const std::string good = issuer.issue(issuer::testCredential(TestType::Naat, kNow - 2h, false, kNow));
    bool trusted = true;
    RouterOptions o;
    o.trust = &*list;
    o.subjectKey = std::string(32, 'k');
    o.clockTrusted = [&] { return trusted; };
    CredentialRouter router(clock, o);
    EXPECT_EQ(Decision::Pass, router.verify(good, clock.monotonic() + 5s).record.decision);
    trusted = false;
    auto v = router.verify(good, clock.monotonic() + 5s);
    EXPECT_EQ(Decision::Refer, v.record.decision);
    EXPECT_EQ(Reason::ClockUntrusted, v.record.reason);
}

}  // namespace
}  // namespace sentinel::app

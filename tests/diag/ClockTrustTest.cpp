// Trusted time (issue 6 item 3): the rules, the floor, and the router's CLOCK_UNTRUSTED — all on
// an injected clock and injected system signals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "firmware/kiosk/ClockTrust.h"
#include "firmware/kiosk/Config.h"
#include "firmware/kiosk/Router.h"
#include "firmware/kiosk/Runtime.h"
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
    kiosk::ClockSignals s;
    s.kernelSynced = true;
    EXPECT_TRUE(kiosk::evaluateClockTrust(s, kNow, kNow - 24h, kWeek).trusted);
}

TEST(ClockTrustRules, TimesyncdFlagAloneIsTrusted) {
    kiosk::ClockSignals s;
    s.kernelSynced = false;
    s.timesyncFlag = true;
    EXPECT_TRUE(kiosk::evaluateClockTrust(s, kNow, kNow - 24h, kWeek).trusted);
}

TEST(ClockTrustRules, RtcWithARecentSyncIsTrustedAnOldSyncIsNot) {
    kiosk::ClockSignals s;
    s.kernelSynced = false;
    s.rtcPresent = true;
    s.lastSync = kNow - 100h;
    EXPECT_TRUE(kiosk::evaluateClockTrust(s, kNow, kNow - 200h, kWeek).trusted);
    s.lastSync = kNow - 169h;
    auto st = kiosk::evaluateClockTrust(s, kNow, kNow - 200h, kWeek);
    EXPECT_FALSE(st.trusted);
    EXPECT_THAT(st.detail, HasSubstr("last NTP sync"));
}

TEST(ClockTrustRules, NoSyncAndNoRtcIsUntrusted) {
    EXPECT_FALSE(kiosk::evaluateClockTrust(kiosk::ClockSignals{false, false, std::nullopt, false}, kNow, kNow - 1h, kWeek).trusted);
}

TEST(ClockTrustRules, TimeBeforeTheFloorIsUntrustedEvenWhenSynchronised) {
    kiosk::ClockSignals s;
    s.kernelSynced = true;
    auto st = kiosk::evaluateClockTrust(s, kNow, kNow + 2h, kWeek);
    EXPECT_FALSE(st.trusted);
    EXPECT_THAT(st.detail, HasSubstr("earlier than"));
    EXPECT_TRUE(kiosk::evaluateClockTrust(s, kNow, kNow + 30s, kWeek).trusted) << "within the NTP step tolerance";
}

TEST(ClockTrust, AClockThatJumpsBackBehindWhatItTrustedBecomesUntrusted) {
    ManualClock clock(kNow);
    kiosk::ClockSignals synced;
    synced.kernelSynced = true;
    kiosk::ClockTrust trust(clock, [&] { return synced; }, kNow - 24h, 168, 10s);
    EXPECT_TRUE(trust.trusted());
    clock.advance(1h);
    EXPECT_TRUE(trust.trusted());
    clock.setUtc(kNow - 2h);  // e.g. an RTC reset after a power cut, and NTP still says synced
    EXPECT_FALSE(trust.trusted());
}

TEST(ClockTrust, ReprobesTheSystemOnlyAfterTheRecheckInterval) {
    ManualClock clock(kNow);
    int probes = 0;
    kiosk::ClockSignals s;
    s.kernelSynced = true;
    kiosk::ClockTrust trust(clock, [&] { ++probes; return s; }, kNow - 1h, 168, 10s);
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
    kiosk::ClockSignals s;
    s.kernelSynced = true;
    kiosk::ClockTrust trust(clock, [&] { return s; }, kNow - 1h, 168, 10s);
    trust.raiseFloor(kNow + 3h);  // a record written at a later time than the clock now says
    EXPECT_FALSE(trust.trusted());
}

TEST(ClockTrust, BuildTimeIsRecentAndNotInTheFuture) {
    const UtcTime built = kiosk::buildTime();
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
    kiosk::RouterOptions o;
    o.trust = &*list;
    o.subjectKey = std::string(32, 'k');
    o.clockTrusted = [&] { return trusted; };
    kiosk::CredentialRouter router(clock, o);
    EXPECT_EQ(Decision::Pass, router.verify(good, clock.monotonic() + 5s).record.decision);
    trusted = false;
    auto v = router.verify(good, clock.monotonic() + 5s);
    EXPECT_EQ(Decision::Refer, v.record.decision);
    EXPECT_EQ(Reason::ClockUntrusted, v.record.reason);
}

// clock.require_sync: unset, it follows the camera (live v4l2: yes, replay and desk commands: no);
// set, it decides for `run` whatever the camera.
TEST(RequireSync, UnsetFollowsTheCameraAndTheKeyOverridesIt) {
    auto parse = [](const std::string& text) {
        auto c = kiosk::parseConfig(text, "t.toml");
        EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
        return c.ok() ? *c : kiosk::Config{};
    };
    const kiosk::Config live = parse("[camera]\nsource = \"v4l2:/dev/video0\"\n");
    const kiosk::Config replay = parse("[camera]\nsource = \"replay:/tmp/frames\"\n");
    EXPECT_TRUE(kiosk::requireSyncFor(live, true));
    EXPECT_FALSE(kiosk::requireSyncFor(live, false)) << "desk commands never need NTP unless told";
    EXPECT_FALSE(kiosk::requireSyncFor(replay, true));
    const kiosk::Config replayOn = parse("[camera]\nsource = \"replay:/tmp/frames\"\n[clock]\nrequire_sync = true\n");
    const kiosk::Config liveOff = parse("[camera]\nsource = \"v4l2:/dev/video0\"\n[clock]\nrequire_sync = false\n");
    EXPECT_TRUE(kiosk::requireSyncFor(replayOn, true));
    EXPECT_TRUE(kiosk::requireSyncFor(replayOn, false));
    EXPECT_FALSE(kiosk::requireSyncFor(liveOff, true));
}

// The key as `run` applies it, through the runtime the kiosk uses: a replay kiosk with
// require_sync = true on an unsynchronised clock refers; with the key unset it decides.
TEST(RequireSync, AReplayKioskWithTheKeySetRefersOnAnUnsyncedClock) {
    sentinel::testing::TempDir dir;
    ManualClock clock(SystemClock{}.now());
    auto issuer = issuer::TestIssuer::generate("XX");
    std::filesystem::create_directories(dir / "trust");
    std::ofstream(dir / "trust" / "dsc.pem") << issuer.certificatePem();
    const std::string payload = issuer.issue(issuer::testCredential(TestType::Naat, clock.now() - 2h, false, clock.now()));
    auto decide = [&](const std::string& extra) {
        auto cfg = kiosk::parseConfig("[kiosk]\nstate_dir = \"" + (dir / "state").string() + "\"\n[camera]\nsource = \"replay:" +
                                   (dir / "frames").string() + "\"\n[trust]\npath = \"" + (dir / "trust").string() + "\"\n" +
                                   extra,
                               "t.toml");
        EXPECT_TRUE(cfg.ok());
        kiosk::RuntimeOptions ro;
        ro.requireTrustedClock = kiosk::requireSyncFor(*cfg, true);
        ro.clockSignals = [] { return kiosk::ClockSignals{false, false, std::nullopt, false}; };  // never synced, no RTC
        auto rt = kiosk::Runtime::create(*cfg, clock, ro);
        EXPECT_TRUE(rt.ok()) << (rt.ok() ? "" : rt.error().message);
        return (*rt)->router().verify(payload, clock.monotonic() + 5s).record;
    };
    auto on = decide("[clock]\nrequire_sync = true\n");
    EXPECT_EQ(Decision::Refer, on.decision);
    EXPECT_EQ(Reason::ClockUntrusted, on.reason);
    auto unset = decide("");
    EXPECT_EQ(Decision::Pass, unset.decision) << toString(unset.reason);
    auto off = decide("[clock]\nrequire_sync = false\n");
    EXPECT_EQ(Decision::Pass, off.decision) << toString(off.reason);
}

}  // namespace
}  // namespace sentinel::app

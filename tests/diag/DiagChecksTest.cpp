// The check bodies against fakes and real files: image measures, camera, indicator sequence,
// service steps, clock, trust list, journal, state folder.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "firmware/base/DecisionRecord.h"
#include "firmware/diag/CameraCheck.h"
#include "firmware/diag/FactChecks.h"
#include "firmware/diag/ImageMetrics.h"
#include "firmware/diag/IndicatorCheck.h"
#include "firmware/diag/JournalCheck.h"
#include "firmware/diag/ServiceCheck.h"
#include "firmware/journal/Journal.h"
#include "tests/support/TestSupport.h"

namespace sentinel::diag {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using sentinel::testing::ManualClock;
using sentinel::testing::TempDir;

struct Picture {
    std::vector<std::uint8_t> px;
    GrayView view;
    Picture(int w, int h, std::function<std::uint8_t(int, int)> f) : px(static_cast<std::size_t>(w) * h) {
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) px[static_cast<std::size_t>(y) * w + x] = f(x, y);
        view = GrayView{px.data(), w, h, w};
    }
};

TEST(ImageMetrics, FlatImageHasItsGrayAsMeanAndNoSharpness) {
    Picture p(64, 48, [](int, int) { return std::uint8_t{100}; });
    EXPECT_DOUBLE_EQ(100.0, meanBrightness(p.view));
    EXPECT_DOUBLE_EQ(0.0, laplacianVariance(p.view));
}

TEST(ImageMetrics, HardEdgesScoreSharperThanASmoothRamp) {
    Picture checker(64, 64, [](int x, int y) { return std::uint8_t(((x / 4 + y / 4) % 2) ? 255 : 0); });
    Picture ramp(64, 64, [](int x, int) { return std::uint8_t(x * 4); });
    EXPECT_GT(laplacianVariance(checker.view), 1000.0);
    EXPECT_LT(laplacianVariance(ramp.view), 1.0);
    EXPECT_EQ(Status::Ok, judgeSharpness(laplacianVariance(checker.view)).status);
    EXPECT_EQ(Status::Warn, judgeSharpness(laplacianVariance(ramp.view)).status);
}

TEST(ImageMetrics, DarkAndBrightFramesWarn) {
    EXPECT_EQ(Status::Warn, judgeBrightness(10).status);
    EXPECT_EQ(Status::Warn, judgeBrightness(250).status);
    EXPECT_EQ(Status::Ok, judgeBrightness(128).status);
}

// A camera that delivers `frames` copies of a picture, `period` apart on the manual clock.
class ScriptedCamera final : public hal::Camera {
public:
    ScriptedCamera(ManualClock& clock, const Picture& pic, int frames, std::chrono::milliseconds period)
        : clock_(clock), pic_(pic), left_(frames), period_(period) {}
    hal::GrabResult grab(std::chrono::milliseconds timeout) override {
        hal::GrabResult r;
        if (left_ == 0) {
            clock_.advance(timeout);  // nothing comes: the grab waits its whole timeout
            r.status = hal::GrabStatus::Failed;
            r.detail = "cannot open /dev/video0";
            return r;
        }
        --left_;
        clock_.advance(period_);
        r.status = hal::GrabStatus::Frame;
        r.frame.gray = pic_.view;
        r.frame.capturedAt = clock_.monotonic();
        return r;
    }
    std::string describe() const override { return "scripted"; }

private:
    ManualClock& clock_;
    const Picture& pic_;
    int left_;
    std::chrono::milliseconds period_;
};

TEST(CameraCheck, NoFrameIsAFailureWithTheDriverDetailAndARemedy) {
    ManualClock clock;
    Picture pic(32, 32, [](int, int) { return std::uint8_t{0}; });
    ScriptedCamera cam(clock, pic, 0, 33ms);
    CameraCheckOptions o;
    o.noFrameRemedy = "plug the camera in";
    auto m = measureCamera(cam, o, clock);
    auto out = judgeCamera("v4l2:/dev/video0", m, o);
    EXPECT_EQ(Status::Fail, out.status);
    EXPECT_THAT(out.detail, HasSubstr("cannot open /dev/video0"));
    EXPECT_EQ("plug the camera in", out.remedy);
}

TEST(CameraCheck, MeasuresRateBrightnessAndSharpnessAndWritesASnapshot) {
    TempDir dir;
    ManualClock clock;
    Picture checker(64, 48, [](int x, int y) { return std::uint8_t(((x / 4 + y / 4) % 2) ? 230 : 30); });
    ScriptedCamera cam(clock, checker, 100, 40ms);  // 25 fps
    CameraCheckOptions o;
    o.expectedFps = 25;
    o.sampleFrames = 11;
    o.snapshotPath = dir / "snap.png";
    auto m = measureCamera(cam, o, clock);
    EXPECT_EQ(11, m.frames);
    ASSERT_TRUE(m.fps.has_value());
    EXPECT_NEAR(25.0, *m.fps, 0.01);
    EXPECT_NEAR(130.0, m.brightness, 1.0);
    auto out = judgeCamera("replay:x", m, o);
    EXPECT_EQ(Status::Ok, out.status) << out.detail;
    EXPECT_THAT(out.detail, HasSubstr("25.0 fps"));
    EXPECT_TRUE(std::filesystem::exists(dir / "snap.png"));
}

TEST(CameraCheck, HalfTheConfiguredRateIsAWarning) {
    ManualClock clock;
    Picture checker(64, 48, [](int x, int y) { return std::uint8_t(((x / 4 + y / 4) % 2) ? 230 : 30); });
    ScriptedCamera cam(clock, checker, 100, 100ms);  // 10 fps
    CameraCheckOptions o;
    o.expectedFps = 30;
    o.sampleFrames = 5;
    auto out = judgeCamera("v4l2:/dev/video0", measureCamera(cam, o, clock), o);
    EXPECT_EQ(Status::Warn, out.status);
    EXPECT_THAT(out.detail, HasSubstr("expected 30"));
}

// GPIO lines with read-back; `stuck` lines always read `stuckAt`.
class FakeLines final : public indicator::GpioLines {
public:
    void set(indicator::Line l, bool on) override {
        level[static_cast<int>(l)] = on;
        writes.emplace_back(l, on);
    }
    std::optional<bool> get(indicator::Line l) override {
        if (!readable) return std::nullopt;
        if (stuck && *stuck == l) return stuckAt;
        return level[static_cast<int>(l)];
    }
    bool level[indicator::kLineCount] = {};
    std::vector<std::pair<indicator::Line, bool>> writes;
    std::optional<indicator::Line> stuck;
    bool stuckAt = false;
    bool readable = true;
};

IndicatorCheckOptions noWait() {
    IndicatorCheckOptions o;
    o.wait = [](std::chrono::milliseconds) {};
    return o;
}

TEST(IndicatorCheck, SwitchesEveryLineInTurnAndReadsEachBack) {
    FakeLines lines;
    auto out = checkGpioLines(lines, noWait());
    EXPECT_EQ(Status::Ok, out.status) << out.detail;
    EXPECT_THAT(out.detail, HasSubstr("read-back 5/5"));
    for (auto l : {indicator::Line::Green, indicator::Line::Amber, indicator::Line::Red, indicator::Line::Buzzer,
                   indicator::Line::Relay}) {
        EXPECT_NE(lines.writes.end(), std::find(lines.writes.begin(), lines.writes.end(), std::make_pair(l, true)));
    }
    EXPECT_FALSE(lines.level[static_cast<int>(indicator::Line::Relay)]) << "the gate must end shut";
}

TEST(IndicatorCheck, ALineThatDoesNotFollowIsAFailureNamingIt) {
    FakeLines lines;
    lines.stuck = indicator::Line::Red;
    lines.stuckAt = false;
    auto out = checkGpioLines(lines, noWait());
    EXPECT_EQ(Status::Fail, out.status);
    EXPECT_THAT(out.detail, HasSubstr("red stuck off"));
}

TEST(IndicatorCheck, NoRelayNeverOpensTheGate) {
    FakeLines lines;
    auto o = noWait();
    o.includeRelay = false;
    auto out = checkGpioLines(lines, o);
    EXPECT_EQ(Status::Ok, out.status);
    EXPECT_EQ(lines.writes.end(),
              std::find(lines.writes.begin(), lines.writes.end(), std::make_pair(indicator::Line::Relay, true)));
    EXPECT_THAT(out.detail, HasSubstr("relay skipped"));
}

TEST(IndicatorCheck, UnreadableLinesAreOkButSaySo) {
    FakeLines lines;
    lines.readable = false;
    auto out = checkGpioLines(lines, noWait());
    EXPECT_EQ(Status::Ok, out.status);
    EXPECT_THAT(out.detail, HasSubstr("not readable"));
}

TEST(ServiceCheck, ParsesHttpsUrls) {
    auto a = parseHttpsUrl("https://hc.example.org/api");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ("hc.example.org", a->host);
    EXPECT_EQ(443, a->port);
    auto b = parseHttpsUrl("https://[::1]:8443");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ("::1", b->host);
    EXPECT_EQ(8443, b->port);
    EXPECT_FALSE(parseHttpsUrl("http://x").ok());
    EXPECT_FALSE(parseHttpsUrl("https://x:99999").ok());
}

ServiceProbes scripted(bool dnsOk, bool tcpOk, hal::HttpOutcome tls, double rttMs = 20) {
    ServiceProbes p;
    p.resolve = [dnsOk](const std::string&) -> Result<std::vector<std::string>> {
        if (!dnsOk) return Error{"Name or service not known"};
        return std::vector<std::string>{"192.0.2.7"};
    };
    p.connect = [tcpOk](const std::string&, int, std::chrono::milliseconds) -> sentinel::Status {
        if (!tcpOk) return Error{"Connection refused"};
        return Ok{};
    };
    p.probe = [tls, rttMs](const std::string&) {
        hal::HttpResponse r;
        r.outcome = tls;
        r.status = 404;
        r.elapsedMs = rttMs;
        r.detail = tls == hal::HttpOutcome::TlsError ? "pin mismatch" : "";
        return r;
    };
    return p;
}

TEST(ServiceCheck, EmptyBaseUrlIsAWarningNotAFailure) {
    auto out = checkService("", {});
    EXPECT_EQ(Status::Warn, out.status);
    EXPECT_THAT(out.detail, HasSubstr("online.base_url is empty"));
}

TEST(ServiceCheck, EachBrokenStepIsNamed) {
    auto dns = checkService("https://hc.example.org", scripted(false, true, hal::HttpOutcome::Response));
    EXPECT_EQ(Status::Fail, dns.status);
    EXPECT_THAT(dns.detail, HasSubstr("DNS"));
    auto tcp = checkService("https://hc.example.org", scripted(true, false, hal::HttpOutcome::Response));
    EXPECT_EQ(Status::Fail, tcp.status);
    EXPECT_THAT(tcp.detail, HasSubstr("Connection refused"));
    auto tls = checkService("https://hc.example.org", scripted(true, true, hal::HttpOutcome::TlsError));
    EXPECT_EQ(Status::Fail, tls.status);
    EXPECT_THAT(tls.detail, HasSubstr("pin mismatch"));
    EXPECT_THAT(tls.remedy, HasSubstr("online.pins"));
}

TEST(ServiceCheck, ReachableServiceReportsTheWarmRoundTrip) {
    auto ok = checkService("https://hc.example.org", scripted(true, true, hal::HttpOutcome::Response, 23.4));
    EXPECT_EQ(Status::Ok, ok.status) << ok.detail;
    EXPECT_THAT(ok.detail, HasSubstr("round trip 23.4 ms"));
    auto slow = checkService("https://hc.example.org", scripted(true, true, hal::HttpOutcome::Response, 2500));
    EXPECT_EQ(Status::Warn, slow.status);
}

TEST(ServiceCheck, RealTcpConnectToAClosedLoopbackPortFails) {
    auto probes = systemServiceProbes([](const std::string&) { return hal::HttpResponse{}; });
    // Port 1 on loopback: nothing listens there in a test environment.
    auto out = checkService("https://127.0.0.1:1", probes);
    EXPECT_EQ(Status::Fail, out.status);
    EXPECT_THAT(out.detail, HasSubstr("TCP"));
}

TEST(ClockCheck, UntrustedTimeFailsAndSaysWhatItMeansForDecisions) {
    auto out = judgeClock({false, "not synchronised", std::nullopt, 300});
    EXPECT_EQ(Status::Fail, out.status);
    EXPECT_THAT(out.detail, HasSubstr("CLOCK_UNTRUSTED"));
}

TEST(ClockCheck, UntrustedTimeOnAReplayBenchIsOnlyAWarning) {
    ClockFacts f{false, "not synchronised", std::nullopt, 300};
    f.enforced = false;
    auto out = judgeClock(f);
    EXPECT_EQ(Status::Warn, out.status);
    EXPECT_THAT(out.detail, HasSubstr("replay source"));
}

TEST(ClockCheck, SkewBeyondTheLimitFailsWithinItPasses) {
    EXPECT_EQ(Status::Fail, judgeClock({true, "synchronised", 301.0, 300}).status);
    EXPECT_EQ(Status::Ok, judgeClock({true, "synchronised", -12.0, 300}).status);
}

TEST(TrustCheck, AgeAgainstMaxAge) {
    const UtcTime now{std::chrono::seconds{1795000000}};
    TrustFacts f;
    f.count = 12;
    f.source = "/etc/sentinel/trust";
    f.now = now;
    f.maxAgeH = 72;
    f.issuedAt = now - 10h;
    EXPECT_EQ(Status::Ok, judgeTrustList(f).status);
    f.issuedAt = now - 60h;
    EXPECT_EQ(Status::Warn, judgeTrustList(f).status);
    f.issuedAt = now - 73h;
    auto stale = judgeTrustList(f);
    EXPECT_EQ(Status::Fail, stale.status);
    EXPECT_THAT(stale.detail, HasSubstr("TRUST_LIST_STALE"));
    f.count.reset();
    f.loadError = "no such file";
    EXPECT_EQ(Status::Fail, judgeTrustList(f).status);
}

TEST(JournalCheck, MissingJournalIsAWarning) {
    TempDir dir;
    auto out = checkJournal(dir / "journal.db");
    EXPECT_EQ(Status::Warn, out.status);
}

TEST(JournalCheck, AFileThatIsNotADatabaseFailsAndIsLeftAlone) {
    TempDir dir;
    {
        std::ofstream f(dir / "journal.db");
        f << std::string(4096, 'x');
    }
    auto out = checkJournal(dir / "journal.db");
    EXPECT_EQ(Status::Fail, out.status) << out.detail;
    EXPECT_EQ(4096u, std::filesystem::file_size(dir / "journal.db"));
    EXPECT_FALSE(std::filesystem::exists(dir / "journal.db-wal"));
}

TEST(JournalCheck, AHealthyJournalReportsItsRecords) {
    TempDir dir;
    ManualClock clock;
    {
        journal::JournalOptions o;
        o.path = dir / "journal.db";
        o.kioskId = "K";
        auto j = journal::Journal::open(o, clock);
        ASSERT_TRUE(j.ok()) << j.error().message;
        DecisionRecord r;
        r.decide(Reason::UnsupportedFormat);
        ASSERT_TRUE((*j)->append(r).ok());
    }
    JournalCheckOptions o;
    o.warnFreeBytes = 0;
    o.minFreeBytes = 0;
    auto out = checkJournal(dir / "journal.db", o);
    EXPECT_EQ(Status::Ok, out.status) << out.detail;
    EXPECT_THAT(out.detail, HasSubstr("1 record(s)"));
}

TEST(StateDirCheck, WritableFolderIsOkMissingOneFails) {
    TempDir dir;
    EXPECT_EQ(Status::Ok, checkStateDir(dir.path(), 0).status);
    EXPECT_EQ(Status::Fail, checkStateDir(dir / "nope", 0).status);
}

}  // namespace
}  // namespace sentinel::diag

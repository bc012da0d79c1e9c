// The running kiosk's control commands (DESIGN §11): `override` bound to a record and a staff
// number through the real control socket, malformed requests refused, `reload_trust`.
#include "firmware/control/KioskControl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/kiosk/Fakes.h"
#include "tests/support/TestSupport.h"

namespace sentinel::control {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::FakeDecoder;
using testing::FakeIndicator;
using testing::ManualClock;

constexpr auto kWait = 10s;  // only reached when something is wrong

// A camera with nothing in front of it: every grab waits its timeout (or until stopped) and
// returns Timeout, as a V4L2 camera does with the lens covered. Frames with codes can be queued.
class QuietCamera final : public hal::Camera {
public:
    explicit QuietCamera(ManualClock& clock) : clock_(clock) {}
    void show(std::vector<std::string> payloads) {
        std::lock_guard lock(m_);
        queued_.push_back(std::move(payloads));
        cv_.notify_all();
    }
    hal::GrabResult grab(std::chrono::milliseconds timeout) override {
        std::unique_lock lock(m_);
        hal::GrabResult r;
        if (!cv_.wait_for(lock, timeout, [&] { return !queued_.empty(); })) {
            r.status = hal::GrabStatus::Timeout;
            return r;
        }
        auto payloads = std::make_shared<std::vector<std::string>>(std::move(queued_.front()));
        queued_.erase(queued_.begin());
        clock_.advance(33ms);
        r.status = hal::GrabStatus::Frame;
        r.frame.owner = payloads;
        r.frame.gray = GrayView{reinterpret_cast<const std::uint8_t*>(payloads.get()), 1, 1, 1};
        r.frame.capturedAt = clock_.monotonic();
        return r;
    }
    std::string describe() const override { return "quiet"; }

private:
    ManualClock& clock_;
    std::mutex m_;
    std::condition_variable cv_;
    std::vector<std::vector<std::string>> queued_;
};

// "deny…" → DENY TEST_TOO_OLD, anything else → PASS.
class Verifier final : public kiosk::CredentialVerifier {
public:
    kiosk::Verdict verify(std::string_view payload, MonoTime) override {
        kiosk::Verdict v;
        v.record.format = "HK1";
        v.record.decide(payload.starts_with("deny") ? Reason::TestTooOld : Reason::Ok);
        return v;
    }
};

class Sink final : public kiosk::DecisionSink {
public:
    Result<std::int64_t> record(const DecisionRecord& r) override {
        std::lock_guard lock(m);
        records.push_back(r);
        return static_cast<std::int64_t>(records.size());
    }
    std::size_t size() {
        std::lock_guard lock(m);
        return records.size();
    }
    std::mutex m;
    std::vector<DecisionRecord> records;
};

struct KioskControl : ::testing::Test {
    ManualClock clock;
    QuietCamera camera{clock};
    FakeDecoder decoder;
    Verifier verifier;
    FakeIndicator indicator;
    Sink sink;
    sentinel::testing::TempDir dir;
    std::unique_ptr<kiosk::Kiosk> kiosk;
    std::unique_ptr<KioskStatus> status;
    std::unique_ptr<ControlServer> server;
    std::atomic<bool> stop{false};
    std::jthread loop;

    void start(KioskControlOptions options = {}) {
        kiosk::KioskOptions ko;
        ko.rearmFrames = 1;
        ko.grabTimeout = 10ms;
        kiosk = std::make_unique<kiosk::Kiosk>(camera, decoder, verifier, indicator, &sink, clock, ko);
        status = std::make_unique<KioskStatus>(clock, StatusSources{});
        kiosk->addObserver(status.get());
        ControlServerOptions co;
        co.path = dir / "control.sock";
        auto s = ControlServer::start(co, kioskControlHandler(*status, *kiosk, std::move(options)));
        ASSERT_TRUE(s) << s.error().message;
        server = std::move(s).value();
        loop = std::jthread([this] { kiosk->run(stop); });
    }
    ~KioskControl() override {
        stop = true;
        if (loop.joinable()) loop.join();
    }
    // Shows a code for one frame and waits until its record is stored.
    void present(const std::string& payload) {
        const std::size_t before = sink.size();
        camera.show({payload});
        camera.show({});
        const auto deadline = std::chrono::steady_clock::now() + kWait;
        while (sink.size() == before && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
        ASSERT_EQ(before + 1, sink.size());
    }
    nlohmann::json ask(nlohmann::json request) {
        auto answer = controlRequest(dir / "control.sock", std::move(request), kWait);
        EXPECT_TRUE(answer) << (answer ? "" : answer.error().message);
        return answer ? *answer : nlohmann::json{};
    }
};

TEST_F(KioskControl, AnOverrideForARecordANewerDecisionReplacedOpensNothingAndTheCurrentOneOpens) {
    start();
    present("deny-1");  // what `status` showed staff
    present("deny-2");  // another traveller, before staff act
    const auto refused = ask({{"cmd", "override"}, {"seq", 1}, {"staff", "S042"}});
    EXPECT_TRUE(refused.value("ok", false));
    EXPECT_FALSE(refused.value("opened", true));
    EXPECT_THAT(refused.value("detail", std::string()), HasSubstr("no longer"));
    EXPECT_EQ(2u, sink.size());

    const auto opened = ask({{"cmd", "override"}, {"seq", 2}, {"staff", "S042"}});
    EXPECT_TRUE(opened.value("opened", false)) << opened.dump();
    EXPECT_EQ(2, opened.value("overrides", 0));
    ASSERT_EQ(3u, sink.size());
    std::lock_guard lock(sink.m);
    EXPECT_EQ(std::optional<std::string>("S042"), sink.records[2].staff);
}

TEST_F(KioskControl, AMalformedOverrideIsRefusedWithoutActing) {
    start();
    present("deny-1");
    for (const auto& bad : {nlohmann::json{{"cmd", "override"}, {"seq", "1"}}, nlohmann::json{{"cmd", "override"}, {"seq", -3}},
                            nlohmann::json{{"cmd", "override"}, {"seq", 1}, {"staff", "Zhang San"}}}) {
        const auto a = ask(bad);
        EXPECT_FALSE(a.value("ok", true)) << bad.dump();
        EXPECT_FALSE(a.contains("opened"));
    }
    EXPECT_EQ(1u, sink.size());
}

TEST_F(KioskControl, ReloadTrustPutsTheStateInForceAndSaysWhich) {
    auto store = std::make_shared<kiosk::TrustStore>(std::make_shared<kiosk::TrustState>());
    KioskControlOptions o;
    o.store = store;
    o.reloadTrust = [] {
        auto st = std::make_shared<kiosk::TrustState>();
        st->policyVersion = "2026-12-07T20:00:00Z";
        st->source = "bundle test";
        return std::shared_ptr<const kiosk::TrustState>(st);
    };
    bool told = false;
    o.trustReloaded = [&told] { told = true; };
    start(std::move(o));
    const auto a = ask({{"cmd", "reload_trust"}});
    EXPECT_TRUE(a.value("ok", false)) << a.dump();
    EXPECT_EQ("2026-12-07T20:00:00Z", a.value("policy_version", std::string()));
    EXPECT_EQ("2026-12-07T20:00:00Z", store->current()->policyVersion);
    EXPECT_TRUE(told);
}

}  // namespace
}  // namespace sentinel::control

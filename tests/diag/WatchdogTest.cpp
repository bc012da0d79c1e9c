// systemd integration (issue 6 item 5): READY=1, and WATCHDOG=1 only while the frame loop makes
// progress. A fake NOTIFY_SOCKET (a unix datagram socket this test binds) receives what sd_notify sends.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <thread>

#include "firmware/kiosk/Kiosk.h"
#include "firmware/app/ServiceNotify.h"
#include "tests/kiosk/Fakes.h"
#include "tests/support/TestSupport.h"

namespace sentinel::app {
namespace {

using namespace std::chrono_literals;
using sentinel::testing::FakeCamera;
using sentinel::testing::FakeDecoder;
using sentinel::testing::FakeIndicator;
using sentinel::testing::FakeShot;
using sentinel::testing::ManualClock;
using sentinel::testing::TempDir;

class NoVerifier final : public kiosk::CredentialVerifier {
public:
    kiosk::Verdict verify(std::string_view, MonoTime) override { return {}; }
};

// Binds a datagram socket and points NOTIFY_SOCKET / WATCHDOG_USEC at it.
class FakeSystemd {
public:
    explicit FakeSystemd(const std::filesystem::path& path, long watchdogUsec) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
        ::setenv("WATCHDOG_USEC", std::to_string(watchdogUsec).c_str(), 1);
        ::unsetenv("WATCHDOG_PID");
    }
    ~FakeSystemd() {
        ::unsetenv("NOTIFY_SOCKET");
        ::unsetenv("WATCHDOG_USEC");
        ::close(fd_);
    }
    bool bound() const { return bound_; }
    // Every datagram queued so far (sd_notify has returned, so they are all here).
    std::vector<std::string> drain() {
        std::vector<std::string> out;
        char buf[512];
        for (;;) {
            const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
            if (n < 0) break;
            out.emplace_back(buf, static_cast<std::size_t>(n));
        }
        return out;
    }
    static int count(const std::vector<std::string>& msgs, const std::string& what) {
        int n = 0;
        for (const auto& m : msgs) n += m.find(what) != std::string::npos ? 1 : 0;
        return n;
    }

private:
    int fd_ = -1;
    bool bound_ = false;
};

TEST(Watchdog, ReadyThenPingsWhileFramesFlowAndNoPingsWhenTheCameraStalls) {
    TempDir dir;
    FakeSystemd systemd(dir / "notify.sock", 2'000'000);  // WatchdogSec=2s
    ASSERT_TRUE(systemd.bound());
    ManualClock clock;
    ServiceNotifier notifier(clock);
    ASSERT_TRUE(notifier.underSystemd());
    ASSERT_TRUE(notifier.watchdogPeriod().has_value());

    FakeCamera camera(clock, 33ms);
    FakeDecoder decoder;
    NoVerifier verifier;
    FakeIndicator indicator;
    kiosk::Kiosk kiosk(camera, decoder, verifier, indicator, nullptr, clock, {});
    kiosk.onProgress = [&] { notifier.progress(); };

    notifier.ready("test");
    auto msgs = systemd.drain();
    ASSERT_EQ(1u, msgs.size());
    EXPECT_EQ(0u, msgs[0].find("READY=1"));

    // Frames flow for ~2 s: a ping at least every period/4 = 500 ms.
    camera.pushFrames({}, 60);
    for (int i = 0; i < 60; ++i) ASSERT_EQ(kiosk::Kiosk::Step::Frame, kiosk.step());
    msgs = systemd.drain();
    EXPECT_GE(FakeSystemd::count(msgs, "WATCHDOG=1"), 3);
    EXPECT_LE(FakeSystemd::count(msgs, "WATCHDOG=1"), 5) << "pings are paced, not one per frame";

    // The camera stalls: grabs time out for ~5 s (longer than WatchdogSec). No ping may go out.
    for (int i = 0; i < 150; ++i) camera.push(FakeShot{{}, hal::GrabStatus::Timeout});
    for (int i = 0; i < 150; ++i) ASSERT_EQ(kiosk::Kiosk::Step::Idle, kiosk.step());
    EXPECT_EQ(0, FakeSystemd::count(systemd.drain(), "WATCHDOG=1"));

    // Frames again: pings resume.
    camera.pushFrames({}, 5);
    for (int i = 0; i < 5; ++i) kiosk.step();
    EXPECT_GE(FakeSystemd::count(systemd.drain(), "WATCHDOG=1"), 1);

    notifier.stopping();
    EXPECT_EQ(1, FakeSystemd::count(systemd.drain(), "STOPPING=1"));
}

// A grab that never returns (a hung driver): the loop is stuck inside the camera.
class HangingCamera final : public hal::Camera {
public:
    hal::GrabResult grab(std::chrono::milliseconds) override {
        std::unique_lock lock(mutex);
        inside = true;
        cv.notify_all();
        cv.wait(lock, [&] { return released; });
        return {hal::GrabStatus::EndOfStream, {}, {}};
    }
    std::string describe() const override { return "hanging"; }
    std::mutex mutex;
    std::condition_variable cv;
    bool inside = false, released = false;
};

TEST(Watchdog, ALoopStuckInsideTheCameraSendsNoPing) {
    TempDir dir;
    FakeSystemd systemd(dir / "notify.sock", 2'000'000);
    ASSERT_TRUE(systemd.bound());
    ManualClock clock;
    ServiceNotifier notifier(clock);
    HangingCamera camera;
    FakeDecoder decoder;
    NoVerifier verifier;
    FakeIndicator indicator;
    kiosk::Kiosk kiosk(camera, decoder, verifier, indicator, nullptr, clock, {});
    kiosk.onProgress = [&] { notifier.progress(); };
    std::atomic<bool> stop{false};
    std::thread loop([&] { kiosk.run(stop); });
    {
        std::unique_lock lock(camera.mutex);
        camera.cv.wait(lock, [&] { return camera.inside; });
    }
    clock.advance(10s);  // whatever time passes, nothing in the stuck loop can ping
    EXPECT_EQ(0, FakeSystemd::count(systemd.drain(), "WATCHDOG=1"));
    EXPECT_EQ(0u, notifier.pingsSent());
    {
        std::lock_guard lock(camera.mutex);
        camera.released = true;
    }
    camera.cv.notify_all();
    loop.join();
}

TEST(Watchdog, OutsideSystemdNothingIsSent) {
    ::unsetenv("NOTIFY_SOCKET");
    ManualClock clock;
    ServiceNotifier notifier(clock);
    EXPECT_FALSE(notifier.underSystemd());
    notifier.progress();
    EXPECT_EQ(0u, notifier.pingsSent());
}

}  // namespace
}  // namespace sentinel::app

// The staff button: debounce (pure, by event times), the button thread with a fake line backend,
// and the simulated chip's FIFO input (`sim:FILE` → `FILE.button`).
#include "drivers/indicator/StaffButton.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>

#include "tests/support/TestSupport.h"

namespace sentinel::indicator {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 10s;  // bound for slowed runs; reached only on failure

MonoTime t(std::chrono::milliseconds ms) { return MonoTime{std::chrono::hours{1}} + ms; }

TEST(ButtonDebouncer, ACleanPressCountsOnceWhenItHasBeenStable) {
    ButtonDebouncer d(30ms);
    d.edge({t(0ms), true});
    EXPECT_FALSE(d.settle(t(29ms)));
    EXPECT_EQ(t(30ms), d.due());
    EXPECT_TRUE(d.settle(t(30ms)));
    EXPECT_FALSE(d.settle(t(500ms)));  // held: still one press
    d.edge({t(600ms), false});
    EXPECT_FALSE(d.settle(t(700ms)));  // a release is not a press
    EXPECT_FALSE(d.due().has_value());
}

TEST(ButtonDebouncer, ContactBounceIsOnePress) {
    ButtonDebouncer d(30ms);
    int presses = 0;
    // Press with bounce: 1 0 1 0 1 within 4 ms, then held; release with bounce.
    const std::pair<int, bool> edges[] = {{0, true},   {1, false},  {2, true},   {3, false}, {4, true},
                                          {300, false}, {301, true}, {302, false}, {303, true}, {304, false}};
    for (auto [ms, level] : edges) {
        presses += d.settle(t(std::chrono::milliseconds{ms}));
        d.edge({t(std::chrono::milliseconds{ms}), level});
    }
    presses += d.settle(t(1000ms));
    EXPECT_EQ(1, presses);
}

TEST(ButtonDebouncer, AGlitchShorterThanTheDebounceIsIgnored) {
    ButtonDebouncer d(30ms);
    d.edge({t(0ms), true});
    EXPECT_FALSE(d.settle(t(5ms)));
    d.edge({t(5ms), false});
    EXPECT_FALSE(d.settle(t(100ms)));
}

TEST(ButtonDebouncer, TwoDeliberatePressesCountTwice) {
    ButtonDebouncer d(30ms);
    int presses = 0;
    for (int ms : {0, 200, 400, 600}) {
        presses += d.settle(t(std::chrono::milliseconds{ms}));
        d.edge({t(std::chrono::milliseconds{ms}), ms % 400 == 0});
    }
    presses += d.settle(t(1000ms));
    EXPECT_EQ(2, presses);
}

// Fake line backend: the test pushes edges; waitEdge hands them out.
class FakeInputLine final : public InputLine {
public:
    // Edges queued together, as the kernel queues a burst of bounces.
    void push(std::initializer_list<InputEdge> edges) {
        std::lock_guard lock(mutex_);
        edges_.insert(edges_.end(), edges);
        cv_.notify_all();
    }
    std::optional<InputEdge> waitEdge(std::chrono::milliseconds timeout) override {
        std::unique_lock lock(mutex_);
        if (!cv_.wait_for(lock, timeout, [&] { return !edges_.empty(); })) return std::nullopt;
        InputEdge e = edges_.front();
        edges_.pop_front();
        return e;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<InputEdge> edges_;
};

struct Presses {
    std::mutex mutex;
    std::condition_variable cv;
    int count = 0;
    std::function<void()> callback() {
        return [this] {
            std::lock_guard lock(mutex);
            ++count;
            cv.notify_all();
        };
    }
    bool waitFor(int n) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, kWait, [&] { return count >= n; });
    }
    int now() {
        std::lock_guard lock(mutex);
        return count;
    }
};

TEST(StaffButton, ABouncyPressWithTheFakeLineIsReportedOnce) {
    auto line = std::make_unique<FakeInputLine>();
    FakeInputLine* raw = line.get();
    Presses presses;
    StaffButton button(std::move(line), presses.callback(), 30ms);
    // Event times in the past: a press that bounced and was released long ago, as kernel stamps
    // arrive after the fact.
    const auto base = std::chrono::steady_clock::now() - 2s;
    raw->push({{base, true},
               {base + 2ms, false},
               {base + 3ms, true},
               {base + 500ms, false},
               {base + 501ms, true},
               {base + 502ms, false}});
    ASSERT_TRUE(presses.waitFor(1));
    // A second, separate press.
    const auto now = std::chrono::steady_clock::now();
    raw->push({{now, true}, {now + 100ms, false}});
    ASSERT_TRUE(presses.waitFor(2));
    EXPECT_EQ(2, presses.now());
}

TEST(StaffButton, StopsPromptlyWhenDestroyed) {
    Presses presses;
    const auto start = std::chrono::steady_clock::now();
    { StaffButton button(std::make_unique<FakeInputLine>(), presses.callback()); }
    EXPECT_LT(std::chrono::steady_clock::now() - start, kWait);
    EXPECT_EQ(0, presses.now());
}

TEST(SimStaffButton, WritingPressToTheFifoPressesTheButton) {
    testing::TempDir dir;
    const auto fifo = dir / "gpio.log.button";
    auto line = openSimInput(fifo);
    ASSERT_TRUE(line.ok()) << line.error().message;
    ASSERT_TRUE(std::filesystem::is_fifo(fifo));
    Presses presses;
    StaffButton button(std::move(line).value(), presses.callback());
    { std::ofstream(fifo) << "press\n"; }
    ASSERT_TRUE(presses.waitFor(1));
    { std::ofstream(fifo) << "garbage\n"; }  // ignored
    { std::ofstream(fifo) << "press\n"; }
    ASSERT_TRUE(presses.waitFor(2));
    EXPECT_EQ(2, presses.now());
}

TEST(SimStaffButton, APathThatIsNotAFifoIsAnError) {
    testing::TempDir dir;
    std::ofstream(dir / "plain") << "x";
    auto line = openSimInput(dir / "plain");
    ASSERT_FALSE(line.ok());
    EXPECT_NE(std::string::npos, line.error().message.find("not a FIFO"));
}

}  // namespace
}  // namespace sentinel::indicator

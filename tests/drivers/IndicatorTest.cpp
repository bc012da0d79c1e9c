#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "drivers/indicator/ConsoleIndicator.h"
#include "drivers/indicator/GpioIndicator.h"
#include "drivers/indicator/MultiIndicator.h"

namespace sentinel::indicator {
namespace {

using namespace std::chrono_literals;

// Fake line backend: records every write in order, with time.
class FakeLines final : public GpioLines {
public:
    struct Write {
        Line line;
        bool on;
        std::chrono::steady_clock::time_point at;
    };
    void set(Line line, bool on) override {
        std::lock_guard lock(mutex);
        state[line] = on;
        writes.push_back({line, on, std::chrono::steady_clock::now()});
        cv.notify_all();
    }
    std::optional<bool> get(Line line) override {
        std::lock_guard lock(mutex);
        return state[line];
    }
    bool waitFor(Line line, bool value, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, timeout, [&] { return state[line] == value; });
    }
    std::mutex mutex;
    std::condition_variable cv;
    std::map<Line, bool> state;
    std::vector<Write> writes;
};

GpioOptions fastOptions() {
    GpioOptions o;
    o.relayPulse = 80ms;
    o.lampHold = 200ms;
    o.buzz = 50ms;
    return o;
}

hal::Indication ind(Decision d, Reason r) {
    hal::Indication i;
    i.decision = d;
    i.reason = r;
    return i;
}

TEST(GpioIndicator, RelayIsDrivenShutBeforeAnythingElseAtStart) {
    auto lines = std::make_unique<FakeLines>();
    FakeLines* raw = lines.get();
    GpioIndicator g(std::move(lines), fastOptions());
    std::lock_guard lock(raw->mutex);
    ASSERT_FALSE(raw->writes.empty());
    EXPECT_EQ(Line::Relay, raw->writes[0].line);
    EXPECT_FALSE(raw->writes[0].on);
}

TEST(GpioIndicator, PassPulsesTheRelayForTheConfiguredTimeThenShutsIt) {
    auto lines = std::make_unique<FakeLines>();
    FakeLines* raw = lines.get();
    GpioIndicator g(std::move(lines), fastOptions());
    g.show(ind(Decision::Pass, Reason::Ok));
    EXPECT_TRUE(*raw->get(Line::Relay));
    EXPECT_TRUE(*raw->get(Line::Green));
    EXPECT_FALSE(*raw->get(Line::Red));
    ASSERT_TRUE(raw->waitFor(Line::Relay, false, 2000ms));
    std::lock_guard lock(raw->mutex);
    std::chrono::steady_clock::time_point opened{}, closed{};
    for (const auto& w : raw->writes) {
        if (w.line != Line::Relay) continue;
        if (w.on) opened = w.at;
        if (!w.on && opened != std::chrono::steady_clock::time_point{}) closed = w.at;
    }
    EXPECT_GE(closed - opened, 80ms);
    EXPECT_LT(closed - opened, 500ms);
}

TEST(GpioIndicator, DenyNeverOpensTheRelayAndSoundsTheBuzzer) {
    auto lines = std::make_unique<FakeLines>();
    FakeLines* raw = lines.get();
    GpioIndicator g(std::move(lines), fastOptions());
    g.show(ind(Decision::Deny, Reason::TestTooOld));
    EXPECT_FALSE(*raw->get(Line::Relay));
    EXPECT_TRUE(*raw->get(Line::Red));
    EXPECT_TRUE(*raw->get(Line::Buzzer));
    EXPECT_TRUE(raw->waitFor(Line::Buzzer, false, 2000ms));
    std::lock_guard lock(raw->mutex);
    for (const auto& w : raw->writes) EXPECT_FALSE(w.line == Line::Relay && w.on);
}

TEST(GpioIndicator, ReferLightsAmberAndKeepsTheGateShut) {
    auto lines = std::make_unique<FakeLines>();
    FakeLines* raw = lines.get();
    GpioIndicator g(std::move(lines), fastOptions());
    g.show(ind(Decision::Refer, Reason::BackendTimeout));
    EXPECT_TRUE(*raw->get(Line::Amber));
    EXPECT_FALSE(*raw->get(Line::Relay));
}

TEST(GpioIndicator, ADenyDuringAPassPulseShutsTheRelayAtOnce) {
    auto lines = std::make_unique<FakeLines>();
    FakeLines* raw = lines.get();
    auto o = fastOptions();
    o.relayPulse = 5000ms;
    GpioIndicator g(std::move(lines), o);
    g.show(ind(Decision::Pass, Reason::Ok));
    EXPECT_TRUE(*raw->get(Line::Relay));
    g.show(ind(Decision::Deny, Reason::TestPositive));
    EXPECT_FALSE(*raw->get(Line::Relay));
}

TEST(GpioIndicator, TestCardNeverOpensTheRelay) {
    auto lines = std::make_unique<FakeLines>();
    FakeLines* raw = lines.get();
    GpioIndicator g(std::move(lines), fastOptions());
    auto i = ind(Decision::Pass, Reason::Ok);
    i.testCard = true;
    g.show(i);
    EXPECT_FALSE(*raw->get(Line::Relay));
}

TEST(GpioIndicator, ShutLeavesTheRelayShut) {
    auto o = fastOptions();
    o.relayPulse = 5000ms;
    GpioIndicator g(std::make_unique<FakeLines>(), o);
    g.show(ind(Decision::Pass, Reason::Ok));
    EXPECT_TRUE(*g.lines().get(Line::Relay));
    g.shut();
    EXPECT_FALSE(*g.lines().get(Line::Relay));
}

TEST(GpioIndicator, DestructionLeavesTheRelayShut) {
    // The fake reports its final state through a shared record that outlives it.
    struct Final {
        std::optional<bool> relay;
    };
    auto final = std::make_shared<Final>();
    class RecordingLines final : public GpioLines {
    public:
        explicit RecordingLines(std::shared_ptr<Final> f) : f_(std::move(f)) {}
        void set(Line line, bool on) override {
            if (line == Line::Relay) f_->relay = on;
        }
        std::optional<bool> get(Line) override { return std::nullopt; }

    private:
        std::shared_ptr<Final> f_;
    };
    auto o = fastOptions();
    o.relayPulse = 5000ms;
    {
        GpioIndicator g(std::make_unique<RecordingLines>(final), o);
        g.show(ind(Decision::Pass, Reason::Ok));
        EXPECT_TRUE(*final->relay);
    }
    EXPECT_FALSE(*final->relay);
}

TEST(GpioIndicator, AlarmKeepsAmberOnAfterTheLampsClear) {
    auto lines = std::make_unique<FakeLines>();
    FakeLines* raw = lines.get();
    GpioIndicator g(std::move(lines), fastOptions());
    g.alarm("journal damaged");
    g.show(ind(Decision::Pass, Reason::Ok));
    EXPECT_TRUE(raw->waitFor(Line::Green, false, 2000ms));
    EXPECT_TRUE(*raw->get(Line::Amber));
}

TEST(GpioIndicator, MissingChipIsAnErrorNotACrash) {
    GpioOptions o;
    o.chip = "sentinel-no-such-chip";
    auto lines = openGpiodLines(o);
    EXPECT_FALSE(lines.ok());
}

TEST(ConsoleIndicator, OneLinePerDecisionWithChineseAndEnglishReason) {
    std::ostringstream os;
    ConsoleIndicator c(os, false);
    auto i = ind(Decision::Deny, Reason::TestTooOld);
    i.format = "HC1";
    i.latencyMs = 12.34;
    c.show(i);
    const std::string line = os.str();
    EXPECT_EQ(1, std::count(line.begin(), line.end(), '\n'));
    EXPECT_NE(std::string::npos, line.find("DENY"));
    EXPECT_NE(std::string::npos, line.find("TEST_TOO_OLD"));
    EXPECT_NE(std::string::npos, line.find("核酸检测已超过有效时间"));
    EXPECT_NE(std::string::npos, line.find("Test older than allowed"));
    EXPECT_NE(std::string::npos, line.find("12.3 ms"));
    EXPECT_EQ(std::string::npos, line.find("\x1b["));
}

TEST(ConsoleIndicator, TheLineNamesNoHolderEvenMasked) {
    auto i = ind(Decision::Pass, Reason::Ok);
    i.holderMasked = "M******** G******* (1998)";
    const std::string line = ConsoleIndicator::formatLine(i);
    EXPECT_EQ(std::string::npos, line.find("M****"));
    EXPECT_EQ(std::string::npos, line.find("1998"));
}

TEST(ConsoleIndicator, TestCardIsShownAsSuch) {
    auto i = ind(Decision::Pass, Reason::Ok);
    i.testCard = true;
    EXPECT_EQ(0u, ConsoleIndicator::formatLine(i).find("TEST CARD"));
}

TEST(MultiIndicator, DrivesEveryBackend) {
    std::ostringstream a, b;
    MultiIndicator m;
    m.add(std::make_unique<ConsoleIndicator>(a, false));
    m.add(std::make_unique<ConsoleIndicator>(b, false));
    m.show(ind(Decision::Pass, Reason::Ok));
    EXPECT_NE(std::string::npos, a.str().find("PASS"));
    EXPECT_NE(std::string::npos, b.str().find("PASS"));
}

}  // namespace
}  // namespace sentinel::indicator

#pragma once
// GPIO indicator: green/red/amber lamps, buzzer and gate relay. The logic (what to drive when, the
// bounded relay pulse, shut at start and exit) is separate from the line access (`GpioLines`), so
// it is tested against a fake; `openGpiodLines` is the libgpiod backend.

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "drivers/hal/Indicator.h"
#include "firmware/base/Result.h"

namespace sentinel::indicator {

enum class Line { Green, Red, Amber, Buzzer, Relay };
constexpr int kLineCount = 5;

// Access to the five output lines, in *logical* levels (true = lamp on / buzzer on / relay open).
class GpioLines {
public:
    virtual ~GpioLines() = default;
    virtual void set(Line line, bool on) = 0;
    // Read-back of the electrical state where the line allows it (diag); nullopt = not readable.
    virtual std::optional<bool> get(Line line) = 0;
};

struct GpioOptions {
    std::string chip = "gpiochip0";
    int offsets[kLineCount] = {17, 18, 27, 22, 23};  // Green, Red, Amber, Buzzer, Relay
    bool activeLow = false;
    std::chrono::milliseconds relayPulse{800};
    std::chrono::milliseconds lampHold{3000};  // lamp stays lit this long after a decision
    std::chrono::milliseconds buzz{300};       // buzzer on DENY/REFER
};

// Opens the chip and requests the five lines as outputs, the relay first and already shut.
Result<std::unique_ptr<GpioLines>> openGpiodLines(const GpioOptions& options);

// Simulated lines (`indicator.gpio.chip = "sim:FILE"`): each change appended to FILE as
// `<monotonic ns> <green|red|amber|buzzer|relay> <0|1>`.
Result<std::unique_ptr<GpioLines>> openSimGpioLines(const std::filesystem::path& logFile);

class GpioIndicator final : public hal::Indicator {
public:
    // Drives the relay shut (and lamps off) before anything else.
    GpioIndicator(std::unique_ptr<GpioLines> lines, GpioOptions options);
    ~GpioIndicator() override;  // relay shut, lamps off

    void show(const hal::Indication& indication) override;
    void shut() override;
    void alarm(std::string_view message) override;

    GpioLines& lines() { return *lines_; }

private:
    void timerLoop();

    std::unique_ptr<GpioLines> lines_;
    GpioOptions options_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool alarmOn_ = false;
    using Steady = std::chrono::steady_clock;
    Steady::time_point relayOffAt_{}, lampsOffAt_{}, buzzerOffAt_{};
    std::thread timer_;
};

}  // namespace sentinel::indicator

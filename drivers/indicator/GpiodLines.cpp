// libgpiod (v1) backend of GpioLines. <gpiod.h> appears only here.
#include <gpiod.h>

#include <chrono>

#include "drivers/indicator/GpioIndicator.h"
#include "drivers/indicator/StaffButton.h"

namespace sentinel::indicator {
namespace {

constexpr const char* kConsumer = "sentinel";

class GpiodLines final : public GpioLines {
public:
    GpiodLines(gpiod_chip* chip, gpiod_line* lines[kLineCount]) : chip_(chip) {
        for (int i = 0; i < kLineCount; ++i) lines_[i] = lines[i];
    }
    ~GpiodLines() override {
        for (auto* l : lines_) {
            if (l) gpiod_line_release(l);
        }
        gpiod_chip_close(chip_);
    }
    void set(Line line, bool on) override { gpiod_line_set_value(lines_[static_cast<int>(line)], on ? 1 : 0); }
    std::optional<bool> get(Line line) override {
        int v = gpiod_line_get_value(lines_[static_cast<int>(line)]);
        if (v < 0) return std::nullopt;
        return v == 1;
    }

private:
    gpiod_chip* chip_;
    gpiod_line* lines_[kLineCount] = {};
};

}  // namespace

Result<std::unique_ptr<GpioLines>> openGpiodLines(const GpioOptions& options) {
    gpiod_chip* chip = gpiod_chip_open_lookup(options.chip.c_str());
    if (!chip) return Error{"gpio: cannot open chip '" + options.chip + "'"};
    gpiod_line* lines[kLineCount] = {};
    const int flags = options.activeLow ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
    // Relay first, requested already in its shut state (logical 0), then the rest.
    const int order[kLineCount] = {static_cast<int>(Line::Relay), 0, 1, 2, 3};
    for (int idx : order) {
        gpiod_line* line = gpiod_chip_get_line(chip, static_cast<unsigned>(options.offsets[idx]));
        if (!line || gpiod_line_request_output_flags(line, kConsumer, flags, 0) != 0) {
            for (auto* l : lines) {
                if (l) gpiod_line_release(l);
            }
            gpiod_chip_close(chip);
            return Error{"gpio: cannot request line " + std::to_string(options.offsets[idx]) + " on '" + options.chip +
                         "' as output"};
        }
        lines[idx] = line;
    }
    return std::unique_ptr<GpioLines>(new GpiodLines(chip, lines));
}

}  // namespace sentinel::indicator

// The staff button: one input line with both-edge events (libgpiod v1).
namespace sentinel::indicator {
namespace {

// Kernels before 5.7 stamp line events with CLOCK_REALTIME: a stamp this far from CLOCK_MONOTONIC
// is not monotonic time, and the read time is used instead.
constexpr std::chrono::seconds kMaxStampSkew{10};

class GpiodInputLine final : public InputLine {
public:
    GpiodInputLine(gpiod_chip* chip, gpiod_line* line) : chip_(chip), line_(line) {}
    ~GpiodInputLine() override {
        gpiod_line_release(line_);
        gpiod_chip_close(chip_);
    }
    std::optional<InputEdge> waitEdge(std::chrono::milliseconds timeout) override {
        const timespec ts{static_cast<time_t>(timeout.count() / 1000), static_cast<long>(timeout.count() % 1000) * 1'000'000L};
        if (gpiod_line_event_wait(line_, &ts) != 1) return std::nullopt;
        gpiod_line_event ev{};
        if (gpiod_line_event_read(line_, &ev) != 0) return std::nullopt;
        const auto now = std::chrono::steady_clock::now();
        MonoTime at{std::chrono::seconds{ev.ts.tv_sec} + std::chrono::nanoseconds{ev.ts.tv_nsec}};
        if (at > now + kMaxStampSkew || at < now - kMaxStampSkew) at = now;
        return InputEdge{at, ev.event_type == GPIOD_LINE_EVENT_RISING_EDGE};
    }

private:
    gpiod_chip* chip_;
    gpiod_line* line_;
};

}  // namespace

Result<std::unique_ptr<InputLine>> openGpiodInput(const std::string& chipName, int offset, bool activeLow) {
    gpiod_chip* chip = gpiod_chip_open_lookup(chipName.c_str());
    if (!chip) return Error{"gpio: cannot open chip '" + chipName + "'"};
    gpiod_line* line = gpiod_chip_get_line(chip, static_cast<unsigned>(offset));
    const int flags = activeLow ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
    if (!line || gpiod_line_request_both_edges_events_flags(line, kConsumer, flags) != 0) {
        gpiod_chip_close(chip);
        return Error{"gpio: cannot request line " + std::to_string(offset) + " on '" + chipName +
                     "' as an input with edge events (staff.button_line)"};
    }
    return std::unique_ptr<InputLine>(new GpiodInputLine(chip, line));
}

}  // namespace sentinel::indicator

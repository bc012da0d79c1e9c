// libgpiod (v1) backend of GpioLines. <gpiod.h> appears only here.
#include <gpiod.h>

#include "drivers/indicator/GpioIndicator.h"

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

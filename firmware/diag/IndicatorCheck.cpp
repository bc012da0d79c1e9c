#include "firmware/diag/IndicatorCheck.h"

#include <thread>
#include <vector>

namespace sentinel::diag {
namespace {

const char* nameOf(indicator::Line l) {
    switch (l) {
        case indicator::Line::Green: return "green";
        case indicator::Line::Red: return "red";
        case indicator::Line::Amber: return "amber";
        case indicator::Line::Buzzer: return "buzzer";
        case indicator::Line::Relay: return "relay";
    }
    return "?";
}

}  // namespace

Outcome checkGpioLines(indicator::GpioLines& lines, const IndicatorCheckOptions& options) {
    auto wait = options.wait ? options.wait : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    std::vector<indicator::Line> order{indicator::Line::Green, indicator::Line::Amber, indicator::Line::Red,
                                       indicator::Line::Buzzer};
    if (options.includeRelay) order.push_back(indicator::Line::Relay);
    lines.set(indicator::Line::Relay, false);
    std::string switched, readBack, bad;
    int readable = 0;
    for (auto l : order) {
        lines.set(l, true);
        const auto on = lines.get(l);
        wait(options.hold);
        lines.set(l, false);
        const auto off = lines.get(l);
        switched += std::string(switched.empty() ? "" : " ") + nameOf(l);
        if (on && off) {
            ++readable;
            if (!*on || *off) bad += std::string(bad.empty() ? "" : ", ") + nameOf(l) + (*on ? " stuck on" : " stuck off");
        }
    }
    lines.set(indicator::Line::Relay, false);  // whatever happened above, the gate ends shut
    std::string detail = "switched " + switched + "; read-back " + std::to_string(readable) + "/" +
                         std::to_string(order.size()) + (options.includeRelay ? "" : "; relay skipped (--no-relay)");
    if (!bad.empty())
        return Outcome::fail(detail + "; " + bad,
                             "check the wiring and driver board of the named line; indicator.gpio.* offsets and active_low");
    if (readable == 0) return Outcome::ok(detail + " (not readable on this chip: watch and listen)");
    return Outcome::ok(detail);
}

}  // namespace sentinel::diag

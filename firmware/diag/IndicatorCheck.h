#pragma once
// Indicator sequence: each lamp, the buzzer and the gate relay switched on and off in turn, with
// read-back where the line allows it. The relay is left shut whatever happens.

#include <chrono>
#include <functional>

#include "drivers/indicator/GpioIndicator.h"
#include "firmware/diag/Check.h"

namespace sentinel::diag {

struct IndicatorCheckOptions {
    std::chrono::milliseconds hold{400};  // each line stays on this long, so the technician sees it
    bool includeRelay = true;             // `diag --no-relay`: never pulse the gate
    // Waits `hold`; production sleeps, tests pass a function that returns at once.
    std::function<void(std::chrono::milliseconds)> wait;
};

Outcome checkGpioLines(indicator::GpioLines& lines, const IndicatorCheckOptions& options);

}  // namespace sentinel::diag

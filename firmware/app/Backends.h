#pragma once
// The one place where hardware backends are chosen from configuration (STYLE rule 1).

#include <functional>
#include <memory>
#include <ostream>

#include "drivers/hal/Camera.h"
#include "drivers/hal/Display.h"
#include "drivers/hal/DocumentReader.h"
#include "drivers/hal/Indicator.h"
#include "drivers/hal/Voice.h"
#include "drivers/indicator/GpioIndicator.h"
#include "drivers/indicator/StaffButton.h"
#include "firmware/kiosk/Config.h"
#include "firmware/kiosk/Runtime.h"
#include "firmware/base/Result.h"

namespace sentinel::app {

// `v4l2:DEVICE` or `replay:PATH` (images sorted by name, or a video), at the configured fps.
// `repeatEach` (replay only) delivers each image that many frames, as a code held still.
Result<std::unique_ptr<hal::Camera>> makeCamera(const kiosk::Config& config, int repeatEach = 1);

// indicator.gpio as the GPIO backend's options.
indicator::GpioOptions gpioOptionsFrom(const kiosk::Config& config);
// The five GPIO lines: libgpiod on indicator.gpio.chip, or the simulated lines for `sim:FILE`.
Result<std::unique_ptr<indicator::GpioLines>> openGpioLines(const kiosk::Config& config);

// The staff button (staff.button_line on indicator.gpio.chip; nullptr when it is -1): libgpiod, or
// for the simulated chip `sim:FILE` the FIFO `FILE.button` (write `press` to it). `onPress` runs on
// the button's thread.
Result<std::unique_ptr<indicator::StaffButton>> makeStaffButton(const kiosk::Config& config, std::function<void()> onPress);
// The simulated chip's button FIFO for `sim:FILE`.
std::filesystem::path simButtonPath(const std::string& simLogFile);

// Every backend in indicator.backends; console lines go to `console`.
Result<std::unique_ptr<hal::Indicator>> makeIndicator(const kiosk::Config& config, std::ostream& console);

// display.backend: `sdl`, `png:DIR`, or nullptr for `off`.
Result<std::unique_ptr<hal::Display>> makeDisplay(const kiosk::Config& config);

// The HTTPS transport to the health-code service (libcurl, pinned, deadline in our own code).
kiosk::HttpsTransportFactory httpsTransport();

// voice.backend: `alsa` (voice.device), `wav:DIR`, or nullptr for `off`.
Result<std::unique_ptr<hal::Voice>> makeVoice(const kiosk::Config& config);
// documents.reader: "none" → nullptr; "sam:PATH[@BAUD]" → the SAM serial reader (its own thread;
// a missing line is reopened by the reader and reported as a reader fault, not an error here).
Result<std::unique_ptr<hal::DocumentReader>> makeDocumentReader(const kiosk::Config& config);

}  // namespace sentinel::app

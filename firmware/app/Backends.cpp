#include "firmware/app/Backends.h"

#include "drivers/net/CurlTransport.h"

#include <unistd.h>

#include <iostream>

#include "drivers/audio/AlsaVoice.h"
#include "drivers/audio/WavVoice.h"
#include "drivers/camera/ReplayCamera.h"
#include "drivers/camera/V4l2Camera.h"
#include "drivers/display/PngDisplay.h"
#include "drivers/docreader/SamReader.h"
#include "drivers/display/SdlDisplay.h"
#include "drivers/indicator/ConsoleIndicator.h"
#include "drivers/indicator/GpioIndicator.h"
#include "drivers/indicator/MultiIndicator.h"

namespace sentinel::app {

Result<std::unique_ptr<hal::Camera>> makeCamera(const kiosk::Config& config, int repeatEach) {
    const std::string& src = config.camera.source;
    if (src.rfind("replay:", 0) == 0) {
        camera::ReplayOptions opts;
        opts.fps = config.camera.fps;
        opts.repeatEach = repeatEach;
        opts.loop = config.camera.replayLoop;
        auto cam = camera::ReplayCamera::open(src.substr(7), opts);
        if (!cam) return cam.error();
        return std::unique_ptr<hal::Camera>(std::move(cam).value());
    }
    if (src.rfind("v4l2:", 0) == 0) {
        camera::V4l2Options opts;
        opts.device = src.substr(5);
        opts.widthPx = config.camera.width;
        opts.heightPx = config.camera.height;
        opts.fps = config.camera.fps;
        opts.stallTimeout = std::chrono::milliseconds{config.camera.stallTimeoutMs};
        return std::unique_ptr<hal::Camera>(std::make_unique<camera::V4l2Camera>(opts));
    }
    return Error{"camera.source: unknown source '" + src + "'"};
}

indicator::GpioOptions gpioOptionsFrom(const kiosk::Config& config) {
    const kiosk::GpioConfig& g = config.indicator.gpio;
    indicator::GpioOptions o;
    o.chip = g.chip;
    o.offsets[static_cast<int>(indicator::Line::Green)] = g.green;
    o.offsets[static_cast<int>(indicator::Line::Red)] = g.red;
    o.offsets[static_cast<int>(indicator::Line::Amber)] = g.amber;
    o.offsets[static_cast<int>(indicator::Line::Buzzer)] = g.buzzer;
    o.offsets[static_cast<int>(indicator::Line::Relay)] = g.relay;
    o.activeLow = g.activeLow;
    o.relayPulse = std::chrono::milliseconds{g.relayPulseMs};
    return o;
}

Result<std::unique_ptr<indicator::GpioLines>> openGpioLines(const kiosk::Config& config) {
    const std::string& chip = config.indicator.gpio.chip;
    // "sim:FILE" is the simulated chip (benches, tests): line changes are logged to FILE.
    if (chip.rfind("sim:", 0) == 0) return indicator::openSimGpioLines(chip.substr(4));
    return indicator::openGpiodLines(gpioOptionsFrom(config));
}

std::filesystem::path simButtonPath(const std::string& simLogFile) { return simLogFile + ".button"; }

Result<std::unique_ptr<indicator::StaffButton>> makeStaffButton(const kiosk::Config& config, std::function<void()> onPress) {
    if (config.staff.buttonLine < 0) return std::unique_ptr<indicator::StaffButton>();
    const std::string& chip = config.indicator.gpio.chip;
    Result<std::unique_ptr<indicator::InputLine>> line =
        chip.rfind("sim:", 0) == 0
            ? indicator::openSimInput(simButtonPath(chip.substr(4)))
            : indicator::openGpiodInput(chip, config.staff.buttonLine, config.staff.buttonActiveLow);
    if (!line) return line.error();
    return std::make_unique<indicator::StaffButton>(std::move(line).value(), std::move(onPress));
}

Result<std::unique_ptr<hal::Indicator>> makeIndicator(const kiosk::Config& config, std::ostream& console) {
    auto multi = std::make_unique<indicator::MultiIndicator>();
    // GPIO first: its constructor drives the relay shut before anything else happens.
    for (const auto& name : config.indicator.backends) {
        if (name != "gpio") continue;
        auto lines = openGpioLines(config);
        if (!lines) return lines.error();
        multi->add(std::make_unique<indicator::GpioIndicator>(std::move(lines).value(), gpioOptionsFrom(config)));
    }
    for (const auto& name : config.indicator.backends) {
        if (name == "console") {
            const bool colour = &console == &std::cout && ::isatty(STDOUT_FILENO) == 1;
            multi->add(std::make_unique<indicator::ConsoleIndicator>(console, colour));
        }
    }
    return std::unique_ptr<hal::Indicator>(std::move(multi));
}

Result<std::unique_ptr<hal::Display>> makeDisplay(const kiosk::Config& config) {
    const std::string& b = config.display.backend;
    if (b == "off") return std::unique_ptr<hal::Display>();
    if (b.rfind("png:", 0) == 0) {
        display::PngOptions o;
        o.dir = b.substr(4);
        o.widthPx = config.display.width;
        o.heightPx = config.display.height;
        return std::unique_ptr<hal::Display>(std::make_unique<display::PngDisplay>(o));
    }
    if (b == "sdl") {
        display::SdlOptions o;
        o.widthPx = config.display.width;
        o.heightPx = config.display.height;
        return std::unique_ptr<hal::Display>(std::make_unique<display::SdlDisplay>(o));
    }
    return Error{"display.backend: unknown backend '" + b + "'"};
}

Result<std::unique_ptr<hal::Voice>> makeVoice(const kiosk::Config& config) {
    const std::string& b = config.voice.backend;
    if (b == "off") return std::unique_ptr<hal::Voice>();
    if (b.rfind("wav:", 0) == 0) return std::unique_ptr<hal::Voice>(std::make_unique<audio::WavVoice>(b.substr(4)));
    if (b == "alsa") return std::unique_ptr<hal::Voice>(std::make_unique<audio::AlsaVoice>(config.voice.device));
    return Error{"voice.backend: unknown backend '" + b + "'"};
}

Result<std::unique_ptr<hal::DocumentReader>> makeDocumentReader(const kiosk::Config& config) {
    auto spec = docreader::parseReaderSpec(config.documents.reader);
    if (!spec) return Error{"documents.reader: " + spec.error().message};
    if (!*spec) return std::unique_ptr<hal::DocumentReader>();
    return std::unique_ptr<hal::DocumentReader>(docreader::SamReader::open(**spec));
}

kiosk::HttpsTransportFactory httpsTransport() {
    return [](const kiosk::HttpsSettings& settings) -> std::unique_ptr<hal::HttpTransport> {
        net::CurlConfig cc;
        cc.caFile = settings.caFile;
        cc.caPem = settings.caPem;
        cc.pins = settings.pins;
        return std::make_unique<net::CurlTransport>(cc);
    };
}

}  // namespace sentinel::app

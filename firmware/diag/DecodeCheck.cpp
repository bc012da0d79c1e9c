#include "firmware/diag/DecodeCheck.h"

#include <cstdio>

#include "firmware/decode/DecodeEngine.h"
#include "firmware/render/QrRender.h"

namespace sentinel::diag {
namespace {

std::string fmt1(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

// A card held under the camera: a little rotation and tilt, not centred (what a technician does).
constexpr double kCardRotateDeg = 7.0;
constexpr double kCardTiltDeg = 12.0;
constexpr double kCardModulePx = 4.0;

}  // namespace

Outcome decodeRenderedTestCard(const std::string& payload, const TestCardRecogniser& isTestCard) {
    render::SceneOptions so;
    so.rotateDeg = kCardRotateDeg;
    so.tiltDeg = kCardTiltDeg;
    so.modulePx = kCardModulePx;
    so.centreX = 0.45;
    so.centreY = 0.55;
    auto scene = render::composeScene(payload, so);
    if (!scene) return Outcome::fail("cannot render the test card: " + scene.error().message, "report this as a firmware bug");
    decode::DecodeEngine engine;
    const auto t0 = std::chrono::steady_clock::now();
    auto read = engine.decodeStill(scene->view());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (read.empty()) return Outcome::fail("rendered test card not read", "the decode engine is broken: reinstall the firmware");
    if (read.front() != payload) return Outcome::fail("rendered test card read wrongly", "the decode engine is broken: reinstall the firmware");
    if (isTestCard && !isTestCard(read.front()))
        return Outcome::fail("rendered test card read but not recognised as signed by the device test issuer",
                             "run `sentinel testcard` again to recreate the test issuer in state_dir");
    return Outcome::ok("rendered test card read in " + fmt1(ms) + " ms (" + engine.lastReport().readBy + ")");
}

Outcome decodeFromCamera(hal::Camera& camera, const TestCardRecogniser& isTestCard, std::chrono::milliseconds budget,
                         const Clock& clock) {
    decode::DecodeEngine engine;
    const MonoTime start = clock.monotonic();
    int frames = 0;
    bool symbolSeen = false;
    while (clock.monotonic() - start < budget) {
        auto g = camera.grab(std::chrono::milliseconds{500});
        if (g.status == hal::GrabStatus::EndOfStream) break;
        if (g.status != hal::GrabStatus::Frame) continue;
        ++frames;
        auto read = engine.decodeFrame(g.frame.gray);
        symbolSeen = symbolSeen || engine.lastReport().symbolSeen;
        for (const auto& p : read) {
            const double ms = std::chrono::duration<double, std::milli>(clock.monotonic() - start).count();
            if (isTestCard && isTestCard(p))
                return Outcome::ok("test card read after " + std::to_string(frames) + " frame(s), " + fmt1(ms) + " ms");
            return Outcome::ok("a code was read after " + std::to_string(frames) +
                               " frame(s) (not a test card of this device): decoding works");
        }
    }
    if (frames == 0) return Outcome::fail("no frame to decode", "fix the camera check first");
    if (symbolSeen)
        return Outcome::warn("a QR code was seen in " + std::to_string(frames) + " frame(s) but not read",
                             "hold the card flat about 15 cm under the camera; check focus and glare");
    return Outcome::warn("no code in view during " + std::to_string(frames) + " frame(s)",
                         "hold a test card (`sentinel testcard`) under the camera and run diag again");
}

}  // namespace sentinel::diag

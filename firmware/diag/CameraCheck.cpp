#include "firmware/diag/CameraCheck.h"

#include <cstdio>

#include "firmware/render/QrRender.h"

namespace sentinel::diag {
namespace {

std::string fmt1(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

render::Image copyOf(const GrayView& v) {
    render::Image img;
    img.widthPx = v.widthPx;
    img.heightPx = v.heightPx;
    img.pixels.resize(static_cast<std::size_t>(v.widthPx) * v.heightPx);
    for (int y = 0; y < v.heightPx; ++y) {
        const std::uint8_t* row = v.data + static_cast<std::ptrdiff_t>(y) * v.strideBytes;
        std::copy(row, row + v.widthPx, img.pixels.begin() + static_cast<std::ptrdiff_t>(y) * v.widthPx);
    }
    return img;
}

}  // namespace

CameraMeasurement measureCamera(hal::Camera& camera, const CameraCheckOptions& options, const Clock& clock) {
    CameraMeasurement m;
    const MonoTime start = clock.monotonic();
    const MonoTime stopAt = start + options.budget;
    MonoTime first{}, last{};
    hal::Frame lastFrame;
    while (m.frames < options.sampleFrames && clock.monotonic() < stopAt) {
        auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(stopAt - clock.monotonic());
        auto g = camera.grab(std::min(options.grabTimeout, std::max(remaining, std::chrono::milliseconds{1})));
        if (g.status == hal::GrabStatus::EndOfStream) break;
        if (g.status != hal::GrabStatus::Frame) {
            m.lastError = g.detail.empty() ? (g.status == hal::GrabStatus::Timeout ? "no frame in time" : "grab failed") : g.detail;
            continue;
        }
        const MonoTime at = g.frame.capturedAt != MonoTime{} ? g.frame.capturedAt : clock.monotonic();
        if (m.frames == 0) first = at;
        last = at;
        ++m.frames;
        lastFrame = std::move(g.frame);
    }
    if (m.frames >= 2 && last > first) {
        m.fps = (m.frames - 1) / std::chrono::duration<double>(last - first).count();
    }
    if (m.frames > 0 && !lastFrame.gray.empty()) {
        m.brightness = meanBrightness(lastFrame.gray);
        m.sharpness = laplacianVariance(lastFrame.gray);
        m.widthPx = lastFrame.gray.widthPx;
        m.heightPx = lastFrame.gray.heightPx;
        if (!options.snapshotPath.empty()) {
            auto written = render::writePng(copyOf(lastFrame.gray), options.snapshotPath);
            if (!written) m.snapshotError = written.error().message;
        }
    }
    return m;
}

Outcome judgeCamera(const std::string& source, const CameraMeasurement& m, const CameraCheckOptions& options) {
    if (m.frames == 0) {
        return Outcome::fail(source + ": no frame" + (m.lastError.empty() ? std::string() : " (" + m.lastError + ")"),
                             options.noFrameRemedy);
    }
    std::string detail = source + ": " + std::to_string(m.widthPx) + "x" + std::to_string(m.heightPx);
    Status status = Status::Ok;
    std::string remedy;
    auto note = [&](const Outcome& o) {
        detail += ", " + o.detail;
        if (o.status != Status::Ok && remedy.empty()) remedy = o.remedy;
        status = worst(status, o.status);
    };
    if (m.fps) {
        Outcome fps = Outcome::ok(fmt1(*m.fps) + " fps");
        if (*m.fps < options.slowFraction * options.expectedFps) {
            fps = Outcome::warn(fmt1(*m.fps) + " fps (expected " + std::to_string(options.expectedFps) + ")",
                                "lower camera.width/height, use a USB 2.0 port of its own, add light (long exposure slows the rate)");
        }
        note(fps);
    } else {
        note(Outcome::ok(std::to_string(m.frames) + " frame(s), rate not measured"));
    }
    note(judgeBrightness(m.brightness, options.thresholds));
    note(judgeSharpness(m.sharpness, options.thresholds));
    if (!options.snapshotPath.empty()) {
        detail += m.snapshotError.empty() ? ", snapshot " + options.snapshotPath.string() : ", no snapshot (" + m.snapshotError + ")";
    }
    return {status, detail, remedy};
}

}  // namespace sentinel::diag

#pragma once
// Camera check: frames arrive, at what rate, how bright, how sharp; a snapshot for the technician.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "drivers/hal/Camera.h"
#include "firmware/base/Time.h"
#include "firmware/diag/Check.h"
#include "firmware/diag/ImageMetrics.h"

namespace sentinel::diag {

struct CameraCheckOptions {
    int expectedFps = 30;                       // camera.fps
    int sampleFrames = 30;                      // frames to measure the rate over (1 s at 30 fps)
    std::chrono::milliseconds budget{4000};     // stop collecting after this long
    std::chrono::milliseconds grabTimeout{500}; // one wait for a frame
    std::filesystem::path snapshotPath;         // PNG of the last frame; empty = none
    ImageThresholds thresholds;
    std::string noFrameRemedy = "check the camera cable and camera.source; see docs/diagnostics.md (camera)";
    // A measured rate under this fraction of camera.fps is a warning (USB bandwidth, exposure too long).
    double slowFraction = 0.5;
};

struct CameraMeasurement {
    int frames = 0;
    std::optional<double> fps;  // needs two frames
    double brightness = 0.0;
    double sharpness = 0.0;
    int widthPx = 0, heightPx = 0;
    std::string lastError;      // detail of the last Timeout/Failed grab
    std::string snapshotError;  // why the snapshot was not written ("" = written or not asked)
};

// Grabs up to sampleFrames frames within the budget (never longer: the camera bounds each grab).
CameraMeasurement measureCamera(hal::Camera& camera, const CameraCheckOptions& options, const Clock& clock);

// Pure verdict: no frame → fail; slow, dark, bright or blurred → warn; otherwise ok.
Outcome judgeCamera(const std::string& source, const CameraMeasurement& m, const CameraCheckOptions& options);

}  // namespace sentinel::diag

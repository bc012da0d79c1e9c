#pragma once
// `sentinel demo`: a self-contained demonstration. A demo-only test issuer (generated on the spot,
// never in a production trust path) signs HC1 credentials with sample times relative to now; each
// is rendered as a QR in a 1280×720 camera-like frame (some tilted, some small, one in dark mode)
// and played through the real kiosk loop by the replay camera. Exit 0 iff every decision is the
// expected one.

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "firmware/base/Reason.h"
#include "firmware/render/QrRender.h"

namespace sentinel::app {

struct DemoCase {
    std::string name;      // what the code shows, for the traveller-facing line
    std::string payload;   // the QR text
    Decision expectedDecision;
    Reason expectedReason;
    render::SceneOptions scene;
};

struct DemoOptions {
    std::filesystem::path workDir;  // frames, trust, journal; created if absent
    std::string hcsimBinary;        // reference health-code service for online codes; empty = none
    bool colour = false;
    // `--screenshots DIR`: the kiosk screen after each decision as DIR/NN-DECISION-REASON.png.
    std::filesystem::path screenshots;
    int screenWidthPx = 1280, screenHeightPx = 720;
};

// Runs the demo, printing to `out`; returns the exit status.
int runDemo(const DemoOptions& options, std::ostream& out, std::ostream& err);

}  // namespace sentinel::app

#pragma once
// Writes QR codes and composes them into camera-like scenes, for the demo, test cards and benches.
// The only place besides decode that uses ZXing-cpp (its writer); never on the decision path.

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include "firmware/base/ImageView.h"
#include "firmware/base/Result.h"

namespace sentinel::render {

struct Image {
    int widthPx = 0;
    int heightPx = 0;
    std::vector<std::uint8_t> pixels;  // 8-bit gray, row-major, stride = widthPx
    GrayView view() const { return GrayView{pixels.data(), widthPx, heightPx, widthPx}; }
};

enum class EcLevel { L, M, Q, H };

// The code alone: `modulePx` pixels per module, `quietModules` modules of white margin.
Result<Image> renderQr(std::string_view text, EcLevel ec = EcLevel::Q, int modulePx = 4, int quietModules = 4);

// A phone-screen-like presentation in a camera frame.
struct SceneOptions {
    int widthPx = 1280;
    int heightPx = 720;
    double modulePx = 4.5;    // size of one module in the frame
    double rotateDeg = 0;     // in-plane rotation
    double tiltDeg = 0;       // out-of-plane tilt (perspective) about the vertical axis
    bool darkMode = false;    // light modules on a dark screen
    double centreX = 0.5, centreY = 0.5;  // where the code sits, as a fraction of the frame
    std::uint32_t seed = 1;   // background texture and sensor noise
};
Result<Image> composeScene(std::string_view text, const SceneOptions& options, EcLevel ec = EcLevel::Q);

// A frame with no code in it (textured background and noise), for re-arming and benchmarks.
Image emptyScene(int widthPx, int heightPx, std::uint32_t seed);

Status writePng(const Image& image, const std::filesystem::path& path);

}  // namespace sentinel::render

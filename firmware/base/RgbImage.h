#pragma once
// An owned 8-bit RGB image (R, G, B per pixel, rows packed: stride = 3 × width): what firmware/ui
// composes and drivers/display presents.

#include <cstdint>
#include <vector>

namespace sentinel {

struct RgbImage {
    int widthPx = 0;
    int heightPx = 0;
    std::vector<std::uint8_t> pixels;  // heightPx rows of widthPx × 3 bytes

    bool empty() const { return widthPx <= 0 || heightPx <= 0 || pixels.empty(); }
    int strideBytes() const { return widthPx * 3; }
    const std::uint8_t* at(int x, int y) const {
        return pixels.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(strideBytes()) +
               static_cast<std::size_t>(x) * 3;
    }
};

}  // namespace sentinel

#pragma once
// The boundary between camera and decoder (zxing-cpp style): a non-owning 8-bit grayscale view.
// The decoder never sees OpenCV or V4L2 types.

#include <cstdint>

namespace sentinel {

struct GrayView {
    const std::uint8_t* data = nullptr;  // first pixel of the first row
    int widthPx = 0;
    int heightPx = 0;
    int strideBytes = 0;  // bytes from one row to the next (≥ widthPx)

    bool empty() const { return data == nullptr || widthPx <= 0 || heightPx <= 0; }
};

}  // namespace sentinel

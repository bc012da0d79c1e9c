#pragma once
// Where a QR code sits in a frame, for the screen's hints ("hold it closer") and the technician's
// code outline. Finder-pattern location only (no decoding), on a downscaled copy: a few ms.

#include <array>
#include <optional>

#include "firmware/base/ImageView.h"

namespace sentinel::diag {

struct CodeOutline {
    std::array<float, 8> corners{};  // x0 y0 … x3 y3 in frame pixels
    double sidePx = 0;               // mean side length, frame pixels
};

// nullopt when no QR symbol is located. Never throws.
std::optional<CodeOutline> locateCode(const GrayView& frame);

}  // namespace sentinel::diag

#pragma once
// `display.backend = "png:DIR"`: writes each new screen as DIR/NN-NAME.png (NN = 01, 02, … in the
// order written; NAME = the screen's name, e.g. DENY-TEST_TOO_OLD). Refreshes of the same screen
// (preview frames, the countdown) are not written. Files appear whole (written, then renamed).

#include <cstdint>
#include <filesystem>
#include <vector>

#include "drivers/hal/Display.h"

namespace sentinel::display {

struct PngOptions {
    std::filesystem::path dir;
    int widthPx = 1280;
    int heightPx = 720;
    bool resultsOnly = false;  // `demo --screenshots`: one file per decision, nothing else
};

class PngDisplay final : public hal::Display {
public:
    explicit PngDisplay(PngOptions options);
    Status present(const RgbImage& image, const hal::ScreenTag& tag) override;
    int widthPx() const override { return options_.widthPx; }
    int heightPx() const override { return options_.heightPx; }
    std::string describe() const override { return "png:" + options_.dir.string(); }
    int written() const { return written_; }

private:
    PngOptions options_;
    int written_ = 0;
};

// One RGB image as PNG bytes (zlib level 1, no row filter: fast for flat screens).
Result<std::vector<std::uint8_t>> encodeRgbPng(const RgbImage& image);
// Writes one RGB image as a PNG file (whole: temporary file, then rename).
Status writeRgbPng(const RgbImage& image, const std::filesystem::path& file);
// Reads a PNG (or any image OpenCV reads) as RGB; an error when it cannot.
Result<RgbImage> readRgbImage(const std::filesystem::path& file);

}  // namespace sentinel::display

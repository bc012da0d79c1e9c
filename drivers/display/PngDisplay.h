#pragma once
// `display.backend = "png:DIR"`: writes each new screen as DIR/NN-NAME.png (NN = 01, 02, … in the
// order written; NAME = the screen's name, e.g. DENY-TEST_TOO_OLD). Refreshes of the same screen
// (preview frames, the countdown) are not written. Files appear whole (written, then renamed). A
// screen that is not a result card is dropped, unwritten, when a result card waits before its file
// is finished (ScreenTag::superseded): a decision's card is never held up behind the idle screen's
// camera picture, which takes ~30 ms to deflate.

#include <cstdint>
#include <filesystem>
#include <functional>
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
    int dropped() const { return dropped_; }  // superseded before their file was finished

private:
    PngOptions options_;
    int written_ = 0;
    int dropped_ = 0;
};

// One RGB image as PNG bytes (zlib level 1, no row filter: fast for flat screens). With `abandon`,
// it is asked between chunks of rows (every ~1-2 ms of work); when it answers true the encoding
// stops and the result is an empty vector.
Result<std::vector<std::uint8_t>> encodeRgbPng(const RgbImage& image, const std::function<bool()>& abandon = {});
// Writes one RGB image as a PNG file (whole: temporary file, then rename).
Status writeRgbPng(const RgbImage& image, const std::filesystem::path& file);
// Reads a PNG (or any image OpenCV reads) as RGB; an error when it cannot.
Result<RgbImage> readRgbImage(const std::filesystem::path& file);

}  // namespace sentinel::display

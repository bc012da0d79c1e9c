#pragma once
// Screen composition (DESIGN §10): (state, latest preview frame, clock) → an RGB image at the
// display's size. Pure apart from reading the font file once in create(): no threads, no globals.
// Text goes through OpenCV's freetype module with Noto Sans CJK; every text is fitted to its box
// (shrunk, or put on two lines) so nothing is clipped, and every text drawn is reported in
// Composition::texts (tests check fit and that no personal data appears).
// Not thread-safe: one Composer per thread (the screen thread owns it).

#include <memory>
#include <string>
#include <vector>

#include "firmware/base/ImageView.h"
#include "firmware/base/Result.h"
#include "firmware/base/RgbImage.h"
#include "firmware/base/Time.h"
#include "firmware/ui/ScreenState.h"

namespace sentinel::ui {

// Debian's fonts-noto-cjk; face 2 of the collection is Noto Sans CJK SC (Simplified Chinese).
inline constexpr const char* kDefaultFontPath = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
inline constexpr int kDefaultFontFace = 2;

// Screens from 480 px on the short side (800×480, portrait 480×800) up to 3840 px.
inline constexpr int kMinScreenSidePx = 480;
inline constexpr int kMaxScreenSidePx = 3840;

struct ComposerOptions {
    int widthPx = 1280;
    int heightPx = 720;
    std::string fontPath = kDefaultFontPath;
    int fontFace = kDefaultFontFace;
};

struct RectPx {
    int x = 0, y = 0, width = 0, height = 0;
    bool contains(const RectPx& r) const {
        return r.x >= x && r.y >= y && r.x + r.width <= x + width && r.y + r.height <= y + height;
    }
};

// One text as drawn: its box (layout), where its ink actually landed, and the font size chosen.
struct TextBox {
    std::string text;
    RectPx box;
    RectPx ink;
    int fontPx = 0;
    bool fits = false;  // the ink lies inside the box at fontPx ≥ the role's minimum
};

struct Composition {
    RgbImage image;
    std::vector<TextBox> texts;
    RectPx symbol;  // where the result/alarm symbol (✓ ✗ !) was drawn; empty on other screens
};

class Composer {
public:
    static Result<std::unique_ptr<Composer>> create(const ComposerOptions& options);
    ~Composer();
    Composer(const Composer&) = delete;
    Composer& operator=(const Composer&) = delete;

    // `preview` may be empty (no camera picture: a dark area with the aiming frame). `now` drives
    // the result card's countdown.
    Composition compose(const ScreenState& state, const GrayView& preview, MonoTime now);

    int widthPx() const;
    int heightPx() const;

    // Colours (R, G, B), public for tests and the docs.
    static constexpr std::uint8_t kPassRgb[3] = {0x1B, 0x87, 0x3F};
    static constexpr std::uint8_t kDenyRgb[3] = {0xC6, 0x28, 0x28};
    static constexpr std::uint8_t kReferRgb[3] = {0xFF, 0xB3, 0x00};
    static constexpr std::uint8_t kBackgroundRgb[3] = {0x1E, 0x1E, 0x1E};

private:
    struct Impl;
    explicit Composer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The band colour of a decision (kPassRgb …).
const std::uint8_t* decisionRgb(Decision d);

}  // namespace sentinel::ui

#pragma once
// Display interface (DESIGN §10): presents images composed by firmware/ui; it never composes.
// Backends: SDL2 (drivers/display/SdlDisplay: KMSDRM, X11, Wayland), PNG files
// (drivers/display/PngDisplay), and fakes in tests/.

#include <functional>
#include <string>

#include "firmware/base/Result.h"
#include "firmware/base/RgbImage.h"

namespace sentinel::hal {

struct ScreenTag {
    std::string name;        // "idle", "DENY-TEST_TOO_OLD", … (ui::screenName)
    bool newScreen = false;  // a different screen from the last one (not a preview/countdown refresh)
    bool result = false;     // a result card (a decision)
    // Optional, for screens that are not result cards: true once a result card waits to be shown.
    // A backend whose present() is slow (png: deflating a camera picture) may then stop and drop
    // this screen, so that the result is not held up behind it. Called on the screen thread.
    std::function<bool()> superseded;
};

class Display {
public:
    virtual ~Display() = default;
    // Shows `image` (its size should be size()). Called from the screen thread only; returns
    // within a frame period. A lost display is an error value; later calls retry (with backoff)
    // and succeed once it is back.
    virtual Status present(const RgbImage& image, const ScreenTag& tag) = 0;
    // The size images should have.
    virtual int widthPx() const = 0;
    virtual int heightPx() const = 0;
    virtual std::string describe() const = 0;
};

}  // namespace sentinel::hal

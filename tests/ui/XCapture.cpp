// Xlib kept in its own file: its macros (None, Status, Bool) clash with C++ names elsewhere.
#include "tests/ui/XCapture.h"

#include <X11/Xlib.h>
#include <X11/Xutil.h>

namespace sentinel::testing {

bool xServerAccepts(const std::string& name) {
    Display* d = XOpenDisplay(name.c_str());
    if (!d) return false;
    XCloseDisplay(d);
    return true;
}

RgbImage captureRoot(const std::string& name, int kW, int kH) {
    RgbImage out;
    Display* d = XOpenDisplay(name.c_str());
    if (!d) return out;
    XImage* img = XGetImage(d, DefaultRootWindow(d), 0, 0, kW, kH, AllPlanes, ZPixmap);
    if (img) {
        out.widthPx = kW;
        out.heightPx = kH;
        out.pixels.resize(static_cast<std::size_t>(kW * kH * 3));
        for (int y = 0; y < kH; ++y) {
            for (int x = 0; x < kW; ++x) {
                const unsigned long p = XGetPixel(img, x, y);
                std::uint8_t* o = out.pixels.data() + (static_cast<std::size_t>(y) * kW + x) * 3;
                o[0] = static_cast<std::uint8_t>((p & img->red_mask) >> 16);
                o[1] = static_cast<std::uint8_t>((p & img->green_mask) >> 8);
                o[2] = static_cast<std::uint8_t>(p & img->blue_mask);
            }
        }
        XDestroyImage(img);
    }
    XCloseDisplay(d);
    return out;
}

}  // namespace sentinel::testing

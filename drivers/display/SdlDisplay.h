#pragma once
// `display.backend = "sdl"`: a full-screen SDL2 window. Without a desktop (no DISPLAY, no
// WAYLAND_DISPLAY) SDL drives the screen directly through KMSDRM; on a desktop it opens an X11 or
// Wayland window. SDL is started lazily on the first present(), on the calling (screen) thread,
// which is the only thread that may use it. A display that cannot be opened or is lost is reported
// as an error and retried with backoff: present() never waits for it.

#include <chrono>
#include <memory>

#include "drivers/hal/Display.h"

namespace sentinel::display {

struct SdlOptions {
    int widthPx = 1280;   // window size on a desktop; on KMSDRM the screen's own mode is used
    int heightPx = 720;
    bool fullscreen = true;
    // First retry after a failure; doubles up to kMaxRetry.
    std::chrono::milliseconds firstRetry{500};
};

class SdlDisplay final : public hal::Display {
public:
    explicit SdlDisplay(SdlOptions options);
    ~SdlDisplay() override;
    Status present(const RgbImage& image, const hal::ScreenTag& tag) override;
    int widthPx() const override;
    int heightPx() const override;
    std::string describe() const override;

    static constexpr std::chrono::milliseconds kMaxRetry{30000};

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sentinel::display

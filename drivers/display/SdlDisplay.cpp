#include "drivers/display/SdlDisplay.h"

#include <SDL.h>

#include <algorithm>
#include <cstdlib>

#include "firmware/base/Log.h"

namespace sentinel::display {
namespace {

constexpr const char* kLog = "Display";

bool haveDesktop() {
    const char* x = std::getenv("DISPLAY");
    const char* wl = std::getenv("WAYLAND_DISPLAY");
    return (x && *x) || (wl && *wl);
}

}  // namespace

struct SdlDisplay::Impl {
    SdlOptions options;
    bool videoUp = false;
    SDL_Window* window = nullptr;
    SDL_Renderer* renderer = nullptr;
    SDL_Texture* texture = nullptr;
    int textureW = 0, textureH = 0;
    std::chrono::steady_clock::time_point retryAt{};
    std::chrono::milliseconds backoff{0};
    std::string driver;
    std::string lastError;

    void close() {
        if (texture) SDL_DestroyTexture(texture);
        if (renderer) SDL_DestroyRenderer(renderer);
        if (window) SDL_DestroyWindow(window);
        texture = nullptr;
        renderer = nullptr;
        window = nullptr;
        textureW = textureH = 0;
        if (videoUp) SDL_QuitSubSystem(SDL_INIT_VIDEO);
        videoUp = false;
    }

    Status fail(const std::string& what) {
        lastError = what + ": " + SDL_GetError();
        close();
        backoff = backoff.count() == 0 ? options.firstRetry : std::min(backoff * 2, kMaxRetry);
        retryAt = std::chrono::steady_clock::now() + backoff;
        SLOG(kLog, Warn) << "sdl: " << lastError << " (retry in " << backoff.count() << " ms)";
        return Error{"display sdl: " + lastError};
    }

    Status open() {
        const bool desktop = haveDesktop();
        // No desktop: drive the screen directly (KMSDRM). On a desktop only its own drivers, so a
        // desktop that went away is an error (retried), not a silent fallback to an off-screen one.
        const char* wl = std::getenv("WAYLAND_DISPLAY");
        SDL_SetHint(SDL_HINT_VIDEODRIVER, !desktop ? "kmsdrm" : (wl && *wl) ? "wayland,x11" : "x11,wayland");
        SDL_SetHint(SDL_HINT_VIDEO_ALLOW_SCREENSAVER, "0");
        if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) return fail("video");
        videoUp = true;
        driver = SDL_GetCurrentVideoDriver() ? SDL_GetCurrentVideoDriver() : "?";
        Uint32 flags = SDL_WINDOW_SHOWN;
        if (options.fullscreen || !desktop) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
        if (desktop && !options.fullscreen) flags |= SDL_WINDOW_BORDERLESS;
        window = SDL_CreateWindow("Sentinel", 0, 0, options.widthPx, options.heightPx, flags);
        if (!window) return fail("window");
        renderer = SDL_CreateRenderer(window, -1, SDL_RENDERER_ACCELERATED);
        if (!renderer) renderer = SDL_CreateRenderer(window, -1, SDL_RENDERER_SOFTWARE);
        if (!renderer) return fail("renderer");
        SDL_ShowCursor(SDL_DISABLE);
        int w = 0, h = 0;
        if (SDL_GetRendererOutputSize(renderer, &w, &h) == 0 && w > 0 && h > 0 && (options.fullscreen || !desktop)) {
            options.widthPx = w;
            options.heightPx = h;
        }
        SLOG(kLog, Info) << "sdl: " << driver << " " << options.widthPx << "x" << options.heightPx;
        backoff = std::chrono::milliseconds{0};
        lastError.clear();
        return Ok{};
    }
};

SdlDisplay::SdlDisplay(SdlOptions options) : impl_(std::make_unique<Impl>()) { impl_->options = options; }
SdlDisplay::~SdlDisplay() { impl_->close(); }

Status SdlDisplay::present(const RgbImage& image, const hal::ScreenTag&) {
    Impl& d = *impl_;
    if (!d.window) {
        if (std::chrono::steady_clock::now() < d.retryAt) return Error{"display sdl: " + d.lastError + " (waiting to retry)"};
        if (auto s = d.open(); !s) return s;
    }
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        if (ev.type == SDL_RENDER_DEVICE_RESET || ev.type == SDL_RENDER_TARGETS_RESET) return d.fail("render device reset");
    }
    if (image.empty()) return Ok{};
    if (!d.texture || d.textureW != image.widthPx || d.textureH != image.heightPx) {
        if (d.texture) SDL_DestroyTexture(d.texture);
        d.texture = SDL_CreateTexture(d.renderer, SDL_PIXELFORMAT_RGB24, SDL_TEXTUREACCESS_STREAMING, image.widthPx, image.heightPx);
        if (!d.texture) return d.fail("texture");
        d.textureW = image.widthPx;
        d.textureH = image.heightPx;
        SDL_RenderSetLogicalSize(d.renderer, image.widthPx, image.heightPx);
    }
    if (SDL_UpdateTexture(d.texture, nullptr, image.pixels.data(), image.strideBytes()) != 0) return d.fail("update");
    SDL_SetRenderDrawColor(d.renderer, 0, 0, 0, 255);
    if (SDL_RenderClear(d.renderer) != 0) return d.fail("clear");
    if (SDL_RenderCopy(d.renderer, d.texture, nullptr, nullptr) != 0) return d.fail("copy");
    SDL_RenderPresent(d.renderer);
    return Ok{};
}

int SdlDisplay::widthPx() const { return impl_->options.widthPx; }
int SdlDisplay::heightPx() const { return impl_->options.heightPx; }
std::string SdlDisplay::describe() const {
    return "sdl" + (impl_->driver.empty() ? std::string() : " (" + impl_->driver + ")");
}

}  // namespace sentinel::display

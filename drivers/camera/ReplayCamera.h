#pragma once
// Replay camera: plays a folder of images (sorted by name) or a video file as a camera, at the
// configured frame rate. Shipped in the product (demo, bench, technicians' bench tests) and used by
// the tests: the whole stack runs without hardware.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "drivers/hal/Camera.h"
#include "firmware/base/Result.h"

namespace sentinel::camera {

struct ReplayOptions {
    int fps = 30;         // frames are paced at this rate (0 = as fast as they are asked for)
    int repeatEach = 1;   // each image is delivered this many consecutive frames (a code held still)
    bool loop = false;    // start again after the last image instead of EndOfStream
};

class ReplayCamera final : public hal::Camera {
public:
    // `path` is a directory of images (.png .jpg .jpeg .bmp .pgm .ppm .tif .tiff .webp) or a video.
    static Result<std::unique_ptr<ReplayCamera>> open(const std::filesystem::path& path, ReplayOptions options);
    ~ReplayCamera() override;

    hal::GrabResult grab(std::chrono::milliseconds timeout) override;
    std::string describe() const override;
    std::size_t imageCount() const { return images_.size(); }

private:
    ReplayCamera(std::filesystem::path path, ReplayOptions options);
    struct Video;

    std::filesystem::path path_;
    ReplayOptions options_;
    std::vector<std::filesystem::path> images_;
    std::unique_ptr<Video> video_;
    std::size_t position_ = 0;  // image index
    int repeated_ = 0;          // frames delivered of the current image
    std::shared_ptr<const void> current_;
    GrayView currentView_;
    std::uint64_t frameIndex_ = 0;
    MonoTime nextDue_{};
};

}  // namespace sentinel::camera

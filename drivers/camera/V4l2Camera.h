#pragma once
// Live camera through OpenCV's V4L2 backend. A capture thread reads frames and hands over the
// newest one; grab() waits at most its timeout, so a stalled or unplugged camera never hangs the
// kiosk loop. A failed device is reopened with exponential backoff (0.5 s … 8 s).

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "drivers/hal/Camera.h"

namespace sentinel::camera {

struct V4l2Options {
    std::string device = "/dev/video0";
    int widthPx = 1280;
    int heightPx = 720;
    int fps = 30;
    std::chrono::milliseconds stallTimeout{3000};  // no frame for this long → reported as stalled
};

class V4l2Camera final : public hal::Camera {
public:
    explicit V4l2Camera(V4l2Options options);
    ~V4l2Camera() override;
    V4l2Camera(const V4l2Camera&) = delete;
    V4l2Camera& operator=(const V4l2Camera&) = delete;

    hal::GrabResult grab(std::chrono::milliseconds timeout) override;
    std::string describe() const override;

    // Frames actually delivered by the device per second, over the last second or so.
    double measuredFps() const;

private:
    void captureLoop();

    V4l2Options options_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    hal::Frame latest_;
    bool fresh_ = false;
    std::string lastError_;
    bool opened_ = false;
    MonoTime lastFrameAt_{};
    std::uint64_t frames_ = 0;
    double fps_ = 0.0;
};

}  // namespace sentinel::camera

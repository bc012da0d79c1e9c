#include "drivers/camera/V4l2Camera.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "firmware/base/Log.h"

namespace sentinel::camera {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{500};
constexpr std::chrono::milliseconds kMaxBackoff{8000};
constexpr const char* kLog = "Camera";

}  // namespace

V4l2Camera::V4l2Camera(V4l2Options options) : options_(std::move(options)) {
    thread_ = std::thread([this] { captureLoop(); });
}

V4l2Camera::~V4l2Camera() {
    stop_ = true;
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::string V4l2Camera::describe() const { return "v4l2:" + options_.device; }

double V4l2Camera::measuredFps() const {
    std::lock_guard lock(mutex_);
    return fps_;
}

void V4l2Camera::captureLoop() {
    auto backoff = kFirstBackoff;
    while (!stop_) {
        cv::VideoCapture cap;
        bool ok = false;
        try {
            ok = cap.open(options_.device, cv::CAP_V4L2);
            if (ok) {
                cap.set(cv::CAP_PROP_FRAME_WIDTH, options_.widthPx);
                cap.set(cv::CAP_PROP_FRAME_HEIGHT, options_.heightPx);
                cap.set(cv::CAP_PROP_FPS, options_.fps);
                cap.set(cv::CAP_PROP_BUFFERSIZE, 1);
            }
        } catch (const cv::Exception&) {
            ok = false;
        }
        {
            std::lock_guard lock(mutex_);
            opened_ = ok;
            if (ok) lastFrameAt_ = std::chrono::steady_clock::now();  // the stall clock starts at open
            if (!ok) lastError_ = "cannot open " + options_.device;
        }
        if (!ok) {
            SLOG(kLog, Warn) << "cannot open " << options_.device << ", retrying in " << backoff.count() << " ms";
            std::unique_lock lock(mutex_);
            cv_.wait_for(lock, backoff, [this] { return stop_.load(); });
            backoff = std::min(backoff * 2, kMaxBackoff);
            continue;
        }
        SLOG(kLog, Info) << "opened " << options_.device;
        backoff = kFirstBackoff;
        std::uint64_t index = 0;
        auto windowStart = std::chrono::steady_clock::now();
        std::uint64_t windowFrames = 0;
        while (!stop_) {
            cv::Mat bgr;
            bool read = false;
            try {
                read = cap.read(bgr);
            } catch (const cv::Exception&) {
                read = false;
            }
            if (!read || bgr.empty()) {
                std::lock_guard lock(mutex_);
                lastError_ = "read failed on " + options_.device + " (unplugged?)";
                opened_ = false;
                break;
            }
            auto gray = std::make_shared<cv::Mat>();
            if (bgr.channels() == 1) {
                *gray = bgr;
            } else {
                cv::cvtColor(bgr, *gray, cv::COLOR_BGR2GRAY);  // the one conversion; the decoder gets a view
            }
            const auto now = std::chrono::steady_clock::now();
            ++windowFrames;
            std::lock_guard lock(mutex_);
            latest_.owner = gray;
            latest_.gray = GrayView{gray->data, gray->cols, gray->rows, static_cast<int>(gray->step[0])};
            latest_.capturedAt = now;
            latest_.index = index++;
            fresh_ = true;
            lastFrameAt_ = now;
            ++frames_;
            if (now - windowStart >= std::chrono::seconds{1}) {
                fps_ = static_cast<double>(windowFrames) /
                       std::chrono::duration<double>(now - windowStart).count();
                windowStart = now;
                windowFrames = 0;
            }
            cv_.notify_all();
        }
        SLOG(kLog, Warn) << options_.device << " lost; reopening";
    }
}

hal::GrabResult V4l2Camera::grab(std::chrono::milliseconds timeout) {
    hal::GrabResult result;
    std::unique_lock lock(mutex_);
    const bool got = cv_.wait_for(lock, timeout, [this] { return fresh_ || stop_.load(); });
    if (got && fresh_) {
        fresh_ = false;
        result.status = hal::GrabStatus::Frame;
        result.frame = latest_;
        return result;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!opened_) {
        result.status = hal::GrabStatus::Failed;
        result.detail = lastError_.empty() ? "camera not open" : lastError_;
    } else if (now - lastFrameAt_ >= options_.stallTimeout) {
        result.status = hal::GrabStatus::Failed;
        result.detail = "no frame from " + options_.device + " for " +
                        std::to_string(options_.stallTimeout.count()) + " ms (stalled)";
    } else {
        result.status = hal::GrabStatus::Timeout;
    }
    return result;
}

}  // namespace sentinel::camera

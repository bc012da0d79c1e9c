#include "drivers/camera/ReplayCamera.h"

#include <algorithm>
#include <set>
#include <thread>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace sentinel::camera {
namespace {

bool isImage(const std::filesystem::path& p) {
    static const std::set<std::string> kExt{".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".tif", ".tiff", ".webp"};
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return kExt.count(ext) > 0;
}

GrayView viewOf(const cv::Mat& m) {
    return GrayView{m.data, m.cols, m.rows, static_cast<int>(m.step[0])};
}

}  // namespace

struct ReplayCamera::Video {
    cv::VideoCapture capture;
};

ReplayCamera::ReplayCamera(std::filesystem::path path, ReplayOptions options)
    : path_(std::move(path)), options_(options) {}

ReplayCamera::~ReplayCamera() = default;

Result<std::unique_ptr<ReplayCamera>> ReplayCamera::open(const std::filesystem::path& path, ReplayOptions options) {
    std::unique_ptr<ReplayCamera> cam(new ReplayCamera(path, options));
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
            if (entry.is_regular_file() && isImage(entry.path())) cam->images_.push_back(entry.path());
        }
        std::sort(cam->images_.begin(), cam->images_.end());
        if (cam->images_.empty()) return Error{"replay: no images in " + path.string()};
    } else if (std::filesystem::is_regular_file(path, ec)) {
        cam->video_ = std::make_unique<Video>();
        try {
            cam->video_->capture.open(path.string());
        } catch (const cv::Exception& e) {
            return Error{"replay: cannot open video " + path.string() + ": " + e.what()};
        }
        if (!cam->video_->capture.isOpened()) return Error{"replay: cannot open video " + path.string()};
    } else {
        return Error{"replay: no such file or directory: " + path.string()};
    }
    return cam;
}

std::string ReplayCamera::describe() const {
    return "replay:" + path_.string() + (video_ ? " (video)" : " (" + std::to_string(images_.size()) + " images)");
}

hal::GrabResult ReplayCamera::grab(std::chrono::milliseconds timeout) {
    hal::GrabResult result;
    // Pace: a replayed frame is due one period after the previous one.
    const auto now = std::chrono::steady_clock::now();
    if (options_.fps > 0 && nextDue_ != MonoTime{} && nextDue_ > now) {
        if (nextDue_ - now > timeout) {
            std::this_thread::sleep_for(timeout);
            result.status = hal::GrabStatus::Timeout;
            result.detail = "replay: next frame not due yet";
            return result;
        }
        std::this_thread::sleep_until(nextDue_);
    }
    const auto period = options_.fps > 0 ? std::chrono::nanoseconds{1'000'000'000LL / options_.fps} : std::chrono::nanoseconds{0};
    nextDue_ = std::max(nextDue_ == MonoTime{} ? now : nextDue_, now - period) + period;

    std::string name;
    if (video_) {
        cv::Mat bgr;
        bool ok = false;
        try {
            ok = video_->capture.read(bgr);
            if (!ok && options_.loop) {
                video_->capture.set(cv::CAP_PROP_POS_FRAMES, 0);
                ok = video_->capture.read(bgr);
            }
        } catch (const cv::Exception& e) {
            result.status = hal::GrabStatus::Failed;
            result.detail = std::string("replay: video read failed: ") + e.what();
            return result;
        }
        if (!ok || bgr.empty()) {
            result.status = hal::GrabStatus::EndOfStream;
            return result;
        }
        auto gray = std::make_shared<cv::Mat>();
        if (bgr.channels() == 1) {
            *gray = bgr;
        } else {
            cv::cvtColor(bgr, *gray, cv::COLOR_BGR2GRAY);  // the one conversion, into the frame's own buffer
        }
        currentView_ = viewOf(*gray);
        current_ = gray;
        name = path_.filename().string();
    } else {
        if (repeated_ >= std::max(1, options_.repeatEach) || !current_) {
            if (current_) {
                ++position_;
                repeated_ = 0;
            }
            if (position_ >= images_.size()) {
                if (!options_.loop) {
                    result.status = hal::GrabStatus::EndOfStream;
                    return result;
                }
                position_ = 0;
            }
            auto gray = std::make_shared<cv::Mat>(cv::imread(images_[position_].string(), cv::IMREAD_GRAYSCALE));
            if (gray->empty()) {
                result.status = hal::GrabStatus::Failed;
                result.detail = "replay: cannot read image " + images_[position_].filename().string();
                current_.reset();
                ++position_;
                return result;
            }
            currentView_ = viewOf(*gray);
            current_ = gray;
        }
        ++repeated_;
        name = images_[position_].filename().string();
    }
    result.status = hal::GrabStatus::Frame;
    result.frame.owner = current_;
    result.frame.gray = currentView_;
    result.frame.capturedAt = std::chrono::steady_clock::now();
    result.frame.index = frameIndex_++;
    result.frame.name = std::move(name);
    return result;
}

}  // namespace sentinel::camera

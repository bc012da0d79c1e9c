#include "firmware/diag/CodeLocator.h"

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

namespace sentinel::diag {
namespace {
// Located on a copy at most this wide: 640 px keeps a code of 21 modules at ≥ 1.5 px per module
// when it covers a fifth of a 1280 px frame, and costs a few ms.
constexpr int kLocateWidthPx = 640;
}  // namespace

std::optional<CodeOutline> locateCode(const GrayView& frame) {
    if (frame.empty()) return std::nullopt;
    try {
        const cv::Mat src(frame.heightPx, frame.widthPx, CV_8UC1, const_cast<std::uint8_t*>(frame.data),
                          static_cast<std::size_t>(frame.strideBytes));
        const double scale = frame.widthPx > kLocateWidthPx ? static_cast<double>(kLocateWidthPx) / frame.widthPx : 1.0;
        cv::Mat small;
        if (scale < 1.0) {
            cv::resize(src, small, cv::Size(), scale, scale, cv::INTER_AREA);
        } else {
            small = src;
        }
        cv::QRCodeDetector detector;
        std::vector<cv::Point2f> pts;
        if (!detector.detect(small, pts) || pts.size() != 4) return std::nullopt;
        CodeOutline out;
        double side = 0;
        for (int i = 0; i < 4; ++i) {
            out.corners[static_cast<std::size_t>(2 * i)] = static_cast<float>(pts[static_cast<std::size_t>(i)].x / scale);
            out.corners[static_cast<std::size_t>(2 * i + 1)] = static_cast<float>(pts[static_cast<std::size_t>(i)].y / scale);
            const cv::Point2f d = pts[static_cast<std::size_t>(i)] - pts[static_cast<std::size_t>((i + 1) % 4)];
            side += std::hypot(d.x, d.y) / scale;
        }
        out.sidePx = side / 4;
        return out;
    } catch (const cv::Exception&) {
        return std::nullopt;
    }
}

}  // namespace sentinel::diag

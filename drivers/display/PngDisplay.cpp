#include "drivers/display/PngDisplay.h"

#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace sentinel::display {

Status writeRgbPng(const RgbImage& image, const std::filesystem::path& file) {
    if (image.empty()) return Error{"empty image for " + file.string()};
    const cv::Mat rgb(image.heightPx, image.widthPx, CV_8UC3, const_cast<std::uint8_t*>(image.pixels.data()));
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    const std::filesystem::path tmp = file.string() + ".tmp.png";
    try {
        // Fastest zlib level: a screen is mostly flat colour, so level 1 is within a few % of the
        // size of level 9 at a fraction of the time (it runs on the screen thread).
        if (!cv::imwrite(tmp.string(), bgr, {cv::IMWRITE_PNG_COMPRESSION, 1})) return Error{"cannot write " + tmp.string()};
    } catch (const cv::Exception& e) {
        return Error{"cannot write " + tmp.string() + ": " + e.what()};
    }
    std::error_code ec;
    std::filesystem::rename(tmp, file, ec);
    if (ec) return Error{"cannot rename " + tmp.string() + ": " + ec.message()};
    return Ok{};
}

Result<RgbImage> readRgbImage(const std::filesystem::path& file) {
    cv::Mat bgr;
    try {
        bgr = cv::imread(file.string(), cv::IMREAD_COLOR);
    } catch (const cv::Exception& e) {
        return Error{"cannot read " + file.string() + ": " + e.what()};
    }
    if (bgr.empty()) return Error{"cannot read " + file.string()};
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    RgbImage out;
    out.widthPx = rgb.cols;
    out.heightPx = rgb.rows;
    out.pixels.assign(rgb.data, rgb.data + rgb.total() * rgb.elemSize());
    return out;
}

PngDisplay::PngDisplay(PngOptions options) : options_(std::move(options)) {}

Status PngDisplay::present(const RgbImage& image, const hal::ScreenTag& tag) {
    if (!tag.newScreen) return Ok{};
    if (options_.resultsOnly && !tag.result) return Ok{};
    std::error_code ec;
    std::filesystem::create_directories(options_.dir, ec);
    if (ec) return Error{"display png: cannot create " + options_.dir.string() + ": " + ec.message()};
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "%02d-", written_ + 1);
    auto s = writeRgbPng(image, options_.dir / (prefix + tag.name + ".png"));
    if (s) ++written_;
    return s;
}

}  // namespace sentinel::display

#include "firmware/decode/Cascade.h"

#define ZX_USE_UTF8 1
#include <ZXing/DecodeHints.h>
#include <ZXing/ReadBarcode.h>
#include <ZXing/Result.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <exception>

namespace sentinel::decode::detail {
namespace {

// A 720p frame's cheap pass lets ZXing build its own downscaled pyramid (its default threshold).
constexpr int kMaxSymbolsPerImage = 4;
// Localisation runs on a copy whose longer side is at most this (QRCodeDetector::detect costs
// ≈22 ms at 1280x720 and ≈6 ms at 640x360 on the dev machine).
constexpr int kLocateMaxSidePx = 640;
// Rectified codes are drawn into a square of this side (≥ 6 px per module up to version 25) plus a
// quiet zone of kRectifyQuietFraction of the side on each edge (ISO 18004 asks for 4 modules).
constexpr int kRectifySidePx = 720;
constexpr double kRectifyQuietFraction = 0.12;
// Upscaled copies are skipped when they would exceed this many pixels (still photographs).
constexpr double kMaxScaledPixels = 8.5e6;
// CLAHE: clip limit and tile grid (tiles of ≈160x90 px at 720p: larger than a module, smaller than
// a glare spot).
constexpr double kClaheClipLimit = 3.0;
constexpr int kClaheTiles = 8;
// Unsharp mask: sigma in px and weight (1 + amount) of the original.
constexpr double kSharpenSigmaPx = 1.5;
constexpr double kSharpenAmount = 1.2;
constexpr double kSmoothSigmaPx = 1.0;
// Adaptive threshold window ≈ 6 modules at 4-5 px/module (must be odd).
constexpr int kAdaptiveBlockPx = 25;

ZXing::DecodeHints hintsFor(const Variant& v) {
    ZXing::DecodeHints hints;
    hints.setFormats(ZXing::BarcodeFormat::QRCode)
        .setTryHarder(v.tryHarder)
        .setTryRotate(false)
        .setTryDownscale(true)
        .setReturnErrors(true)
        .setMaxNumberOfSymbols(kMaxSymbolsPerImage);
    if (v.filter == Filter::AdaptiveThreshold) {
        hints.setBinarizer(ZXing::Binarizer::BoolCast);
    } else if (v.binarizer == Binarizer::GlobalHistogram) {
        hints.setBinarizer(ZXing::Binarizer::GlobalHistogram);
    }
    return hints;
}

cv::Mat applyFilter(const cv::Mat& in, Filter filter, bool invert) {
    cv::Mat out;
    switch (filter) {
        case Filter::None:
            out = in;
            break;
        case Filter::Clahe: {
            auto clahe = cv::createCLAHE(kClaheClipLimit, cv::Size(kClaheTiles, kClaheTiles));
            clahe->apply(in, out);
            break;
        }
        case Filter::Sharpen: {
            cv::Mat blurred;
            cv::GaussianBlur(in, blurred, cv::Size(), kSharpenSigmaPx);
            cv::addWeighted(in, 1.0 + kSharpenAmount, blurred, -kSharpenAmount, 0.0, out);
            break;
        }
        case Filter::Smooth:
            cv::GaussianBlur(in, out, cv::Size(), kSmoothSigmaPx);
            break;
        case Filter::AdaptiveThreshold: {
            // The threshold's polarity carries the inversion (BoolCast reads non-zero as white).
            cv::adaptiveThreshold(in, out, 255, cv::ADAPTIVE_THRESH_MEAN_C,
                                  invert ? cv::THRESH_BINARY_INV : cv::THRESH_BINARY, kAdaptiveBlockPx, 2);
            return out;
        }
        case Filter::Stretch: {
            cv::Mat blurred;
            cv::GaussianBlur(in, blurred, cv::Size(), kSmoothSigmaPx);
            cv::normalize(blurred, out, 0, 255, cv::NORM_MINMAX);
            break;
        }
    }
    if (invert) {
        cv::Mat inverted;
        cv::bitwise_not(out, inverted);
        return inverted;
    }
    return out;
}

void readInto(const cv::Mat& img, const Variant& v, VariantOutcome& outcome) {
    CV_Assert(img.type() == CV_8UC1);
    ZXing::ImageView view(img.data, img.cols, img.rows, ZXing::ImageFormat::Lum, static_cast<int>(img.step));
    const ZXing::Results results = ZXing::ReadBarcodes(view, hintsFor(v));
    for (const ZXing::Result& r : results) {
        if (r.format() != ZXing::BarcodeFormat::QRCode) continue;
        if (!r.isValid() || r.error()) {
            outcome.symbolSeen = true;
            continue;
        }
        std::string text = r.text();
        if (text.empty()) continue;
        if (std::find(outcome.payloads.begin(), outcome.payloads.end(), text) == outcome.payloads.end()) {
            outcome.payloads.push_back(std::move(text));
        }
    }
}

cv::Mat resampled(const cv::Mat& in, double scale) {
    if (scale == 1.0) return in;
    cv::Mat out;
    cv::resize(in, out, cv::Size(), scale, scale, scale < 1.0 ? cv::INTER_AREA : cv::INTER_CUBIC);
    return out;
}

// QRCodeDetector::detectMulti on a reduced copy; quads in full-resolution coordinates.
std::vector<std::vector<cv::Point2f>> locateQuads(const cv::Mat& gray) {
    const double shrink = std::min(1.0, double(kLocateMaxSidePx) / std::max(gray.cols, gray.rows));
    cv::Mat small = resampled(gray, shrink);
    cv::QRCodeDetector detector;
    std::vector<cv::Point2f> corners;
    std::vector<std::vector<cv::Point2f>> quads;
    if (detector.detect(small, corners) && corners.size() == 4) {
        for (auto& p : corners) p *= 1.0 / shrink;
        quads.push_back(corners);
    }
    return quads;
}

cv::Mat rectify(const cv::Mat& gray, const std::vector<cv::Point2f>& quad) {
    const float quiet = static_cast<float>(kRectifySidePx * kRectifyQuietFraction);
    const float side = static_cast<float>(kRectifySidePx);
    const std::vector<cv::Point2f> target{{quiet, quiet}, {quiet + side, quiet}, {quiet + side, quiet + side},
                                          {quiet, quiet + side}};
    const cv::Mat h = cv::getPerspectiveTransform(quad, target);
    const int outSide = static_cast<int>(side + 2 * quiet);
    cv::Mat out;
    // Replicated border: the quiet zone keeps the paper/screen tone around the code.
    cv::warpPerspective(gray, out, h, cv::Size(outSide, outSide), cv::INTER_CUBIC, cv::BORDER_REPLICATE);
    return out;
}

}  // namespace

const std::vector<Variant>& cascade() {
    static const std::vector<Variant> kCascade = [] {
        std::vector<Variant> c;
        c.push_back({.name = "plain", .tryHarder = false, .costHintMs = 2.5});
        c.push_back({.name = "harder", .costHintMs = 3.0});
        c.push_back({.name = "inverted", .invert = true, .costHintMs = 3.5});
        c.push_back({.name = "clahe", .filter = Filter::Clahe, .costHintMs = 5.0});
        c.push_back({.name = "upscale2", .scale = 2.0, .costHintMs = 14.0});
        c.push_back({.name = "locate", .locate = true, .costHintMs = 9.0});
        c.push_back({.name = "sharpen", .filter = Filter::Sharpen, .costHintMs = 5.0});
        c.push_back({.name = "half", .scale = 0.5, .costHintMs = 1.5});
        c.push_back({.name = "histogram", .binarizer = Binarizer::GlobalHistogram, .costHintMs = 3.0});
        c.push_back({.name = "clahe-inverted", .filter = Filter::Clahe, .invert = true, .costHintMs = 5.0});
        c.push_back({.name = "smooth", .filter = Filter::Smooth, .costHintMs = 4.0});
        c.push_back({.name = "locate-inverted", .invert = true, .locate = true, .costHintMs = 9.0});
        c.push_back({.name = "adaptive", .filter = Filter::AdaptiveThreshold, .costHintMs = 4.0});
        c.push_back({.name = "upscale2-sharpen", .scale = 2.0, .filter = Filter::Sharpen, .costHintMs = 18.0});
        c.push_back({.name = "upscale2-inverted", .scale = 2.0, .invert = true, .costHintMs = 14.0});
        c.push_back({.name = "stretch", .filter = Filter::Stretch, .costHintMs = 4.0});
        return c;
    }();
    return kCascade;
}

VariantOutcome runVariant(const Variant& variant, const cv::Mat& gray) {
    VariantOutcome outcome;
    try {
        if (variant.locate) {
            cv::Mat filtered = applyFilter(gray, variant.filter, variant.invert);
            for (const auto& quad : locateQuads(filtered)) {
                outcome.symbolSeen = true;
                cv::Mat square = rectify(filtered, quad);
                readInto(resampled(square, variant.scale), variant, outcome);
            }
            return outcome;
        }
        if (variant.scale > 1.0 && double(gray.total()) * variant.scale * variant.scale > kMaxScaledPixels) {
            return outcome;
        }
        readInto(applyFilter(resampled(gray, variant.scale), variant.filter, variant.invert), variant, outcome);
    } catch (const std::exception&) {
        // A third-party failure on one variant is "nothing read" for that variant (STYLE rule 4).
        outcome.payloads.clear();
    }
    return outcome;
}

}  // namespace sentinel::decode::detail

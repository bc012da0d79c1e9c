#include "firmware/mrz/OcrB.h"

#include <opencv2/freetype.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numbers>

namespace sentinel::mrz::detail {
namespace {

// Templates are rendered at this multiple of the cell and area-averaged down (a sensor integrates
// light over each pixel).
constexpr int kRenderScale = 8;
// Grey level under which a rendered pixel counts as ink when checking a glyph exists.
constexpr double kMinInkSum = 1.0;

// Writes `ink` (a cell) zero-mean and unit-norm into row `row` of `set`.
void normalise(const cv::Mat& ink, cv::Mat& set, int row) {
    cv::Mat f;
    ink.convertTo(f, CV_32F);
    f -= cv::mean(f)[0];
    const double norm = cv::norm(f);
    if (norm > 0) f /= norm;
    f.reshape(1, 1).copyTo(set.row(row));
}

// Paper around a cell while its template is blurred and sharpened: 3 sigmas of the largest defocus
// level and of the unsharp mask's Gaussian.
constexpr int kBlurPadPx = 13;

// A line kernel `lengthPx` long at `angleRad` from the horizontal (cell pixels), the line sampled
// finely and spread over its pixel neighbours (bilinear), unit sum.
cv::Mat motionKernel(double lengthPx, double angleRad) {
    constexpr int kSamplesPerPx = 16;
    const int half = int(std::ceil(lengthPx / 2.0)) + 1;
    cv::Mat kernel = cv::Mat::zeros(2 * half + 1, 2 * half + 1, CV_32F);
    const int samples = int(std::ceil(lengthPx * kSamplesPerPx)) + 1;
    for (int i = 0; i < samples; ++i) {
        const double t = lengthPx * (double(i) / double(samples - 1) - 0.5);
        const double x = half + t * std::cos(angleRad), y = half + t * std::sin(angleRad);
        const int x0 = int(std::floor(x)), y0 = int(std::floor(y));
        const double fx = x - x0, fy = y - y0;
        kernel.at<float>(y0, x0) += float((1 - fx) * (1 - fy));
        kernel.at<float>(y0, x0 + 1) += float(fx * (1 - fy));
        kernel.at<float>(y0 + 1, x0) += float((1 - fx) * fy);
        kernel.at<float>(y0 + 1, x0 + 1) += float(fx * fy);
    }
    return kernel / cv::sum(kernel)[0];
}

// The cell `small` (CV_32F) blurred by template kernel `k` (< kBlurLevels), as a glyph alone on
// paper: on a canvas kBlurPadPx wider each side than the cell, to be cut back to the cell after
// any further filtering (blurring the cell itself would reflect the ink the blur carries past its
// edges back into it).
cv::Mat blurredBy(const cv::Mat& small, int k) {
    cv::Mat padded, out;
    cv::copyMakeBorder(small, padded, kBlurPadPx, kBlurPadPx, kBlurPadPx, kBlurPadPx, cv::BORDER_CONSTANT, cv::Scalar(0));
    constexpr int kDefocus = int(kBlurLevelsPx.size());
    if (k < kDefocus) {
        out = padded;
        if (kBlurLevelsPx[std::size_t(k)] > 0) cv::GaussianBlur(padded, out, cv::Size(), kBlurLevelsPx[std::size_t(k)], 0, cv::BORDER_CONSTANT);
    } else {
        const int m = k - kDefocus;
        const double length = kMotionLengthsPx[std::size_t(m / kMotionDirections)];
        const double angle = std::numbers::pi * double(m % kMotionDirections) / kMotionDirections;
        cv::GaussianBlur(padded, out, cv::Size(), kMotionBaseBlurPx, 0, cv::BORDER_CONSTANT);
        cv::filter2D(out, out, -1, motionKernel(length, angle), cv::Point(-1, -1), 0, cv::BORDER_CONSTANT);
    }
    return out;
}

}  // namespace

cv::Mat sharpened(const cv::Mat& ink, int border) {
    cv::Mat smooth;
    cv::GaussianBlur(ink, smooth, cv::Size(), kSharpenSigmaPx, 0, border);
    return ink * (1.0 + kSharpenAmount) - smooth * kSharpenAmount;
}

int glyphIndex(char c) {
    const auto i = kAlphabet.find(c);
    return i == std::string_view::npos ? -1 : int(i);
}

namespace {

// Appends the kBlurLevels × (as drawn, heavier) template sets of one font.
Result<bool> renderFont(const std::string& fontPath, GlyphTemplates& out) {
    cv::Ptr<cv::freetype::FreeType2> ft;
    try {
        ft = cv::freetype::createFreeType2();
        ft->loadFontData(fontPath, 0);
    } catch (const cv::Exception&) {
        return makeError("cannot load the OCR-B font " + fontPath);
    }
    const int cellW = kCellWidthPx * kRenderScale, cellH = kCellHeightPx * kRenderScale;
    const int emPx = int(std::lround(cellW / kAdvancePerEm));
    // Baseline so that the middle of the capital height is the cell's middle.
    const int baseline = int(std::lround(cellH / 2.0 + kCapHeightPerEm * emPx / 2.0));
    const int heavyRadius = std::max(1, int(std::lround(kHeavyInkRadius * cellW)));
    const cv::Mat heavyKernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * heavyRadius + 1, 2 * heavyRadius + 1));
    constexpr int kWeights = 2;
    const std::size_t first = out.levels.size();
    for (int i = 0; i < kWeights * kBlurLevels; ++i) {
        out.levels.push_back(cv::Mat::zeros(kGlyphCount, kCellPixels, CV_32F));
        out.plain.push_back(cv::Mat::zeros(kGlyphCount, kCellPixels, CV_32F));
    }
    for (int g = 0; g < kGlyphCount; ++g) {
        cv::Mat canvas(cellH, cellW, CV_8UC3, cv::Scalar::all(255));
        try {
            ft->putText(canvas, std::string(1, kAlphabet[std::size_t(g)]), cv::Point(0, baseline), emPx,
                        cv::Scalar::all(0), -1, cv::LINE_AA, true);
        } catch (const cv::Exception&) {
            return makeError("cannot render OCR-B glyphs from " + fontPath);
        }
        cv::Mat gray;
        cv::cvtColor(canvas, gray, cv::COLOR_BGR2GRAY);
        const cv::Mat ink = 255 - gray;
        if (cv::sum(ink)[0] / 255.0 < kMinInkSum) return makeError("the font " + fontPath + " lacks an MRZ glyph");
        for (int w = 0; w < kWeights; ++w) {
            cv::Mat weighted = ink, small;
            if (w == 1) cv::dilate(ink, weighted, heavyKernel);
            cv::resize(weighted, small, cv::Size(kCellWidthPx, kCellHeightPx), 0, 0, cv::INTER_AREA);
            cv::Mat cell;
            small.convertTo(cell, CV_32F);
            const cv::Rect inner(kBlurPadPx, kBlurPadPx, cell.cols, cell.rows);
            for (int level = 0; level < kBlurLevels; ++level) {
                const cv::Mat blurred = blurredBy(cell, level);
                const std::size_t set = first + std::size_t(w * kBlurLevels + level);
                normalise(sharpened(blurred, cv::BORDER_CONSTANT)(inner).clone(), out.levels[set], g);
                normalise(blurred(inner).clone(), out.plain[set], g);
            }
        }
    }
    return true;
}

}  // namespace

Result<GlyphTemplates> renderTemplates(const std::string& fontPath) {
    GlyphTemplates out;
    auto regular = renderFont(fontPath, out);
    if (!regular) return regular.error();
    const std::filesystem::path sharp = std::filesystem::path(fontPath).parent_path() / kSharpCutFile;
    std::error_code ec;
    if (std::filesystem::exists(sharp, ec) && sharp != std::filesystem::path(fontPath)) {
        GlyphTemplates extra;
        if (renderFont(sharp.string(), extra)) {
            out.levels.insert(out.levels.end(), extra.levels.begin(), extra.levels.end());
            out.plain.insert(out.plain.end(), extra.plain.begin(), extra.plain.end());
        }
    }
    return out;
}

}  // namespace sentinel::mrz::detail

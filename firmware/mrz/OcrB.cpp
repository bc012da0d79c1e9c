#include "firmware/mrz/OcrB.h"

#include <opencv2/freetype.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

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

}  // namespace

int glyphIndex(char c) {
    const auto i = kAlphabet.find(c);
    return i == std::string_view::npos ? -1 : int(i);
}

Result<GlyphTemplates> renderTemplates(const std::string& fontPath) {
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
    GlyphTemplates out;
    for (auto& level : out.levels) level = cv::Mat::zeros(kGlyphCount, kCellPixels, CV_32F);
    for (int g = 0; g < kGlyphCount; ++g) {
        cv::Mat canvas(cellH, cellW, CV_8UC3, cv::Scalar::all(255));
        try {
            ft->putText(canvas, std::string(1, kAlphabet[std::size_t(g)]), cv::Point(0, baseline), emPx,
                        cv::Scalar::all(0), -1, cv::LINE_AA, true);
        } catch (const cv::Exception&) {
            return makeError("cannot render OCR-B glyphs from " + fontPath);
        }
        cv::Mat gray, small;
        cv::cvtColor(canvas, gray, cv::COLOR_BGR2GRAY);
        cv::Mat ink = 255 - gray;
        if (cv::sum(ink)[0] / 255.0 < kMinInkSum) return makeError("the font " + fontPath + " lacks an MRZ glyph");
        cv::resize(ink, small, cv::Size(kCellWidthPx, kCellHeightPx), 0, 0, cv::INTER_AREA);
        for (std::size_t level = 0; level < kBlurLevelsPx.size(); ++level) {
            cv::Mat blurred;
            small.convertTo(blurred, CV_32F);
            if (kBlurLevelsPx[level] > 0) cv::GaussianBlur(blurred, blurred, cv::Size(), kBlurLevelsPx[level]);
            normalise(blurred, out.levels[level], g);
        }
    }
    return out;
}

}  // namespace sentinel::mrz::detail

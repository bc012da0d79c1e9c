#include "firmware/mrz/OcrB.h"

#include <opencv2/freetype.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

namespace sentinel::mrz::detail {
namespace {

// Templates are rendered at this multiple of the cell and area-averaged down (a sensor integrates
// light over each pixel).
constexpr int kRenderScale = 8;
// The soft set: Gaussian defocus in cell pixels (about half an OCR-B stroke at the cell's scale).
constexpr double kSoftSigmaPx = 0.7;
// Grey level under which a rendered pixel counts as ink when checking a glyph exists.
constexpr double kMinInkSum = 1.0;

void normalise(const cv::Mat& ink, Template& out) {
    cv::Mat f;
    ink.convertTo(f, CV_32F);
    const cv::Scalar mean = cv::mean(f);
    f -= mean[0];
    const double norm = cv::norm(f);
    if (norm > 0) f /= norm;
    for (int y = 0; y < kCellHeightPx; ++y)
        for (int x = 0; x < kCellWidthPx; ++x) out[std::size_t(y * kCellWidthPx + x)] = f.at<float>(y, x);
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
        normalise(small, out.sharp[std::size_t(g)]);
        cv::Mat soft;
        small.convertTo(soft, CV_32F);
        cv::GaussianBlur(soft, soft, cv::Size(), kSoftSigmaPx);
        normalise(soft, out.soft[std::size_t(g)]);
    }
    return out;
}

}  // namespace sentinel::mrz::detail

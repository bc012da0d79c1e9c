#include "firmware/mrz/OcrB.h"

#include <opencv2/freetype.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

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
    for (int i = 0; i < kWeights * kBlurLevels; ++i) out.levels.push_back(cv::Mat::zeros(kGlyphCount, kCellPixels, CV_32F));
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
            for (int level = 0; level < kBlurLevels; ++level) {
                cv::Mat blurred;
                small.convertTo(blurred, CV_32F);
                if (kBlurLevelsPx[std::size_t(level)] > 0) cv::GaussianBlur(blurred, blurred, cv::Size(), kBlurLevelsPx[std::size_t(level)]);
                normalise(blurred, out.levels[first + std::size_t(w * kBlurLevels + level)], g);
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
        if (renderFont(sharp.string(), extra)) out.levels.insert(out.levels.end(), extra.levels.begin(), extra.levels.end());
    }
    return out;
}

}  // namespace sentinel::mrz::detail

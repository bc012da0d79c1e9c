#pragma once
// Internal to firmware/mrz: the OCR-B glyph templates the reader classifies characters with,
// rendered once from the font file (Debian's fonts-ocr-b) when the reader is made. Not a public
// header: it names OpenCV types.

#include <opencv2/core.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::mrz::detail {

// The MRZ alphabet in template order.
inline constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<";
inline constexpr int kGlyphCount = int(kAlphabet.size());

// The normalised character cell every read character is resampled into: one character pitch is
// kCellWidthPx wide (10–26 px pitches in the frame become 12), and OCR-B's capitals and digits
// (1.0–1.1 pitch tall, measured on OCRB.otf) fit in kCellHeightPx with a pixel to spare.
inline constexpr int kCellWidthPx = 12;
inline constexpr int kCellHeightPx = 16;
inline constexpr int kCellPixels = kCellWidthPx * kCellHeightPx;

// OCR-B metrics measured on Debian's OCRB.otf: advance 0.714 em, capital height 0.72 em (the
// digits reach 0.78 em). The cell's vertical centre is the middle of the capital height.
inline constexpr double kAdvancePerEm = 0.714;
inline constexpr double kCapHeightPerEm = 0.72;

// Templates: ink (1 = black) of each glyph in a cell, zero mean and unit norm, so that a dot
// product with a zero-mean, unit-norm patch is the normalised cross-correlation. A set is a
// kGlyphCount × kCellPixels CV_32F matrix, one glyph a row in kAlphabet order.
using TemplateSet = cv::Mat;
// Defocus levels the templates are rendered at: Gaussian sigma in cell pixels (0: area-sampled from
// a high-resolution rendering; the largest, 0.18 pitch, is the development seed's strongest blur).
inline constexpr std::array<double, 4> kBlurLevelsPx{0.0, 0.8, 1.4, 2.1};
// Motion blur: the camera or the page moving during the exposure smears the print along a line of
// any direction. Templates smeared by a line kernel kMotionLengthsPx long (cell pixels: 0.2 and 0.33
// pitch) at each of kMotionDirections directions (0°, 45°, 90°, 135° from the line), over the
// sharpest-but-one defocus level (the optics and the cut-out's smoothing).
inline constexpr std::array<double, 2> kMotionLengthsPx{2.4, 4.0};
inline constexpr int kMotionDirections = 4;
inline constexpr double kMotionBaseBlurPx = 0.6;
// Template kernels per print variant: the defocus levels, then the motion kernels (length-major).
inline constexpr int kBlurLevels = int(kBlurLevelsPx.size()) + int(kMotionLengthsPx.size()) * kMotionDirections;
// Cells and templates are classified after the same unsharp mask, x + kSharpenAmount · (x − G ∗ x)
// with G a Gaussian of kSharpenSigmaPx cell pixels: a band-pass that weights the strokes' edges,
// where glyphs differ (H/M, O/Q, E/F), over the blur every glyph of a defocused zone shares (on
// development seed 31 it read 241 defocused pages of 300 instead of 110). It also sharpens what
// is not the glyph (noise, a smear, a reflection's rim): a letter no check digit covers must be
// ahead of its closest rivals without it too (GlyphTemplates::plain), and a reflection's core is
// judged there.
inline constexpr double kSharpenAmount = 4.0;
inline constexpr double kSharpenSigmaPx = 2.0;
// `ink` (CV_32F, cell pixels) unsharp-masked; beyond its edge lies `border` (cv::BORDER_CONSTANT:
// blank paper around a template's glyph; cv::BORDER_REFLECT: a strip of the zone).
cv::Mat sharpened(const cv::Mat& ink, int border);
// Print variants: the font as drawn and a heavier print, its ink spread by kHeavyInkRadius of a
// pitch each side (print gain; a 3 × 3 erosion of the page at 2 px per 0.1 mm spreads a 20 px
// pitch's ink by 0.025 pitch). The sharp cut OCRBS.otf of fonts-ocr-b, beside the font, is a
// third and fourth variant when installed (some issuers print it).
inline constexpr double kHeavyInkRadius = 0.03;
inline constexpr const char* kSharpCutFile = "OCRBS.otf";
struct GlyphTemplates {
    // Variant-major: levels[variant × kBlurLevels + blur].
    std::vector<TemplateSet> levels;
    // The same sets without the unsharp mask (kSharpenAmount), index for index.
    std::vector<TemplateSet> plain;
    int variants() const { return int(levels.size()) / kBlurLevels; }
};

// Renders the templates from an OpenType/TrueType font (cv::freetype), and from the sharp cut when
// it lies beside it. Error when the font cannot be loaded or lacks a glyph.
Result<GlyphTemplates> renderTemplates(const std::string& fontPath);

// Index of `c` in kAlphabet, -1 if absent.
int glyphIndex(char c);

}  // namespace sentinel::mrz::detail

#pragma once
// Internal to firmware/mrz: reads the characters of one band found by BandFinder. Not a public
// header: it names OpenCV types.
//
// 1. The band and a margin are cut out upright (rotated by the band's angle, scaled so that a TD3
//    pitch would be at most kRoiPitchPx), paper brightness is estimated by a grey dilation and the
//    ink is what lies below it (uneven light and glare cancel out).
// 2. The remaining skew is found by shearing the ink's row profile for the sharpest peaks; the
//    peaks are the text lines, each with its ink extent.
// 3. The bottom-most 3 lines of one length, spacing and height consistent with 30 characters
//    (TD1), or 2 with 44 (TD3), are the zone. Each line is resampled into a strip of cells
//    kCellWidthPx wide; the grid's pitch and phase are refined on the strip's column profile (ink
//    at cell centres, none at cell boundaries: OCR-B glyphs never touch).
// 4. Each cell is classified by normalised cross-correlation with the OCR-B templates its position
//    allows (MrzParser's layout), over small shifts, with the template set whose defocus fits best.

#include <opencv2/core.hpp>

#include <array>
#include <optional>
#include <vector>

#include "firmware/base/Secret.h"
#include "firmware/mrz/BandFinder.h"
#include "firmware/mrz/CheckCorrection.h"
#include "firmware/mrz/MrzParser.h"
#include "firmware/mrz/OcrB.h"

namespace sentinel::mrz::detail {

struct ZoneRead {
    MrzFormat format = MrzFormat::Td3;
    std::vector<SecretString> lines;
    std::vector<CharScore> scores;  // line by line, column by column
    double pitchPx = 0;             // character pitch in the frame
    int level = 0;                  // template level the cells were classified with
    std::vector<float> clippedShare;  // per cell, as SampledZone
    std::vector<std::uint8_t> clippedCore;  // per cell, as SampledZone
};

// Step 1 of a read: the band's bounding box (with a margin) copied out of the frame and
// area-averaged down to the cut-out's scale.
struct ScaledBand {
    cv::Mat source;        // CV_8U
    cv::Point2d offset;    // frame pixels of the box's corner
    double scale = 1;      // source pixels per frame pixel
};

// Step 2: the band and a margin cut out upright, and its ink.
struct CutOut {
    cv::Mat roi;  // CV_8U, `scale` cut-out pixels per frame pixel
    cv::Mat ink;  // black-hat of roi
    double scale = 1;
    double roiPitch = 0;  // the smallest TD3 pitch the band allows, in cut-out pixels
};

// Step 3: the skew and text lines of the cut-out, and the group of lines with an MRZ's proportions.
struct LocatedZone {
    MrzFormat format = MrzFormat::Td3;
    cv::Mat roi;    // upright cut-out (CV_8U), `scale` cut-out pixels per frame pixel
    double scale = 1;
    double slope = 0;  // remaining skew, rows per column
    struct Line {
        double centreY = 0;
        double x0 = 0, x1 = 0;
        std::vector<double> columns;  // ink per column across the line's rows
        double length() const { return x1 - x0; }
    };
    std::vector<Line> lines;  // the zone's lines, top to bottom
};

// Step 4: the character grid fitted, every cell resampled (at every classification shift) and the
// template levels ranked by fit.
struct SampledZone {
    MrzFormat format = MrzFormat::Td3;
    cv::Mat plainPatches;                // zero-mean unit-norm cells × shifts (CV_32F)
    std::vector<cv::Mat> inks;           // the lines' ink strips, until sharpenCells
    cv::Mat patches;                     // the same cells unsharp-masked (kSharpenAmount)
    std::vector<std::size_t> levelOrder;  // template levels, best fit first
    double pitchPx = 0;
    // Per cell (line by line), the share of its pixels the camera clipped to white (kClippedGrey):
    // a reflection there may have erased part of the glyph (an E read as L keeps its lead).
    std::vector<float> clippedShare;
    // Per cell, 1 where a reflection's saturated core lies inside the glyph body: it may have
    // erased part of the glyph (an E's bottom bar: F) however little of the cell it covers.
    std::vector<std::uint8_t> clippedCore;
    std::vector<cv::Mat> coreMasks;  // per line, strip-sized (CV_8U, 255 = core), empty without
};

// Grey level from which a cut-out pixel counts as clipped (8-bit sensors saturate at 255; the
// cut-out's smoothing and scaling lower a clipped area's edge by a few levels).
inline constexpr int kClippedGrey = 250;

// The box of `band` in `gray` (CV_8UC1); nothing when it lies outside the frame.
std::optional<ScaledBand> scaleBand(const cv::Mat& gray, const Band& band);
std::optional<CutOut> cutOut(const ScaledBand& scaled, const Band& band);
// The zone in a cut-out, TD3 tried first; nothing when no group of lines has an MRZ's proportions.
std::optional<LocatedZone> findZoneLines(const CutOut& cut);
// Both (still images).
std::optional<LocatedZone> locateZone(const cv::Mat& gray, const Band& band);
// Step 4a: the grid and the cells, plain (patches and levelOrder left empty); 4b: the cells
// unsharp-masked (a step of its own: each costs about as much as the sampling); 4c: the template
// sets ranked by fit (18 sets' fits cost about as much again). All three: sampleZone.
// The cells' patches (about 1.7 MB a zone, twice) are written into `store` when one is given: a
// reader keeps one across zones, so that a read does not map fresh memory every time (the page
// faults of two fresh buffers doubled the sampling steps' CPU time on the development VM). A
// store serves one SampledZone at a time: the next zone sampled into it overwrites the last.
struct PatchStore {
    cv::Mat plain, sharpened;
};
SampledZone sampleCells(const LocatedZone& zone, PatchStore* store = nullptr);
void sharpenCells(SampledZone& zone, PatchStore* store = nullptr);
void rankTemplateSets(SampledZone& zone, const GlyphTemplates& glyphs);
SampledZone sampleZone(const LocatedZone& zone, const GlyphTemplates& glyphs, PatchStore* store = nullptr);
// Step 5: every cell classified with the template level of rank `variant` (0 = best fit).
ZoneRead classifyZone(const SampledZone& zone, const GlyphTemplates& glyphs, int variant);

// The steps in one call (still images, tests).
std::optional<ZoneRead> readZone(const cv::Mat& gray, const Band& band, const GlyphTemplates& glyphs, int variant);

}  // namespace sentinel::mrz::detail

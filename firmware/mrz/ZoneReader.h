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

#include <optional>
#include <vector>

#include "firmware/base/Secret.h"
#include "firmware/mrz/BandFinder.h"
#include "firmware/mrz/MrzParser.h"
#include "firmware/mrz/OcrB.h"

namespace sentinel::mrz::detail {

struct CharScore {
    float best = 0;    // correlation with the chosen glyph (−1…1)
    float margin = 0;  // best − the runner-up allowed at that position
};

struct ZoneRead {
    MrzFormat format = MrzFormat::Td3;
    std::vector<SecretString> lines;
    std::vector<CharScore> scores;  // line by line, column by column
    double pitchPx = 0;             // character pitch in the frame
};

enum class ZoneOutcome {
    NoLines,  // no group of lines with an MRZ's proportions in the band
    Read,     // characters classified (check digits not yet looked at)
};

struct ZoneAttempt {
    ZoneOutcome outcome = ZoneOutcome::NoLines;
    std::optional<ZoneRead> read;
};

// Reads the zone in `band` of `gray` (CV_8UC1). The template levels are ranked by how well they fit
// the zone's cells; `variant` 0 classifies with the best, 1 with the runner-up (two classifications
// for the tracker to compare), and so on.
ZoneAttempt readZone(const cv::Mat& gray, const Band& band, const GlyphTemplates& glyphs, int variant);

}  // namespace sentinel::mrz::detail

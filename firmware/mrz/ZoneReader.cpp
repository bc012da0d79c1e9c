#include "firmware/mrz/ZoneReader.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <tuple>

namespace sentinel::mrz::detail {
namespace {

// The cut-out is scaled so that the band's length over 44 characters is at most this pitch:
// enough resolution for the lines' geometry; larger pitches only cost time.
constexpr double kRoiPitchPx = 16.0;
// Margins around the band, in (TD3-assumed) pitches and as a share of its length: room for a zone
// line the band search missed (glare) and for the ends it cut short.
constexpr double kMarginAlongShare = 0.06;
constexpr double kMarginAlongPitches = 2.0;
constexpr double kMarginAcrossPitches = 3.5;
// Ink: a grey closing (black-hat) over this share of a pitch fills OCR-B strokes (0.13 pitch wide,
// more when blurred) but not the dark areas a page's edge, a photo or the scene behind present.
constexpr double kStrokeWindowPitches = 1.0;
// Skew search: ± kSkewRangeDeg in kSkewStepDeg, then ± one step in kSkewFineStepDeg.
constexpr double kSkewRangeDeg = 2.5;
constexpr double kSkewStepDeg = 0.25;
constexpr double kSkewFineStepDeg = 0.05;
constexpr int kSlopeStrips = 64;
// A text line: rows whose (sheared) ink exceeds this share of the strongest row.
constexpr double kLineRowShare = 0.3;
// A line's extent: columns whose smoothed ink exceeds this share of the line's 90th-percentile
// column, joined across gaps of up to kLineGapPitches.
constexpr double kLineColumnShare = 0.2;
constexpr double kLineColumnPercentile = 0.9;
// Profiles are measured above their noise floor: the level of the lowest 5 % (the cut-out's margins
// hold no text; in low light the black-hat of sensor noise is a fifth of the text's ink).
constexpr double kNoiseFloorPercentile = 0.05;
constexpr double kLineGapPitches = 1.5;
// A reflection over part of a line (its saturated core, or a halo that leaves the strokes too
// faint) ends a line's extent early or splits it. The lines of a zone are printed equally long and
// aligned: when no group of lines has an MRZ's proportions on the extents they share, a group whose
// lines, their gaps of up to kWideGapPitches joined, end together at one end at least (within
// kAlignPitches) is judged on the longest extent and read over it; the reader's guards decide what
// under the reflection can be trusted.
constexpr double kWideGapPitches = 6.0;
constexpr double kAlignPitches = 1.0;
constexpr double kMinCoverShare = 0.5;
// OCR-B side bearings: a glyph's ink starts about this share of the pitch into its cell (measured
// on OCRB.otf: 0.14–0.17 for full-width glyphs).
constexpr double kBearingShare = 0.15;
// Zone proportions (Doc 9303 Part 3: 2.54 mm pitch; lines ≈ 4.2 mm apart, i.e. 1.67 pitches; glyphs
// 1.0–1.1 pitches tall), with tolerance for blur and tilt.
constexpr double kMinSpacingPitches = 1.2, kMaxSpacingPitches = 2.3;
constexpr double kMinHeightPitches = 0.5, kMaxHeightPitches = 1.8;
constexpr double kMaxLengthSpread = 0.15;  // lines of one zone: the longest extent within 15 % of the shared one
// Strip margins (cell pixels) and the grid refinement's search.
constexpr int kStripMarginX = kCellWidthPx;
constexpr int kStripMarginY = 4;
// A reflection's saturated core (appendClippedCores): a clipped disk 6 cell pixels (half a pitch)
// across — wider than the paper between two strokes of a glyph or two glyphs (≤ 0.35 pitch in
// OCR-B) — which, with its fringe of kCoreFringePx, reaches into the glyph body (the capital
// height, 12 of the cell's 16 rows); the core and its fringe are left out of the correlation. Glare pages of development seeds 30 and 31 read with every cored
// cell distrusted: 61 and 86 at 5 px, 65 and 93 at 6 px; with the masked correlation at 6 px, 68
// and 98.
constexpr int kCoreDiameterPx = 6;
// Cells more than this much clipped are judged on the pixels a line's cores leave as well (the
// reader trusts a mostly clipped cell whose glyph still leads there, ReaderOptions::
// judgeClippedCells, whose maxClippedShare is the same half).
constexpr float kJudgedClippedShare = 0.5f;
constexpr int kGlyphBodyPx = 12;
constexpr int kCoreFringePx = 2;
constexpr int kStripInkWindowPx = kCellWidthPx + 5;  // a glyph blurred by the largest template level fits
// Template sets are ranked on every kLevelSampleStep-th cell of the zone; every print variant is
// tried at the kRankedBlurs best blur levels, and the kLevelsKept best sets are classified with
// (until two pass: a job stops there). 12 of the 18 ranked: development seeds 28, 29 and 30 read
// 379, 1 199 and 715 pages (8 sets: 365, 1 179, 702; 4 sets: 347, 1 125, 658), 0 wrong each time;
// a read takes 4 frames (median) instead of 3.
constexpr int kLevelSampleStep = 12;
constexpr int kRankedBlurs = 2;
constexpr int kLevelsKept = 12;
// Grid search: offset over one pitch in kOffsetSteps, pitch within ±kPitchSearch in kPitchSteps
// each way, pitch change over the line within ±kPitchChangeSearch; then a finer pass.
constexpr int kOffsetSteps = 16;
constexpr double kPitchSearch = 0.04;
constexpr int kPitchSteps = 8;
constexpr double kPitchChangeSearch = 0.08;
constexpr int kPitchChangeSteps = 4;
constexpr int kGridPasses = 2;
constexpr int kFineRange = 2;
constexpr double kFineDivisor = 4.0;
constexpr double kProfileSmoothDivisor = 6.0;
// Line extents closer than this (pitches) at both ends are one candidate.
constexpr double kSameExtentPitches = 0.3;
// Classification shifts (cell pixels). ±2 along the line: a grid a pixel or two off at a cell (a
// tilted line's pitch drift) moves part of a glyph out of it; at ±1 a TD1 name's P read as F in
// every template set (lead 0.044, development seed 29), and 1 060 of its 1 750 pages read instead of
// 1 125.
constexpr int kShiftX = 2;
constexpr int kShiftY = 2;
constexpr int kShifts = (2 * kShiftX + 1) * (2 * kShiftY + 1);
// Re-sample a strip whose ink centroid is off its middle row by more than this (cell pixels).
constexpr double kRecentreRows = 0.3;

struct Line {
    double centreY = 0;  // sheared row (the row at the cut-out's middle column)
    int top = 0, bottom = 0;
    double x0 = 0, x1 = 0;  // ink extent
    double wideX0 = 0, wideX1 = 0;  // ink extent joining gaps of up to kWideGapPitches
    std::vector<double> columns;  // ink summed across the line's (sheared) rows, per column
    double height() const { return bottom - top + 1; }
    double length() const { return x1 - x0; }
};

// The value below which a share `p` (0…1) of `v` lies.
double percentileOf(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    const auto k = std::size_t(p * double(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
    return v[k];
}

// Row profile of `ink` (CV_8U) sheared by `slope` rows per column about the middle column.
std::vector<double> rowProfile(const cv::Mat& ink, double slope) {
    std::vector<double> p(std::size_t(ink.rows), 0.0);
    const double mid = ink.cols / 2.0;
    std::vector<int> shift(std::size_t(ink.cols));
    for (int x = 0; x < ink.cols; ++x) shift[std::size_t(x)] = int(std::lround((x - mid) * slope));
    for (int y = 0; y < ink.rows; ++y) {
        const std::uint8_t* row = ink.ptr<std::uint8_t>(y);
        for (int x = 0; x < ink.cols; ++x) {
            const int t = y - shift[std::size_t(x)];
            if (t >= 0 && t < ink.rows) p[std::size_t(t)] += row[x];
        }
    }
    return p;
}

double sharpness(const std::vector<double>& p) {
    double s = 0;
    for (double v : p) s += v * v;
    return s;
}

// Row profiles of `ink` (CV_8U) over `blocks` vertical strips of equal width (one row a strip,
// CV_64F): a sheared row profile is then their sum, each shifted by its strip centre's offset.
cv::Mat stripProfiles(const cv::Mat& ink, int blocks) {
    cv::Mat narrow;
    cv::resize(ink, narrow, cv::Size(blocks, ink.rows), 0, 0, cv::INTER_AREA);
    cv::Mat out;
    narrow.convertTo(out, CV_64F);
    return out.t();
}

// Sheared row profile from strip profiles (slope: rows per column of a cut-out `width` wide),
// fractional shifts interpolated.
std::vector<double> shearedProfile(const cv::Mat& strips, int width, double slope) {
    const int rows = strips.cols, blocks = strips.rows;
    std::vector<double> p(std::size_t(rows), 0.0);
    const double blockWidth = double(width) / blocks, mid = width / 2.0;
    for (int b = 0; b < blocks; ++b) {
        const double shift = ((b + 0.5) * blockWidth - mid) * slope;
        const int whole = int(std::floor(shift));
        const double f = shift - whole;
        const double* src = strips.ptr<double>(b);
        for (int y = 0; y < rows; ++y) {
            const int t0 = y - whole, t1 = t0 - 1;  // row y lands at y − shift, between t1 and t0
            if (t0 >= 0 && t0 < rows) p[std::size_t(t0)] += src[y] * (1 - f);
            if (t1 >= 0 && t1 < rows) p[std::size_t(t1)] += src[y] * f;
        }
    }
    return p;
}

// Slope (rows per column) whose sheared row profile has the sharpest peaks. The ink is summed over
// kSlopeStrips strips first: within a strip the shear moves a row by less than a third of a row
// (±2.5° over a 1/64 of the cut-out), and every angle then costs strips × rows, not the whole cut-out.
double findSlope(const cv::Mat& ink) {
    const cv::Mat strips = stripProfiles(ink, std::min(ink.cols, kSlopeStrips));
    auto best = [&](double centreDeg, double rangeDeg, double stepDeg) {
        double bestDeg = centreDeg, bestScore = -1;
        for (double a = centreDeg - rangeDeg; a <= centreDeg + rangeDeg + 1e-9; a += stepDeg) {
            const double s = sharpness(shearedProfile(strips, ink.cols, std::tan(a * std::numbers::pi / 180.0)));
            if (s > bestScore) {
                bestScore = s;
                bestDeg = a;
            }
        }
        return bestDeg;
    };
    const double coarse = best(0.0, kSkewRangeDeg, kSkewStepDeg);
    const double fine = best(coarse, kSkewStepDeg, kSkewFineStepDeg);
    return std::tan(fine * std::numbers::pi / 180.0);
}

std::vector<Line> findLines(const cv::Mat& ink, double slope, double pitchGuess) {
    std::vector<double> p = rowProfile(ink, slope);
    std::vector<double> smooth(p.size());
    for (std::size_t y = 0; y < p.size(); ++y) {
        const double a = y > 0 ? p[y - 1] : p[y], b = y + 1 < p.size() ? p[y + 1] : p[y];
        smooth[y] = (a + 2 * p[y] + b) / 4;
    }
    const double peak = *std::max_element(smooth.begin(), smooth.end());
    const double floor = percentileOf(smooth, kNoiseFloorPercentile);
    std::vector<Line> lines;
    if (peak <= floor) return lines;
    const double threshold = floor + kLineRowShare * (peak - floor);
    for (int y = 0; y < int(smooth.size());) {
        if (smooth[std::size_t(y)] <= threshold) {
            ++y;
            continue;
        }
        Line l;
        l.top = y;
        double w = 0, wy = 0;
        while (y < int(smooth.size()) && smooth[std::size_t(y)] > threshold) {
            w += smooth[std::size_t(y)] - threshold;
            wy += (smooth[std::size_t(y)] - threshold) * y;
            ++y;
        }
        l.bottom = y - 1;
        l.centreY = wy / w;
        if (l.height() >= kMinHeightPitches * pitchGuess * 0.5) lines.push_back(l);
    }
    // Each line's ink extent along the (sheared) row band.
    const double mid = ink.cols / 2.0;
    for (Line& l : lines) {
        std::vector<double> col(std::size_t(ink.cols), 0.0);
        const int halfBand = int(std::ceil(l.height() / 2.0)) + 1;
        for (int x = 0; x < ink.cols; ++x) {
            const double yc = l.centreY + (x - mid) * slope;
            const int y0 = std::max(0, int(std::floor(yc)) - halfBand), y1 = std::min(ink.rows - 1, int(std::ceil(yc)) + halfBand);
            double s = 0;
            for (int y = y0; y <= y1; ++y) s += ink.at<std::uint8_t>(y, x);
            col[std::size_t(x)] = s;
        }
        l.columns = col;
        const int box = std::max(1, int(pitchGuess / 2));
        std::vector<double> sm(col.size(), 0.0);
        double run = 0;
        for (int x = 0; x < int(col.size()); ++x) {
            run += col[std::size_t(x)];
            if (x >= box) run -= col[std::size_t(x - box)];
            sm[std::size_t(std::max(0, x - box / 2))] = run / box;
        }
        const double colFloor = percentileOf(sm, kNoiseFloorPercentile);
        const double thr = colFloor + kLineColumnShare * (percentileOf(sm, kLineColumnPercentile) - colFloor);
        // Longest run of inked columns, joining gaps shorter than kLineGapPitches (and, for the
        // wide extent, kWideGapPitches).
        auto longestRun = [&](int maxGap) {
            int bestStart = -1, bestEnd = -1, start = -1, lastInk = -1;
            for (int x = 0; x < int(sm.size()); ++x) {
                if (sm[std::size_t(x)] <= thr) continue;
                if (start < 0 || x - lastInk > maxGap) start = x;
                lastInk = x;
                if (lastInk - start > bestEnd - bestStart) {
                    bestStart = start;
                    bestEnd = lastInk;
                }
            }
            return std::pair<double, double>(bestStart, bestEnd + 1);
        };
        std::tie(l.x0, l.x1) = longestRun(int(kLineGapPitches * pitchGuess));
        std::tie(l.wideX0, l.wideX1) = longestRun(int(kWideGapPitches * pitchGuess));
    }
    return lines;
}

// The bottom-most group of `count` lines with an MRZ's proportions for `chars` characters a line.
// Lines of a zone are printed equally long and left-aligned; an extent that reaches further (a
// guilloche stroke, a neighbouring print) is judged on the extent all the lines share.
std::optional<std::vector<Line>> findZone(const std::vector<Line>& lines, int count, int chars, bool reflected) {
    auto proportioned = [&](const std::vector<Line>& g, double pitch) {
        for (std::size_t i = 0; i < g.size(); ++i) {
            if (g[i].height() < kMinHeightPitches * pitch || g[i].height() > kMaxHeightPitches * pitch) return false;
            if (i > 0) {
                const double spacing = g[i].centreY - g[i - 1].centreY;
                if (spacing < kMinSpacingPitches * pitch || spacing > kMaxSpacingPitches * pitch) return false;
            }
        }
        return true;
    };
    for (int start = int(lines.size()) - count; start >= 0 && !reflected; --start) {
        std::vector<Line> g(lines.begin() + start, lines.begin() + start + count);
        double x0 = -1e9, x1 = 1e9, u0 = 1e9, u1 = -1e9;
        for (const Line& l : g) {
            x0 = std::max(x0, l.x0), x1 = std::min(x1, l.x1), u0 = std::min(u0, l.x0), u1 = std::max(u1, l.x1);
        }
        const double shared = x1 - x0;
        if (shared <= 0 || (u1 - u0) > (1 + kMaxLengthSpread) * shared) continue;
        if (proportioned(g, shared / (chars - 2 * kBearingShare))) return g;
    }
    // Lines a reflection shortened or split: the longest extent their joined runs reach, when every
    // line ends with it at one end and covers most of it.
    for (int start = int(lines.size()) - count; start >= 0 && reflected; --start) {
        std::vector<Line> g(lines.begin() + start, lines.begin() + start + count);
        double u0 = 1e9, u1 = -1e9;
        for (const Line& l : g) u0 = std::min(u0, l.wideX0), u1 = std::max(u1, l.wideX1);
        const double pitch = (u1 - u0) / (chars - 2 * kBearingShare);
        const bool aligned = std::all_of(g.begin(), g.end(), [&](const Line& l) {
            const bool end = std::fabs(l.wideX0 - u0) <= kAlignPitches * pitch || std::fabs(l.wideX1 - u1) <= kAlignPitches * pitch;
            return end && l.wideX1 - l.wideX0 >= kMinCoverShare * (u1 - u0);
        });
        if (pitch <= 0 || !aligned || !proportioned(g, pitch)) continue;
        for (Line& l : g) l.x0 = u0, l.x1 = u1;
        return g;
    }
    return std::nullopt;
}

// Character grid along a line: the left edge of cell k (0 ≤ k ≤ chars, k may be fractional) lies
// at column a + b·k + c·k² of the cut-out. The quadratic term is a tilted page's perspective: the
// pitch changes steadily along the line (5° of tilt on a page filling the frame: ±3 %).
struct Grid {
    double a = 0, b = 0, c = 0;
    double x(double k) const { return a + b * k + c * k * k; }
    double pitch(double k) const { return b + 2 * c * k; }
};

double interpolate(const std::vector<double>& v, double x) {
    if (x <= 0) return v.front();
    if (x >= double(v.size() - 1)) return v.back();
    const auto i = std::size_t(x);
    const double f = x - double(i);
    return v[i] * (1 - f) + v[i + 1] * f;
}

// Ink at cell centres minus ink at cell boundaries: OCR-B glyphs never touch, so the right grid puts
// every boundary in a gap.
double gridScore(const std::vector<double>& col, const Grid& g, int chars) {
    double s = 0;
    for (int k = 0; k < chars; ++k) s += interpolate(col, g.x(k + 0.5)) - interpolate(col, g.x(k));
    return s - interpolate(col, g.x(chars));
}

double zoneScore(const std::vector<std::vector<double>>& cols, const Grid& g, int chars) {
    double s = 0;
    for (const auto& c : cols) s += gridScore(c, g, chars);
    return s;
}

// Grid search around `start`: offset within ±rangeA steps of 1/kOffsetSteps pitch, pitch within
// ±rangeB steps of kPitchSearch/kPitchSteps, pitch change along the line within ±rangeC steps of
// kPitchChangeSearch/kPitchChangeSteps; further passes around the best at finer steps.
Grid searchGrid(const std::vector<std::vector<double>>& cols, Grid start, int chars, double& bestScore, int rangeA,
                int rangeB, int rangeC, int passes) {
    Grid best = start;
    bestScore = zoneScore(cols, best, chars);
    double stepA = start.b / kOffsetSteps, stepB = start.b * kPitchSearch / kPitchSteps,
           stepC = start.b * kPitchChangeSearch / (2.0 * chars) / kPitchChangeSteps;
    for (int pass = 0; pass < passes; ++pass) {
        const Grid centre = best;
        for (int ic = -rangeC; ic <= rangeC; ++ic)
            for (int ib = -rangeB; ib <= rangeB; ++ib)
                for (int ia = -rangeA; ia <= rangeA; ++ia) {
                    const Grid g{centre.a + ia * stepA, centre.b + ib * stepB, centre.c + ic * stepC};
                    const double sc = zoneScore(cols, g, chars);
                    if (sc > bestScore) {
                        bestScore = sc;
                        best = g;
                    }
                }
        stepA /= kFineDivisor, stepB /= kFineDivisor, stepC /= kFineDivisor;
        rangeA = rangeB = kFineRange;
        rangeC = rangeC > 0 ? kFineRange : 0;
    }
    return best;
}

// The zone's lines share one grid (a page is flat): fitted on all their column profiles together,
// from each extent the lines suggest; then each line's own offset and pitch fine-tuned (a tilt
// also changes the pitch a little from line to line).
std::vector<Grid> fitGrids(const std::vector<LocatedZone::Line>& zone, int chars) {
    std::vector<std::vector<double>> cols;
    for (const LocatedZone::Line& l : zone) {
        // Smoothed over a sixth of a pitch: the score then varies smoothly with the grid.
        const int box = std::max(1, int(l.length() / chars / kProfileSmoothDivisor));
        std::vector<double> c(l.columns.size(), 0.0);
        for (std::size_t x = 0; x < c.size(); ++x) {
            double sum = 0;
            int n = 0;
            for (int d = -box / 2; d <= box / 2; ++d) {
                const auto i = std::ptrdiff_t(x) + d;
                if (i < 0 || i >= std::ptrdiff_t(c.size())) continue;
                sum += l.columns[std::size_t(i)];
                ++n;
            }
            c[x] = sum / n;
        }
        cols.push_back(std::move(c));
    }
    std::vector<std::pair<double, double>> extents;
    double x0 = -1e9, x1 = 1e9;
    for (const LocatedZone::Line& l : zone) x0 = std::max(x0, l.x0), x1 = std::min(x1, l.x1);
    extents.emplace_back(x0, x1);
    for (const LocatedZone::Line& l : zone) {
        const double p = l.length() / chars;
        const bool known = std::any_of(extents.begin(), extents.end(), [&](const auto& e) {
            return std::fabs(e.first - l.x0) < kSameExtentPitches * p && std::fabs(e.second - l.x1) < kSameExtentPitches * p;
        });
        if (!known) extents.emplace_back(l.x0, l.x1);
    }
    Grid best;
    double bestScore = -1e300;
    for (const auto& [e0, e1] : extents) {
        const double pitch = (e1 - e0) / (chars - 2 * kBearingShare);
        double score = 0;
        const Grid g = searchGrid(cols, Grid{e0 - kBearingShare * pitch, pitch, 0}, chars, score, kOffsetSteps / 2,
                                  kPitchSteps, kPitchChangeSteps, kGridPasses);
        if (score > bestScore) {
            bestScore = score;
            best = g;
        }
    }
    std::vector<Grid> grids;
    for (const auto& c : cols) {
        double score = 0;
        grids.push_back(searchGrid({c}, best, chars, score, kFineRange, kFineRange, 0, 1));
    }
    return grids;
}

// Resamples the line into a strip of cells kCellWidthPx wide (kStripMarginX on either side), the
// line's centre row on the cells' middle row.
cv::Mat sampleStrip(const cv::Mat& roi, const Grid& g, double centreY, double slope, double mid, int chars) {
    const cv::Size size(chars * kCellWidthPx + 2 * kStripMarginX, kCellHeightPx + 2 * kStripMarginY);
    cv::Mat mapX(size, CV_32FC1), mapY(size, CV_32FC1);
    for (int u = 0; u < size.width; ++u) {
        const double k = double(u - kStripMarginX) / kCellWidthPx;
        const double x = g.x(k), q = g.pitch(std::clamp(k, 0.0, double(chars))) / kCellWidthPx;
        const double yc = centreY + (x - mid) * slope;
        for (int v = 0; v < size.height; ++v) {
            mapX.at<float>(v, u) = float(x);
            mapY.at<float>(v, u) = float(yc + (v - kStripMarginY - kCellHeightPx / 2.0 + 0.5) * q);
        }
    }
    cv::Mat strip;
    cv::remap(roi, strip, mapX, mapY, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    return strip;
}

// Share of each cell's pixels (the cell itself, no shift margin) at or above kClippedGrey in a grey
// strip of `chars` cells.
void appendClippedShares(const cv::Mat& strip, int chars, std::vector<float>& out) {
    for (int i = 0; i < chars; ++i) {
        int clipped = 0;
        for (int y = kStripMarginY; y < kStripMarginY + kCellHeightPx; ++y) {
            const std::uint8_t* row = strip.ptr<std::uint8_t>(y) + kStripMarginX + i * kCellWidthPx;
            for (int x = 0; x < kCellWidthPx; ++x) clipped += row[x] >= kClippedGrey;
        }
        out.push_back(float(clipped) / float(kCellPixels));
    }
}

// Per cell of a grey strip of `chars` cells, whether a reflection's saturated core reaches into the
// glyph body: clipped pixels (≥ kClippedGrey) covered by a clipped disk kCoreDiameterPx across,
// with its fringe. Where a reflection only brightens the paper the strokes stay visible, and the
// paper between them (within a glyph or between two) is narrower than the disk; where its core has
// erased ink the disk fits — an E's bottom bar (F), or from above or below the line a 0's top (U,
// the same value mod 10) without clipping much of the cell. Returns the line's mask of the core
// and its fringe (CV_8U, 255 = left out of the correlation; empty without a core).
cv::Mat appendClippedCores(const cv::Mat& strip, int chars, std::vector<std::uint8_t>& out) {
    cv::Mat clipped = strip >= kClippedGrey, core;
    cv::morphologyEx(clipped, core, cv::MORPH_OPEN,
                     cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(kCoreDiameterPx, kCoreDiameterPx)));
    if (cv::countNonZero(core) == 0) {
        out.insert(out.end(), std::size_t(chars), 0);
        return cv::Mat();
    }
    // The core and its fringe, where the reflection is nearly saturated (a stroke there shows as a
    // faint trace, an erased one as none).
    cv::dilate(core, core, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * kCoreFringePx + 1, 2 * kCoreFringePx + 1)));
    const int bodyTop = kStripMarginY + (kCellHeightPx - kGlyphBodyPx) / 2;
    for (int i = 0; i < chars; ++i) {
        const cv::Rect body(kStripMarginX + i * kCellWidthPx, bodyTop, kCellWidthPx, kGlyphBodyPx);
        out.push_back(cv::countNonZero(core(body)) > 0 ? 1 : 0);
    }
    return core;
}

float dot(const float* a, const float* b);

// Cell `cell` (in column `column` of its line) against the glyph templates over the pixels the
// line's core mask leaves, at every shift: the read glyph `read`'s lead over the best other of
// `glyphs` (0 when the mask leaves less than a quarter of the cell).
float unclippedLead(const cv::Mat& patches, int cell, int column, const cv::Mat& coreMask, const std::vector<int>& glyphs, int read,
                    const TemplateSet& templates) {
    std::array<float, kGlyphCount> best;
    best.fill(-2.0f);
    // The correlation over the kept pixels as dot products (vectorised): with p the patch centred
    // on the kept pixels and zero elsewhere, m the kept pixels' indicator and t a template,
    // Σ p·(t − t̄) = p·t and Σ (t − t̄)² = m·t² − (m·t)² / n.
    std::vector<std::array<float, kCellPixels>> squares(glyphs.size());
    for (std::size_t i = 0; i < glyphs.size(); ++i) {
        const float* tg = templates.ptr<float>(glyphs[i]);
        for (int k = 0; k < kCellPixels; ++k) squares[i][std::size_t(k)] = tg[k] * tg[k];
    }
    int row = cell * kShifts;
    alignas(32) std::array<float, kCellPixels> p{}, m{};
    for (int dy = -kShiftY; dy <= kShiftY; ++dy) {
        for (int dx = -kShiftX; dx <= kShiftX; ++dx, ++row) {
            const float* patch = patches.ptr<float>(row);
            const int x0 = kStripMarginX + column * kCellWidthPx + dx, y0 = kStripMarginY + dy;
            int n = 0;
            for (int y = 0; y < kCellHeightPx; ++y) {
                const std::uint8_t* mask = coreMask.ptr<std::uint8_t>(y0 + y) + x0;
                for (int x = 0; x < kCellWidthPx; ++x) {
                    const bool kept = mask[x] == 0;
                    m[std::size_t(y * kCellWidthPx + x)] = kept ? 1.0f : 0.0f;
                    n += kept;
                }
            }
            if (n < kCellPixels / 4) return 0.0f;  // the core covers most of the cell: nothing to tell glyphs by
            const float mean = dot(patch, m.data()) / float(n);
            for (int k = 0; k < kCellPixels; ++k) p[std::size_t(k)] = m[std::size_t(k)] * (patch[k] - mean);
            const double pp = dot(p.data(), p.data());
            for (std::size_t i = 0; i < glyphs.size(); ++i) {
                const float* tg = templates.ptr<float>(glyphs[i]);
                const double st = dot(m.data(), tg);
                const double tt = double(dot(m.data(), squares[i].data())) - st * st / n;
                const double pt = dot(p.data(), tg);
                const float ncc = pp > 0 && tt > 0 ? float(pt / std::sqrt(pp * tt)) : 0.0f;
                best[std::size_t(glyphs[i])] = std::max(best[std::size_t(glyphs[i])], ncc);
            }
        }
    }
    float other = -2.0f;
    for (int g : glyphs)
        if (g != read) other = std::max(other, best[std::size_t(g)]);
    return other > -2.0f ? best[std::size_t(read)] - other : 1.0f;
}

// Ink of a strip (CV_32F): what a grey closing over a window wider than a (blurred) glyph fills.
cv::Mat stripInk(const cv::Mat& strip) {
    cv::Mat ink;
    cv::morphologyEx(strip, ink, cv::MORPH_BLACKHAT,
                     cv::getStructuringElement(cv::MORPH_RECT, cv::Size(kStripInkWindowPx, strip.rows)));
    ink.convertTo(ink, CV_32F);
    return ink;
}

// The glyphs position (line, column) of `format` may hold.
std::vector<int> allowedGlyphs(MrzFormat format, int line, int column) {
    const CharClass cls = layout(format)[std::size_t(line)][std::size_t(column)];
    std::vector<int> out;
    for (int g = 0; g < kGlyphCount; ++g) {
        const char c = kAlphabet[std::size_t(g)];
        if (!allowed(cls, c)) continue;
        // The document code's first letter: P for TD3 (Part 4), I, A or C for TD1 (Part 5).
        if (line == 0 && column == 0) {
            if (format == MrzFormat::Td3 && c != 'P') continue;
            if (format == MrzFormat::Td1 && c != 'I' && c != 'A' && c != 'C') continue;
        }
        out.push_back(g);
    }
    return out;
}

// Every cell of every line at every shift as a zero-mean, unit-norm row (kCellPixels wide), cell
// by cell, line by line: correlations with a template set are then one matrix product.
// Written into `storage` (grown to the largest zone, TD1's 3 × 30 cells) when one is given; the
// result is then a view of it.
cv::Mat cellPatches(const std::vector<cv::Mat>& inks, int chars, cv::Mat* storage = nullptr) {
    const int rows = int(inks.size()) * chars * kShifts;
    cv::Mat patches;
    if (storage) {
        const int capacity = std::max(rows, lineCount(MrzFormat::Td1) * lineLength(MrzFormat::Td1) * kShifts);
        if (storage->rows < capacity || storage->type() != CV_32F || storage->cols != kCellPixels)
            storage->create(capacity, kCellPixels, CV_32F);
        patches = storage->rowRange(0, rows);
    } else {
        patches.create(rows, kCellPixels, CV_32F);
    }
    int row = 0;
    for (const cv::Mat& ink : inks) {
        for (int i = 0; i < chars; ++i) {
            for (int dy = -kShiftY; dy <= kShiftY; ++dy) {
                for (int dx = -kShiftX; dx <= kShiftX; ++dx, ++row) {
                    float* out = patches.ptr<float>(row);
                    const int x0 = kStripMarginX + i * kCellWidthPx + dx, y0 = kStripMarginY + dy;
                    double sum = 0;
                    for (int y = 0; y < kCellHeightPx; ++y) {
                        const float* in = ink.ptr<float>(y0 + y) + x0;
                        for (int x = 0; x < kCellWidthPx; ++x) sum += (out[y * kCellWidthPx + x] = in[x]);
                    }
                    const float mean = float(sum / kCellPixels);
                    double norm2 = 0;
                    for (int k = 0; k < kCellPixels; ++k) {
                        out[k] -= mean;
                        norm2 += double(out[k]) * out[k];
                    }
                    const float inv = norm2 > 0 ? float(1.0 / std::sqrt(norm2)) : 0.0f;
                    for (int k = 0; k < kCellPixels; ++k) out[k] *= inv;
                }
            }
        }
    }
    return patches;
}

// Dot product of two cells; eight running sums so that the compiler vectorises it.
float dot(const float* a, const float* b) {
    static_assert(kCellPixels % 8 == 0);
    std::array<float, 8> acc{};
    for (int k = 0; k < kCellPixels; k += 8)
        for (int j = 0; j < 8; ++j) acc[std::size_t(j)] += a[k + j] * b[k + j];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// Cell `cell` (0-based over the zone, its shifts' rows in `patches`) against the glyphs its position
// allows: the best glyph over the shifts, its lead over the runner-up, and the runner-ups.
std::pair<char, CharScore> classifyCell(const cv::Mat& patches, int cell, const std::vector<int>& glyphs,
                                        const TemplateSet& templates) {
    std::array<float, kGlyphCount> best;
    best.fill(-2.0f);
    for (int sh = 0; sh < kShifts; ++sh) {
        const float* p = patches.ptr<float>(cell * kShifts + sh);
        for (int g : glyphs) best[std::size_t(g)] = std::max(best[std::size_t(g)], dot(p, templates.ptr<float>(g)));
    }
    constexpr int kKept = kAlternatives + 1;
    std::array<int, kKept> top;
    top.fill(-1);
    for (int g : glyphs) {
        for (int r = 0; r < kKept; ++r) {
            if (top[std::size_t(r)] < 0 || best[std::size_t(g)] > best[std::size_t(top[std::size_t(r)])]) {
                for (int m = kKept - 1; m > r; --m) top[std::size_t(m)] = top[std::size_t(m - 1)];
                top[std::size_t(r)] = g;
                break;
            }
        }
    }
    CharScore score;
    score.best = best[std::size_t(top[0])];
    score.margin = top[1] >= 0 ? score.best - best[std::size_t(top[1])] : 1.0f;
    const int value = characterValue(kAlphabet[std::size_t(top[0])]) % 10;
    float congruent = -2.0f;
    for (int g : glyphs)
        if (g != top[0] && characterValue(kAlphabet[std::size_t(g)]) % 10 == value) congruent = std::max(congruent, best[std::size_t(g)]);
    score.congruentMargin = congruent > -2.0f ? score.best - congruent : 1.0f;
    for (int r = 1; r < kKept; ++r) {
        if (top[std::size_t(r)] < 0) continue;
        score.alternatives[std::size_t(r - 1)] = kAlphabet[std::size_t(top[std::size_t(r)])];
        score.alternativeScores[std::size_t(r - 1)] = best[std::size_t(top[std::size_t(r)])];
    }
    return {kAlphabet[std::size_t(top[0])], score};
}

// Template sets ordered by how well they fit the zone (mean best correlation over every
// kLevelSampleStep-th cell): first the blur levels of the first variant, then every variant at the
// kRankedBlurs best of them; at most kLevelsKept sets.
std::vector<std::size_t> rankLevels(const cv::Mat& patches, MrzFormat format, const GlyphTemplates& glyphs) {
    const int chars = lineLength(format), cells = patches.rows / kShifts;
    auto fitOf = [&](std::size_t set) {
        double sum = 0;
        for (int c = 0; c < cells; c += kLevelSampleStep)
            sum += classifyCell(patches, c, allowedGlyphs(format, c / chars, c % chars), glyphs.levels[set]).second.best;
        return sum;
    };
    std::vector<std::pair<double, std::size_t>> fit;
    for (int b = 0; b < kBlurLevels; ++b) fit.emplace_back(-fitOf(std::size_t(b)), std::size_t(b));
    std::sort(fit.begin(), fit.end());
    const std::size_t blurs = std::min<std::size_t>(kRankedBlurs, fit.size());
    for (std::size_t i = 0; i < blurs; ++i) {
        const std::size_t blur = fit[i].second;
        for (int v = 1; v < glyphs.variants(); ++v) {
            const std::size_t set = std::size_t(v * kBlurLevels) + blur;
            fit.emplace_back(-fitOf(set), set);
        }
    }
    std::sort(fit.begin(), fit.end());
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < fit.size() && i < std::size_t(kLevelsKept); ++i) order.push_back(fit[i].second);
    return order;
}

}  // namespace

namespace {

// Where the cut-out of a band lies and how it is scaled.
struct CutGeometry {
    double length = 0, height = 0, pitchGuess = 0, scale = 1, marginX = 0, marginY = 0;
    int roiW = 0, roiH = 0;
};

CutGeometry geometryOf(const Band& band) {
    CutGeometry g;
    g.length = band.box.size.width, g.height = band.box.size.height;
    g.pitchGuess = g.length / kTd3LineLength;  // the smallest pitch the band's length allows
    g.scale = std::min(1.0, kRoiPitchPx / g.pitchGuess);
    g.marginX = kMarginAlongShare * g.length + kMarginAlongPitches * g.pitchGuess;
    g.marginY = g.height / 2 + kMarginAcrossPitches * g.pitchGuess;
    g.roiW = int(std::ceil((g.length + 2 * g.marginX) * g.scale));
    g.roiH = int(std::ceil((g.height + 2 * g.marginY) * g.scale));
    return g;
}

}  // namespace

std::optional<ScaledBand> scaleBand(const cv::Mat& gray, const Band& band) {
    const CutGeometry g = geometryOf(band);
    // The band's bounding box, area-averaged down when the pitch is large (no aliasing): the cut-out
    // is then only rotated.
    cv::Point2f corners[4];
    cv::RotatedRect(band.box.center, cv::Size2f(float(g.length + 2 * g.marginX), float(g.height + 2 * g.marginY)), band.box.angle)
        .points(corners);
    const cv::Rect box = cv::boundingRect(std::vector<cv::Point2f>(corners, corners + 4)) & cv::Rect(0, 0, gray.cols, gray.rows);
    if (box.empty()) return std::nullopt;
    ScaledBand out;
    out.offset = cv::Point2d(box.x, box.y);
    out.scale = g.scale;
    if (g.scale < 1.0) {
        cv::resize(gray(box), out.source, cv::Size(), g.scale, g.scale, cv::INTER_AREA);
    } else {
        gray(box).copyTo(out.source);
    }
    return out;
}

std::optional<CutOut> cutOut(const ScaledBand& scaled, const Band& band) {
    const CutGeometry g = geometryOf(band);
    const double scale = g.scale, pitchGuess = g.pitchGuess;
    const int roiW = g.roiW, roiH = g.roiH;
    const double t = band.box.angle * std::numbers::pi / 180.0;
    const double c = std::cos(t), s = std::sin(t);
    // Frame pixels of cut-out pixel (u, v): centre + R(angle) · ((u, v) − size / 2) / scale.
    const cv::Mat& source = scaled.source;
    const double sourceScale = scaled.scale;
    const double cx = (band.box.center.x - scaled.offset.x) * sourceScale, cy = (band.box.center.y - scaled.offset.y) * sourceScale;
    const double k = sourceScale / scale;  // source pixels per cut-out pixel (1: the source is already scaled)
    const cv::Mat roiToSource = (cv::Mat_<double>(2, 3) << c * k, -s * k, cx - (c * roiW - s * roiH) * k / 2,  //
                                 s * k, c * k, cy - (s * roiW + c * roiH) * k / 2);
    cv::Mat roi;
    cv::warpAffine(source, roi, roiToSource, cv::Size(roiW, roiH), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                   cv::BORDER_REPLICATE);

    // Ink: the strokes a grey closing fills (black-hat), so that uneven light, glare and large dark
    // areas beside the zone cancel out.
    const double roiPitch = pitchGuess * scale;
    const int window = std::max(3, int(std::lround(kStrokeWindowPitches * roiPitch)) | 1);
    cv::Mat ink;
    cv::GaussianBlur(roi, roi, cv::Size(3, 3), 0);  // sensor noise would otherwise feed the black-hat
    cv::morphologyEx(roi, ink, cv::MORPH_BLACKHAT, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(window, window)));
    return CutOut{roi, ink, scale, roiPitch};
}

std::optional<LocatedZone> findZoneLines(const CutOut& cut) {
    const double slope = findSlope(cut.ink);
    const std::vector<Line> lines = findLines(cut.ink, slope, cut.roiPitch);

    // Lines as printed first, in either format (a TD1 card's lines are not a shortened TD3 zone).
    for (auto [format, reflected] : {std::pair{MrzFormat::Td3, false}, std::pair{MrzFormat::Td1, false},
                                     std::pair{MrzFormat::Td3, true}, std::pair{MrzFormat::Td1, true}}) {
        const auto zone = findZone(lines, lineCount(format), lineLength(format), reflected);
        if (!zone) continue;
        LocatedZone located;
        located.format = format;
        located.roi = cut.roi;
        located.scale = cut.scale;
        located.slope = slope;
        for (const Line& l : *zone) located.lines.push_back({l.centreY, l.x0, l.x1, l.columns});
        return located;
    }
    return std::nullopt;
}

SampledZone sampleCells(const LocatedZone& zone, PatchStore* store) {
    SampledZone sampled;
    sampled.format = zone.format;
    const int chars = lineLength(zone.format);
    const double mid = zone.roi.cols / 2.0;
    const std::vector<Grid> grids = fitGrids(zone.lines, chars);
    std::vector<cv::Mat> inks;
    for (std::size_t l = 0; l < zone.lines.size(); ++l) {
        const LocatedZone::Line& line = zone.lines[l];
        const Grid& grid = grids[l];
        cv::Mat strip = sampleStrip(zone.roi, grid, line.centreY, zone.slope, mid, chars);
        cv::Mat inkStrip = stripInk(strip);
        // Vertical centring: the ink's centroid row onto the cell's middle row.
        double w = 0, wy = 0;
        for (int y = 0; y < inkStrip.rows; ++y) {
            const double r = cv::sum(inkStrip.row(y))[0];
            w += r;
            wy += r * y;
        }
        const double shiftRows = w > 0 ? wy / w - (kStripMarginY + kCellHeightPx / 2.0 - 0.5) : 0.0;
        if (std::fabs(shiftRows) > kRecentreRows) {
            strip = sampleStrip(zone.roi, grid, line.centreY + shiftRows * grid.pitch(chars / 2.0) / kCellWidthPx, zone.slope,
                                mid, chars);
            inkStrip = stripInk(strip);
        }
        appendClippedShares(strip, chars, sampled.clippedShare);
        sampled.coreMasks.push_back(appendClippedCores(strip, chars, sampled.clippedCore));
        inks.push_back(inkStrip);
        sampled.pitchPx += grid.pitch(chars / 2.0) / zone.scale / double(zone.lines.size());
    }
    sampled.plainPatches = cellPatches(inks, chars, store ? &store->plain : nullptr);
    sampled.inks = std::move(inks);
    return sampled;
}

void sharpenCells(SampledZone& zone, PatchStore* store) {
    for (cv::Mat& ink : zone.inks) ink = sharpened(ink, cv::BORDER_REFLECT);
    zone.patches = cellPatches(zone.inks, lineLength(zone.format), store ? &store->sharpened : nullptr);
    zone.inks.clear();
}

void rankTemplateSets(SampledZone& zone, const GlyphTemplates& glyphs) {
    zone.levelOrder = rankLevels(zone.patches, zone.format, glyphs);
}

SampledZone sampleZone(const LocatedZone& zone, const GlyphTemplates& glyphs, PatchStore* store) {
    SampledZone sampled = sampleCells(zone, store);
    sharpenCells(sampled, store);
    rankTemplateSets(sampled, glyphs);
    return sampled;
}

ZoneRead classifyZone(const SampledZone& zone, const GlyphTemplates& glyphs, int variant) {
    ZoneRead read;
    read.format = zone.format;
    read.pitchPx = zone.pitchPx;
    read.clippedShare = zone.clippedShare;
    read.clippedCore = zone.clippedCore;
    const int chars = lineLength(zone.format), lines = lineCount(zone.format);
    read.level = int(zone.levelOrder[std::size_t(variant) % zone.levelOrder.size()]);
    const TemplateSet& templates = glyphs.levels[std::size_t(read.level)];
    for (int l = 0; l < lines; ++l) {
        std::string text;
        for (int i = 0; i < chars; ++i) {
            const std::vector<int> allowed = allowedGlyphs(zone.format, l, i);
            auto [ch, score] = classifyCell(zone.patches, l * chars + i, allowed, templates);
            const std::size_t cell = std::size_t(l * chars + i);
            // Only where no check digit would see a glyph turned into another (MrzReader's floor):
            // the glyph leads its closest rivals without the unsharp mask too (the mask rings
            // around a clipped area, beyond the core's fringe).
            const bool unchecked = uncheckedByDigits(layout(zone.format)[std::size_t(l)][std::size_t(i)]);
            const TemplateSet& plain = glyphs.plain[std::size_t(read.level)];
            if (unchecked) {
                std::vector<int> rivals{glyphIndex(ch)};
                for (char alt : score.alternatives)
                    if (alt != '\0') rivals.push_back(glyphIndex(alt));
                score.plainAgrees = classifyCell(zone.plainPatches, int(cell), rivals, plain).first == ch;
            }
            // Names, codes and sex: the lead over every glyph allowed on the pixels a reflection
            // left; checked alphanumeric fields: over the glyphs of the same value mod 10 only (a 0
            // whose top a core clipped reads U, both 0 mod 10; another value fails the check).
            // Digit-only positions: over every digit (MrzReader allows one erased cell a field).
            const CharClass cls = layout(zone.format)[std::size_t(l)][std::size_t(i)];
            const bool cored = cell < zone.clippedCore.size() && zone.clippedCore[cell];
            const bool clipped = cell < zone.clippedShare.size() && zone.clippedShare[cell] > kJudgedClippedShare;
            const bool masked = std::size_t(l) < zone.coreMasks.size() && !zone.coreMasks[std::size_t(l)].empty();
            if ((cored || clipped) && masked) {
                std::vector<int> rivals = allowed;
                if (cls == CharClass::AlphaNumeric) {
                    const int value = characterValue(ch) % 10;
                    std::erase_if(rivals, [&](int g) { return characterValue(kAlphabet[std::size_t(g)]) % 10 != value; });
                }
                score.unclippedMargin = unclippedLead(zone.plainPatches, int(cell), i, zone.coreMasks[std::size_t(l)], rivals, glyphIndex(ch), plain);
                score.unclippedJudged = true;
            }
            text += ch;
            read.scores.push_back(score);
        }
        read.lines.emplace_back(text);
        secureZero(text.data(), text.size());
    }
    return read;
}

std::optional<LocatedZone> locateZone(const cv::Mat& gray, const Band& band) {
    const auto scaled = scaleBand(gray, band);
    if (!scaled) return std::nullopt;
    const auto cut = cutOut(*scaled, band);
    if (!cut) return std::nullopt;
    return findZoneLines(*cut);
}

std::optional<ZoneRead> readZone(const cv::Mat& gray, const Band& band, const GlyphTemplates& glyphs, int variant) {
    const auto located = locateZone(gray, band);
    if (!located) return std::nullopt;
    return classifyZone(sampleZone(*located, glyphs), glyphs, variant);
}

}  // namespace sentinel::mrz::detail

#include "firmware/decode/GridReader.h"

#define ZX_USE_UTF8 1
#include <ZXing/BitMatrix.h>
#include <ZXing/Result.h>
#include <ZXing/ZXVersion.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <complex>
#include <coroutine>
#include <exception>
#include <tuple>
#include <utility>
#include <vector>

// ZXing-cpp 1.4 exports its QR decoder (`QRCode::Decode`: module matrix in, format and version
// information read, Reed–Solomon corrected, content parsed) and the `Result` constructor that takes
// its outcome, but does not install the header of the type in between. Here that type is opaque
// storage that only the library constructs, moves and destroys; the layout it fills is the
// library's own. Pinned to the 1.4 series (Debian bookworm), which `GridReaderTest` exercises.
static_assert(ZXING_VERSION_MAJOR == 1 && ZXING_VERSION_MINOR == 4,
              "GridReader declares ZXing-cpp 1.4's QRCode::Decode: check its signature on another version");

namespace ZXing {
class DecoderResult {
public:
    DecoderResult(DecoderResult&&) noexcept;
    ~DecoderResult();

private:
    // Larger than the library's DecoderResult (≈ 250 bytes in 1.4 on 64-bit targets).
    alignas(16) unsigned char storage_[1024];
};
namespace QRCode {
DecoderResult Decode(const BitMatrix& bits);
}  // namespace QRCode
}  // namespace ZXing

namespace sentinel::decode::detail {
namespace {

constexpr int kMinModules = 21;   // version 1
constexpr int kMaxModules = 177;  // version 40
// A module must span at least this many pixels of the square to be sampled at its centre.
constexpr double kMinModulePx = 2.0;
// Module count: the spectrum of the edge profiles is searched at this resolution (cycles per box
// side), and versions whose side lies within kModuleCountTolerance of the peak are tried.
constexpr int kSpectrumOversample = 4;
// The squares GridReader is given draw a module over ≥ 3.4 px (outline rectification upscales 2x,
// codes of ≥ 1.7 px modules); the spectrum is searched down to this pitch, after a smoothing that
// leaves such modules' edges.
constexpr double kMinSpectrumModulePx = 3.0;
constexpr double kSpectrumSmoothPx = 1.0;
constexpr double kTrendWindowOfSide = 1.0 / 12;  // version 1: a module is 1/21 of the side
constexpr double kModuleCountTolerance = 6.6;
constexpr std::size_t kMaxModuleCounts = 4;
constexpr std::size_t kMaxHypotheses = 2;  // of those, the ones whose grid is sampled and decoded
// Grid fit: the four corners move in steps of these fractions of a module (coarse to fine), one
// sweep per step, to maximise how far the module-centre samples lie from their local mean.
constexpr std::array<double, 2> kFitStepsModules{0.25, 0.125};
// A grid the landmarks placed (its timing patterns read at least kPlacedTimingScore) is within a
// fraction of a module already: only the steps up to kPlacedFitStepModules.
constexpr double kPlacedTimingScore = 0.8;
constexpr double kPlacedFitStepModules = 0.125;
// Anchoring: each landmark is searched within ±kAnchorSearchModules of where the outline puts it,
// in steps of kAnchorSearchStepModules, and accepted above its least match (normalised correlation
// with the template; a clean pattern gives ≈ 0.9, random modules ≈ 0.3 at best).
constexpr double kAnchorSearchModules = 2.25;
constexpr double kAnchorSearchStepModules = 0.25;
constexpr double kAlignmentCoarseStepModules = 0.5;
// Finder patterns: searched in steps of kFinderCoarseStepModules at each of kFinderScales, then
// in steps of kFinderFineStepModules around the best.
constexpr double kFinderCoarseStepModules = 0.5;
constexpr double kFinderFineStepModules = 0.125;
constexpr std::array<double, 5> kFinderScales{0.8, 0.9, 1.0, 1.12, 1.25};
// Finder scan: adaptive threshold over kFinderBinarizeModules modules (at least
// kFinderBinarizeMinBlockPx, offset kFinderBinarizeOffset grey levels), every kFinderRowStep-th
// row, run widths within kFinderRunTolerance of a module (ZXing's detector allows 0.5), at least
// kFinderMinHits rows through the same pattern; a pattern counts for a corner within
// kFinderMaxOffsetOfSide of the box's side from where the box puts it.
constexpr double kFinderBinarizeModules = 8;
constexpr int kFinderBinarizeMinBlockPx = 15;
constexpr double kFinderBinarizeOffset = 2;
constexpr int kFinderRowStep = 2;
constexpr double kFinderRunTolerance = 0.5;
constexpr int kFinderMinHits = 2;
constexpr double kFinderMaxOffsetOfSide = 0.2;
// The square is smoothed by kLandmarkSmoothPx before the patterns are looked for (its modules span
// ≥ 3.4 px); the scan's threshold window assumes kTypicalModules across the box.
constexpr double kLandmarkSmoothPx = 1.0;
constexpr double kTypicalModules = 40;
constexpr double kFinderMinMatch = 0.55;
constexpr double kAlignmentMinMatch = 0.6;
// Alignment patterns are searched within ±kAlignmentSearchModules of where the mapping grown so
// far puts them, then once more within ±kAnchorRefineModules of the final mapping. The mapping is
// affine below kAffineUpToPoints landmarks, a homography from there on.
constexpr double kAlignmentSearchModules = 2.0;
constexpr double kAnchorRefineModules = 0.75;
// Once a homography fits (kAffineUpToPoints landmarks and more), it puts the next alignment pattern
// within a module of where it lies: the search reach narrows to kGrownSearchModules.
constexpr double kGrownSearchModules = 1.0;
constexpr std::size_t kAffineUpToPoints = 6;
// An affine grid's perspective terms (per symbol side: how much farther one side is than the
// other) are searched within ±kMaxPerspective in steps of kPerspectiveStep; no side is taken to
// be nearer than kMinDepthRatio of the other.
constexpr double kMaxPerspective = 0.7;
constexpr double kPerspectiveStep = 0.1;
constexpr double kMinDepthRatio = 0.3;
// Three landmarks fix an affine grid: two finders and the one alignment pattern of versions 2–6.
constexpr std::size_t kMinLandmarks = 3;
// Samples are taken from the square smoothed by a Gaussian of this share of a module (noise).
constexpr double kSmoothOfModule = 0.2;
constexpr double kMinSmoothPx = 0.3;  // below this a Gaussian changes nothing measurable
// The frame region sampled: the square's box, grown about its centre by this factor.
constexpr double kSourceMargin = 1.5;
// Local threshold: the mean of the samples over a window of this many modules (odd), so that a
// glare halo or a lighting gradient across the symbol moves the threshold with it.
constexpr int kThresholdWindowModules = 7;
constexpr int kWideThresholdWindowModules = 15;

// The box's corners, clockwise from its top-left.
// Whether the reader's deadline has passed (checked between its stages and inside the searches
// that take more than a millisecond).
struct Late {
    std::chrono::steady_clock::time_point deadline;
    bool operator()() const { return std::chrono::steady_clock::now() >= deadline; }
};

std::array<cv::Point2f, 4> cornersOf(const cv::Rect2f& b) {
    return {cv::Point2f(b.x, b.y), cv::Point2f(b.x + b.width, b.y), cv::Point2f(b.x + b.width, b.y + b.height),
            cv::Point2f(b.x, b.y + b.height)};
}

// Peak of the summed power spectra of the edge profiles across the box: a symbol of N modules has
// an edge at each of its N module boundaries along either axis.
double moduleCountPeak(const cv::Mat& img, const cv::Rect& box) {
    cv::Mat f;
    img(box).convertTo(f, CV_32F);
    // Sensor noise has edges at every pixel: smooth it away first (a module spans ≥ 3 px here).
    cv::GaussianBlur(f, f, cv::Size(), kSpectrumSmoothPx);
    cv::Mat dx, dy;
    cv::Sobel(f, dx, CV_32F, 1, 0, 1);
    cv::Sobel(f, dy, CV_32F, 0, 1, 1);
    dx = cv::abs(dx);
    dy = cv::abs(dy);
    cv::Mat px, py;
    cv::reduce(dx, px, 0, cv::REDUCE_SUM);  // 1 x width
    cv::reduce(dy, py, 1, cv::REDUCE_SUM);  // height x 1
    py = py.t();
    auto spectrum = [](const cv::Mat& profile, int length) {
        cv::Mat padded = cv::Mat::zeros(1, length, CV_32F);
        // High-pass: the profile less its moving average over a few modules of the largest pitch
        // (the symbol's extent and the lighting are slow; the module edges are not).
        cv::Mat trend;
        const int window = std::max(3, int(profile.cols * kTrendWindowOfSide) | 1);
        cv::blur(profile, trend, cv::Size(window, 1), cv::Point(-1, -1), cv::BORDER_REFLECT);
        cv::Mat centred = profile - trend;
        centred.copyTo(padded(cv::Rect(0, 0, profile.cols, 1)));
        cv::Mat out;
        cv::dft(padded, out, cv::DFT_COMPLEX_OUTPUT);
        return out;
    };
    const int length = kSpectrumOversample * std::max(box.width, box.height);
    const cv::Mat sx = spectrum(px, length), sy = spectrum(py, length);
    double best = 0, bestF = 0;
    // Bin k of the padded transform is k / length cycles per pixel: cycles · length / side for a
    // profile of `side` pixels.
    const int sideX = box.width, sideY = box.height;
    for (int k = kSpectrumOversample * (kMinModules - 3); k <= kSpectrumOversample * (kMaxModules + 3); ++k) {
        const double cycles = double(k) / kSpectrumOversample;
        // The same cycle count per side maps to bins scaled by each profile's own length.
        auto power = [&](const cv::Mat& s, int side) {
            const int bin = int(std::lround(cycles * length / side));
            if (bin <= 0 || bin >= length / 2) return 0.0;
            const auto c = s.at<cv::Vec2f>(0, bin);
            return double(c[0]) * c[0] + double(c[1]) * c[1];
        };
        if (double(std::min(sideX, sideY)) / cycles < kMinSpectrumModulePx) break;
        const double p = power(sx, sideX) + power(sy, sideY);
        if (p > best) {
            best = p;
            bestF = cycles;
        }
    }
    return bestF;
}

// The symbol's corners in module coordinates, clockwise from its top-left.
std::array<cv::Point2f, 4> unitCorners(int n) { return cornersOf(cv::Rect2f(0, 0, float(n), float(n))); }

class Sampler {
public:
    // `source`: the image sampled; `toSource`: square coordinates → `source` coordinates.
    Sampler(const cv::Mat& source, const cv::Matx33d& toSource, int modules) : img_(source), toSource_(toSource), n_(modules) {
        centres_.reserve(std::size_t(n_) * std::size_t(n_));
        for (int y = 0; y < n_; ++y)
            for (int x = 0; x < n_; ++x) centres_.emplace_back(float(x) + 0.5f, float(y) + 0.5f);
    }

    // Module-centre samples (n x n, CV_32F) for the symbol whose outer corners are `c` (square
    // coordinates).
    cv::Mat sample(const std::array<cv::Point2f, 4>& c) {
        const auto grid = unitCorners(n_);
        const cv::Matx33d h(cv::getPerspectiveTransform(grid.data(), c.data()));
        cv::perspectiveTransform(centres_, mapped_, toSource_ * h);
        cv::Mat map(n_, n_, CV_32FC2, mapped_.data());
        cv::Mat out;
        cv::remap(img_, out, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        return out;
    }

    // How cleanly the samples split into dark and light: mean distance from the local mean.
    double score(const std::array<cv::Point2f, 4>& c) {
        const cv::Mat v = sample(c);
        cv::Mat local;
        cv::blur(v, local, cv::Size(kThresholdWindowModules, kThresholdWindowModules), cv::Point(-1, -1),
                 cv::BORDER_REPLICATE);
        return cv::norm(v, local, cv::NORM_L1);
    }

private:
    const cv::Mat& img_;
    cv::Matx33d toSource_;
    int n_;
    std::vector<cv::Point2f> centres_, mapped_;
};

// The patterns the grid is anchored on, as +1 dark / −1 light per module. A finder pattern seen
// with the quiet zone and separator around it (9 x 9: light border, dark ring, light ring, dark
// 3 x 3 core); an alignment pattern (5 x 5: dark ring, light ring, dark centre module).
float finderTemplate(int x, int y) {
    const int ring = std::max(std::abs(x - 4), std::abs(y - 4));
    return (ring <= 1 || ring == 3) ? 1.0f : -1.0f;
}
float alignmentTemplate(int x, int y) {
    const int ring = std::max(std::abs(x - 2), std::abs(y - 2));
    return ring == 1 ? -1.0f : 1.0f;
}

float bilinear(const cv::Mat& img, cv::Point2f p) {
    // A mapping fitted to bad landmarks can put a sample anywhere (or nowhere): off the image it
    // reads as the nearest edge pixel, not a number as light.
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) return 255.0f;
    p.x = std::clamp(p.x, -1.0f, float(img.cols));
    p.y = std::clamp(p.y, -1.0f, float(img.rows));
    const int x = std::clamp(int(p.x), 0, img.cols - 2), y = std::clamp(int(p.y), 0, img.rows - 2);
    const float fx = std::clamp(p.x - float(x), 0.0f, 1.0f), fy = std::clamp(p.y - float(y), 0.0f, 1.0f);
    return (1 - fy) * ((1 - fx) * img.at<float>(y, x) + fx * img.at<float>(y, x + 1)) +
           fy * ((1 - fx) * img.at<float>(y + 1, x) + fx * img.at<float>(y + 1, x + 1));
}

// `p` mapped through the homography `h`.
cv::Point2f apply(const cv::Matx33d& h, cv::Point2f p) {
    const cv::Vec3d q = h * cv::Vec3d(p.x, p.y, 1.0);
    return cv::Point2f(float(q[0] / q[2]), float(q[1] / q[2]));
}

// Normalised correlation (−1..1) of samples with a ±1 template; dark = small samples.
template <std::size_t kCells>
double correlation(const cv::Mat& img, const std::array<cv::Point2f, kCells>& at, cv::Point2f shift,
                   const std::array<float, kCells>& pattern) {
    double sum = 0, sumSq = 0, dot = 0, tSum = 0, tSq = 0;
    for (std::size_t i = 0; i < kCells; ++i) {
        const double dark = 255.0 - bilinear(img, at[i] + shift);
        sum += dark;
        sumSq += dark * dark;
        dot += dark * pattern[i];
        tSum += pattern[i];
        tSq += double(pattern[i]) * pattern[i];
    }
    const double n = double(kCells);
    const double var = sumSq / n - (sum / n) * (sum / n);
    const double tVar = tSq / n - (tSum / n) * (tSum / n);
    if (var <= 1.0 || tVar <= 0) return 0;
    return (dot / n - (sum / n) * (tSum / n)) / std::sqrt(var * tVar);
}

// Best displacement (px) of the alignment pattern whose 5 x 5 patch starts at module `origin`
// (mapped through `h`) within ±reachModules, coarse then fine, and its match.
std::pair<cv::Point2f, double> searchAlignment(const cv::Mat& img, const cv::Matx33d& h, cv::Point2f origin,
                                               double modulePx, double reachModules) {
    std::array<cv::Point2f, 25> src, at;
    std::array<float, 25> pattern;
    for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 5; ++x) {
            src[std::size_t(y * 5 + x)] = origin + cv::Point2f(float(x) + 0.5f, float(y) + 0.5f);
            pattern[std::size_t(y * 5 + x)] = alignmentTemplate(x, y);
        }
    for (std::size_t i = 0; i < src.size(); ++i) at[i] = apply(h, src[i]);
    double best = -1;
    cv::Point2f bestShift(0, 0);
    auto search = [&](cv::Point2f around, double reach, double stepModules) {
        const int steps = int(std::ceil(reach / stepModules));
        const float step = float(stepModules * modulePx);
        for (int dy = -steps; dy <= steps; ++dy)
            for (int dx = -steps; dx <= steps; ++dx) {
                const cv::Point2f shift = around + cv::Point2f(float(dx) * step, float(dy) * step);
                const double m = correlation(img, at, shift, pattern);
                if (m > best) {
                    best = m;
                    bestShift = shift;
                }
            }
    };
    search({0, 0}, reachModules, kAlignmentCoarseStepModules);
    // Fine, halving the step around the best so far (34 correlations where one ±0.5 module sweep
    // at the finest step takes 81).
    search(bestShift, kAlignmentCoarseStepModules, kAlignmentCoarseStepModules / 2);
    search(bestShift, kAlignmentCoarseStepModules / 4, kAlignmentCoarseStepModules / 4);
    return {bestShift, best};
}

struct Finder {
    cv::Point2f centre;  // square coordinates
    double modulePx;     // the pattern's own module size
};

// Match of the finder template centred at `centre` with modules of `modulePx`, axis-aligned (the
// square is rectified: a finder there is upright to within a few degrees).
double finderMatchAt(const cv::Mat& img, cv::Point2f centre, double modulePx) {
    static const std::array<float, 81> kPattern = [] {
        std::array<float, 81> p{};
        for (int i = 0; i < 81; ++i) p[std::size_t(i)] = finderTemplate(i % 9, i / 9);
        return p;
    }();
    std::array<cv::Point2f, 81> at;
    for (int y = 0; y < 9; ++y)
        for (int x = 0; x < 9; ++x)
            at[std::size_t(y * 9 + x)] = centre + cv::Point2f(float((x - 4) * modulePx), float((y - 4) * modulePx));
    return correlation(img, at, {0, 0}, kPattern);
}

// The finder patterns at the four corners of `box` (clockwise from top-left): each searched within
// ±kAnchorSearchModules of where a symbol filling the box with modules of `modulePx` has it, at
// module sizes of kFinderScales times that (the outline and the module count are estimates),
// coarse then fine.
// `f` moved and resized (within half a module, ±5 %) to where the template matches best; nothing
// below kFinderMinMatch.
std::optional<Finder> refineFinder(const cv::Mat& img, const Finder& f) {
    double best = finderMatchAt(img, f.centre, f.modulePx);
    Finder out = f;
    // Half a module in quarter steps at three sizes, then an eighth of a module around the best.
    for (const auto& [reach, step, scales] :
         {std::tuple{2, kFinderFineStepModules * 2, std::array<double, 3>{0.92, 1.0, 1.08}},
          std::tuple{1, kFinderFineStepModules, std::array<double, 3>{1.0, 1.0, 1.0}}}) {
        const Finder around = out;
        for (double scale : scales)
            for (int dy = -reach; dy <= reach; ++dy)
                for (int dx = -reach; dx <= reach; ++dx) {
                    const cv::Point2f c = around.centre + cv::Point2f(float(dx * step * f.modulePx), float(dy * step * f.modulePx));
                    const double match = finderMatchAt(img, c, around.modulePx * scale);
                    if (match > best) {
                        best = match;
                        out = Finder{c, around.modulePx * scale};
                    }
                }
    }
    if (best < kFinderMinMatch) return std::nullopt;
    return out;
}

// The best finder pattern within ±kAnchorSearchModules of `expected`, at module sizes of
// kFinderScales times `modulePx`, coarse then fine; nothing below kFinderMinMatch.
std::optional<Finder> findFinderNear(const cv::Mat& img, cv::Point2f expected, double modulePx) {
    double best = -1;
    Finder f{expected, modulePx};
    const int reach = int(std::ceil(kAnchorSearchModules / kFinderCoarseStepModules));
    for (double scale : kFinderScales) {
        const double m = modulePx * scale;
        for (int dy = -reach; dy <= reach; ++dy)
            for (int dx = -reach; dx <= reach; ++dx) {
                const cv::Point2f c = expected + cv::Point2f(float(dx * kFinderCoarseStepModules * modulePx),
                                                             float(dy * kFinderCoarseStepModules * modulePx));
                const double match = finderMatchAt(img, c, m);
                if (match > best) {
                    best = match;
                    f = Finder{c, m};
                }
            }
    }
    if (best < kFinderMinMatch) return std::nullopt;
    return refineFinder(img, f);
}

// Whether five runs (dark, light, dark, light, dark) have the finder pattern's 1:1:3:1:1 widths;
// the module size they give.
std::optional<double> finderRuns(const std::array<int, 5>& r) {
    const int total = r[0] + r[1] + r[2] + r[3] + r[4];
    if (total < 7) return std::nullopt;
    const double m = total / 7.0, tol = m * kFinderRunTolerance;
    for (int i : {0, 1, 3, 4})
        if (std::abs(r[std::size_t(i)] - m) > tol) return std::nullopt;
    if (std::abs(r[2] - 3 * m) > 3 * tol) return std::nullopt;
    return m;
}

// Vertical cross-check through (x, y), y in the core: the centre row and module size of the
// pattern along column x, or nothing.
std::optional<std::pair<double, double>> finderColumn(const cv::Mat& dark, int x, int y) {
    auto at = [&](int yy) { return dark.at<std::uint8_t>(yy, x) != 0; };
    std::array<int, 5> r{};
    int top = y;
    while (top > 0 && at(top - 1)) --top;  // core (dark) upwards
    int bottom = y;
    while (bottom + 1 < dark.rows && at(bottom + 1)) ++bottom;
    r[2] = bottom - top + 1;
    int yy = top - 1;
    for (int i : {1, 0}) {  // light ring, then dark ring, upwards
        const bool want = i == 0;
        int n = 0;
        while (yy >= 0 && at(yy) == want) {
            ++n;
            --yy;
        }
        r[std::size_t(i)] = n;
    }
    yy = bottom + 1;
    for (int i : {3, 4}) {
        const bool want = i == 4;
        int n = 0;
        while (yy < dark.rows && at(yy) == want) {
            ++n;
            ++yy;
        }
        r[std::size_t(i)] = n;
    }
    const auto m = finderRuns(r);
    if (!m) return std::nullopt;
    return std::make_pair((top + bottom) / 2.0, *m);
}

// Finder patterns anywhere in `img` (smoothed, CV_32F; dark = small): rows scanned for runs of
// 1:1:3:1:1, each hit checked along its column, hits within two modules merged (at least two hits
// each). Geometry only: the sampled values are never changed.
std::vector<Finder> scanFinders(const cv::Mat& img, double modulePx) {
    cv::Mat grey, dark;
    img.convertTo(grey, CV_8U);
    const int block = std::max(kFinderBinarizeMinBlockPx, int(kFinderBinarizeModules * modulePx) | 1);
    cv::adaptiveThreshold(grey, dark, 255, cv::ADAPTIVE_THRESH_MEAN_C, cv::THRESH_BINARY_INV, block, kFinderBinarizeOffset);
    struct Hit {
        cv::Point2d centre;
        double modulePx;
        int count;
    };
    std::vector<Hit> hits;
    for (int y = 0; y < dark.rows; y += kFinderRowStep) {
        const auto* row = dark.ptr<std::uint8_t>(y);
        std::vector<std::pair<int, int>> runs;  // (start, length), alternating, first of either colour
        int start = 0;
        for (int x = 1; x <= dark.cols; ++x) {
            if (x == dark.cols || (row[x] != 0) != (row[start] != 0)) {
                runs.emplace_back(start, x - start);
                start = x;
            }
        }
        for (std::size_t i = 0; i + 5 <= runs.size(); ++i) {
            if (row[runs[i].first] == 0) continue;  // must start dark
            const std::array<int, 5> r{runs[i].second, runs[i + 1].second, runs[i + 2].second, runs[i + 3].second,
                                       runs[i + 4].second};
            const auto m = finderRuns(r);
            if (!m) continue;
            const int cx = runs[i + 2].first + runs[i + 2].second / 2;
            const auto column = finderColumn(dark, cx, y);
            if (!column || std::abs(column->second - *m) > kFinderRunTolerance * *m) continue;
            const cv::Point2d c(cx, column->first);
            const double mm = (*m + column->second) / 2;
            bool merged = false;
            for (auto& h : hits) {
                if (cv::norm(h.centre - c) < 2 * h.modulePx) {
                    h.centre = (h.centre * h.count + c) / (h.count + 1);
                    h.modulePx = (h.modulePx * h.count + mm) / (h.count + 1);
                    ++h.count;
                    merged = true;
                    break;
                }
            }
            if (!merged) hits.push_back({c, mm, 1});
        }
    }
    std::vector<Finder> out;
    for (const auto& h : hits)
        if (h.count >= kFinderMinHits) out.push_back(Finder{cv::Point2f(h.centre), h.modulePx});
    return out;
}

// The finder patterns at the four corners of `box` (clockwise from top-left): of `scanned`, the one
// nearest each corner's expected place (within kFinderMaxOffsetOfSide of the box's side; the
// outline may be the phone's screen around the code, or cut by glare), refined by correlation with
// the template (position and module size).
std::array<std::optional<Finder>, 4> findFinders(const cv::Mat& img, const cv::Rect2f& box, double modulePx,
                                                 const std::vector<Finder>& scanned, const Late& late) {
    const float in = float(3.5 * modulePx);
    const std::array<cv::Point2f, 4> expected{cv::Point2f(box.x + in, box.y + in), cv::Point2f(box.x + box.width - in, box.y + in),
                                              cv::Point2f(box.x + box.width - in, box.y + box.height - in),
                                              cv::Point2f(box.x + in, box.y + box.height - in)};
    std::array<std::optional<Finder>, 4> found;
    const double reach = kFinderMaxOffsetOfSide * std::min(box.width, box.height);
    for (std::size_t k = 0; k < 4; ++k) {
        const Finder* nearest = nullptr;
        double distance = reach;
        for (const auto& f : scanned) {
            const double d = cv::norm(f.centre - expected[k]);
            if (d < distance) {
                distance = d;
                nearest = &f;
            }
        }
        if (nearest != nullptr) found[k] = refineFinder(img, *nearest);
    }
    // A finder the scan missed (blurred, or its ring broken by glare): the template searched where
    // the box puts it. Not with three found already (the fourth corner has none).
    if (std::count_if(found.begin(), found.end(), [](const auto& f) { return f.has_value(); }) < 3) {
        for (std::size_t k = 0; k < 4 && !late(); ++k)
            if (!found[k]) found[k] = findFinderNear(img, expected[k], modulePx);
    }
    // One pattern may be nearest two corners: keep it for the nearer one.
    for (std::size_t a = 0; a < 4; ++a)
        for (std::size_t b = a + 1; b < 4; ++b)
            if (found[a] && found[b] && cv::norm(found[a]->centre - found[b]->centre) < 2 * found[a]->modulePx) {
                const bool keepA = cv::norm(found[a]->centre - expected[a]) <= cv::norm(found[b]->centre - expected[b]);
                (keepA ? found[b] : found[a]).reset();
            }
    return found;
}

// The module count two adjacent finder patterns imply (their centres are N − 7 modules apart), or 0.
double moduleCountFromFinders(const std::array<std::optional<Finder>, 4>& finders) {
    double sum = 0;
    int pairs = 0;
    for (std::size_t k = 0; k < 4; ++k) {
        const auto& a = finders[k];
        const auto& b = finders[(k + 1) % 4];
        if (!a || !b) continue;
        sum += cv::norm(a->centre - b->centre) / ((a->modulePx + b->modulePx) / 2) + 7;
        ++pairs;
    }
    return pairs == 0 ? 0.0 : sum / pairs;
}

// Centres of the alignment patterns along one axis (ISO/IEC 18004 Annex E): 6, then evenly spaced
// (an even step) back from N − 7.
std::vector<int> alignmentPositions(int version) {
    if (version < 2) return {};
    const int count = version / 7 + 2;
    const int step = version == 32 ? 26 : (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2;
    std::vector<int> positions(std::size_t(count), 6);
    for (int i = count - 1, p = version * 4 + 10; i >= 1; --i, p -= step) positions[std::size_t(i)] = p;
    return positions;
}

// Module coordinates of a symbol in the upright orientation (finders top-left, top-right,
// bottom-left) seen in the square's grid with its fourth corner at grid corner `fourth` (0 = top
// left, clockwise): rotations by 90° clockwise, (x, y) → (n − y, x), take corner k to k + 1.
cv::Point2f toGrid(cv::Point2f p, int n, std::size_t fourth) {
    for (std::size_t t = 0; t < (fourth + 2) % 4; ++t) p = cv::Point2f(float(n) - p.y, p.x);
    return p;
}


// The homography (h33 = 1) that maps `from` onto `to` with the least squared algebraic error
// (direct linear transform; at least four points, not three on a line).
std::optional<cv::Matx33d> leastSquaresHomography(const std::vector<cv::Point2f>& from, const std::vector<cv::Point2f>& to) {
    const int rows = int(from.size()) * 2;
    cv::Mat a(rows, 8, CV_64F), b(rows, 1, CV_64F);
    for (int i = 0; i < int(from.size()); ++i) {
        const double x = from[std::size_t(i)].x, y = from[std::size_t(i)].y;
        const double u = to[std::size_t(i)].x, v = to[std::size_t(i)].y;
        const double r0[8] = {x, y, 1, 0, 0, 0, -u * x, -u * y}, r1[8] = {0, 0, 0, x, y, 1, -v * x, -v * y};
        for (int j = 0; j < 8; ++j) {
            a.at<double>(2 * i, j) = r0[j];
            a.at<double>(2 * i + 1, j) = r1[j];
        }
        b.at<double>(2 * i) = u;
        b.at<double>(2 * i + 1) = v;
    }
    cv::Mat x;
    if (!cv::solve(a, b, x, cv::DECOMP_SVD)) return std::nullopt;
    const auto* p = x.ptr<double>();
    return cv::Matx33d(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], 1.0);
}

struct Landmarks {
    std::vector<cv::Point2f> grid, image;  // module coordinates and where they are in the square
};

cv::Matx33d affineThrough(const Landmarks& m) {
    const cv::Mat a = cv::getAffineTransform(m.grid.data(), m.image.data());  // 2 x 3, CV_64F
    return cv::Matx33d(a.at<double>(0, 0), a.at<double>(0, 1), a.at<double>(0, 2), a.at<double>(1, 0), a.at<double>(1, 1),
                       a.at<double>(1, 2), 0, 0, 1);
}

// The rotation, scale and translation taking the first two grid points onto their image points.
cv::Matx33d similarityThrough(const Landmarks& m) {
    const std::complex<double> w1(m.grid[0].x, m.grid[0].y), w2(m.grid[1].x, m.grid[1].y);
    const std::complex<double> z1(m.image[0].x, m.image[0].y), z2(m.image[1].x, m.image[1].y);
    const std::complex<double> a = (z2 - z1) / (w2 - w1), b = z1 - a * w1;
    return cv::Matx33d(a.real(), -a.imag(), b.real(), a.imag(), a.real(), b.imag(), 0, 0, 1);
}

// The least-squares mapping from module coordinates to the square through the landmarks whose
// perspective terms are fixed at (p, q) per symbol side (n modules): the homography
// [a; p/n q/n 1], where w = 1 + (p·x + q·y)/n makes image · w an affine function of the module
// coordinates, solved for its six parameters. (0, 0) is the least-squares affine map.
std::optional<cv::Matx33d> affineWithPerspective(const Landmarks& m, double p, double q, int n) {
    const int rows = int(m.grid.size()) * 2;
    cv::Mat a(rows, 6, CV_64F, cv::Scalar(0)), b(rows, 1, CV_64F);
    const double pn = p / n, qn = q / n;
    for (int i = 0; i < int(m.grid.size()); ++i) {
        const auto& g = m.grid[std::size_t(i)];
        const auto& u = m.image[std::size_t(i)];
        const double w = 1 + pn * g.x + qn * g.y;
        a.at<double>(2 * i, 0) = g.x;
        a.at<double>(2 * i, 1) = g.y;
        a.at<double>(2 * i, 2) = 1;
        a.at<double>(2 * i + 1, 3) = g.x;
        a.at<double>(2 * i + 1, 4) = g.y;
        a.at<double>(2 * i + 1, 5) = 1;
        b.at<double>(2 * i) = u.x * w;
        b.at<double>(2 * i + 1) = u.y * w;
    }
    cv::Mat x;
    if (!cv::solve(a, b, x, cv::DECOMP_SVD)) return std::nullopt;
    const auto* v = x.ptr<double>();
    return cv::Matx33d(v[0], v[1], v[2], v[3], v[4], v[5], pn, qn, 1);
}

// Least squares over all landmarks: affine while they are few (a homography's two perspective terms
// are ill-determined by landmarks near one edge), then a homography.
cv::Matx33d refit(const Landmarks& m, const cv::Matx33d& previous, int n) {
    if (m.grid.size() < 3) return previous;
    if (m.grid.size() < kAffineUpToPoints) return affineWithPerspective(m, 0, 0, n).value_or(previous);
    return leastSquaresHomography(m.grid, m.image).value_or(previous);
}

struct GridFit {
    cv::Matx33d moduleToSquare;
    double score = 0;       // share of timing-pattern modules read as expected (0..1)
    std::size_t fourth = 0;  // the grid corner without a finder pattern
    Landmarks landmarks;     // those the mapping was fitted to
};

// Share of the two timing patterns (row and column 6 between the finders: dark, light, ...) that
// the mapping reads as they must be, each line thresholded at its own mean. A wrong module count
// or a grid off by a module reads them as noise (≈ 0.5).
double timingScore(const cv::Mat& img, const cv::Matx33d& h, int n, std::size_t fourth) {
    int agree = 0, total = 0;
    for (int axis = 0; axis < 2; ++axis) {
        std::vector<float> v;
        for (int i = 8; i <= n - 9; ++i) {
            const cv::Point2f standard = axis == 0 ? cv::Point2f(float(i) + 0.5f, 6.5f) : cv::Point2f(6.5f, float(i) + 0.5f);
            v.push_back(bilinear(img, apply(h, toGrid(standard, n, fourth))));
        }
        if (v.empty()) continue;
        double mean = 0;
        for (float x : v) mean += x;
        mean /= double(v.size());
        for (std::size_t i = 0; i < v.size(); ++i) {
            const bool dark = v[i] < mean, expectDark = i % 2 == 0;
            agree += dark == expectDark ? 1 : 0;
            ++total;
        }
    }
    return total == 0 ? 0.0 : double(agree) / total;
}

// Puts the grid on the symbol's own landmarks: the outline is accurate to about a module (worse
// where glare cut into it), the finder and alignment patterns are exact. The finder patterns are
// looked for at the four corners; for each corner without one that could be the fourth corner,
// the alignment patterns are looked for from the finders outwards, the mapping refitted to all
// landmarks found after each; the hypothesis whose timing patterns read best wins. Needs two
// finder patterns (one may be lost under glare) and three landmarks; returns the module → square
// mapping and its timing score, or nothing.
std::optional<GridFit> fitLandmarks(const cv::Mat& img, const std::array<std::optional<Finder>, 4>& finderAt, int n,
                                    const Late& late) {
    const float centreFar = float(n) - 3.5f;
    const std::array<cv::Point2f, 4> finderCentre{cv::Point2f(3.5f, 3.5f), cv::Point2f(centreFar, 3.5f),
                                                  cv::Point2f(centreFar, centreFar), cv::Point2f(3.5f, centreFar)};
    std::array<std::optional<cv::Point2f>, 4> finder;
    double modulePx = 0;
    for (std::size_t k = 0; k < 4; ++k) {
        if (!finderAt[k]) continue;
        finder[k] = finderAt[k]->centre;
        modulePx += finderAt[k]->modulePx;
    }
    const auto foundFinders = std::count_if(finder.begin(), finder.end(), [](const auto& f) { return f.has_value(); });
    if (foundFinders < 2) return std::nullopt;
    modulePx /= double(foundFinders);
    const int version = (n - 17) / 4;
    const auto positions = alignmentPositions(version);
    std::optional<GridFit> best;
    for (std::size_t fourth = 0; fourth < 4; ++fourth) {
        if (finder[fourth] && foundFinders < 4) continue;  // the fourth corner has no finder pattern
        Landmarks marks;
        for (std::size_t k = 0; k < 4; ++k) {
            if (k == fourth || !finder[k]) continue;
            marks.grid.push_back(finderCentre[k]);
            marks.image.push_back(*finder[k]);
        }
        // Start: with three finders the affine map through them, with two the similarity (the square
        // is already nearly rectified); then grow from the finders outwards, nearest alignment
        // pattern first, refitting after each one found (affine up to kAffineUpToPoints landmarks,
        // then a homography), and refine all of them once more from the final mapping.
        cv::Matx33d h = marks.grid.size() >= 3 ? affineThrough(marks) : similarityThrough(marks);
        std::vector<cv::Point2f> pending;
        for (int ay : positions)
            for (int ax : positions) {
                const bool underFinder = (ax == 6 && ay == 6) || (ax == 6 && ay == n - 7) || (ax == n - 7 && ay == 6);
                if (!underFinder) pending.push_back(toGrid(cv::Point2f(float(ax) + 0.5f, float(ay) + 0.5f), n, fourth));
            }
        auto nearest = [&](cv::Point2f p) {
            double d = 1e9;
            for (const auto& g : marks.grid) d = std::min(d, double(cv::norm(p - g)));
            return d;
        };
        std::sort(pending.begin(), pending.end(), [&](cv::Point2f a, cv::Point2f b) { return nearest(a) < nearest(b); });
        // The finders plus each alignment pattern found within ±reach of where `h` puts it
        // (refitting `h` after each one when growing).
        auto collect = [&](double reach, bool grow) {
            Landmarks out = marks;
            for (const cv::Point2f& centre : pending) {
                if (late()) break;
                const double within = grow && out.grid.size() >= kAffineUpToPoints ? std::min(reach, kGrownSearchModules) : reach;
                const auto [shift, match] = searchAlignment(img, h, centre - cv::Point2f(2.5f, 2.5f), modulePx, within);
                if (match < kAlignmentMinMatch) continue;
                out.grid.push_back(centre);
                out.image.push_back(apply(h, centre) + shift);
                if (grow) h = refit(out, h, n);
            }
            return out;
        };
        Landmarks found = collect(kAlignmentSearchModules, true);
        if (found.grid.size() < kMinLandmarks) continue;
        const Landmarks refined = collect(kAnchorRefineModules, false);
        if (refined.grid.size() >= kMinLandmarks) {
            h = refit(refined, h, n);
            found = refined;
        }
        if (late()) return std::nullopt;
        const double score = timingScore(img, h, n, fourth);
        if (!best || score > best->score) best = GridFit{h, score, fourth, found};
    }
    return best;
}

std::array<cv::Point2f, 4> fitGrid(Sampler& sampler, std::array<cv::Point2f, 4> c, double modulePx, bool placed,
                                   const Late& late) {
    double best = sampler.score(c);
    for (double stepModules : kFitStepsModules) {
        if (placed && stepModules > kPlacedFitStepModules) continue;
        const float step = float(stepModules * modulePx);
        for (std::size_t k = 0; k < c.size() && !late(); ++k) {
            for (int axis = 0; axis < 2; ++axis) {
                for (float sign : {1.0f, -1.0f}) {
                    auto trial = c;
                    (axis == 0 ? trial[k].x : trial[k].y) += sign * step;
                    const double s = sampler.score(trial);
                    if (s > best) {
                        best = s;
                        c = trial;
                        break;
                    }
                }
            }
        }
    }
    return c;
}

// The corners of the grid through `marks` (three to five landmarks: an affine fit) with the
// perspective terms whose samples split most cleanly (Sampler::score), or the start where none
// does better. A symbol held at a steep angle whose outline glare cut stays foreshortened in its
// square (its finder patterns' module sizes differ by up to half): an affine grid is then modules
// off at the corner farthest from the landmarks. Each term is searched over ±kMaxPerspective per
// side in steps of kPerspectiveStep, then around the best at half and a quarter of that. Hundreds
// of trials on a large symbol outlast a frame's slice: the search stops at the deadline and goes
// on from the next trial when run again.
class PerspectiveSearch {
public:
    PerspectiveSearch(Sampler& sampler, const Landmarks& marks, int n, const std::array<cv::Point2f, 4>& start)
        : sampler_(sampler), marks_(marks), n_(n), grid_(unitCorners(n)), best_(start), bestScore_(sampler.score(start)) {}

    // Works on until done (true) or late.
    bool run(const Late& late) {
        const int steps = int(std::lround(kMaxPerspective / kPerspectiveStep));
        const int side = 2 * steps + 1, coarse = side * side;
        constexpr int kRefinements = 2, kAround = 8;
        for (; next_ < coarse + kRefinements * kAround; ++next_) {
            if (late()) return false;
            if (next_ < coarse) {
                trial((next_ / side - steps) * kPerspectiveStep, (next_ % side - steps) * kPerspectiveStep);
                continue;
            }
            // Around the best so far at half, then a quarter of the step: the 8 neighbours.
            const int r = (next_ - coarse) / kAround, k = (next_ - coarse) % kAround;
            if (k == 0) around_ = {bestP_, bestQ_};
            const double step = kPerspectiveStep / (2 << r);
            const int cell = k < 4 ? k : k + 1;  // of the 3 x 3 neighbourhood, not its centre
            trial(around_.first + (cell / 3 - 1) * step, around_.second + (cell % 3 - 1) * step);
        }
        return true;
    }
    const std::array<cv::Point2f, 4>& corners() const { return best_; }

private:
    void trial(double p, double q) {
        // w at the corners: 1, 1 + p, 1 + p + q, 1 + q; the far side no more than kMinDepthRatio as near.
        if (std::min({1 + p, 1 + q, 1 + p + q}) < kMinDepthRatio) return;
        const auto h = affineWithPerspective(marks_, p, q, n_);
        if (!h) return;
        std::array<cv::Point2f, 4> c;
        for (std::size_t k = 0; k < 4; ++k) c[k] = apply(*h, grid_[k]);
        const double s = sampler_.score(c);
        if (s > bestScore_) {
            bestScore_ = s;
            best_ = c;
            bestP_ = p;
            bestQ_ = q;
        }
    }

    Sampler& sampler_;
    const Landmarks& marks_;
    int n_;
    std::array<cv::Point2f, 4> grid_, best_;
    double bestScore_, bestP_ = 0, bestQ_ = 0;
    std::pair<double, double> around_{0, 0};
    int next_ = 0;
};

// The module matrix decoded in each orientation, starting `turns` clockwise quarter turns from
// the sampled one (the orientation the landmarks gave, tried first).
std::optional<std::string> decodeRotations(cv::Mat dark, int turns) {
    for (int t = 0; t < turns; ++t) cv::rotate(dark, dark, cv::ROTATE_90_CLOCKWISE);
    for (int r = 0; r < 4; ++r) {
        if (auto text = decodeModules(dark)) return text;
        cv::rotate(dark, dark, cv::ROTATE_90_CLOCKWISE);
    }
    return std::nullopt;
}

// Module-centre samples thresholded at the mean of a window x window module neighbourhood, decoded
// from `turns` quarter turns on.
std::optional<std::string> decodeSamples(const cv::Mat& v, int window, int turns) {
    cv::Mat local;
    cv::blur(v, local, cv::Size(window, window), cv::Point(-1, -1), cv::BORDER_REPLICATE);
    return decodeRotations(v < local, turns);
}

}  // namespace

std::optional<std::string> decodeModules(const cv::Mat& dark) {
    CV_Assert(dark.type() == CV_8UC1 && dark.rows == dark.cols);
    try {
        ZXing::BitMatrix bits(dark.cols, dark.rows);
        for (int y = 0; y < dark.rows; ++y) {
            const auto* row = dark.ptr<std::uint8_t>(y);
            for (int x = 0; x < dark.cols; ++x)
                if (row[x] != 0) bits.set(x, y);
        }
        ZXing::DecoderResult decoded = ZXing::QRCode::Decode(bits);
        const ZXing::Result result(std::move(decoded), ZXing::Position{}, ZXing::BarcodeFormat::QRCode);
        if (!result.isValid() || result.error() || result.text().empty()) return std::nullopt;
        return result.text();
    } catch (const std::exception&) {
        return std::nullopt;  // a third-party failure is "nothing read" (STYLE rule 4)
    }
}

namespace {

// The reader as a coroutine: it suspends where its deadline passes (between stages, or where a
// stage was cut short, which then runs again whole) and goes on from there when resumed with a new
// one. An exception (OpenCV, ZXing) ends it with nothing read (STYLE rule 4).
struct Coroutine {
    struct promise_type {
        std::optional<std::string> value;
        Coroutine get_return_object() { return Coroutine{std::coroutine_handle<promise_type>::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_value(std::optional<std::string> v) { value = std::move(v); }
        void unhandled_exception() noexcept { value.reset(); }
    };
    Coroutine() = default;
    explicit Coroutine(std::coroutine_handle<promise_type> h) : handle(h) {}
    Coroutine(Coroutine&& o) noexcept : handle(std::exchange(o.handle, {})) {}
    Coroutine& operator=(Coroutine&& o) noexcept {
        if (this != &o) {
            if (handle) handle.destroy();
            handle = std::exchange(o.handle, {});
        }
        return *this;
    }
    Coroutine(const Coroutine&) = delete;
    Coroutine& operator=(const Coroutine&) = delete;
    ~Coroutine() {
        if (handle) handle.destroy();
    }
    std::coroutine_handle<promise_type> handle;
};

// The parameters are the coroutine's own copies (cv::Mat headers share the caller's pixels: the
// caller keeps them unchanged while the read is unfinished). Two passes: the outline's square, then
// (when the landmarks placed a grid that did not read) a square rectified from the landmarks.
Coroutine readGridCoroutine(cv::Mat square, cv::Rect2f box, bool inverted, cv::Mat frame, cv::Matx33d squareToFrame,
                            const Late& late, std::optional<GridPlacement>& placement) {
    CV_Assert(square.type() == CV_8UC1 && (frame.empty() || frame.type() == CV_8UC1));
    for (int pass = 0; pass < 2; ++pass) {
        const cv::Rect inner = cv::Rect(box) & cv::Rect(cv::Point(), square.size());
        if (inner.width < kMinModules * kMinModulePx || inner.height < kMinModules * kMinModulePx) co_return std::nullopt;
        // The patterns are located on the square, smoothed a little against sensor noise.
        cv::Mat smoothed;
        square.convertTo(smoothed, CV_32F);
        cv::GaussianBlur(smoothed, smoothed, cv::Size(), kLandmarkSmoothPx);
        if (inverted) smoothed = 255.0 - smoothed;
        if (late()) co_await std::suspend_always{};
        const auto scanned = scanFinders(smoothed, std::min(box.width, box.height) / kTypicalModules);
        if (late()) co_await std::suspend_always{};
        // Module size: the finder patterns' own where the scan found any, else the edge spectrum's.
        double peak = 0, modulePx = 0;
        if (!scanned.empty()) {
            std::vector<double> sizes;
            for (const auto& f : scanned) sizes.push_back(f.modulePx);
            std::nth_element(sizes.begin(), sizes.begin() + std::ptrdiff_t(sizes.size() / 2), sizes.end());
            modulePx = sizes[sizes.size() / 2];
        } else {
            peak = moduleCountPeak(square, inner);
            if (peak <= 0) co_return std::nullopt;
            modulePx = std::min(box.width, box.height) / peak;
        }
        auto finders = findFinders(smoothed, box, modulePx, scanned, late);
        if (late()) {  // cut short: the stage again, whole, in the next slice
            co_await std::suspend_always{};
            finders = findFinders(smoothed, box, modulePx, scanned, late);
            if (late()) co_return std::nullopt;  // longer than a whole slice
        }
        // Two adjacent finder patterns measure the module count (their centres are N − 7 modules apart)
        // better than the spectrum (the box may be off by a few modules): the nearest versions.
        std::vector<int> counts;
        if (const double fromFinders = moduleCountFromFinders(finders); fromFinders > 0) {
            const int v = int(std::lround((fromFinders - 17) / 4));
            for (int d : {0, -1, 1}) {
                const int n = 17 + 4 * (v + d);
                if (n >= kMinModules && n <= kMaxModules) counts.push_back(n);
            }
            std::sort(counts.begin(), counts.end(),
                      [&](int a, int b) { return std::abs(a - fromFinders) < std::abs(b - fromFinders); });
        } else {
            if (peak <= 0) peak = moduleCountPeak(square, inner);
            if (peak <= 0) co_return std::nullopt;
            for (int n = kMinModules; n <= kMaxModules; n += 4)
                if (std::abs(n - peak) <= kModuleCountTolerance) counts.push_back(n);
            std::sort(counts.begin(), counts.end(), [&](int a, int b) { return std::abs(a - peak) < std::abs(b - peak); });
            if (counts.size() > kMaxModuleCounts) counts.resize(kMaxModuleCounts);
        }

        // Samples come from the frame itself where there is one (the square may have cut off part of
        // a symbol whose outline glare bit into): a region around the symbol, mapped from the square.
        cv::Rect sourceRect(cv::Point(), square.size());
        cv::Matx33d toSource = cv::Matx33d::eye();
        double sourceScale = 1.0;  // source px per square px
        if (!frame.empty()) {
            std::vector<cv::Point2f> ends;
            const cv::Point2f centre(box.x + box.width / 2, box.y + box.height / 2);
            for (const auto& c : cornersOf(box)) ends.push_back(apply(squareToFrame, centre + (c - centre) * kSourceMargin));
            sourceRect = cv::boundingRect(ends) & cv::Rect(cv::Point(), frame.size());
            if (sourceRect.width < 8 || sourceRect.height < 8) co_return std::nullopt;
            toSource = cv::Matx33d(1, 0, -sourceRect.x, 0, 1, -sourceRect.y, 0, 0, 1) * squareToFrame;
            const auto b = cornersOf(box);
            sourceScale = cv::norm(apply(squareToFrame, b[2]) - apply(squareToFrame, b[0])) / cv::norm(b[2] - b[0]);
        }
        const cv::Mat& sourceImage = frame.empty() ? square : frame;

        // One hypothesis per module count: the mapping its landmarks give (else the box), tried in the
        // order of how well its timing patterns read (a wrong count reads noise).
        struct Hypothesis {
            int n;
            std::array<cv::Point2f, 4> corners;
            double score;
            int turns = 0;  // clockwise quarter turns that bring the sampled grid upright (if known)
            Landmarks landmarks;  // those the mapping was fitted to (none: the box)
        };
        std::vector<Hypothesis> hypotheses;
        for (int n : counts) {
            if (late()) co_await std::suspend_always{};
            if (std::min(box.width, box.height) / n < kMinModulePx) continue;
            Hypothesis hyp{n, cornersOf(box), -1, 0, {}};
            auto fit = fitLandmarks(smoothed, finders, n, late);
            if (late()) {
                co_await std::suspend_always{};
                fit = fitLandmarks(smoothed, finders, n, late);
                if (late()) co_return std::nullopt;
            }
            if (fit) {
                const auto grid = unitCorners(n);
                for (std::size_t k = 0; k < 4; ++k) hyp.corners[k] = apply(fit->moduleToSquare, grid[k]);
                hyp.score = fit->score;
                hyp.turns = int((4 - (fit->fourth + 2) % 4) % 4);
                hyp.landmarks = std::move(fit->landmarks);
            }
            hypotheses.push_back(hyp);
        }
        std::stable_sort(hypotheses.begin(), hypotheses.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
        if (hypotheses.size() > kMaxHypotheses) hypotheses.resize(kMaxHypotheses);

        cv::Mat source;
        sourceImage(sourceRect).convertTo(source, CV_32F);
        const double sigma = kSmoothOfModule * modulePx * sourceScale;
        if (sigma >= kMinSmoothPx) cv::GaussianBlur(source, source, cv::Size(), sigma);
        if (inverted) source = 255.0 - source;
        for (const Hypothesis& hyp : hypotheses) {
            if (late()) co_await std::suspend_always{};
            Sampler sampler(source, toSource, hyp.n);
            const double hypModulePx = std::min(box.width, box.height) / hyp.n;
            const bool placed = hyp.score >= kPlacedTimingScore;
            // Three to five landmarks fit the grid only affinely: its keystone is searched for first
            // (over as many slices as it takes).
            auto start = hyp.corners;
            if (hyp.landmarks.grid.size() >= kMinLandmarks && hyp.landmarks.grid.size() < kAffineUpToPoints) {
                PerspectiveSearch search(sampler, hyp.landmarks, hyp.n, hyp.corners);
                while (!search.run(late)) co_await std::suspend_always{};
                start = search.corners();
                if (late()) co_await std::suspend_always{};
            }
            auto corners = fitGrid(sampler, start, hypModulePx, placed, late);
            if (late()) {
                co_await std::suspend_always{};
                corners = fitGrid(sampler, start, hypModulePx, placed, late);
                if (late()) co_return std::nullopt;
            }
            const cv::Mat v = sampler.sample(corners);
            for (int window : {kThresholdWindowModules, kWideThresholdWindowModules}) {
                if (auto text = decodeSamples(v, window, hyp.turns)) {
                    const auto grid = unitCorners(hyp.n);
                    const cv::Matx33d moduleToSquare(cv::getPerspectiveTransform(grid.data(), corners.data()));
                    placement = GridPlacement{(frame.empty() ? cv::Matx33d::eye() : squareToFrame) * moduleToSquare, hyp.n,
                                              sigma, inverted, window, hyp.turns};
                    co_return text;
                }
            }
        }
        // The landmarks placed the symbol but its grid did not read: the outline was far off (glare
        // cut it, or it was the phone's screen), so the square is distorted and three landmarks fit
        // it only affinely. Once more on a square rectified from where the landmarks put the
        // symbol's corners.
        if (pass > 0 || hypotheses.empty() || hypotheses.front().score < 0) co_return std::nullopt;
        if (late()) co_await std::suspend_always{};
        const Hypothesis& best = hypotheses.front();
        std::array<cv::Point2f, 4> inFrame;
        for (std::size_t k = 0; k < 4; ++k) {
            inFrame[k] = frame.empty() ? best.corners[k] : apply(squareToFrame, best.corners[k]);
        }
        const cv::Mat from = frame.empty() ? square : frame;
        const float side = std::min(box.width, box.height);
        const cv::Rect2f upright(box.x, box.y, side, side);
        const auto target = cornersOf(upright);
        const cv::Matx33d toSquare(cv::getPerspectiveTransform(inFrame.data(), target.data()));
        cv::Mat resquare;
        cv::warpPerspective(from, resquare, cv::Mat(toSquare), square.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        square = resquare;
        box = upright;
        frame = from;
        squareToFrame = toSquare.inv();
    }
    co_return std::nullopt;
}

}  // namespace

struct GridRead::Task {
    Coroutine coroutine;
    Late late{};
    std::optional<GridPlacement> placement;
};

GridRead::GridRead(cv::Mat square, cv::Rect2f box, bool inverted, cv::Mat frame, cv::Matx33d squareToFrame)
    : task_(std::make_unique<Task>()) {
    task_->coroutine =
        readGridCoroutine(std::move(square), box, inverted, std::move(frame), squareToFrame, task_->late, task_->placement);
}
GridRead::~GridRead() = default;
GridRead::GridRead(GridRead&&) noexcept = default;
GridRead& GridRead::operator=(GridRead&&) noexcept = default;

bool GridRead::step(std::chrono::steady_clock::time_point deadline) {
    auto& h = task_->coroutine.handle;
    task_->late.deadline = deadline;
    if (!h.done()) h.resume();
    return h.done();
}

const std::optional<std::string>& GridRead::result() const { return task_->coroutine.handle.promise().value; }

const std::optional<GridPlacement>& GridRead::placement() const { return task_->placement; }

std::optional<std::string> readPlaced(const cv::Mat& image, const GridPlacement& p) {
    try {
        CV_Assert(image.type() == CV_8UC1 && p.modules >= kMinModules && p.modules <= kMaxModules);
        // The pixels around the grid (the smoothing's reach beyond it), as the reader sampled them.
        std::vector<cv::Point2f> ends;
        for (const auto& c : unitCorners(p.modules)) ends.push_back(apply(p.moduleToImage, c));
        const int reach = int(std::ceil(3 * p.smoothPx)) + 2;
        const cv::Rect crop = (cv::boundingRect(ends) + cv::Size(2 * reach, 2 * reach) - cv::Point(reach, reach)) &
                              cv::Rect(cv::Point(), image.size());
        if (crop.width < 8 || crop.height < 8) return std::nullopt;
        cv::Mat source;
        image(crop).convertTo(source, CV_32F);
        if (p.smoothPx >= kMinSmoothPx) cv::GaussianBlur(source, source, cv::Size(), p.smoothPx);
        if (p.inverted) source = 255.0 - source;
        Sampler sampler(source, cv::Matx33d(1, 0, -crop.x, 0, 1, -crop.y, 0, 0, 1) * p.moduleToImage, p.modules);
        return decodeSamples(sampler.sample(unitCorners(p.modules)), p.window, p.turns);
    } catch (const std::exception&) {
        return std::nullopt;  // a third-party failure is "nothing read" (STYLE rule 4)
    }
}

std::optional<std::string> readGrid(const cv::Mat& square, const cv::Rect2f& box, bool inverted, const cv::Mat& frame,
                                    const cv::Matx33d& squareToFrame, std::chrono::steady_clock::time_point deadline) {
    GridRead read(square, box, inverted, frame, squareToFrame);
    if (!read.step(deadline)) return std::nullopt;
    return read.result();
}

}  // namespace sentinel::decode::detail

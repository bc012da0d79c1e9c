#include "firmware/decode/GridReader.h"

#define ZX_USE_UTF8 1
#include <ZXing/BitMatrix.h>
#include <ZXing/Result.h>
#include <ZXing/ZXVersion.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <exception>
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
constexpr double kModuleCountTolerance = 6.6;
constexpr std::size_t kMaxModuleCounts = 4;
constexpr std::size_t kMaxHypotheses = 2;  // of those, the ones whose grid is sampled and decoded
// Grid fit: the four corners move in steps of these fractions of a module (coarse to fine), one
// sweep per step, to maximise how far the module-centre samples lie from their local mean.
constexpr std::array<double, 2> kFitStepsModules{0.25, 0.125};
// Anchoring: each landmark is searched within ±kAnchorSearchModules of where the outline puts it,
// in steps of kAnchorSearchStepModules, and accepted above its least match (normalised correlation
// with the template; a clean pattern gives ≈ 0.9, random modules ≈ 0.3 at best).
constexpr double kAnchorSearchModules = 2.25;
constexpr double kAnchorSearchStepModules = 0.25;
constexpr double kFinderMinMatch = 0.55;
constexpr double kAlignmentMinMatch = 0.6;
// Alignment patterns are searched within ±kAlignmentSearchModules of where the mapping grown so
// far puts them, then once more within ±kAnchorRefineModules of the final mapping. The mapping is
// affine below kAffineUpToPoints landmarks, a homography from there on.
constexpr double kAlignmentSearchModules = 2.0;
constexpr double kAnchorRefineModules = 0.75;
constexpr std::size_t kAffineUpToPoints = 6;
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
std::array<cv::Point2f, 4> cornersOf(const cv::Rect2f& b) {
    return {cv::Point2f(b.x, b.y), cv::Point2f(b.x + b.width, b.y), cv::Point2f(b.x + b.width, b.y + b.height),
            cv::Point2f(b.x, b.y + b.height)};
}

// Peak of the summed power spectra of the edge profiles across the box: a symbol of N modules has
// an edge at each of its N module boundaries along either axis.
double moduleCountPeak(const cv::Mat& img, const cv::Rect& box) {
    cv::Mat f;
    img(box).convertTo(f, CV_32F);
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
        const cv::Scalar mean = cv::mean(profile);
        cv::Mat centred = profile - mean[0];
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
        if (double(std::min(sideX, sideY)) / cycles < kMinModulePx) break;
        const double p = power(sx, sideX) + power(sy, sideY);
        if (p > best) {
            best = p;
            bestF = cycles;
        }
    }
    return bestF;
}

// The symbol's corners in module coordinates, clockwise from its top-left.
std::array<cv::Point2f, 4> unitCorners(int n) {
    return {cv::Point2f(0, 0), cv::Point2f(float(n), 0), cv::Point2f(float(n), float(n)), cv::Point2f(0, float(n))};
}

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
    const int x = std::clamp(int(p.x), 0, img.cols - 2), y = std::clamp(int(p.y), 0, img.rows - 2);
    const float fx = std::clamp(p.x - float(x), 0.0f, 1.0f), fy = std::clamp(p.y - float(y), 0.0f, 1.0f);
    return (1 - fy) * ((1 - fx) * img.at<float>(y, x) + fx * img.at<float>(y, x + 1)) +
           fy * ((1 - fx) * img.at<float>(y + 1, x) + fx * img.at<float>(y + 1, x + 1));
}

// Normalised correlation (−1..1) of a size x size module patch (module coordinates from `origin`,
// mapped through `h` and displaced by `shift` px) with a pattern template; dark = small samples.
template <int size>
double patternMatch(const cv::Mat& img, const cv::Matx33d& h, cv::Point2f origin, cv::Point2f shift,
                    float (*pattern)(int, int)) {
    constexpr int kCells = size * size;
    std::array<cv::Point2f, kCells> src, dst;
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) src[std::size_t(y * size + x)] = origin + cv::Point2f(float(x) + 0.5f, float(y) + 0.5f);
    cv::perspectiveTransform(src, dst, h);
    double sum = 0, sumSq = 0, dot = 0, tSum = 0, tSq = 0;
    for (int i = 0; i < kCells; ++i) {
        const double dark = 255.0 - bilinear(img, dst[std::size_t(i)] + shift);
        const double t = pattern(i % size, i / size);
        sum += dark;
        sumSq += dark * dark;
        dot += dark * t;
        tSum += t;
        tSq += t * t;
    }
    const double var = sumSq / kCells - (sum / kCells) * (sum / kCells);
    const double tVar = tSq / kCells - (tSum / kCells) * (tSum / kCells);
    if (var <= 1.0 || tVar <= 0) return 0;
    return (dot / kCells - (sum / kCells) * (tSum / kCells)) / std::sqrt(var * tVar);
}

// Best displacement (px) of one pattern within ±reachModules, and its match.
template <int size>
std::pair<cv::Point2f, double> searchPattern(const cv::Mat& img, const cv::Matx33d& h, cv::Point2f origin,
                                             double modulePx, double reachModules, float (*pattern)(int, int)) {
    const int reach = int(std::ceil(reachModules / kAnchorSearchStepModules));
    const float step = float(kAnchorSearchStepModules * modulePx);
    double best = -1;
    cv::Point2f bestShift(0, 0);
    for (int dy = -reach; dy <= reach; ++dy)
        for (int dx = -reach; dx <= reach; ++dx) {
            const cv::Point2f shift(float(dx) * step, float(dy) * step);
            const double m = patternMatch<size>(img, h, origin, shift, pattern);
            if (m > best) {
                best = m;
                bestShift = shift;
            }
        }
    return {bestShift, best};
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

cv::Point2f apply(const cv::Matx33d& h, cv::Point2f p) {
    const cv::Vec3d q = h * cv::Vec3d(p.x, p.y, 1.0);
    return cv::Point2f(float(q[0] / q[2]), float(q[1] / q[2]));
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

// Least squares over all landmarks: affine while they are few (a homography's two perspective terms
// are ill-determined by landmarks near one edge), then a homography.
cv::Matx33d refit(const Landmarks& m, const cv::Matx33d& previous) {
    if (m.grid.size() < 3) return previous;
    if (m.grid.size() < kAffineUpToPoints) {
        // Least-squares affine: solve for the 6 parameters.
        cv::Mat a(int(m.grid.size()) * 2, 6, CV_64F, cv::Scalar(0)), b(int(m.grid.size()) * 2, 1, CV_64F);
        for (int i = 0; i < int(m.grid.size()); ++i) {
            const auto& g = m.grid[std::size_t(i)];
            const auto& p = m.image[std::size_t(i)];
            a.at<double>(2 * i, 0) = g.x;
            a.at<double>(2 * i, 1) = g.y;
            a.at<double>(2 * i, 2) = 1;
            a.at<double>(2 * i + 1, 3) = g.x;
            a.at<double>(2 * i + 1, 4) = g.y;
            a.at<double>(2 * i + 1, 5) = 1;
            b.at<double>(2 * i) = p.x;
            b.at<double>(2 * i + 1) = p.y;
        }
        cv::Mat x;
        if (!cv::solve(a, b, x, cv::DECOMP_SVD)) return previous;
        const auto* q = x.ptr<double>();
        return cv::Matx33d(q[0], q[1], q[2], q[3], q[4], q[5], 0, 0, 1);
    }
    return leastSquaresHomography(m.grid, m.image).value_or(previous);
}

struct GridFit {
    cv::Matx33d moduleToSquare;
    double score = 0;  // share of timing-pattern modules read as expected (0..1)
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
// finder patterns (one may be lost under glare) and four landmarks; returns the module → square
// mapping and its timing score, or nothing.
std::optional<GridFit> fitLandmarks(const cv::Mat& img, const std::array<cv::Point2f, 4>& outline, int n,
                                    double modulePx) {
    const auto grid = unitCorners(n);
    const cv::Matx33d h0 = cv::getPerspectiveTransform(grid.data(), outline.data());
    const float far = float(n - 8), centreFar = float(n) - 3.5f;
    const std::array<cv::Point2f, 4> finderOrigin{cv::Point2f(-1, -1), cv::Point2f(far, -1), cv::Point2f(far, far),
                                                  cv::Point2f(-1, far)};
    const std::array<cv::Point2f, 4> finderCentre{cv::Point2f(3.5f, 3.5f), cv::Point2f(centreFar, 3.5f),
                                                  cv::Point2f(centreFar, centreFar), cv::Point2f(3.5f, centreFar)};
    std::array<std::optional<cv::Point2f>, 4> finder;
    for (std::size_t k = 0; k < 4; ++k) {
        const auto [shift, match] = searchPattern<9>(img, h0, finderOrigin[k], modulePx, kAnchorSearchModules, finderTemplate);
        if (match >= kFinderMinMatch) finder[k] = apply(h0, finderCentre[k]) + shift;
    }
    const auto foundFinders = std::count_if(finder.begin(), finder.end(), [](const auto& f) { return f.has_value(); });
    if (foundFinders < 2) return std::nullopt;
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
        Landmarks found = marks;
        for (const cv::Point2f& centre : pending) {
            const auto [shift, match] =
                searchPattern<5>(img, h, centre - cv::Point2f(2.5f, 2.5f), modulePx, kAlignmentSearchModules, alignmentTemplate);
            if (match < kAlignmentMinMatch) continue;
            found.grid.push_back(centre);
            found.image.push_back(apply(h, centre) + shift);
            h = refit(found, h);
        }
        if (found.grid.size() < 4) continue;
        Landmarks refined = marks;
        for (const cv::Point2f& centre : pending) {
            const auto [shift, match] =
                searchPattern<5>(img, h, centre - cv::Point2f(2.5f, 2.5f), modulePx, kAnchorRefineModules, alignmentTemplate);
            if (match < kAlignmentMinMatch) continue;
            refined.grid.push_back(centre);
            refined.image.push_back(apply(h, centre) + shift);
        }
        if (refined.grid.size() >= 4) {
            h = refit(refined, h);
            found = refined;
        }
        if (found.grid.size() < 4) continue;
        const double score = timingScore(img, h, n, fourth);
        if (!best || score > best->score) best = GridFit{h, score};
    }
    return best;
}

std::array<cv::Point2f, 4> fitGrid(Sampler& sampler, std::array<cv::Point2f, 4> c, double modulePx) {
    double best = sampler.score(c);
    for (double stepModules : kFitStepsModules) {
        const float step = float(stepModules * modulePx);
        for (std::size_t k = 0; k < c.size(); ++k) {
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

std::optional<std::string> decodeRotations(cv::Mat dark) {
    for (int r = 0; r < 4; ++r) {
        if (auto text = decodeModules(dark)) return text;
        cv::rotate(dark, dark, cv::ROTATE_90_CLOCKWISE);
    }
    return std::nullopt;
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

std::optional<std::string> readGrid(const cv::Mat& square, const cv::Rect2f& box, bool inverted, const cv::Mat& frame,
                                    const cv::Matx33d& squareToFrame) {
    CV_Assert(square.type() == CV_8UC1 && (frame.empty() || frame.type() == CV_8UC1));
    const cv::Rect inner = cv::Rect(box) & cv::Rect(cv::Point(), square.size());
    if (inner.width < kMinModules * kMinModulePx || inner.height < kMinModules * kMinModulePx) return std::nullopt;
    const double peak = moduleCountPeak(square, inner);
    if (peak <= 0) return std::nullopt;
    std::vector<int> counts;
    for (int n = kMinModules; n <= kMaxModules; n += 4)
        if (std::abs(n - peak) <= kModuleCountTolerance) counts.push_back(n);
    std::sort(counts.begin(), counts.end(), [&](int a, int b) { return std::abs(a - peak) < std::abs(b - peak); });
    if (counts.size() > kMaxModuleCounts) counts.resize(kMaxModuleCounts);

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
        if (sourceRect.width < 8 || sourceRect.height < 8) return std::nullopt;
        toSource = cv::Matx33d(1, 0, -sourceRect.x, 0, 1, -sourceRect.y, 0, 0, 1) * squareToFrame;
        const auto b = cornersOf(box);
        sourceScale = cv::norm(apply(squareToFrame, b[2]) - apply(squareToFrame, b[0])) / cv::norm(b[2] - b[0]);
    }
    const cv::Mat& sourceImage = frame.empty() ? square : frame;

    // One hypothesis per module count near the spectrum's peak: the mapping its landmarks give (else
    // the box), tried in the order of how well its timing patterns read (a wrong count reads noise).
    struct Hypothesis {
        int n;
        std::array<cv::Point2f, 4> corners;
        double score;
    };
    std::vector<Hypothesis> hypotheses;
    const double meanModulePx = std::min(box.width, box.height) / peak;
    cv::Mat smoothed;
    square.convertTo(smoothed, CV_32F);
    cv::GaussianBlur(smoothed, smoothed, cv::Size(), kSmoothOfModule * meanModulePx);
    if (inverted) smoothed = 255.0 - smoothed;
    for (int n : counts) {
        const double modulePx = std::min(box.width, box.height) / n;
        if (modulePx < kMinModulePx) continue;
        Hypothesis hyp{n, cornersOf(box), -1};
        if (const auto fit = fitLandmarks(smoothed, hyp.corners, n, modulePx)) {
            for (std::size_t k = 0; k < 4; ++k) hyp.corners[k] = apply(fit->moduleToSquare, unitCorners(n)[k]);
            hyp.score = fit->score;
        }
        hypotheses.push_back(hyp);
    }
    std::stable_sort(hypotheses.begin(), hypotheses.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
    if (hypotheses.size() > kMaxHypotheses) hypotheses.resize(kMaxHypotheses);

    cv::Mat source;
    sourceImage(sourceRect).convertTo(source, CV_32F);
    const double sigma = kSmoothOfModule * meanModulePx * sourceScale;
    if (sigma >= kMinSmoothPx) cv::GaussianBlur(source, source, cv::Size(), sigma);
    if (inverted) source = 255.0 - source;
    for (const Hypothesis& hyp : hypotheses) {
        Sampler sampler(source, toSource, hyp.n);
        const auto corners = fitGrid(sampler, hyp.corners, std::min(box.width, box.height) / hyp.n);
        const cv::Mat v = sampler.sample(corners);
        for (int window : {kThresholdWindowModules, kWideThresholdWindowModules}) {
            cv::Mat local;
            cv::blur(v, local, cv::Size(window, window), cv::Point(-1, -1), cv::BORDER_REPLICATE);
            cv::Mat dark = v < local;
            if (auto text = decodeRotations(dark)) return text;
        }
    }
    return std::nullopt;
}

}  // namespace sentinel::decode::detail

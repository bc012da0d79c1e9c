#include "firmware/decode/Cascade.h"

#include "firmware/base/Log.h"
#include "firmware/decode/GridReader.h"

#define ZX_USE_UTF8 1
#include <ZXing/DecodeHints.h>
#include <ZXing/ReadBarcode.h>
#include <ZXing/Result.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <numbers>
#include <vector>

namespace sentinel::decode::detail {
namespace {

// A 720p frame's cheap pass lets ZXing build its own downscaled pyramid (its default threshold).
constexpr int kMaxSymbolsPerImage = 4;
// Localisation runs on a copy whose longer side is at most this (QRCodeDetector::detect costs
// ≈22 ms at 1280x720 and ≈6 ms at 640x360 on the dev machine).
constexpr int kLocateMaxSidePx = 640;
constexpr double kLocateMinWorkMp = 0.6;
// Below this shorter side QRCodeDetector enlarges the image ≈10x and searches for up to 60 ms
// (measured on 41x41 and 66x66 photographs) for a code too small to be tilted strongly: skipped.
constexpr int kLocateMinSidePx = 160;
// Rectified codes are drawn into a square of this side (≥ 6 px per module up to version 25) plus a
// quiet zone of kRectifyQuietFraction of the side on each edge (ISO 18004 asks for 4 modules).
constexpr int kRectifySidePx = 720;
constexpr double kRectifyQuietFraction = 0.12;
// Outline rectification on candidate regions (live frames): edge pixels of the region (gradient
// above kOutlineEdgeOfStrong of the level that the strongest kOutlineStrongEdgeShare of pixels
// reach), their density over kOutlineWindowFraction of the region's side, and the largest dense
// blob's convex hull reduced to the quadrilateral of largest area among its corners. The symbol is
// drawn at kOutlineUpscale times its longest edge (≥ 4 px per module for codes of 2 px modules),
// within kOutlineMinSidePx..kOutlineMaxSidePx, resampled bilinearly (cheaper than cubic).
constexpr double kOutlineStrongEdgeShare = 0.05;
constexpr double kOutlineEdgeOfStrong = 0.4;
constexpr double kOutlineWindowFraction = 0.04;
constexpr double kOutlineMinBlobShare = 0.08;    // of the region's area
constexpr double kOutlineHullEpsilon = 0.01;     // of the hull's perimeter
constexpr std::size_t kOutlineMaxHullPoints = 24;
constexpr double kOutlineUpscale = 2.0;
// Grey level at and above which a pixel is saturated (a glare spot's core, camera white).
constexpr int kSaturatedLevel = 250;
constexpr int kOutlineMinSidePx = 320;
constexpr int kOutlineMaxSidePx = 560;  // ≥ 4.7 px per module up to version 25
// Upscaled copies are skipped when they would exceed this many pixels (still photographs).
constexpr double kMaxScaledPixels = 8.5e6;
constexpr double kMaxUpscaledRegionPixels = 0.8e6;
// CLAHE: clip limit and tile grid (tiles of ≈160x90 px at 720p: larger than a module, smaller than
// a glare spot).
constexpr double kClaheClipLimit = 3.0;
constexpr int kClaheTiles = 8;
// Unsharp mask: sigma in px and weight (1 + amount) of the original.
constexpr double kSharpenSigmaPx = 1.5;
constexpr double kSharpenAmount = 1.2;
// Deblur: a wider, stronger unsharp mask for defocus of ≈0.5 module (measured on camsim hard/defocus).
constexpr double kDeblurSigmaPx = 3.0;
constexpr double kDeblurAmount = 2.5;
constexpr double kSmoothSigmaPx = 1.0;
// Candidate regions: texture density (morphological gradient averaged over ≈4 modules) on a
// half-size copy, thresholded on 8x8-pixel cells of the frame.
constexpr int kDensityWindowPx = 9;        // at half size
constexpr int kCellPx = 8;                 // frame pixels per cell
constexpr double kEdgeFloor = 6.0;         // grey levels: the least contrast an edge pixel has
constexpr double kEdgeOverNoise = 2.0;     // edge threshold as a multiple of the median gradient
constexpr double kEdgeFraction = 0.35;     // a code cell has at least this share of edge pixels
constexpr int kMinCandidateCells = 4;      // ≥ 32 px: a version-1 code at 1.5 px/module
constexpr double kMaxCandidateAspect = 3.5;
constexpr double kMinCandidateFill = 0.45;
constexpr std::size_t kMaxCandidates = 2;
// Margin around a candidate region (fraction of its size, plus fixed pixels) for the quiet zone.
constexpr double kRegionMarginFraction = 0.12;
constexpr int kRegionMarginPx = 16;
// Denoise: blur sigma (px at the frame's resolution ×2) before stretching.
constexpr double kDenoiseSigmaPx = 2.0;
// Wiener deconvolution: Gaussian point-spread sigma (px at the frame's resolution; camsim hard
// defocus is 0.55–0.75 module at 3.0–3.8 px/module ≈ 1.7–2.9 px) and noise-to-signal ratio.
constexpr double kWienerSigmaPx = 2.2;
constexpr double kWienerNoiseRatio = 0.01;
// The separable (per-axis) Wiener filter: its noise ratio (strong: defocus; gentle: defocus under
// low-light noise, which the strong filter amplifies) and kernel reach.
constexpr double kWienerAxisNoiseRatio = 0.03;
constexpr double kWienerGentleAxisNoiseRatio = 0.08;
constexpr double kWienerTapsOfSigma = 4.0;
// Motion deconvolution lengths (px at the frame's resolution; camsim hard motion is 1.4–2.2
// modules at 3.0–3.8 px/module ≈ 4–8 px).
constexpr double kMotionShortPx = 5.0;
constexpr double kMotionLongPx = 8.0;
// Motion length estimate: lags searched (px) on a central crop of at most kMotionCropPx square.
constexpr int kMotionMinLagPx = 3;
constexpr int kMotionMaxLagPx = 16;
constexpr int kMotionCropPx = 256;
// Motion deconvolution works on at most this many pixels of region (≈ 14 ms with the outline at
// this size on the dev machine).
constexpr double kMaxMotionDeblurPixels = 0.25e6;
// A filtered grid variant's deconvolution and outline of a region, first estimate (ms per
// megapixel of region on the dev machine: the Wiener filter is separable, the motion filter a DFT
// pair on up to kMaxMotionDeblurPixels); learned from each region after that.
constexpr double kWienerPrepHintMsPerMp = 12.0;
constexpr double kMotionPrepHintMsPerMp = 50.0;
// Reading a placed grid again (GridJob::holdsOn) on an unfiltered frame, ms.
constexpr double kConfirmMs = 2.0;
// Adaptive threshold window ≈ 6 modules at 4-5 px/module (must be odd).
constexpr int kAdaptiveBlockPx = 25;

ZXing::DecodeHints hintsFor(const Variant& v) {
    ZXing::DecodeHints hints;
    hints.setFormats(ZXing::BarcodeFormat::QRCode)
        .setTryHarder(v.tryHarder)
        .setTryRotate(false)
        .setTryDownscale(v.tryDownscale)
        .setReturnErrors(true)
        .setMaxNumberOfSymbols(kMaxSymbolsPerImage);
    if (v.filter == Filter::AdaptiveThreshold) {
        hints.setBinarizer(ZXing::Binarizer::BoolCast);
    } else if (v.binarizer == Binarizer::GlobalHistogram) {
        hints.setBinarizer(ZXing::Binarizer::GlobalHistogram);
    }
    return hints;
}

cv::Mat resampled(const cv::Mat& in, double scale) {
    if (scale == 1.0) return in;
    cv::Mat out;
    cv::resize(in, out, cv::Size(), scale, scale, scale < 1.0 ? cv::INTER_AREA : cv::INTER_CUBIC);
    return out;
}

// The 1-D Wiener filter g / (g² + k) of a Gaussian's transfer function g, as a kernel of
// ±kWienerTapsOfSigma sigma (its inverse DFT, normalised to unit gain).
cv::Mat wienerKernel(double noiseRatio, double sigmaPx) {
    const int radius = int(std::ceil(kWienerTapsOfSigma * sigmaPx));
    constexpr int kSpectrum = 256;  // frequencies sampled for the kernel's inverse DFT
    const double k = 2.0 * std::numbers::pi * std::numbers::pi * sigmaPx * sigmaPx;
    cv::Mat kernel(2 * radius + 1, 1, CV_32F);
    double sum = 0;
    for (int t = -radius; t <= radius; ++t) {
        double v = 0;
        for (int i = 0; i < kSpectrum; ++i) {
            const double f = double(std::min(i, kSpectrum - i)) / kSpectrum;
            const double g = std::exp(-k * f * f);
            v += g / (g * g + noiseRatio) * std::cos(2.0 * std::numbers::pi * i * t / kSpectrum);
        }
        kernel.at<float>(t + radius) = float(v);
        sum += v;
    }
    kernel /= sum;
    return kernel;
}

// Gaussian defocus undone per axis: the 1-D Wiener kernel applied along rows and then columns (a
// separable approximation of the 2-D filter: ≈ 1.2 ms on a 0.36 MP region where the DFTs took 14).
// `kernel` from wienerKernel.
cv::Mat wienerDeblur(const cv::Mat& in, const cv::Mat& kernel) {
    cv::Mat restored;
    cv::sepFilter2D(in, restored, CV_32F, kernel, kernel, cv::Point(-1, -1), 0, cv::BORDER_REPLICATE);
    cv::Mat out;
    cv::normalize(restored, out, 0, 255, cv::NORM_MINMAX, CV_8U);
    return out;
}

// Direction of a linear motion blur: gradients along it are suppressed, so it is the eigenvector of
// the gradient structure tensor with the smaller eigenvalue (radians, image coordinates).
double motionDirection(const cv::Mat& in) {
    cv::Mat gx, gy;
    cv::Sobel(in, gx, CV_32F, 1, 0);
    cv::Sobel(in, gy, CV_32F, 0, 1);
    const double jxx = gx.dot(gx), jyy = gy.dot(gy), jxy = gx.dot(gy);
    // Major axis of the tensor at 0.5·atan2(2jxy, jxx − jyy); the blur runs across it.
    return 0.5 * std::atan2(2 * jxy, jxx - jyy) + std::numbers::pi / 2;
}

// Length of a linear motion blur along direction `a`: a blur of length L turns every edge into a
// ramp, whose second derivative along `a` is a pair of opposite impulses L apart, so the
// autocorrelation of that second derivative has its most negative value at lag L.
double motionLength(const cv::Mat& in, double a) {
    const cv::Rect crop((in.cols - std::min(in.cols, kMotionCropPx)) / 2, (in.rows - std::min(in.rows, kMotionCropPx)) / 2,
                        std::min(in.cols, kMotionCropPx), std::min(in.rows, kMotionCropPx));
    cv::Mat f, gx, gy, d1, d2x, d2y, d2;
    in(crop).convertTo(f, CV_32F);
    const float c = float(std::cos(a)), s = float(std::sin(a));
    cv::Sobel(f, gx, CV_32F, 1, 0, 3);
    cv::Sobel(f, gy, CV_32F, 0, 1, 3);
    d1 = c * gx + s * gy;
    cv::Sobel(d1, d2x, CV_32F, 1, 0, 3);
    cv::Sobel(d1, d2y, CV_32F, 0, 1, 3);
    d2 = c * d2x + s * d2y;
    const int m = kMotionMaxLagPx + 2;
    if (d2.cols <= 2 * m || d2.rows <= 2 * m) return kMotionShortPx;
    const cv::Rect inner(m, m, d2.cols - 2 * m, d2.rows - 2 * m);
    const cv::Mat centre = d2(inner);
    double best = 0, bestLag = kMotionShortPx;
    for (int lag = kMotionMinLagPx; lag <= kMotionMaxLagPx; ++lag) {
        const int dx = int(std::lround(lag * c)), dy = int(std::lround(lag * s));
        const double r = centre.dot(d2(inner + cv::Point(dx, dy)));
        if (r < best) {
            best = r;
            bestLag = lag;
        }
    }
    return bestLag;
}

// A linear motion blur of length L along direction a undone by the Wiener filter B / (B² + K) of
// its transfer function, B(f) = sinc(L · f·(cos a, sin a)): real (the blur is symmetric about its
// centre) and known in closed form, so one forward and one inverse DFT of the region. A region
// larger than kMaxMotionDeblurPixels is deconvolved at reduced size (its blur scaled alike) and
// brought back.
cv::Mat motionDeblur(const cv::Mat& full, double lengthPx) {
    const double shrink = std::min(1.0, std::sqrt(kMaxMotionDeblurPixels / double(full.total())));
    const cv::Mat in = resampled(full, shrink);
    const double a = motionDirection(in);
    const double length = std::max(2.0, lengthPx > 0 ? lengthPx * shrink : motionLength(in, a));
    cv::Mat f;
    in.convertTo(f, CV_32F);
    const int rows = cv::getOptimalDFTSize(in.rows), cols = cv::getOptimalDFTSize(in.cols);
    cv::copyMakeBorder(f, f, 0, rows - in.rows, 0, cols - in.cols, cv::BORDER_REPLICATE);
    cv::Mat spectrum;
    cv::dft(f, spectrum, cv::DFT_COMPLEX_OUTPUT);
    // B = sin(t) / t with t = tx + ty (tx from the column's frequency, ty from the row's):
    // sin(tx + ty) from the sines and cosines of each, tabulated once per column and per row.
    const double c = std::cos(a) * length * std::numbers::pi, s = std::sin(a) * length * std::numbers::pi;
    std::vector<float> tx(static_cast<std::size_t>(cols)), sx(tx.size()), cx(tx.size());
    for (int x = 0; x < cols; ++x) {
        const double t = double(x <= cols / 2 ? x : x - cols) / cols * c;
        tx[std::size_t(x)] = float(t);
        sx[std::size_t(x)] = float(std::sin(t));
        cx[std::size_t(x)] = float(std::cos(t));
    }
    const float k = float(kWienerNoiseRatio);
    for (int y = 0; y < rows; ++y) {
        auto* row = spectrum.ptr<cv::Vec2f>(y);
        const double t = double(y <= rows / 2 ? y : y - rows) / rows * s;
        const float ty = float(t), sy = float(std::sin(t)), cy = float(std::cos(t));
        for (int x = 0; x < cols; ++x) {
            const float sum = tx[std::size_t(x)] + ty;
            const float b = std::abs(sum) < 1e-6f ? 1.0f : (sx[std::size_t(x)] * cy + cx[std::size_t(x)] * sy) / sum;
            row[x] *= b / (b * b + k);
        }
    }
    cv::Mat restored;
    cv::idft(spectrum, restored, cv::DFT_SCALE | cv::DFT_REAL_OUTPUT);
    cv::Mat out;
    cv::normalize(restored(cv::Rect(0, 0, in.cols, in.rows)), out, 0, 255, cv::NORM_MINMAX, CV_8U);
    if (shrink < 1.0) cv::resize(out, out, full.size(), 0, 0, cv::INTER_LINEAR);
    return out;
}

cv::Mat applyFilter(const cv::Mat& in, Filter filter, bool invert) {
    cv::Mat out;
    switch (filter) {
        case Filter::None:
            out = in;
            break;
        case Filter::Clahe: {
            auto clahe = cv::createCLAHE(kClaheClipLimit, cv::Size(kClaheTiles, kClaheTiles));
            clahe->apply(in, out);
            break;
        }
        case Filter::Sharpen: {
            cv::Mat blurred;
            cv::GaussianBlur(in, blurred, cv::Size(), kSharpenSigmaPx);
            cv::addWeighted(in, 1.0 + kSharpenAmount, blurred, -kSharpenAmount, 0.0, out);
            break;
        }
        case Filter::Deblur: {
            cv::Mat blurred;
            cv::GaussianBlur(in, blurred, cv::Size(), kDeblurSigmaPx);
            cv::addWeighted(in, 1.0 + kDeblurAmount, blurred, -kDeblurAmount, 0.0, out);
            break;
        }
        case Filter::Smooth:
            cv::GaussianBlur(in, out, cv::Size(), kSmoothSigmaPx);
            break;
        case Filter::AdaptiveThreshold: {
            // The threshold's polarity carries the inversion (BoolCast reads non-zero as white).
            cv::adaptiveThreshold(in, out, 255, cv::ADAPTIVE_THRESH_MEAN_C,
                                  invert ? cv::THRESH_BINARY_INV : cv::THRESH_BINARY, kAdaptiveBlockPx, 2);
            return out;
        }
        case Filter::Denoise: {
            cv::Mat blurred;
            cv::GaussianBlur(in, blurred, cv::Size(), kDenoiseSigmaPx);
            cv::normalize(blurred, out, 0, 255, cv::NORM_MINMAX);
            break;
        }
        case Filter::Wiener: {
            static const cv::Mat kKernel = wienerKernel(kWienerAxisNoiseRatio, kWienerSigmaPx);
            out = wienerDeblur(in, kKernel);
            break;
        }
        case Filter::WienerGentle: {
            static const cv::Mat kKernel = wienerKernel(kWienerGentleAxisNoiseRatio, kWienerSigmaPx);
            out = wienerDeblur(in, kKernel);
            break;
        }
        case Filter::MotionShort:
            out = motionDeblur(in, kMotionShortPx);
            break;
        case Filter::MotionLong:
            out = motionDeblur(in, kMotionLongPx);
            break;
        case Filter::MotionEstimated:
            out = motionDeblur(in, 0.0);
            break;
        case Filter::Stretch: {
            cv::Mat blurred;
            cv::GaussianBlur(in, blurred, cv::Size(), kSmoothSigmaPx);
            cv::normalize(blurred, out, 0, 255, cv::NORM_MINMAX);
            break;
        }
    }
    if (invert) {
        cv::Mat inverted;
        cv::bitwise_not(out, inverted);
        return inverted;
    }
    return out;
}

// Reads `img` (a region of the frame at `origin`, resampled by `scale`) into `outcome`; symbols
// ZXing located but could not decode are reported to `frame` in frame coordinates.
void readInto(const cv::Mat& img, const Variant& v, VariantOutcome& outcome, FrameContext* frame = nullptr,
              cv::Point origin = {}, double scale = 1.0) {
    CV_Assert(img.type() == CV_8UC1);
    ZXing::ImageView view(img.data, img.cols, img.rows, ZXing::ImageFormat::Lum, static_cast<int>(img.step));
    const ZXing::Results results = ZXing::ReadBarcodes(view, hintsFor(v));
    for (const ZXing::Result& r : results) {
        if (r.format() != ZXing::BarcodeFormat::QRCode) continue;
        if (!r.isValid() || r.error()) {
            outcome.symbolSeen = true;
            if (frame != nullptr) {
                std::vector<cv::Point> pts;
                for (const auto& p : r.position()) pts.emplace_back(int(p.x / scale) + origin.x, int(p.y / scale) + origin.y);
                frame->symbols().push_back(cv::boundingRect(pts));
            }
            continue;
        }
        std::string text = r.text();
        if (text.empty()) continue;
        if (std::find(outcome.payloads.begin(), outcome.payloads.end(), text) == outcome.payloads.end()) {
            outcome.payloads.push_back(std::move(text));
        }
    }
}

// QRCodeDetector::detectMulti on a reduced copy; quads in full-resolution coordinates.
std::vector<std::vector<cv::Point2f>> locateQuads(const cv::Mat& gray) {
    const double shrink = std::min(1.0, double(kLocateMaxSidePx) / std::max(gray.cols, gray.rows));
    cv::Mat small = resampled(gray, shrink);
    cv::QRCodeDetector detector;
    std::vector<cv::Point2f> corners;
    std::vector<std::vector<cv::Point2f>> quads;
    if (detector.detect(small, corners) && corners.size() == 4) {
        for (auto& p : corners) p *= 1.0 / shrink;
        quads.push_back(corners);
    }
    return quads;
}

cv::Mat rectify(const cv::Mat& gray, const std::vector<cv::Point2f>& quad, int sidePx = kRectifySidePx,
              int interpolation = cv::INTER_CUBIC, cv::Matx33d* squareToFrame = nullptr) {
    const float quiet = static_cast<float>(sidePx * kRectifyQuietFraction);
    const float side = static_cast<float>(sidePx);
    const std::vector<cv::Point2f> target{{quiet, quiet}, {quiet + side, quiet}, {quiet + side, quiet + side},
                                          {quiet, quiet + side}};
    const cv::Mat h = cv::getPerspectiveTransform(quad, target);
    if (squareToFrame != nullptr) *squareToFrame = cv::Matx33d(cv::Mat(h.inv()));
    const int outSide = static_cast<int>(side + 2 * quiet);
    cv::Mat out;
    // Replicated border: the quiet zone keeps the paper/screen tone around the code.
    cv::warpPerspective(gray, out, h, cv::Size(outSide, outSide), interpolation, cv::BORDER_REPLICATE);
    return out;
}

double quadArea(const cv::Point2f& a, const cv::Point2f& b, const cv::Point2f& c, const cv::Point2f& d) {
    // Shoelace formula; the points are in hull order, so the quadrilateral is simple.
    return 0.5 * std::abs((a.x * b.y - b.x * a.y) + (b.x * c.y - c.x * b.y) + (c.x * d.y - d.x * c.y) +
                          (d.x * a.y - a.x * d.y));
}

// The outline of the densest textured blob of `region` (the symbol: module edges everywhere) as
// four corners in clockwise order (image coordinates), or nothing. Only geometry: the pixels ZXing reads are the
// frame's own, resampled.
std::optional<std::vector<cv::Point2f>> outlineQuad(const cv::Mat& region, bool throughGlare) {
    const int side = std::min(region.cols, region.rows);
    if (side < 16) return std::nullopt;
    // Edge pixels: a morphological gradient above a share of the region's strong edges (the code's
    // module edges), so that sensor noise and the background's soft texture fall below it.
    cv::Mat grad, edges, density, mask;
    cv::morphologyEx(region, grad, cv::MORPH_GRADIENT, cv::Mat());
    int hist[256] = {};
    for (int y = 0; y < grad.rows; ++y) {
        const auto* row = grad.ptr<std::uint8_t>(y);
        for (int x = 0; x < grad.cols; ++x) ++hist[row[x]];
    }
    int strong = 255;
    for (int acc = 0; strong > 0 && (acc += hist[strong]) < int(grad.total() * kOutlineStrongEdgeShare); --strong) {
    }
    const double threshold = std::max(kEdgeFloor, kOutlineEdgeOfStrong * strong);
    cv::threshold(grad, edges, threshold, 255, cv::THRESH_BINARY);
    const int window = std::max(3, int(side * kOutlineWindowFraction) | 1);
    cv::blur(edges, density, cv::Size(window, window));
    cv::threshold(density, mask, 255.0 * kEdgeFraction, 255, cv::THRESH_BINARY);
    // throughGlare: a saturated glare spot hides the modules under it, not the symbol's extent: it
    // counts as part of the blob it touches, so that the outline is not cut where the spot lies on
    // the code.
    cv::Mat saturated;
    if (throughGlare) cv::threshold(region, saturated, kSaturatedLevel - 1, 255, cv::THRESH_BINARY);
    if (throughGlare && cv::countNonZero(saturated) > 0) {
        cv::dilate(saturated, saturated, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(window, window)));
        cv::bitwise_or(mask, saturated, mask);
    }
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    const std::vector<cv::Point>* best = nullptr;
    double bestArea = kOutlineMinBlobShare * double(region.total());
    for (const auto& c : contours) {
        const double a = cv::contourArea(c);
        if (a > bestArea) {
            bestArea = a;
            best = &c;
        }
    }
    if (best == nullptr) return std::nullopt;
    std::vector<cv::Point> hull, approx;
    cv::convexHull(*best, hull);
    cv::approxPolyDP(hull, approx, kOutlineHullEpsilon * cv::arcLength(hull, true), true);
    if (approx.size() < 4 || approx.size() > kOutlineMaxHullPoints) return std::nullopt;
    std::vector<cv::Point2f> pts(approx.begin(), approx.end());
    const std::size_t n = pts.size();
    double most = 0;
    std::array<std::size_t, 4> pick{};
    for (std::size_t a = 0; a < n; ++a)
        for (std::size_t b = a + 1; b < n; ++b)
            for (std::size_t c = b + 1; c < n; ++c)
                for (std::size_t d = c + 1; d < n; ++d) {
                    const double area = quadArea(pts[a], pts[b], pts[c], pts[d]);
                    if (area > most) {
                        most = area;
                        pick = {a, b, c, d};
                    }
                }
    // A symbol's outline fills most of its blob's hull (a QR code is a square seen in perspective).
    if (most < 0.8 * cv::contourArea(hull)) return std::nullopt;
    std::vector<cv::Point2f> quad;
    for (std::size_t i : pick) quad.push_back(pts[i]);
    // Hull order is consistent (one sense of rotation); make it clockwise in image coordinates
    // (y down) so that the rectified symbol is not mirrored.
    const cv::Point2f e1 = quad[1] - quad[0], e2 = quad[2] - quad[1];
    if (e1.x * e2.y - e1.y * e2.x < 0) std::reverse(quad.begin(), quad.end());
    return quad;
}

double longestEdge(const std::vector<cv::Point2f>& quad) {
    double longest = 0;
    for (std::size_t i = 0; i < quad.size(); ++i) longest = std::max(longest, double(cv::norm(quad[i] - quad[(i + 1) % quad.size()])));
    return longest;
}

int outlineSidePx(double longestEdgePx) {
    return std::clamp(int(kOutlineUpscale * longestEdgePx), kOutlineMinSidePx, kOutlineMaxSidePx);
}

// A candidate region is enlarged by the variant's scale only up to kMaxUpscaledRegionPixels: a
// region that large holds a code of large modules (ZXing's cost on a 2x copy of a 0.45 MP region
// reached 3x its prediction), and never beyond kMaxScaledPixels.
double regionScale(const Variant& v, const cv::Rect& r) {
    const double area = double(r.area());
    if (v.scale <= 1.0) return v.scale;
    return std::min({v.scale, std::max(1.0, std::sqrt(kMaxUpscaledRegionPixels / area)), std::sqrt(kMaxScaledPixels / area)});
}

cv::Rect withMargin(const cv::Rect& r, const cv::Size& bounds) {
    const int mx = int(r.width * kRegionMarginFraction) + kRegionMarginPx;
    const int my = int(r.height * kRegionMarginFraction) + kRegionMarginPx;
    return cv::Rect(r.x - mx, r.y - my, r.width + 2 * mx, r.height + 2 * my) & cv::Rect(cv::Point(), bounds);
}

// `quad` (a symbol's outline in `image`) rectified to an upright square of twice its longest edge
// inside a quiet zone; the mapping back to `image`.
FrameContext::Outlined outlinedSquare(const cv::Mat& image, const std::vector<cv::Point2f>& quad) {
    const int side = outlineSidePx(longestEdge(quad));
    const float quiet = float(side * kRectifyQuietFraction);
    FrameContext::Outlined o;
    o.square = rectify(image, quad, side, cv::INTER_LINEAR, &o.squareToFrame);
    o.box = cv::Rect2f(quiet, quiet, float(side), float(side));
    return o;
}

// Overlapping regions are read once (the first, most likely one wins).
std::vector<cv::Rect> regionsOf(FrameContext& frame) {
    std::vector<cv::Rect> regions;
    auto add = [&](const cv::Rect& r) {
        const cv::Rect m = withMargin(r, frame.gray().size());
        if (m.width < 8 || m.height < 8) return;
        for (const auto& q : regions) {
            if ((q & m).area() > 0.6 * std::min(q.area(), m.area())) return;
        }
        regions.push_back(m);
    };
    for (const auto& r : frame.symbols()) add(r);
    for (const auto& r : frame.candidates()) add(r);
    return regions;
}

}  // namespace

const cv::Mat& FrameContext::half() {
    if (half_.empty()) cv::resize(gray_, half_, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
    return half_;
}

const std::vector<FrameContext::Outlined>& FrameContext::outlined() {
    if (outlined_) return *outlined_;
    outlined_.emplace();
    for (const cv::Rect& r : regionsOf(*this)) {
        const cv::Mat region = gray_(r);
        // Through the glare first; where a spot reaching beyond the symbol makes that outline no
        // quadrilateral, the outline of the modules alone.
        auto quad = outlineQuad(region, true);
        if (!quad) {
            double brightest = 0;
            cv::minMaxLoc(region, nullptr, &brightest);
            if (brightest >= kSaturatedLevel) quad = outlineQuad(region, false);
        }
        if (!quad) continue;
        for (auto& q : *quad) q += cv::Point2f(float(r.x), float(r.y));
        outlined_->push_back(outlinedSquare(gray_, *quad));
    }
    return *outlined_;
}

const std::vector<cv::Rect>& FrameContext::candidates() {
    if (candidates_) return *candidates_;
    candidates_.emplace();
    cv::Mat grad, edges, density, cells;
    cv::morphologyEx(half(), grad, cv::MORPH_GRADIENT, cv::Mat());
    // Noise level: the median gradient (most of a camera frame is flat). An edge pixel must stand
    // well above it; a code's interior is mostly edge pixels, an object outline only a thin line.
    int hist[256] = {};
    for (int y = 0; y < grad.rows; ++y) {
        const auto* row = grad.ptr<std::uint8_t>(y);
        for (int x = 0; x < grad.cols; ++x) ++hist[row[x]];
    }
    int median = 0;
    for (int acc = 0; median < 255 && (acc += hist[median]) < int(grad.total() / 2); ++median) {
    }
    const double edgeThreshold = std::max(kEdgeFloor, kEdgeOverNoise * median);
    cv::threshold(grad, edges, edgeThreshold, 255, cv::THRESH_BINARY);
    cv::blur(edges, density, cv::Size(kDensityWindowPx, kDensityWindowPx));
    cv::resize(density, cells, cv::Size(std::max(1, gray_.cols / kCellPx), std::max(1, gray_.rows / kCellPx)), 0, 0,
               cv::INTER_AREA);
    const double threshold = 255.0 * kEdgeFraction;
    cv::Mat mask, labels, stats, centroids;
    cv::threshold(cells, mask, threshold, 255, cv::THRESH_BINARY);
    const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
    std::vector<std::pair<int, cv::Rect>> found;
    for (int i = 1; i < n; ++i) {
        const cv::Rect r(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                         stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
        const int area = stats.at<int>(i, cv::CC_STAT_AREA);
        if (r.width < kMinCandidateCells || r.height < kMinCandidateCells) continue;
        if (double(std::max(r.width, r.height)) / std::min(r.width, r.height) > kMaxCandidateAspect) continue;
        if (area < kMinCandidateFill * r.area()) continue;
        found.emplace_back(area, cv::Rect(r.x * kCellPx, r.y * kCellPx, r.width * kCellPx, r.height * kCellPx));
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t i = 0; i < found.size() && i < kMaxCandidates; ++i) candidates_->push_back(found[i].second);
    return *candidates_;
}

// Order: greedy by codes newly read per millisecond over the camera simulator's development sets
// (seed 7, 20 per category, realistic and hard; see docs/PERFORMANCE.md), cheap whole-frame passes
// first; then the candidate regions: outline rectification (issue 16: steep tilt, rotation with
// perspective; on the hard development set it reads 17 of 20 tilted codes where no other variant
// reads more than 7), 2x, the deconvolutions (defocus, low light, motion of estimated length);
// localisation with QRCodeDetector last and for stills only: QRCodeDetector's cost varies 3x with the content
// (40–60 ms frames on the dev machine under load, breaking the 33 ms p99) and on the development
// sets and the photographs it read no code the other variants missed. The half-size
// pass comes first: ≈1 ms at 720p, it is what an empty frame costs (issue 8: ≤ 4 ms median); the
// full-size plain pass must stay second (DecodeEngine runs it after a half-size read).
const std::vector<Variant>& cascade() {
    static const std::vector<Variant> kCascade = [] {
        using enum Region;
        using enum Filter;
        std::vector<Variant> c;
        c.push_back({.name = "half", .scale = 0.5, .costHintMs = 4.5});
        c.push_back({.name = "plain", .tryHarder = false, .tryDownscale = false, .costHintMs = 2.5});
        c.push_back({.name = "roi-x2", .region = Candidates, .scale = 2.0, .costHintMs = 6});
        c.push_back({.name = "roi-outline", .region = Outlined, .tryDownscale = false, .costHintMs = 8});
        c.push_back({.name = "roi-outline-inverted", .region = Outlined, .invert = true, .tryDownscale = false, .costHintMs = 8});
        c.push_back({.name = "roi-grid", .region = Gridded, .costHintMs = 8});
        c.push_back({.name = "roi-wiener", .region = Candidates, .scale = 2.0, .filterFirst = true, .filter = Wiener, .costHintMs = 12.0});
        c.push_back({.name = "roi-denoise", .region = Candidates, .scale = 2.0, .filter = Denoise, .costHintMs = 6.0});
        c.push_back({.name = "roi-motion", .region = Candidates, .scale = 1.5, .filterFirst = true, .filter = MotionEstimated, .costHintMs = 15.0});
        c.push_back({.name = "histogram", .binarizer = Binarizer::GlobalHistogram, .costHintMs = 3});
        c.push_back({.name = "inverted", .invert = true, .costHintMs = 3.5});
        c.push_back({.name = "roi-grid-wiener", .region = Gridded, .filter = Wiener, .costHintMs = 14.0});
        c.push_back({.name = "roi-grid-motion", .region = Gridded, .filter = MotionEstimated, .costHintMs = 16.0});
        c.push_back({.name = "roi-grid-wiener-gentle", .region = Gridded, .filter = WienerGentle, .costHintMs = 14.0});
        c.push_back({.name = "roi-x2-adaptive", .region = Candidates, .scale = 2.0, .filter = AdaptiveThreshold, .costHintMs = 7});
        c.push_back({.name = "roi-deblur", .region = Candidates, .scale = 2.0, .filter = Deblur, .costHintMs = 8});
        c.push_back({.name = "roi-x2-smooth", .region = Candidates, .scale = 2.0, .filter = Smooth, .costHintMs = 6.5});
        c.push_back({.name = "roi-x2-inverted", .region = Candidates, .scale = 2.0, .invert = true, .costHintMs = 6});
        c.push_back({.name = "adaptive", .filter = AdaptiveThreshold, .costHintMs = 5});
        c.push_back({.name = "roi-x2-sharpen", .region = Candidates, .scale = 2.0, .filter = Sharpen, .costHintMs = 7});
        c.push_back({.name = "roi-histogram", .region = Candidates, .scale = 2.0, .binarizer = Binarizer::GlobalHistogram, .costHintMs = 5});
        c.push_back({.name = "stretch", .filter = Stretch, .costHintMs = 5});
        c.push_back({.name = "roi-clahe", .region = Candidates, .scale = 2.0, .filter = Clahe, .costHintMs = 7.5});
        c.push_back({.name = "clahe", .filter = Clahe, .costHintMs = 7.5});
        c.push_back({.name = "sharpen", .filter = Sharpen, .costHintMs = 7});
        c.push_back({.name = "smooth", .filter = Smooth, .costHintMs = 4.5});
        c.push_back({.name = "roi-x3", .region = Candidates, .scale = 3.0, .costHintMs = 6});
        c.push_back({.name = "roi-deblur-inverted", .region = Candidates, .scale = 2.0, .filter = Deblur, .invert = true, .costHintMs = 8});
        c.push_back({.name = "clahe-inverted", .filter = Clahe, .invert = true, .costHintMs = 7.5});
        c.push_back({.name = "roi-motion-short", .region = Candidates, .scale = 2.0, .filterFirst = true, .filter = MotionShort, .costHintMs = 14.0});
        c.push_back({.name = "roi-motion-long", .region = Candidates, .scale = 2.0, .filterFirst = true, .filter = MotionLong, .costHintMs = 14.0});
        c.push_back({.name = "locate", .region = Located, .live = false, .costHintMs = 16});
        c.push_back({.name = "locate-inverted", .region = Located, .invert = true, .live = false, .costHintMs = 16});
        return c;
    }();
    return kCascade;
}

double workMegapixels(const Variant& variant, FrameContext& frame) {
    const double frameMp = double(frame.gray().total()) / 1e6;
    switch (variant.region) {
        case Region::Whole:
            return frameMp * variant.scale * variant.scale;
        case Region::Candidates: {
            double mp = 0;
            for (const cv::Rect& r : regionsOf(frame)) {
                const double scale = regionScale(variant, r);
                mp += double(r.area()) * scale * scale / 1e6;
            }
            return mp;
        }
        case Region::Outlined:
        case Region::Gridded: {
            // Edge density on the region, then reading a square of up to kOutlineMaxSidePx plus quiet zone
            // (the square's size is only known after the outline is found: the largest is assumed).
            double mp = 0;
            const double square = kOutlineMaxSidePx * (1 + 2 * kRectifyQuietFraction);
            for (const cv::Rect& r : regionsOf(frame)) mp += (double(r.area()) + square * square) / 1e6;
            return mp;
        }
        case Region::Located:
            if (std::min(frame.gray().cols, frame.gray().rows) < kLocateMinSidePx) return 0.0;
            // QRCodeDetector enlarges small images before searching (≈512 px), and the rectified
            // square is read at a fixed size: never less work than kLocateMinWorkMp.
            return std::max(frameMp, kLocateMinWorkMp);
    }
    return frameMp;
}

GridJob::GridJob(const Variant& variant, FrameContext& frame)
    : variant_(variant),
      gray_(frame.gray().clone()),
      prepMsPerMp_(variant.filter == Filter::Wiener || variant.filter == Filter::WienerGentle ? kWienerPrepHintMsPerMp
                                                                                               : kMotionPrepHintMsPerMp) {
    if (variant.filter == Filter::None) {
        outlined_ = frame.outlined();
    } else {
        regions_ = regionsOf(frame);
    }
}

bool GridJob::step(std::chrono::steady_clock::time_point deadline) {
    if (!done_) done_ = work(deadline);
    return done_;
}

double GridJob::holdsOnMs() const {
    if (variant_.filter == Filter::None) return kConfirmMs;
    return kConfirmMs + prepMsPerMp_ * double(currentRegion_.area()) / 1e6;
}

bool GridJob::work(std::chrono::steady_clock::time_point deadline) {
    bool worked = false;  // whether this slice has done any work yet
    try {
        for (;;) {
            if (current_) {
                worked = true;
                if (!current_->step(deadline)) return false;
                if (current_->result()) {
                    result_ = current_->result();
                    placement_ = current_->placement();
                    return true;
                }
                current_.reset();
            }
            if (next_ >= regionCount()) return true;
            if (std::chrono::steady_clock::now() >= deadline) return false;
            if (variant_.filter == Filter::None) {
                const auto& o = outlined_[next_++];
                current_.emplace(o.square, o.box, variant_.invert, gray_, o.squareToFrame);
                continue;
            }
            // Filtered (deconvolved) regions: outlined, rectified and sampled on the filtered pixels
            // (the module centres of a blurred code are where the filter restores contrast).
            // The deconvolution and outline (tens of ms on a large region) cannot stop part-way: they
            // start in this slice only if their estimate fits in what is left of it, or the slice
            // has just begun.
            const cv::Rect& r = regions_[next_];
            const auto start = std::chrono::steady_clock::now();
            const double mp = double(r.area()) / 1e6;
            if (worked && start + std::chrono::microseconds(std::int64_t(prepMsPerMp_ * mp * 1000.0)) > deadline) return false;
            ++next_;
            const cv::Mat filtered = applyFilter(gray_(r), variant_.filter, false);
            const auto quad = outlineQuad(filtered, true);
            worked = true;
            const double prepMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
            prepMsPerMp_ = prepMs / std::max(mp, 1e-3);
            SLOG("Decode", Debug) << "grid region " << variant_.name << " " << r.width << "x" << r.height << " prepared_ms=" << prepMs;
            if (!quad) continue;
            const FrameContext::Outlined o = outlinedSquare(filtered, *quad);
            current_.emplace(o.square, o.box, variant_.invert, filtered, o.squareToFrame);
            currentRegion_ = r;
        }
    } catch (const std::exception&) {
        // A third-party failure is "nothing read" (STYLE rule 4).
        current_.reset();
        next_ = regionCount();
        return true;
    }
}

bool GridJob::holdsOn(FrameContext& frame) const {
    if (!result_ || !placement_) return false;
    try {
        const cv::Mat& gray = frame.gray();
        if (gray.size() != gray_.size()) return false;
        const cv::Mat image =
            variant_.filter == Filter::None ? gray : applyFilter(gray(currentRegion_), variant_.filter, false);
        return readPlaced(image, *placement_) == result_;
    } catch (const std::exception&) {
        return false;  // a third-party failure: not confirmed (STYLE rule 4)
    }
}

VariantOutcome runVariant(const Variant& variant, FrameContext& frame, std::chrono::steady_clock::time_point deadline) {
    VariantOutcome outcome;
    const cv::Mat& gray = frame.gray();
    try {
        switch (variant.region) {
            case Region::Whole:
                if (variant.scale > 1.0 && double(gray.total()) * variant.scale * variant.scale > kMaxScaledPixels) break;
                readInto(applyFilter(variant.scale == 0.5 ? frame.half() : resampled(gray, variant.scale), variant.filter,
                                     variant.invert),
                         variant, outcome, &frame, {}, variant.scale);
                break;
            case Region::Candidates:
                for (const cv::Rect& r : regionsOf(frame)) {
                    const double scale = regionScale(variant, r);
                    const cv::Mat img =
                        variant.filterFirst
                            ? resampled(applyFilter(gray(r), variant.filter, variant.invert), scale)
                            : applyFilter(resampled(gray(r), scale), variant.filter, variant.invert);
                    readInto(img, variant, outcome);
                    if (!outcome.payloads.empty()) break;
                }
                break;
            case Region::Outlined:
                for (const auto& o : frame.outlined()) {
                    readInto(applyFilter(o.square, variant.filter, variant.invert), variant, outcome);
                    if (!outcome.payloads.empty()) break;
                }
                break;
            case Region::Gridded: {
                auto job = std::make_shared<GridJob>(variant, frame);
                const bool done = job->step(deadline);
                if (job->result()) {
                    outcome.payloads.push_back(*job->result());
                } else if (!done) {
                    outcome.unfinished = std::move(job);
                }
                break;
            }
            case Region::Located: {
                if (std::min(gray.cols, gray.rows) < kLocateMinSidePx) break;
                cv::Mat filtered = applyFilter(gray, variant.filter, variant.invert);
                for (const auto& quad : locateQuads(filtered)) {
                    readInto(resampled(rectify(filtered, quad), variant.scale), variant, outcome);
                }
                break;
            }
        }
    } catch (const std::exception&) {
        // A third-party failure on one variant is "nothing read" for that variant (STYLE rule 4).
        outcome.payloads.clear();
    }
    return outcome;
}

}  // namespace sentinel::decode::detail

#include "firmware/mrz/BandFinder.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace sentinel::mrz::detail {
namespace {

// The search runs on a copy of the frame this many times smaller: a 10 px character pitch stays
// 5 px, enough for the strokes to show in the gradient.
constexpr int kSearchScale = 2;
// Sobel magnitudes are scaled by this into 8 bits (a full black-to-white step is 4 × 255).
constexpr double kGradientScale = 0.25;
// Row smoothing of the gradient (search pixels): about two characters at the smallest pitch, so a
// line's strokes become one field while a lone vertical edge stays a narrow column.
constexpr int kSmoothWidthPx = 9;
constexpr int kSmoothHeightPx = 3;
// Threshold on the smoothed gradient: at least kMinEnergy (measured: printed OCR-B at 10–26 px
// pitch in daylight gives 25–60, sensor noise 2–3) and kEnergyOverMean times the frame's mean.
constexpr double kMinEnergy = 9.0;
constexpr double kEnergyOverMean = 2.5;
// Energy columns taller than this (search pixels) are edges: a TD1 zone at 10 px pitch is about 22
// high with the smoothing, a line at 26 px pitch 17.
constexpr int kEdgeHeightPx = 31;
// Closing that joins the characters of a line (gaps of a wide glyph pair at 26 px pitch) and the
// lines of an MRZ at small pitches (at large pitches they stay apart and are merged as bands).
constexpr int kCloseWidthPx = 15;
constexpr int kCloseHeightPx = 5;
// A band (search pixels): long enough for a TD1 line at 10 px pitch (300 px, 150 here) with a
// quarter lost at its ends, several times longer than high, and mostly filled.
constexpr double kMinBandLengthPx = 110;
constexpr double kMinAspect = 4.0;
constexpr double kMinFill = 0.4;
// Bands merged as lines of one zone: parallel within kMergeAngleDeg, centres apart across the band
// by at most kMergeDistance times their summed heights, overlapping along it by kMergeOverlap.
constexpr double kMergeAngleDeg = 4.0;
constexpr double kMergeDistance = 1.6;
constexpr double kMergeOverlap = 0.5;

// Long side along width, angle in (-90, 90].
cv::RotatedRect canonical(cv::RotatedRect r) {
    if (r.size.width < r.size.height) {
        std::swap(r.size.width, r.size.height);
        r.angle += 90.0f;
    }
    while (r.angle > 90.0f) r.angle -= 180.0f;
    while (r.angle <= -90.0f) r.angle += 180.0f;
    return r;
}

bool mergeable(const cv::RotatedRect& a, const cv::RotatedRect& b) {
    double da = std::fabs(a.angle - b.angle);
    da = std::min(da, 180.0 - da);
    if (da > kMergeAngleDeg) return false;
    const double t = a.angle * std::numbers::pi / 180.0;
    const cv::Point2d axis(std::cos(t), std::sin(t)), normal(-std::sin(t), std::cos(t));
    const cv::Point2d d(b.center.x - a.center.x, b.center.y - a.center.y);
    const double across = std::fabs(d.dot(normal));
    if (across > kMergeDistance * (a.size.height + b.size.height)) return false;
    const double along = d.dot(axis);
    const double lo = std::max(-a.size.width / 2.0, along - b.size.width / 2.0);
    const double hi = std::min(a.size.width / 2.0, along + b.size.width / 2.0);
    return hi - lo >= kMergeOverlap * std::min(a.size.width, b.size.width);
}

// Pieces of one line that a gap split (a reflection's halo washing out a few characters): parallel,
// on one axis (centres apart across by at most kJoinAcross of the taller's height), similar heights,
// and the gap between their ends at most kJoinGap of the joined length.
constexpr double kJoinAcross = 0.5;
constexpr double kJoinGap = 0.3;
constexpr double kJoinHeightRatio = 0.5;

bool collinear(const cv::RotatedRect& a, const cv::RotatedRect& b) {
    double da = std::fabs(a.angle - b.angle);
    da = std::min(da, 180.0 - da);
    if (da > kMergeAngleDeg) return false;
    const double hi = std::max(a.size.height, b.size.height), lo = std::min(a.size.height, b.size.height);
    if (lo < kJoinHeightRatio * hi) return false;
    const double t = (a.size.width >= b.size.width ? a.angle : b.angle) * std::numbers::pi / 180.0;
    const cv::Point2d axis(std::cos(t), std::sin(t)), normal(-std::sin(t), std::cos(t));
    const cv::Point2d d(b.center.x - a.center.x, b.center.y - a.center.y);
    if (std::fabs(d.dot(normal)) > kJoinAcross * hi) return false;
    const double along = d.dot(axis);
    const double gap = std::fabs(along) - (a.size.width + b.size.width) / 2.0;
    const double length = std::fabs(along) + (a.size.width + b.size.width) / 2.0;
    return gap > 0 && gap <= kJoinGap * length;
}

cv::RotatedRect merged(const cv::RotatedRect& a, const cv::RotatedRect& b) {
    std::vector<cv::Point2f> pts(8);
    a.points(pts.data());
    b.points(pts.data() + 4);
    return canonical(cv::minAreaRect(pts));
}

}  // namespace

std::vector<Band> BandFinder::find(const cv::Mat& gray, int maxBands) {
    if (edgeKernel_.empty()) {
        edgeKernel_ = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(1, kEdgeHeightPx));
        closeKernel_ = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(kCloseWidthPx, kCloseHeightPx));
    }
    cv::Mat &small = small_, &gx16 = gx16_, &gx = gx_, &signedSum = signedSum_, &energy = energy_, &mask = mask_;
    cv::resize(gray, small, cv::Size(gray.cols / kSearchScale, gray.rows / kSearchScale), 0, 0, cv::INTER_AREA);
    cv::Sobel(small, gx16, CV_16S, 1, 0, 3);
    // Text energy: the gradient's magnitude, less what of it is one edge's (a window over text holds
    // rising and falling edges that cancel in the signed sum; a window over one edge does not).
    const cv::Size window(kSmoothWidthPx, kSmoothHeightPx);
    cv::convertScaleAbs(gx16, gx, kGradientScale);
    cv::blur(gx, energy, window);
    cv::blur(gx16, signedSum, window);
    cv::convertScaleAbs(signedSum, signedSum, kGradientScale);
    cv::subtract(energy, signedSum, energy);
    const double threshold = std::max(kMinEnergy, kEnergyOverMean * cv::mean(energy)[0]);
    cv::threshold(energy, mask, threshold, 255, cv::THRESH_BINARY);
    // Tall thin columns are the vertical edges of the page, the photo or the scene, not text: they
    // would join a zone to its page's edge.
    cv::morphologyEx(mask, columns_, cv::MORPH_OPEN, edgeKernel_);
    cv::subtract(mask, columns_, mask);
    cv::morphologyEx(mask, mask, cv::MORPH_CLOSE, closeKernel_);
    std::vector<std::vector<cv::Point>>& contours = contours_;
    contours.clear();
    cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);

    std::vector<cv::RotatedRect> boxes;
    for (const auto& c : contours) {
        if (double(c.size()) < kMinBandLengthPx / 4) continue;  // cheap reject before minAreaRect
        const cv::RotatedRect r = canonical(cv::minAreaRect(c));
        if (r.size.width < kMinBandLengthPx || std::fabs(r.angle) > kMaxBandAngleDeg) continue;
        if (r.size.width < kMinAspect * r.size.height) continue;
        if (cv::contourArea(c) < kMinFill * r.size.area()) continue;
        boxes.push_back(r);
    }
    for (bool again = true; again;) {
        again = false;
        for (std::size_t i = 0; i < boxes.size() && !again; ++i)
            for (std::size_t j = i + 1; j < boxes.size() && !again; ++j)
                if (mergeable(boxes[i], boxes[j])) {
                    boxes[i] = merged(boxes[i], boxes[j]);
                    boxes.erase(boxes.begin() + std::ptrdiff_t(j));
                    again = true;
                }
    }
    {
        const std::size_t n = boxes.size();
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = i + 1; j < n; ++j)
                if (collinear(boxes[i], boxes[j])) boxes.push_back(merged(boxes[i], boxes[j]));
    }
    std::vector<Band> bands;
    for (const auto& r : boxes) {
        Band b;
        b.box = cv::RotatedRect(r.center * float(kSearchScale), r.size * float(kSearchScale), r.angle);
        b.score = r.size.width;
        bands.push_back(b);
    }
    std::sort(bands.begin(), bands.end(), [](const Band& a, const Band& b) { return a.score > b.score; });
    if (int(bands.size()) > maxBands) bands.resize(std::size_t(maxBands));
    return bands;
}

std::vector<Band> findBands(const cv::Mat& gray, int maxBands) {
    BandFinder finder;
    return finder.find(gray, maxBands);
}

}  // namespace sentinel::mrz::detail

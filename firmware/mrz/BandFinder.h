#pragma once
// Internal to firmware/mrz: the cheap search for MRZ-like text bands in a frame (the part that runs
// on every camera frame, beside the QR engine). Not a public header: it names OpenCV types.
//
// On a half-size copy of the frame: horizontal gradient magnitude (text is a row of vertical
// strokes), smoothed along the rows, thresholded, closed so that the characters of a line — and the
// lines of a small MRZ — join into one blob; blobs that are long, thin, filled and within
// kMaxBandAngleDeg of horizontal are bands. Bands that are lines of the same zone (a large MRZ
// whose lines stay apart) are merged.

#include <opencv2/core.hpp>

#include <vector>

namespace sentinel::mrz::detail {

// Rotations the reader handles (issue 27: ±10°), with room for a band's own angle error.
inline constexpr double kMaxBandAngleDeg = 15.0;

struct Band {
    cv::RotatedRect box;  // full-frame pixels; angle in degrees, long side along width
    double score = 0;     // larger first: long, filled, strongly textured
};

// The search with its working images kept from frame to frame: a frame of the same size then
// allocates nothing large (fresh allocations of a few hundred kilobytes a frame cost page faults
// that doubled the search's CPU time). One per camera stream; not thread-safe.
class BandFinder {
public:
    // Bands in `gray` (CV_8UC1, any size), best first, at most `maxBands`.
    std::vector<Band> find(const cv::Mat& gray, int maxBands);

private:
    cv::Mat small_, gx16_, gx_, signedSum_, energy_, mask_, columns_;
    cv::Mat edgeKernel_, closeKernel_;
    std::vector<std::vector<cv::Point>> contours_;
};

// One search with working images of its own (still images, tests).
std::vector<Band> findBands(const cv::Mat& gray, int maxBands);

}  // namespace sentinel::mrz::detail

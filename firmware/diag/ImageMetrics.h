#pragma once
// Image measures for aiming and focusing the camera. Pure: values in, values out.

#include <optional>

#include "firmware/base/ImageView.h"
#include "firmware/diag/Check.h"

namespace sentinel::diag {

// Mean gray level, 0–255. 0 for an empty view.
double meanBrightness(const GrayView& image);

// Focus score: variance of the 4-neighbour Laplacian over the interior pixels (Pech-Pacheco et al.,
// "Diatom autofocusing in brightfield microscopy", ICPR 2000). Higher = sharper. 0 for images
// smaller than 3×3.
double laplacianVariance(const GrayView& image);

// Verdict thresholds. Where they come from: 8-bit frames of a 1280×720 kiosk camera looking at a
// phone or paper card; a mean under 40 or over 215 loses QR modules to noise or clipping; a
// Laplacian variance under 100 is the usual "blurred" threshold for 8-bit images, under 20 nothing
// in view has an edge at all.
struct ImageThresholds {
    double darkMean = 40.0;
    double brightMean = 215.0;
    double blurredSharpness = 100.0;
    double veryBlurredSharpness = 20.0;
};

// ok / warn with a remedy. Never fail: a dark or blurred picture still lets the kiosk run.
Outcome judgeBrightness(double mean, const ImageThresholds& t = {});
Outcome judgeSharpness(double score, const ImageThresholds& t = {});

}  // namespace sentinel::diag

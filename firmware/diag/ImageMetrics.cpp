#include "firmware/diag/ImageMetrics.h"

#include <cstdio>

namespace sentinel::diag {
namespace {

std::string fmt1(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

}  // namespace

double meanBrightness(const GrayView& image) {
    if (image.empty()) return 0.0;
    double sum = 0.0;
    for (int y = 0; y < image.heightPx; ++y) {
        const std::uint8_t* row = image.data + static_cast<std::ptrdiff_t>(y) * image.strideBytes;
        unsigned long long rowSum = 0;
        for (int x = 0; x < image.widthPx; ++x) rowSum += row[x];
        sum += static_cast<double>(rowSum);
    }
    return sum / (static_cast<double>(image.widthPx) * image.heightPx);
}

double laplacianVariance(const GrayView& image) {
    if (image.empty() || image.widthPx < 3 || image.heightPx < 3) return 0.0;
    double sum = 0.0, sumSq = 0.0;
    long long n = 0;
    for (int y = 1; y + 1 < image.heightPx; ++y) {
        const std::uint8_t* up = image.data + static_cast<std::ptrdiff_t>(y - 1) * image.strideBytes;
        const std::uint8_t* row = up + image.strideBytes;
        const std::uint8_t* down = row + image.strideBytes;
        for (int x = 1; x + 1 < image.widthPx; ++x) {
            const int lap = up[x] + down[x] + row[x - 1] + row[x + 1] - 4 * row[x];
            sum += lap;
            sumSq += static_cast<double>(lap) * lap;
            ++n;
        }
    }
    const double mean = sum / static_cast<double>(n);
    return sumSq / static_cast<double>(n) - mean * mean;
}

Outcome judgeBrightness(double mean, const ImageThresholds& t) {
    const std::string d = "mean brightness " + fmt1(mean) + "/255";
    if (mean < t.darkMean) return Outcome::warn(d + " (too dark)", "add light at the reading spot or raise the camera exposure");
    if (mean > t.brightMean) return Outcome::warn(d + " (too bright)", "shade the reading spot or lower the camera exposure");
    return Outcome::ok(d);
}

Outcome judgeSharpness(double score, const ImageThresholds& t) {
    const std::string d = "sharpness " + fmt1(score);
    if (score < t.veryBlurredSharpness)
        return Outcome::warn(d + " (no edges in view)", "hold a test card under the camera and run diag again; if it stays low, refocus");
    if (score < t.blurredSharpness) return Outcome::warn(d + " (blurred)", "refocus the lens on the reading spot (about 15 cm), clean the window");
    return Outcome::ok(d + " (in focus)");
}

}  // namespace sentinel::diag

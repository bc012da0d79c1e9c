#pragma once
// Internal to firmware/decode (never include it from another module): the cascade of image
// variants the engine tries, each a preprocessing recipe followed by one ZXing-cpp read.

#include <opencv2/core.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace sentinel::decode::detail {

enum class Filter {
    None,
    Clahe,              // contrast-limited adaptive histogram equalisation: glare, low light, shadow
    Sharpen,            // unsharp mask: defocus, motion blur
    Smooth,             // Gaussian blur: screen moiré, JPEG blocking, sensor noise
    AdaptiveThreshold,  // OpenCV mean-C threshold with a window of a few modules, then BoolCast
    Stretch,            // global min/max stretch after a small blur: very low contrast
};

enum class Binarizer { LocalAverage, GlobalHistogram };

struct Variant {
    const char* name;
    double scale = 1.0;  // resampling factor applied to the (located) image
    Filter filter = Filter::None;
    bool invert = false;  // dark mode: light modules on a dark ground
    Binarizer binarizer = Binarizer::LocalAverage;
    bool tryHarder = true;
    bool locate = false;  // QRCodeDetector::detect, then perspective rectification of each quad
    double costHintMs = 3.0;  // cost at 1280x720 measured on the dev machine; a start value, learned at run time
};

// The still-image order (most productive per millisecond first); index 0 is the cheap pass every
// live frame runs.
const std::vector<Variant>& cascade();

struct VariantOutcome {
    std::vector<std::string> payloads;  // valid QR reads only (RS-corrected, format info verified)
    bool symbolSeen = false;            // ZXing found a QR symbol it could not decode, or locate found a quad
};

// Runs one variant on an 8-bit grayscale image (not modified). Catches every exception.
VariantOutcome runVariant(const Variant& variant, const cv::Mat& gray);

}  // namespace sentinel::decode::detail

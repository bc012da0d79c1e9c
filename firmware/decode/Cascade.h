#pragma once
// Internal to firmware/decode (never include it from another module): the cascade of image
// variants the engine tries, each a preprocessing recipe followed by one ZXing-cpp read.

#include <opencv2/core.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "firmware/decode/GridReader.h"

namespace sentinel::decode::detail {

enum class Filter {
    None,
    Clahe,              // contrast-limited adaptive histogram equalisation: glare, low light, shadow
    Sharpen,            // unsharp mask: mild defocus, motion blur
    Deblur,             // strong unsharp mask (wider kernel): heavy defocus
    Smooth,             // Gaussian blur: screen moiré, JPEG blocking, sensor noise
    AdaptiveThreshold,  // OpenCV mean-C threshold with a window of a few modules, then BoolCast
    Stretch,            // min/max stretch after a small blur: very low contrast
    Denoise,            // wider Gaussian blur, then min/max stretch: low light (few photons, much noise)
    Wiener,             // Wiener deconvolution of a Gaussian blur: strong defocus
    WienerGentle,       // the same with more noise allowed for: defocus in low light
    MotionShort,        // Wiener deconvolution of a linear motion blur (direction estimated), 5 px
    MotionLong,         // the same, 8 px
    MotionEstimated,    // the same, with the blur's length estimated from the region
};

enum class Binarizer { LocalAverage, GlobalHistogram };

enum class Region {
    Whole,       // the whole frame
    Candidates,  // each QR-like region (texture candidates and symbols ZXing saw but could not read)
    Located,     // each quad QRCodeDetector::detect finds, rectified to an upright square
    Outlined,    // each candidate region's symbol outline (a quadrilateral), rectified to an upright square
    Gridded,     // the same squares, their module grid sampled by GridReader (no ZXing detector)
};

struct Variant {
    const char* name;
    Region region = Region::Whole;
    double scale = 1.0;  // resampling factor applied to the region (after the filter when filterFirst)
    bool filterFirst = false;  // filter at the frame's resolution, then resample
    Filter filter = Filter::None;
    bool invert = false;  // dark mode: light modules on a dark ground
    Binarizer binarizer = Binarizer::LocalAverage;
    bool tryHarder = true;
    bool tryDownscale = true;  // ZXing's own downscaled pyramid
    bool live = true;          // also tried on live frames (false: stills only)
    double costHintMs = 3.0;   // ms per megapixel of work (dev machine, unloaded); a start value, learned at run time
};

// The still-image order; index 0 is the cheap pass every live frame runs.
const std::vector<Variant>& cascade();

// Per-frame lazily computed data shared by the variants of one frame.
class FrameContext {
public:
    explicit FrameContext(const cv::Mat& gray) : gray_(gray) {}
    const cv::Mat& gray() const { return gray_; }
    // The frame at half size (area-averaged), computed once.
    const cv::Mat& half();
    // QR-like regions in frame coordinates, most likely first (texture density, ≈0.6 ms at 720p).
    const std::vector<cv::Rect>& candidates();
    // Regions where ZXing located a QR symbol it could not decode (frame coordinates).
    std::vector<cv::Rect>& symbols() { return symbols_; }

    // A candidate region's symbol outline, rectified: the symbol lies roughly on `box` of `square`;
    // `squareToFrame` maps square coordinates to those of the image it was rectified from.
    struct Outlined {
        cv::Mat square;
        cv::Rect2f box;
        cv::Matx33d squareToFrame;
    };
    // The outlined squares of the frame's regions, computed once (the first variant that asks).
    const std::vector<Outlined>& outlined();

private:
    const cv::Mat& gray_;
    std::optional<std::vector<Outlined>> outlined_;
    cv::Mat half_;
    std::optional<std::vector<cv::Rect>> candidates_;
    std::vector<cv::Rect> symbols_;
};

// A module-grid variant's work on one frame, which can stop at a deadline and go on at the next
// (the frame's pixels are its own copy): each outlined (or deconvolved and outlined) region read in
// turn by GridRead.
class GridJob {
public:
    GridJob(const Variant& variant, FrameContext& frame);
    // Works on until done or `deadline`; true once done.
    bool step(std::chrono::steady_clock::time_point deadline);
    // The payload, once done (nothing if no region read).
    const std::optional<std::string>& result() const { return result_; }
    // Whether the result also reads on `frame` (the scene's current frame, when the job was begun on
    // an earlier one): the same grid placement sampled from its pixels decodes to the same payload.
    bool holdsOn(FrameContext& frame) const;
    // What holdsOn costs, estimated (ms): a filtered variant deconvolves the region again.
    double holdsOnMs() const;
    bool done() const { return done_; }

private:
    bool work(std::chrono::steady_clock::time_point deadline);
    std::size_t regionCount() const { return variant_.filter == Filter::None ? outlined_.size() : regions_.size(); }

    const Variant& variant_;
    cv::Mat gray_;                                  // the frame, copied
    std::vector<FrameContext::Outlined> outlined_;  // unfiltered variants: the frame's outlines
    std::vector<cv::Rect> regions_;                 // filtered variants: the candidate regions
    std::size_t next_ = 0;                          // the next outline or region to read
    double prepMsPerMp_;                            // a filtered region's deconvolution and outline, estimated
    std::optional<GridRead> current_;
    cv::Rect currentRegion_;  // filtered variants: the region current_ reads (frame coordinates)
    std::optional<std::string> result_;
    std::optional<GridPlacement> placement_;
    bool done_ = false;
};

struct VariantOutcome {
    std::vector<std::string> payloads;  // valid QR reads only (RS-corrected, format info verified)
    bool symbolSeen = false;            // a QR symbol was located but did not decode
    std::shared_ptr<GridJob> unfinished;  // a grid variant stopped at its deadline: to go on with
};

// Pixels (in millions) the variant hands to ZXing on this frame: the engine predicts a variant's
// cost from it (candidate regions differ in size from frame to frame).
double workMegapixels(const Variant& variant, FrameContext& frame);

// Whether the variant stops at its deadline (the module-grid readers): its cost on a frame is
// bounded by the deadline, not by its estimate.
inline bool stopsAtDeadline(const Variant& v) { return v.region == Region::Gridded; }

// Runs one variant (the frame is not modified). Catches every exception. Variants that sample the
// module grid (GridReader, stages of a millisecond or two) stop at `deadline` and hand back their
// unfinished job, to go on with on a later frame.
VariantOutcome runVariant(const Variant& variant, FrameContext& frame,
                          std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

}  // namespace sentinel::decode::detail

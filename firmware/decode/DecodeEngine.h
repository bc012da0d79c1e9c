#pragma once
// QR decode engine: ZXing-cpp plus our own cascade of preprocessing variants (scales, inversion,
// local contrast, sharpening, binarizers, localisation + rectification). The public boundary is
// GrayView and std::string: no ZXing or OpenCV type appears here (STYLE rule 3).
//
// Contract:
// - Returned payloads are the exact text the QR code holds (UTF-8), one entry per distinct code.
//   Only QR codes whose Reed-Solomon error correction succeeded are returned; an image with no
//   readable code yields an empty vector (never an error). No exception leaves this class.
// - decodeFrame() bounds the work per call by EngineOptions::frameBudget (soft: a variant starts
//   only when its measured cost fits in what is left) and spreads the rest of the cascade over the
//   following frames; decodeStill() runs the whole cascade until something reads.
// - Not thread-safe: one engine per camera stream.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/ImageView.h"

namespace sentinel::decode {

struct EngineOptions {
    // Soft per-frame work budget for decodeFrame(): a variant starts only if its predicted cost fits
    // in what is left (the first one of a frame only needs to fit in 2 budgets). 33 ms is the
    // period of a 30 fps camera; the margin covers the cheap pass, prediction error and a loaded CPU
    // (12 ms: p99 under 33 ms on the shared 2-core dev machine at load ≈7, with 1 read fewer of 220
    // hard-set codes than 14 ms; docs/PERFORMANCE.md).
    std::chrono::microseconds frameBudget{12000};
    // Frames of full escalation a QR-like region earns before the engine falls back to running the
    // expensive cascade on one frame in four (keeps textured empty scenes cheap; credits refill at a
    // quarter per frame and in full after a read). 15 frames = the 0.5 s read target at 30 fps.
    int escalationFrames = 15;
};

// What the last decodeFrame()/decodeStill() call did (for benchmarks and diagnostics; no payloads).
struct FrameReport {
    int variantsTried = 0;
    std::string readBy;            // name of the variant that read, empty if none
    bool symbolSeen = false;       // a QR symbol was located (even if it did not decode)
    bool resumed = false;          // the read finished a grid variant begun on an earlier frame
    std::chrono::microseconds elapsed{0};
};

class DecodeEngine {
public:
    explicit DecodeEngine(EngineOptions options = {});
    ~DecodeEngine();
    DecodeEngine(DecodeEngine&&) noexcept;
    DecodeEngine& operator=(DecodeEngine&&) noexcept;
    DecodeEngine(const DecodeEngine&) = delete;
    DecodeEngine& operator=(const DecodeEngine&) = delete;

    // Live stream: one camera frame, bounded per-frame cost; stateful (see contract above).
    std::vector<std::string> decodeFrame(const GrayView& frame);
    // Still image: tries every variant until one reads; no frame budget.
    std::vector<std::string> decodeStill(const GrayView& image);
    // Forget stream state (new scene).
    void reset();

    const FrameReport& lastReport() const;
    // Names of the cascade's variants, in the order a still image tries them; `liveOnly`: those
    // decodeFrame() also tries (localisation is for stills only).
    static std::vector<std::string> variantNames(bool liveOnly = false);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sentinel::decode

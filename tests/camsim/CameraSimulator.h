#pragma once
// Camera simulator for decode tests and benchmarks: renders QR payloads (EC level Q) and composes
// them into 1280x720 grayscale camera frames with one impairment category each, at two levels.
// Seeded and reproducible: the same (seed, level, category, index) always gives the same frame on
// the same build. Test-side code (links OpenCV and ZXing's writer); never part of the kiosk binary.

#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::camsim {

enum class Level {
    Realistic,  // 3.8–5.5 px per module (2.0–3.0 for "small"), the common part of a handheld phone's range
    Hard,       // the far end of that range and beyond (smaller modules, steeper tilt, stronger blur, glare, noise)
};

std::string_view toString(Level level);
Result<Level> parseLevel(std::string_view text);

// nominal, small, tilt, rotation, defocus, motion, glare, lowlight, moire, inverted, jpeg
const std::vector<std::string>& categories();

struct Frame {
    cv::Mat gray;          // CV_8UC1, kFrameWidthPx x kFrameHeightPx
    std::string payload;   // what the code holds
    double modulePx = 0;   // mean module size in the frame
};

inline constexpr int kFrameWidthPx = 1280;
inline constexpr int kFrameHeightPx = 720;

// Payload generators (deterministic in `seed`): HK1 tokens ("HK1:" + 16–128 base64url chars) and
// HC1-sized credentials ("HC1:" + Base45 text, synthetic) whose length fills a QR version drawn from
// kHc1VersionMin..kHc1VersionMax at EC level Q (HCERT credentials: versions 15–25).
inline constexpr int kHc1VersionMin = 15;
inline constexpr int kHc1VersionMax = 25;
std::string hk1Token(std::uint64_t seed);
std::string hc1Synthetic(std::uint64_t seed);
// The QR version the simulator's encoder (EC level Q) gives `payload`; 0 if it cannot be encoded.
int qrVersion(const std::string& payload);

// Where HC1 payloads come from. Even indices show HC1, odd ones HK1 tokens.
class Hc1Source {
public:
    virtual ~Hc1Source() = default;
    virtual std::string hc1(std::uint64_t seed) = 0;
};
// Synthetic HC1-sized text: frames are bit-for-bit reproducible from the seed.
class SyntheticHc1 final : public Hc1Source {
public:
    std::string hc1(std::uint64_t seed) override { return hc1Synthetic(seed); }
};
// Real signed credentials from the demo/test issuer (firmware/issuer, fresh P-256 key): the claims
// (test type, sample time, identifier) follow the seed; the key and ECDSA signature differ per run,
// so the code's modules (not geometry or impairments) change from run to run.
class IssuerHc1 final : public Hc1Source {
public:
    IssuerHc1();
    ~IssuerHc1() override;
    std::string hc1(std::uint64_t seed) override;

private:
    struct State;
    std::unique_ptr<State> state_;
};

// Renders one frame. `category` must be one of categories(); `index` selects the sample. HC1
// payloads come from `hc1` (synthetic when null).
Result<Frame> renderFrame(std::uint64_t seed, Level level, std::string_view category, int index,
                          Hc1Source* hc1 = nullptr);

// A frame of the same scenes with no code in view (for the empty-frame cost).
cv::Mat renderEmptyFrame(std::uint64_t seed, int index);

// Writes DIR/<level>/<category>/<category>-NNN.png with NAME.txt beside each (expected payload) and
// DIR/<level>/manifest.tsv (`relative/image.png<TAB>@payload`, paths relative to the manifest);
// `emptyCount` empty scenes go to DIR/<level>/empty/ with the expectation `@` (no code).
// Returns the manifest path.
Result<std::filesystem::path> writeSet(const std::filesystem::path& outDir, std::uint64_t seed, Level level,
                                       int countPerCategory, int emptyCount = 0, Hc1Source* hc1 = nullptr);

}  // namespace sentinel::camsim

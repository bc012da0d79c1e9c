#pragma once
// Passport simulator for the MRZ tests and `sentinel bench mrz`: synthetic TD3 data pages and TD1
// cards with random holders and valid check digits, printed in OCR-B (Debian's fonts-ocr-b) and
// put in a 1280x720 camera frame (tests/camsim backgrounds) at 10–26 px character pitch, rotated
// up to ±10° and slightly tilted, with one impairment category each; and frames without a
// document (a scene, a phone's QR code, printed text that is not an MRZ) for false positives.
// Seeded and reproducible on one build. Test-side code; never part of the kiosk binary.

#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::mrzsim {

// Development seed (the reader is tuned on it) and report seed (docs/PERFORMANCE.md, never tuned on).
inline constexpr std::uint64_t kDevelopmentSeed = 27;
inline constexpr std::uint64_t kReportSeed = 2027;

inline constexpr double kMinPitchPx = 10.0;
inline constexpr double kMaxPitchPx = 26.0;
inline constexpr double kMaxRollDeg = 10.0;

// TD3 categories (nominal, defocus, motion, light, glare, jpeg), TD1 cards ("card"), and the
// frames without a document ("empty", "qr", "text").
const std::vector<std::string>& documentCategories();
const std::vector<std::string>& negativeCategories();

enum class DocKind { Td3, Td1 };

// A random MRZ with valid check digits (deterministic in `seed`): 2 × 44 or 3 × 30 characters.
std::vector<std::string> randomMrz(std::uint64_t seed, DocKind kind);
// The MRZ of given fields, check digits computed (names already ICAO-transliterated, '<' spaced).
std::vector<std::string> td3Mrz(std::string_view state, std::string_view primary, std::string_view given,
                                std::string_view number, std::string_view nationality, std::string_view birthYymmdd,
                                char sex, std::string_view expiryYymmdd, std::string_view personalNumber);

struct Scene {
    cv::Mat gray;              // CV_8UC1, 1280x720
    std::string expected;      // the MRZ lines joined by one space; empty for a frame without a document
    double pitchPx = 0;        // character pitch in the frame (0 without a document)
    std::string category;
    // Where each MRZ character is drawn (frame pixels, line by line; empty without a document): for
    // tests that cover a given character (a reflection over a name letter).
    std::vector<cv::Point2f> charCentres;
};

struct RenderOptions {
    std::string fontDir = "/usr/share/fonts/opentype/ocr-b";  // OCRB.otf and OCRBS.otf
    double pitchPx = 0;       // 0: drawn from kMinPitchPx..kMaxPitchPx
    double rollDeg = 1000;    // ≥ 360: drawn from ±kMaxRollDeg
};

// One scene of `category` (a document or a negative category), sample `index`.
Result<Scene> renderScene(std::uint64_t seed, std::string_view category, int index, const RenderOptions& options = {});
// A scene showing the given MRZ lines on a TD3 page (2 lines) or TD1 card (3 lines), nominal impairments.
Result<Scene> renderMrz(std::uint64_t seed, const std::vector<std::string>& lines, const RenderOptions& options);

// Writes DIR/<category>/<category>-NNN.png for every document category (`perCategory` each) and
// every negative category (`negatives` each), and DIR/manifest.tsv: `relative.png<TAB>expected`
// (+ `<TAB>pitch=P` for documents). Returns the manifest path.
Result<std::filesystem::path> writeSet(const std::filesystem::path& outDir, std::uint64_t seed, int perCategory,
                                       int negatives, const RenderOptions& options = {});

}  // namespace sentinel::mrzsim

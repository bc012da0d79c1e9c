#pragma once
// Finds an ICAO 9303 MRZ (TD3 2 × 44, TD1 3 × 30) in grey camera frames and reads it with the
// project's own OCR-B reader (templates rendered from Debian's fonts-ocr-b when the reader is made;
// no models). The public boundary is GrayView and SecretString: no OpenCV type appears here.
//
// Contract:
// - A read is returned only when every check digit (and the composite) passes and every character
//   cleared the confidence floor (ReaderOptions); otherwise nothing (never an error). One frame's
//   read is not yet an acceptance: MrzTracker accepts a read two frames agree on.
// - readFrame() always runs the cheap band search (≈ 1–2 ms on 1280 × 720) and reads bands until the
//   frame budget is spent (the first band of a frame is always read); bands not reached are found
//   again on the next frame. Successive frames alternate between the two template defocus levels that fit the
//   zone best, so two agreeing reads of a still scene come from two different classifications.
// - MRZ text is personal data: it lives in SecretStrings, is never logged, and lastReport() holds
//   none of it.
// - Not thread-safe: one reader per camera stream.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "firmware/base/ImageView.h"
#include "firmware/base/Result.h"
#include "firmware/base/Secret.h"
#include "firmware/mrz/MrzParser.h"

namespace sentinel::mrz {

// Where Debian's fonts-ocr-b puts the font (dpkg -L fonts-ocr-b).
inline constexpr const char* kDefaultOcrBFontPath = "/usr/share/fonts/opentype/ocr-b/OCRB.otf";

struct ReaderOptions {
    std::string fontPath = kDefaultOcrBFontPath;
    // Work per readFrame() call beyond the band search: a band is read only if its predicted cost
    // fits in what is left (the first band of a frame always is). The QR engine's own budget is 12 ms
    // of the 33 ms frame period; 8 ms leaves that untouched (docs/PERFORMANCE.md "MRZ").
    std::chrono::microseconds frameBudget{8000};
    // Bands the search hands on per frame, best first.
    int maxBands = 4;
    // Confidence floor: every character's correlation with its glyph, and — where no check digit
    // would catch a substitution (letters, alphanumerics) — its lead over the runner-up its position
    // allows. Development seed 27 (40 pages a category): the wrong reads whose checks all passed led
    // by at most 0.020 at their wrong character; 0.03 kept 376 of 442 right ones (docs/PERFORMANCE.md).
    float minCharScore = 0.45f;
    float minCharMargin = 0.03f;
    // The same lead where no check digit covers the position at all (names, state codes, sex).
    float minUncheckedMargin = 0.03f;
    // Check-digit correction (a zone whose checks fail): runner-ups within correctionMaxGap of the best
    // at checked positions, the closest correctionMaxCandidates of them, up to
    // correctionMaxSubstitutions at once; taken only when exactly one set makes every check pass.
    float correctionMaxGap = 0.1f;
    int correctionMaxCandidates = 12;
    int correctionMaxSubstitutions = 2;
};

struct MrzRead {
    MrzFormat format = MrzFormat::Td3;
    std::vector<SecretString> lines;  // as printed, 2 × 44 or 3 × 30
    ParsedMrz parsed;                 // every check passed
    double pitchPx = 0;               // character pitch in the frame
    // Same document text (format and lines).
    bool sameText(const MrzRead& other) const;
};

// What the last call did, for benchmarks and diagnostics (no MRZ text).
struct ReadReport {
    int bandsFound = 0;
    int bandsRead = 0;
    int zonesFound = 0;      // bands whose lines had an MRZ's proportions
    int checksFailed = 0;    // zones read whose check digits did not all pass
    int belowConfidence = 0; // zones whose checks passed but a character was below the floor
    int corrected = 0;       // reads whose checks passed only after the check-digit correction
    int steps = 0;           // read steps run (locate, sample, classify: one frame runs those that fit)
    bool read = false;
    std::chrono::microseconds searchTime{0};
    std::chrono::microseconds elapsed{0};
};

class MrzReader {
public:
    // Renders the glyph templates from options.fontPath: an Error if the font cannot be used.
    static Result<MrzReader> create(ReaderOptions options = {});
    ~MrzReader();
    MrzReader(MrzReader&&) noexcept;
    MrzReader& operator=(MrzReader&&) noexcept;
    MrzReader(const MrzReader&) = delete;
    MrzReader& operator=(const MrzReader&) = delete;

    // Live stream: one camera frame, bounded work (see the contract above).
    std::optional<MrzRead> readFrame(const GrayView& frame);
    // Still image: every band found, both template levels, no budget.
    std::optional<MrzRead> readStill(const GrayView& image);
    // Only the band search: the number of MRZ-like text bands in the frame (what readFrame costs on
    // a frame without a document, measured alone).
    int countBands(const GrayView& frame);
    // Forget stream state (new scene).
    void reset();

    const ReadReport& lastReport() const;

private:
    struct Impl;
    explicit MrzReader(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sentinel::mrz

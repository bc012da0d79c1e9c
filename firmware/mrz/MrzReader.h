#pragma once
// Finds an ICAO 9303 MRZ (TD3 2 × 44, TD1 3 × 30) in grey camera frames and reads it with the
// project's own OCR-B reader (templates rendered from Debian's fonts-ocr-b when the reader is made;
// no models). The public boundary is GrayView and SecretString: no OpenCV type appears here.
//
// Contract:
// - A read is returned only when every check digit (and the composite) passes, the issuing state
//   and nationality are ICAO codes (StateCodes.h), and every character cleared the confidence floor
//   (ReaderOptions); otherwise nothing (never an error). One frame's
//   read is not yet an acceptance: MrzTracker accepts a read two frames agree on.
// - readFrame() always runs the cheap band search (≈ 1–2 ms on 1280 × 720); the read of a band is
//   time-sliced into steps (copy and scale the band's box, cut out and ink, skew and lines, grid and
//   cells, one classification per template set) that run only while their estimated CPU time fits
//   in what is left of frameBudget, and continue on the next frames (the band's pixels are those of
//   the frame the read started on). A read is thus returned a few frames after its zone came into
//   view; a job classifies its zone with the best-fitting template sets in turn until two pass, so
//   that the tracker's two agreeing reads come from two different classifications.
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
    // CPU time per readFrame() call, band search included: a read step runs only if its running-mean
    // cost plus two running mean deviations fits in what is left (after two frames without a step
    // one runs anyway). The QR engine's own budget is 12 ms of the 33 ms frame period; 8 ms leaves
    // that untouched (docs/PERFORMANCE.md "MRZ").
    std::chrono::microseconds frameBudget{8000};
    // Bands the search hands on per frame, best first.
    int maxBands = 4;
    // Confidence floor: every character's correlation with its glyph, and — in checked
    // alphanumeric fields (document number, optional data) — its lead over the runner-ups of the
    // same check-digit value (mod 10) its position allows, and over any runner-up but in
    // maxCloseCheckedCells cells (two 0/O swaps can cancel in a 7-3-1 sum).
    float minCharScore = 0.45f;
    float minCharMargin = 0.03f;
    // The lead where no check digit covers the position at all (names, state codes, sex). Development
    // seed 27 (60 pages a category, every template set classified): of the reads whose checks all
    // passed, the wrong ones' smallest lead in these fields was at most 0.037 (an H/M and a C/I in a
    // name); 0.04 read none of them (0.05 none either, but lost the ICAO specimen at 12–13 px).
    float minUncheckedMargin = 0.04f;
    // The lead where no check digit covers the position, in the bestFitSets template sets that fit
    // the zone best. A misread name letter with a clear lead comes from a set that models the
    // zone's blur or print badly (H/M, G/Q, T/Y, U/W in a defocused zone); in the sets that fit
    // best the wrong reads' leads stay small: development seed 28 (292 pages, the 12 best sets
    // classified offline, the zones whose checks all pass) — the wrong ones' smallest lead in these
    // fields at most 0.014 in the 4 best sets, up to 0.061 in the others; seed 29's defocus pages at
    // ≥ 20 px at most 0.005 and 0.027. 0.025 (0.02 read 1 % more on seed 30).
    int bestFitSets = 4;
    float minUncheckedMarginBestFit = 0.025f;
    // Cells of checked alphanumeric fields that may lead a runner-up of another check-digit value
    // by less than minCharMargin (MrzReader.cpp, confident()): one — a single such substitution
    // always fails a check; the check digits must then lead clearly. Development seed 29 (every
    // third page, the top 12 template sets classified offline): 123 of 209 pages read instead of
    // 115 (defocus at ≥ 20 px 8 of 32 instead of 6), no wrong read either way.
    int maxCloseCheckedCells = 1;
    // A character whose cell has more than this share of its pixels clipped to white while most
    // of the zone's cells do not (a laminate's reflection) is not trusted, whatever its scores: the
    // reflection may have erased part of the glyph, leaving another one (E→L, S→J with leads of
    // 0.09–0.13 on development seed 29, in a name: no check digit). Half the cell: development
    // seeds 28 and 29, glare pages, read 131 of 330 with it, 105 with a quarter, both without a
    // wrong read.
    float maxClippedShare = 0.5f;
    // … unless its glyph still leads by minUncheckedMargin on the pixels the line's clipped disks
    // (and their fringe) leave, as a cored cell is judged: a halo that clipped the paper around
    // strokes it left visible erased nothing.
    bool judgeClippedCells = true;
    // An erased cell (above) where a check digit covers it: one per checked field (any other value
    // of one cell fails the field's check; two can cancel), in a field with no close or corrected
    // cell, and in a checked alphanumeric field the glyphs of its own value mod 10 must still
    // trail by minCharMargin on the pixels the reflection left (a 0 whose top a core clipped
    // reads U, both 0 mod 10: development seed 31's glare page 186 was read so once its zone
    // was found). Off: such cells are left to the check digits alone.
    bool guardCheckedCells = true;
    // Also distrust a name/code/sex cell with a reflection's saturated core in its glyph body (a
    // clipped disk half a pitch across) unless the glyph leads by minUncheckedMargin on the
    // pixels the core left: the core can erase a little of a glyph (an E's bottom bar: F, with a
    // clear lead) while clipping far less than maxClippedShare of the cell. Development seed 31:
    // one such wrong read of 2 100 without it; seeds 29/30/31 glare pages 109/68/98 read with it,
    // 117/73/105 without.
    bool guardClippedCores = true;
    // A cell so distrusted (an erased cell) whose character the zone's structure fixes — a name's
    // fillers after the second "<<", an unused personal number — is read as the filler it must be
    // (detail::inferErasedFillers); the checks and the composite still decide the rest.
    bool inferErasedFillers = true;
    // Check-digit correction (a zone whose checks fail): runner-ups within correctionMaxGap of the best
    // at digit-only positions (dates, check digits), the closest correctionMaxCandidates of them, up
    // to correctionMaxSubstitutions at once; taken only when exactly one set makes every check pass
    // (detail::CorrectionLimits says why alphanumeric positions are left alone).
    float correctionMaxGap = 0.1f;
    int correctionMaxCandidates = 12;
    int correctionMaxSubstitutions = 1;
};

struct MrzRead {
    MrzFormat format = MrzFormat::Td3;
    std::vector<SecretString> lines;  // as printed, 2 × 44 or 3 × 30
    ParsedMrz parsed;                 // every check passed
    double pitchPx = 0;               // character pitch in the frame
    // The template set the characters were classified with (-1: unknown). Two reads of a still page
    // by the same set are one classification of the same pixels, not two: MrzTracker does not
    // count them as agreeing.
    int templateSet = -1;
    // Same document text (format and lines).
    bool sameText(const MrzRead& other) const;
};

// What the last call did, for benchmarks and diagnostics (no MRZ text).
struct ReadReport {
    int bandsFound = 0;
    int bandsRead = 0;
    int zonesFound = 0;      // bands whose lines had an MRZ's proportions
    int checksFailed = 0;    // zones read whose check digits did not all pass
    int unknownState = 0;    // zones whose checks passed but whose issuing state or nationality is no ICAO code
    int belowConfidence = 0; // zones whose checks passed but a character was below the floor
    int clipped = 0;         // … or a character lay in a reflection clipped to white
    int corrected = 0;       // reads whose checks passed only after the check-digit correction
    // A zone read ended without a read while a reflection lay on it (a cell clipped to white, or a
    // saturated core in a glyph, where most of the zone is not): the traveller can tilt the page
    // (the kiosk's screen asks for it, DESIGN §15).
    bool reflectionBlocked = false;
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
    // Still image: every band found, every kept template set, no budget.
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

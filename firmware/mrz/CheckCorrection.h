#pragma once
// Internal to firmware/mrz (no OpenCV type: unit-tested on its own): check-digit correction of one
// classified zone (pure). Where the check digits fail, the runner-up glyphs close to the best at positions a check digit covers are tried,
// one substitution, then two; the fix is taken only when exactly one set of the smallest size makes
// every check (and the composite) pass. Positions no check covers (names, codes, sex) are never
// changed, and nothing is changed when the checks already pass.

#include <array>
#include <string>
#include <vector>

#include "firmware/mrz/MrzParser.h"

namespace sentinel::mrz::detail {

// Glyphs kept per cell beyond the best: the check-digit correction tries them (MrzReader).
inline constexpr int kAlternatives = 2;

struct CharScore {
    float best = 0;    // correlation with the chosen glyph (−1…1)
    float margin = 0;  // best − the runner-up allowed at that position (1 when only one glyph is allowed)
    // best − the best other glyph allowed there whose check-digit value is congruent mod 10 (1 when
    // there is none): the lead over the substitutions no check digit can see.
    float congruentMargin = 0;
    // Where a reflection's saturated core lies in the cell: the lead over the pixels it left (the
    // core's pixels left out of the correlation), which a glyph with parts erased (E → F) lacks;
    // in a checked alphanumeric field over the glyphs of the same check-digit value (mod 10) only,
    // as its check sees any other (a 0 whose top was erased reads U, the same value). 1 where there
    // is no core.
    float unclippedMargin = 1.0f;
    // Whether unclippedMargin was measured: a core reaches into the cell, or much of it is clipped
    // on a line that holds one (kJudgedClippedShare).
    bool unclippedJudged = false;
    // Where no check digit covers the position: the glyph also leads its closest rivals (the
    // alternatives) without the unsharp mask (detail::kSharpenAmount). True elsewhere.
    bool plainAgrees = true;
    // The next glyphs the position allows, best first ('\0' where fewer are allowed), and their
    // correlations.
    std::array<char, kAlternatives> alternatives{};
    std::array<float, kAlternatives> alternativeScores{};
};

struct CorrectionLimits {
    float maxGap = 0.1f;       // a runner-up is tried when its correlation is within this of the best
    float minScore = 0.45f;    // … and at least this
    int maxCandidates = 12;    // closest runner-ups tried (pairs: 66 parses)
    int maxSubstitutions = 1;  // characters changed at most
    // Also alphanumeric positions (document number, optional data). Off: on development seeds 27
    // and 28 a zone with two letter/digit misreads in the document number was "corrected" into a
    // third wrong character that passed every check; digit-only positions gained as many reads.
    bool alphanumeric = false;
};

enum class CorrectionResult {
    Unchanged,  // the checks passed as read
    Corrected,  // exactly one substitution set made every check pass; applied
    Ambiguous,  // several did: nothing applied
    None,       // none did: nothing applied
};

struct CorrectionOutcome {
    CorrectionResult result = CorrectionResult::None;
    std::vector<std::size_t> cells;  // substituted cells (line × length + column)
};

// `lines` as classified (2 × 44 or 3 × 30), `scores` one per cell with its runner-ups; `lines` is
// changed only when the result is Corrected.
CorrectionOutcome correctByCheckDigits(std::vector<std::string>& lines, MrzFormat format, const std::vector<CharScore>& scores,
                                       const CorrectionLimits& limits);

// Cells a reflection erased (`erased`, one per cell) whose character the zone's structure fixes:
// set to '<' in `lines` and returned (line × length + column). ICAO 9303: a name is the primary
// identifier, "<<", the secondary identifiers each separated by one '<', then fillers to the end
// of the field — so the text before the fillers holds at most one "<<", and from the second "<<"
// on everything is a filler (TD3 line 1, TD1 line 3). An erased cell is filled only when both
// pairs are read (not erased), lie before it, and every cell read between them and the field's end
// is a filler; an erased cell among the names stays erased. TD3's personal number: a check digit
// read as '<' says the field is unused, all fillers. Nothing else is inferred.
std::vector<std::size_t> inferErasedFillers(std::vector<std::string>& lines, MrzFormat format, const std::vector<bool>& erased);

}  // namespace sentinel::mrz::detail

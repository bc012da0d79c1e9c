#include "firmware/mrz/CheckCorrection.h"

#include <algorithm>
#include <functional>

namespace sentinel::mrz::detail {

CorrectionOutcome correctByCheckDigits(std::vector<std::string>& lines, MrzFormat format, const std::vector<CharScore>& scores,
                                       const CorrectionLimits& limits) {
    const int chars = lineLength(format);
    auto passes = [&]() {
        std::vector<std::string_view> views(lines.begin(), lines.end());
        auto parsed = parseMrz(views);
        return parsed && parsed->checks.all();
    };
    if (passes()) return {CorrectionResult::Unchanged, {}};
    // Candidate substitutions: a runner-up within maxGap of the best at a position a check digit
    // covers (elsewhere a substitution cannot change a check). Closest first.
    struct Candidate {
        std::size_t cell;
        char glyph;
        float gap;
    };
    std::vector<Candidate> candidates;
    for (std::size_t k = 0; k < scores.size(); ++k) {
        const CharClass cls = layout(format)[k / std::size_t(chars)][k % std::size_t(chars)];
        const bool digits = cls == CharClass::Numeric || cls == CharClass::NumericOrFiller;
        if (!digits && !(limits.alphanumeric && cls == CharClass::AlphaNumeric)) continue;
        for (std::size_t a = 0; a < scores[k].alternatives.size(); ++a) {
            if (scores[k].alternatives[a] == '\0') continue;
            const float gap = scores[k].best - scores[k].alternativeScores[a];
            if (gap <= limits.maxGap && scores[k].alternativeScores[a] >= limits.minScore)
                candidates.push_back({k, scores[k].alternatives[a], gap});
        }
    }
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) { return a.gap < b.gap; });
    if (candidates.size() > std::size_t(limits.maxCandidates)) candidates.resize(std::size_t(limits.maxCandidates));
    auto at = [&](std::size_t cell) -> char& { return lines[cell / std::size_t(chars)][cell % std::size_t(chars)]; };
    // Every set of up to maxSubstitutions candidates at distinct cells; the fix is accepted only when
    // exactly one set of the smallest size that works makes every check pass.
    std::vector<std::vector<std::size_t>> found;
    std::vector<std::size_t> chosen;
    for (int size = 1; size <= limits.maxSubstitutions && found.empty(); ++size) {
        std::function<void(std::size_t)> visit = [&](std::size_t from) {
            if (found.size() > 1) return;
            if (int(chosen.size()) == size) {
                std::vector<char> saved;
                for (std::size_t i : chosen) {
                    saved.push_back(at(candidates[i].cell));
                    at(candidates[i].cell) = candidates[i].glyph;
                }
                if (passes()) found.push_back(chosen);
                for (std::size_t j = chosen.size(); j-- > 0;) at(candidates[chosen[j]].cell) = saved[j];
                return;
            }
            for (std::size_t i = from; i < candidates.size(); ++i) {
                const bool sameCell = std::any_of(chosen.begin(), chosen.end(),
                                                  [&](std::size_t c) { return candidates[c].cell == candidates[i].cell; });
                if (sameCell) continue;
                chosen.push_back(i);
                visit(i + 1);
                chosen.pop_back();
            }
        };
        visit(0);
    }
    if (found.size() != 1) return {found.empty() ? CorrectionResult::None : CorrectionResult::Ambiguous, {}};
    CorrectionOutcome out{CorrectionResult::Corrected, {}};
    for (std::size_t i : found.front()) {
        at(candidates[i].cell) = candidates[i].glyph;
        out.cells.push_back(candidates[i].cell);
    }
    return out;
}

}  // namespace sentinel::mrz::detail

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

namespace {

// The cells of [begin, end) of `line` (whose first cell is `base`) must all be fillers: the erased
// ones are set to '<' and appended to `out` — unless a cell read there is not a filler, when
// nothing is changed (the structure assumed is not the one printed).
void fillFillers(std::string& line, std::size_t base, std::size_t begin, std::size_t end, const std::vector<bool>& erased,
                 std::vector<std::size_t>& out) {
    std::vector<std::size_t> filled;
    for (std::size_t c = begin; c < end; ++c) {
        if (erased[base + c]) filled.push_back(c);
        else if (line[c] != '<') return;
    }
    for (std::size_t c : filled) {
        line[c] = '<';
        out.push_back(base + c);
    }
}

// A name field [begin, end) of `line`: its cells from the second "<<" on (see inferErasedFillers).
void fillNameTail(std::string& line, std::size_t base, std::size_t begin, std::size_t end, const std::vector<bool>& erased,
                  std::vector<std::size_t>& out) {
    const auto filler = [&](std::size_t c) { return line[c] == '<' && !erased[base + c]; };
    std::size_t pairs = 0;
    for (std::size_t c = begin + 1; c + 1 < end; ++c) {  // begin + 1: the primary identifier is not empty
        if (erased[base + c]) return;  // an erased cell before the tail is known: a name's letter, perhaps
        if (!filler(c) || !filler(c + 1)) continue;
        if (++pairs == 2) return fillFillers(line, base, c, end, erased, out);
        ++c;  // the separator's second filler does not start a pair
    }
}

}  // namespace

std::vector<std::size_t> inferErasedFillers(std::vector<std::string>& lines, MrzFormat format, const std::vector<bool>& erased) {
    std::vector<std::size_t> out;
    const auto length = std::size_t(lineLength(format));
    const auto count = std::size_t(lineCount(format));
    if (lines.size() != count || erased.size() != count * length) return out;
    for (const auto& l : lines)
        if (l.size() != length) return out;
    if (format == MrzFormat::Td3) {
        fillNameTail(lines[0], 0, 5, length, erased, out);
        // Personal number (28–41) with its check digit (42) read as '<': an unused field.
        if (lines[1][42] == '<' && !erased[length + 42]) fillFillers(lines[1], length, 28, 42, erased, out);
    } else {
        fillNameTail(lines[2], 2 * length, 0, length, erased, out);
    }
    return out;
}

}  // namespace sentinel::mrz::detail

// The check-digit correction (firmware/mrz/CheckCorrection.h) on the ICAO TD3 specimen with
// misread characters and the runner-ups a classifier would offer.
#include "firmware/mrz/CheckCorrection.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sentinel::mrz::detail {
namespace {

const std::vector<std::string> kTd3Specimen{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                                            "L898902C36UTO7408122F1204159ZE184226B<<<<<10"};
constexpr std::size_t kLine2 = 44;  // cell index of line 2, column 0
constexpr float kClear = 0.9f;      // a confidently read cell
constexpr float kClose = 0.85f;     // a runner-up close to the best

// Every cell read confidently, no runner-up close.
std::vector<CharScore> confidentScores() {
    std::vector<CharScore> scores(2 * 44);
    for (auto& s : scores) {
        s.best = kClear;
        s.margin = 0.5f;
        s.alternatives = {'<', '<'};
        s.alternativeScores = {0.1f, 0.1f};
    }
    return scores;
}

void offer(std::vector<CharScore>& scores, std::size_t cell, char runnerUp) {
    scores[cell].alternatives[0] = runnerUp;
    scores[cell].alternativeScores[0] = kClose;
    scores[cell].margin = kClear - kClose;
}

TEST(CheckCorrection, LeavesAZoneWhoseChecksPassUnchanged) {
    auto lines = kTd3Specimen;
    auto scores = confidentScores();
    offer(scores, kLine2 + 13, '1');
    const auto out = correctByCheckDigits(lines, MrzFormat::Td3, scores, {});
    EXPECT_EQ(out.result, CorrectionResult::Unchanged);
    EXPECT_EQ(lines, kTd3Specimen);
}

TEST(CheckCorrection, FixesADigitMisreadWhenItsRunnerUpIsTheOnlyCandidateThatPasses) {
    auto lines = kTd3Specimen;
    lines[1][13] = '1';  // birth date 740812 read as 140812: its check digit fails
    auto scores = confidentScores();
    offer(scores, kLine2 + 13, '7');
    const auto out = correctByCheckDigits(lines, MrzFormat::Td3, scores, {});
    EXPECT_EQ(out.result, CorrectionResult::Corrected);
    EXPECT_EQ(lines, kTd3Specimen);
    ASSERT_EQ(out.cells.size(), 1u);
    EXPECT_EQ(out.cells[0], kLine2 + 13);
}

TEST(CheckCorrection, RefusesWhenTwoCandidatesWouldBothPass) {
    auto lines = kTd3Specimen;
    lines[1][0] = 'E';  // document number L898902C3 read as E898902C3
    auto scores = confidentScores();
    // L (21) and B (11) are congruent mod 10: either makes every check pass.
    scores[kLine2].alternatives = {'L', 'B'};
    scores[kLine2].alternativeScores = {kClose, kClose};
    CorrectionLimits limits;
    limits.alphanumeric = true;
    const auto out = correctByCheckDigits(lines, MrzFormat::Td3, scores, limits);
    EXPECT_EQ(out.result, CorrectionResult::Ambiguous);
    EXPECT_EQ(lines[1][0], 'E');  // nothing applied
    EXPECT_TRUE(out.cells.empty());
}

TEST(CheckCorrection, NeverTouchesAPositionNoCheckCovers) {
    auto lines = kTd3Specimen;
    lines[1][13] = '1';
    auto scores = confidentScores();
    offer(scores, 6, 'F');  // a name letter's runner-up: cannot change a check
    const auto out = correctByCheckDigits(lines, MrzFormat::Td3, scores, {});
    EXPECT_EQ(out.result, CorrectionResult::None);
    EXPECT_EQ(lines[0], kTd3Specimen[0]);
    EXPECT_EQ(lines[1][13], '1');
}

TEST(CheckCorrection, IgnoresARunnerUpFarBelowTheBest) {
    auto lines = kTd3Specimen;
    lines[1][13] = '1';
    auto scores = confidentScores();
    offer(scores, kLine2 + 13, '7');
    scores[kLine2 + 13].alternativeScores[0] = kClear - 0.3f;
    const auto out = correctByCheckDigits(lines, MrzFormat::Td3, scores, {});
    EXPECT_EQ(out.result, CorrectionResult::None);
    EXPECT_EQ(lines[1][13], '1');
}

TEST(CheckCorrection, FixesTwoMisreadsInOneFieldOnlyAsAUniquePair) {
    auto lines = kTd3Specimen;
    lines[1][0] = 'I';  // document number L898902C3 read as I898902C8
    lines[1][8] = '8';
    auto scores = confidentScores();
    offer(scores, kLine2 + 0, 'L');
    offer(scores, kLine2 + 8, '3');
    CorrectionLimits limits;
    limits.alphanumeric = true;
    limits.maxSubstitutions = 2;
    const auto out = correctByCheckDigits(lines, MrzFormat::Td3, scores, limits);
    EXPECT_EQ(out.result, CorrectionResult::Corrected);
    EXPECT_EQ(lines, kTd3Specimen);
    EXPECT_EQ(out.cells.size(), 2u);
}

TEST(CheckCorrection, LeavesTheDocumentNumberAloneByDefault) {
    auto lines = kTd3Specimen;
    lines[1][0] = 'I';  // L read as I: only an alphanumeric substitution would fix it
    auto scores = confidentScores();
    offer(scores, kLine2 + 0, 'L');
    const auto out = correctByCheckDigits(lines, MrzFormat::Td3, scores, {});
    EXPECT_EQ(out.result, CorrectionResult::None);
    EXPECT_EQ(lines[1][0], 'I');
}

// The erased-filler inference (inferErasedFillers): cells a reflection erased, given what the
// classifier made of them ('?' stands for any glyph), filled only where the structure fixes them.
struct Erasure {
    std::vector<std::string> lines;
    std::vector<bool> erased;
};

Erasure erase(std::vector<std::string> lines, std::size_t length, std::initializer_list<std::size_t> cells) {
    const std::size_t cellCount = lines.size() * length;
    Erasure e{std::move(lines), std::vector<bool>(cellCount, false)};
    for (std::size_t k : cells) {
        e.erased[k] = true;
        e.lines[k / length][k % length] = '?';
    }
    return e;
}

TEST(InferErasedFillers, FillsANamesTailFromTheSecondDoubleFiller) {
    // ERIKSSON<<ANNA<MARIA then fillers from column 25: the second "<<" is at 25.
    auto e = erase(kTd3Specimen, 44, {30, 31, 40, 43});
    const auto filled = inferErasedFillers(e.lines, MrzFormat::Td3, e.erased);
    EXPECT_EQ(filled, (std::vector<std::size_t>{30, 31, 40, 43}));
    EXPECT_EQ(e.lines, kTd3Specimen);
}

TEST(InferErasedFillers, LeavesANameCellAndWhateverFollowsItErased) {
    // MARIA's A, a single filler after a given name (column 19), and the tail's first pair: each
    // could be a letter (a one-letter name) or lies before the tail is known.
    for (std::size_t cell : {24u, 19u, 25u, 26u}) {
        auto e = erase(kTd3Specimen, 44, {cell, 40});
        EXPECT_TRUE(inferErasedFillers(e.lines, MrzFormat::Td3, e.erased).empty()) << cell;
        EXPECT_EQ(e.lines[0][40], '?') << cell;
    }
}

TEST(InferErasedFillers, ALetterAfterTheFillersLeavesEverythingAlone) {
    auto lines = kTd3Specimen;
    lines[0][35] = 'X';  // not a name's structure: the tail has a letter in it
    auto e = erase(lines, 44, {40});
    EXPECT_TRUE(inferErasedFillers(e.lines, MrzFormat::Td3, e.erased).empty());
}

TEST(InferErasedFillers, AnUnusedPersonalNumberIsFilledAndAUsedOneIsNot) {
    auto unused = kTd3Specimen;
    unused[1].replace(28, 15, "<<<<<<<<<<<<<<<");  // personal number and its check digit: fillers
    auto e = erase(unused, 44, {kLine2 + 30, kLine2 + 41});
    EXPECT_EQ(inferErasedFillers(e.lines, MrzFormat::Td3, e.erased), (std::vector<std::size_t>{kLine2 + 30, kLine2 + 41}));
    EXPECT_EQ(e.lines, unused);
    auto used = erase(kTd3Specimen, 44, {kLine2 + 38});  // ZE184226B<<<<< with check digit 1
    EXPECT_TRUE(inferErasedFillers(used.lines, MrzFormat::Td3, used.erased).empty());
    auto checkErased = erase(unused, 44, {kLine2 + 30, kLine2 + 42});  // the check digit itself erased
    EXPECT_TRUE(inferErasedFillers(checkErased.lines, MrzFormat::Td3, checkErased.erased).empty());
}

TEST(InferErasedFillers, FillsATd1NameLineAndRefusesMisshapenInput) {
    const std::vector<std::string> td1{"I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"};
    auto e = erase(td1, 30, {60 + 25, 60 + 29});
    EXPECT_EQ(inferErasedFillers(e.lines, MrzFormat::Td1, e.erased), (std::vector<std::size_t>{85, 89}));
    EXPECT_EQ(e.lines, td1);
    auto shortMask = erase(kTd3Specimen, 44, {40});
    shortMask.erased.pop_back();
    EXPECT_TRUE(inferErasedFillers(shortMask.lines, MrzFormat::Td3, shortMask.erased).empty());
    auto shortLine = erase(kTd3Specimen, 44, {40});
    shortLine.lines[1].pop_back();
    EXPECT_TRUE(inferErasedFillers(shortLine.lines, MrzFormat::Td3, shortLine.erased).empty());
}

}  // namespace
}  // namespace sentinel::mrz::detail

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

}  // namespace
}  // namespace sentinel::mrz::detail

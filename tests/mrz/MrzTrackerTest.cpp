#include "firmware/mrz/MrzTracker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sentinel::mrz {
namespace {

MrzRead readOf(const std::vector<std::string>& lines) {
    MrzRead r;
    std::vector<std::string_view> views(lines.begin(), lines.end());
    auto parsed = parseMrz(views);
    EXPECT_TRUE(parsed.ok());
    r.format = parsed->fields.format;
    for (const auto& l : lines) r.lines.emplace_back(l);
    r.parsed = std::move(*parsed);
    return r;
}

const std::vector<std::string> kA{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"};
const std::vector<std::string> kB{"I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"};

TEST(MrzTracker, OneFramesReadIsNotAccepted) {
    MrzTracker t;
    EXPECT_FALSE(t.observe(readOf(kA)));
    for (int i = 0; i < 40; ++i) EXPECT_FALSE(t.observe(std::nullopt));
}

TEST(MrzTracker, TwoFramesThatAgreeAreAccepted) {
    MrzTracker t;
    EXPECT_FALSE(t.observe(readOf(kA)));
    EXPECT_FALSE(t.observe(std::nullopt));
    auto accepted = t.observe(readOf(kA));
    ASSERT_TRUE(accepted);
    EXPECT_TRUE(accepted->sameText(readOf(kA)));
}

MrzRead readBySet(const std::vector<std::string>& lines, int templateSet) {
    MrzRead r = readOf(lines);
    r.templateSet = templateSet;
    return r;
}

TEST(MrzTracker, TwoReadsByTheSameTemplateSetAreNoAgreement) {
    MrzTracker t;
    EXPECT_FALSE(t.observe(readBySet(kA, 3)));
    EXPECT_FALSE(t.observe(readBySet(kA, 3)));
    EXPECT_FALSE(t.observe(readBySet(kA, 3)));
}

TEST(MrzTracker, TwoReadsByDifferentTemplateSetsAgree) {
    MrzTracker t;
    EXPECT_FALSE(t.observe(readBySet(kA, 3)));
    EXPECT_FALSE(t.observe(readBySet(kA, 3)));
    EXPECT_TRUE(t.observe(readBySet(kA, 5)));
}

TEST(MrzTracker, TwoFramesThatDisagreeAreNotAccepted) {
    MrzTracker t;
    EXPECT_FALSE(t.observe(readOf(kA)));
    EXPECT_FALSE(t.observe(readOf(kB)));
    EXPECT_FALSE(t.observe(readOf(kA)));  // pairs with neither neighbour: kB replaced kA, kA replaced kB
    EXPECT_TRUE(t.observe(readOf(kA)));
}

TEST(MrzTracker, ReadsFurtherApartThanTheWindowDoNotAgree) {
    MrzTracker t(TrackerOptions{3, 30});
    EXPECT_FALSE(t.observe(readOf(kA)));
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(t.observe(std::nullopt));
    EXPECT_FALSE(t.observe(readOf(kA)));
    EXPECT_TRUE(t.observe(readOf(kA)));
}

TEST(MrzTracker, ADocumentInViewIsAcceptedOnce) {
    MrzTracker t(TrackerOptions{15, 5});
    t.observe(readOf(kA));
    ASSERT_TRUE(t.observe(readOf(kA)));
    for (int i = 0; i < 20; ++i) EXPECT_FALSE(t.observe(readOf(kA)));
}

TEST(MrzTracker, ADocumentOutOfViewLongEnoughIsAcceptedAgain) {
    MrzTracker t(TrackerOptions{15, 5});
    t.observe(readOf(kA));
    ASSERT_TRUE(t.observe(readOf(kA)));
    for (int i = 0; i < 6; ++i) t.observe(std::nullopt);
    EXPECT_FALSE(t.observe(readOf(kA)));
    EXPECT_TRUE(t.observe(readOf(kA)));
}

TEST(MrzTracker, AnotherDocumentIsAcceptedWhileTheFirstIsRemembered) {
    MrzTracker t;
    t.observe(readOf(kA));
    ASSERT_TRUE(t.observe(readOf(kA)));
    EXPECT_FALSE(t.observe(readOf(kB)));
    EXPECT_TRUE(t.observe(readOf(kB)));
}

}  // namespace
}  // namespace sentinel::mrz

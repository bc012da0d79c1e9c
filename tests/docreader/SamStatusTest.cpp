// Every SW3 the module documentation lists maps to a clear fault; unknown values are named, not
// hung on.
#include <gtest/gtest.h>

#include <set>
#include <string_view>

#include "drivers/docreader/SamStatus.h"

namespace sentinel::docreader {
namespace {

TEST(SamStatus, EveryDocumentedValueIsKnownWithItsOwnText) {
    const std::uint8_t documented[] = {0x90, 0x91, 0x9F, 0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32,
                                       0x33, 0x40, 0x41, 0x47, 0x60, 0x66, 0x80, 0x81, 0xFF};
    std::set<std::string_view> texts;
    for (auto v : documented) {
        const auto m = meaningOf(v);
        EXPECT_TRUE(m.known) << int(v);
        EXPECT_FALSE(m.text.empty()) << int(v);
        texts.insert(m.text);
    }
    EXPECT_EQ(texts.size(), std::size(documented));
}

TEST(SamStatus, CardProblemsAreCardScopedAndReaderProblemsReaderScoped) {
    EXPECT_EQ(meaningOf(0x41).scope, StatusScope::Card);
    EXPECT_EQ(meaningOf(0x81).scope, StatusScope::Card);
    EXPECT_EQ(meaningOf(0x32).scope, StatusScope::Card);
    EXPECT_EQ(meaningOf(0x60).scope, StatusScope::Reader);
    EXPECT_EQ(meaningOf(0x66).scope, StatusScope::Reader);
    EXPECT_EQ(meaningOf(0x10).scope, StatusScope::Reader);
    EXPECT_EQ(meaningOf(0x90).scope, StatusScope::Success);
}

TEST(SamStatus, RetryHelpsAFailedReadButNotAnUnauthorisedSam) {
    EXPECT_TRUE(meaningOf(0x41).retryable);
    EXPECT_TRUE(meaningOf(0x81).retryable);
    EXPECT_FALSE(meaningOf(0x66).retryable);
    EXPECT_FALSE(meaningOf(0x60).retryable);
    EXPECT_FALSE(meaningOf(0x40).retryable);
}

TEST(SamStatus, DescriptionNamesTheValue) {
    EXPECT_EQ(describeStatus(0x41), "reading the card failed (SW3 0x41)");
    EXPECT_EQ(describeStatus(0x66), "the reader's SAM is not authorised (SW3 0x66)");
}

TEST(SamStatus, UnknownValueIsAClearFault) {
    EXPECT_FALSE(meaningOf(0xA5).known);
    EXPECT_EQ(meaningOf(0xA5).scope, StatusScope::Reader);
    EXPECT_EQ(describeStatus(0xA5), "unknown status 0xA5");
}

}  // namespace
}  // namespace sentinel::docreader

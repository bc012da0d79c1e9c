// Strict UTF-8: what the CBOR parser and the name transliteration accept.
#include "firmware/base/Utf8.h"

#include <gtest/gtest.h>

namespace sentinel {
namespace {

TEST(Utf8, DecodesOneToFourByteSequences) {
    const std::string_view text = "A\xC3\xA4\xE5\xBC\xA0\xF0\x9F\x98\x80";  // A ä 张 😀
    std::size_t at = 0;
    EXPECT_EQ(U'A', nextCodePoint(text, at));
    EXPECT_EQ(U'\u00E4', nextCodePoint(text, at));
    EXPECT_EQ(U'\u5F20', nextCodePoint(text, at));
    EXPECT_EQ(U'\U0001F600', nextCodePoint(text, at));
    EXPECT_EQ(text.size(), at);
}

TEST(Utf8, RefusesOverlongSurrogatesTruncatedAndStrayBytes) {
    for (std::string_view bad : {std::string_view("\xC0\xAF"), std::string_view("\xE0\x80\xAF"), std::string_view("\xED\xA0\x80"),
                                 std::string_view("\xF4\x90\x80\x80"), std::string_view("\xE5\xBC"), std::string_view("\x80"),
                                 std::string_view("\xFF")}) {
        std::size_t at = 0;
        EXPECT_FALSE(nextCodePoint(bad, at));
        EXPECT_EQ(0u, at) << "the position stays where the bad sequence starts";
        EXPECT_FALSE(validUtf8(bad));
    }
    EXPECT_TRUE(validUtf8("Gößinger 张伟"));
    EXPECT_TRUE(validUtf8(""));
}

}  // namespace
}  // namespace sentinel

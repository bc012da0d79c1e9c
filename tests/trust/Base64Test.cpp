#include "firmware/trust/Base64.h"

#include <gtest/gtest.h>

namespace sentinel::trust {
namespace {

std::vector<uint8_t> bytesOf(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Base64, DecodesRfc4648Vectors) {
    EXPECT_EQ(bytesOf(""), decodeBase64("").value());
    EXPECT_EQ(bytesOf("f"), decodeBase64("Zg==").value());
    EXPECT_EQ(bytesOf("fo"), decodeBase64("Zm8=").value());
    EXPECT_EQ(bytesOf("foo"), decodeBase64("Zm9v").value());
    EXPECT_EQ(bytesOf("foobar"), decodeBase64("Zm9vYmFy").value());
}

TEST(Base64, AcceptsUrlAlphabetMissingPaddingAndWhitespace) {
    EXPECT_EQ((std::vector<uint8_t>{0xFB, 0xFF}), decodeBase64("-_8").value());
    EXPECT_EQ((std::vector<uint8_t>{0xFB, 0xFF}), decodeBase64("+/8=").value());
    EXPECT_EQ(bytesOf("foobar"), decodeBase64("Zm9v\r\nYmFy\n").value());
}

TEST(Base64, RejectsGarbage) {
    EXPECT_FALSE(decodeBase64("Zm9v!").ok());
    EXPECT_FALSE(decodeBase64("Zg==Zg").ok());
    EXPECT_FALSE(decodeBase64("Z").ok());
    EXPECT_FALSE(decodeBase64("Zg===").ok());
}

}  // namespace
}  // namespace sentinel::trust

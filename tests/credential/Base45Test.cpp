#include "firmware/credential/Base45.h"

#include <gtest/gtest.h>

namespace sentinel::credential {
namespace {

std::vector<uint8_t> bytesOf(std::string_view s) { return {s.begin(), s.end()}; }

// RFC 9285 §4.3 examples.
TEST(Base45, DecodesRfcExamples) {
    EXPECT_EQ(bytesOf("AB"), base45Decode("BB8").value());
    EXPECT_EQ(bytesOf("Hello!!"), base45Decode("%69 VD92EX0").value());
    EXPECT_EQ(bytesOf("base-45"), base45Decode("UJCLQE7W581").value());
    EXPECT_EQ(bytesOf("ietf!"), base45Decode("QED8WEX0").value());
}

TEST(Base45, EncodesRfcExamples) {
    EXPECT_EQ("BB8", base45Encode(bytesOf("AB")));
    EXPECT_EQ("%69 VD92EX0", base45Encode(bytesOf("Hello!!")));
    EXPECT_EQ("UJCLQE7W581", base45Encode(bytesOf("base-45")));
}

TEST(Base45, EmptyInputIsEmptyOutput) { EXPECT_TRUE(base45Decode("").value().empty()); }

TEST(Base45, RoundTripsEveryByteValue) {
    std::vector<uint8_t> all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<uint8_t>(i));
    all.push_back(0xFF);
    EXPECT_EQ(all, base45Decode(base45Encode(all)).value());
}

TEST(Base45, RejectsCharacterOutsideAlphabet) {
    EXPECT_FALSE(base45Decode("BB8a").ok());  // lower case is not Base45
    EXPECT_FALSE(base45Decode("BB#").ok());
    EXPECT_FALSE(base45Decode(std::string_view("BB\0", 3)).ok());
}

TEST(Base45, RejectsTrailingSingleCharacter) { EXPECT_FALSE(base45Decode("BB8B").ok()); }

TEST(Base45, RejectsTripletAbove65535) {
    EXPECT_TRUE(base45Decode("FGW").ok());    // 15 + 16·45 + 32·2025 = 65535
    EXPECT_FALSE(base45Decode("GGW").ok());   // 65536
    EXPECT_FALSE(base45Decode(":::").ok());   // 44·2071 = 91124
}

TEST(Base45, RejectsPairAbove255) {
    EXPECT_TRUE(base45Decode("U5").ok());   // 30 + 5·45 = 255
    EXPECT_FALSE(base45Decode("V5").ok());  // 256
    EXPECT_FALSE(base45Decode("::").ok());
}

}  // namespace
}  // namespace sentinel::credential

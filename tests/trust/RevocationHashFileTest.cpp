#include "firmware/trust/RevocationHashFile.h"

#include <gtest/gtest.h>

namespace sentinel::trust {
namespace {

constexpr HashFileKind kUci{RevocationHashType::Uci, false};
constexpr HashFileKind kDrl{RevocationHashType::Uci, true};

TEST(RevocationHashFile, HexLinesAreSixteenBytes) {
    const auto r = parseRevocationHashes("423bd0a847634ce8dea5dd5e9400f287\n54A90383B0E792489835CAEC8BEFD2A4\n", kUci, "f");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(2u, r->size());
    EXPECT_EQ("423bd0a847634ce8dea5dd5e9400f287", hexOf((*r)[0]));
    EXPECT_EQ("54a90383b0e792489835caec8befd2a4", hexOf((*r)[1]));
}

TEST(RevocationHashFile, Base64OfSixteenBytesWithOrWithoutPadding) {
    // base64 of 423bd0a847634ce8dea5dd5e9400f287
    const auto r = parseRevocationHashes("QjvQqEdjTOjepd1elADyhw==\r\nQjvQqEdjTOjepd1elADyhw\n", kUci, "f");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(2u, r->size());
    EXPECT_EQ("423bd0a847634ce8dea5dd5e9400f287", hexOf((*r)[0]));
    EXPECT_EQ((*r)[0], (*r)[1]);
}

TEST(RevocationHashFile, DrlLineIsTheFirstSixteenBytesOfTheSha256) {
    // README known answer: base64(SHA-256("Hello!")).
    const auto r = parseRevocationHashes("M00Bb3Vc1txYxTqG4YOIL47BT1L7BTRYh8il7dQsh7c=\n", kDrl, "drl.txt");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(1u, r->size());
    const std::string hello = "Hello!";
    const auto full = sha256Of(std::span(reinterpret_cast<const uint8_t*>(hello.data()), hello.size()));
    EXPECT_EQ(hexOf(std::span(full.data(), kRevocationHashBytes)), hexOf((*r)[0]));
}

TEST(RevocationHashFile, FullDigestIsRefusedOutsideDrl) {
    const auto r = parseRevocationHashes("M00Bb3Vc1txYxTqG4YOIL47BT1L7BTRYh8il7dQsh7c=\n", kUci, "uci.txt");
    ASSERT_FALSE(r);
    EXPECT_EQ(0u, r.error().message.find("uci.txt:1:"));
}

TEST(RevocationHashFile, BlankAndCommentLinesAreSkipped) {
    const auto r = parseRevocationHashes("# batch 7\n\n   \n423bd0a847634ce8dea5dd5e9400f287\n", kUci, "f");
    ASSERT_TRUE(r);
    EXPECT_EQ(1u, r->size());
}

TEST(RevocationHashFile, BadLineIsNamedByFileAndLineWithoutItsContent) {
    const auto r = parseRevocationHashes("423bd0a847634ce8dea5dd5e9400f287\n423bd0a847634ce8dea5dd5e9400f28\n", kUci, "list.txt");
    ASSERT_FALSE(r);
    EXPECT_EQ(0u, r.error().message.find("list.txt:2:"));
    EXPECT_EQ(std::string::npos, r.error().message.find("423bd0a8"));
}

TEST(RevocationHashFile, TypeNamesIncludeDrl) {
    EXPECT_TRUE(hashFileKindFromString("DRL")->drl);
    EXPECT_EQ(RevocationHashType::Uci, hashFileKindFromString("DRL")->type);
    EXPECT_EQ(RevocationHashType::Signature, hashFileKindFromString("SIGNATURE")->type);
    EXPECT_FALSE(hashFileKindFromString("uci"));
}

}  // namespace
}  // namespace sentinel::trust

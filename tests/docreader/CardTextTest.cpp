// The 256-byte text block of each card type decodes into the document the lookup needs; the photo
// and the address are never decoded; damaged blocks are errors that hold no field value.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "drivers/docreader/CardText.h"
#include "drivers/docreader/SamDevice.h"

namespace sentinel::docreader {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

SimCard card(SimCardKind kind, const Fields& fields = {}) {
    auto c = makeSimCard(kind, fields);
    EXPECT_TRUE(c) << (c ? "" : c.error().message);
    return c ? std::move(c).value() : SimCard{};
}

std::vector<std::uint8_t> readData(const SimCard& c) {
    std::vector<std::uint8_t> d(kReadLengthsBytes + c.text.size() + c.photo.size());
    d[0] = 0x01, d[2] = 0x04;  // 256 and 1024, big-endian
    std::copy(c.text.begin(), c.text.end(), d.begin() + kReadLengthsBytes);
    std::copy(c.photo.begin(), c.photo.end(),
              d.begin() + static_cast<std::ptrdiff_t>(kReadLengthsBytes + c.text.size()));
    return d;
}

TEST(CardText, ResidentIdDecodesNumberBirthNationalityAndName) {
    auto doc = decodeTextBlock(
        card(SimCardKind::CnId,
             {{"name", "甲乙丙丁"}, {"number", "110105199003077032"}, {"birth", "19900307"}})
            .text);
    ASSERT_TRUE(doc) << doc.error().message;
    EXPECT_EQ(doc->type, DocumentType::CnId);
    EXPECT_EQ(doc->name.view(), "甲乙丙丁");
    EXPECT_EQ(doc->number.view(), "110105199003077032");
    EXPECT_EQ(doc->birthDate.view(), "1990-03-07");
    EXPECT_EQ(doc->nationality.view(), "CHN");
}

TEST(CardText, PermitJDecodesAsThePermitWithChineseNationality) {
    auto doc = decodeTextBlock(card(SimCardKind::PermitJ, {{"name", "陳大文"},
                                                           {"number", "810000199001011230"},
                                                           {"birth", "19900101"},
                                                           {"pass", "H87654321"}})
                                   .text);
    ASSERT_TRUE(doc) << doc.error().message;
    EXPECT_EQ(doc->type, DocumentType::CnPermitJ);
    EXPECT_EQ(doc->name.view(), "陳大文");
    EXPECT_EQ(doc->number.view(), "810000199001011230");
    EXPECT_EQ(doc->birthDate.view(), "1990-01-01");
    EXPECT_EQ(doc->nationality.view(), "CHN");
}

TEST(CardText, ForeignPermanentResidenceCardUsesItsOwnLayout) {
    auto doc = decodeTextBlock(card(SimCardKind::ForeignI, {{"name", "CANARY ZED"},
                                                            {"cn-name", "金丝雀"},
                                                            {"number", "CAN110079010101"},
                                                            {"nationality", "CAN"},
                                                            {"birth", "19790102"}})
                                   .text);
    ASSERT_TRUE(doc) << doc.error().message;
    EXPECT_EQ(doc->type, DocumentType::CnPrI);
    EXPECT_EQ(doc->name.view(), "CANARY ZED");
    EXPECT_EQ(doc->number.view(), "CAN110079010101");
    EXPECT_EQ(doc->birthDate.view(), "1979-01-02");
    EXPECT_EQ(doc->nationality.view(), "CAN");
}

TEST(CardText, ForeignCardWithoutEnglishNameFallsBackToTheChineseName) {
    auto doc =
        decodeTextBlock(card(SimCardKind::ForeignI, {{"name", ""}, {"cn-name", "金丝雀"}}).text);
    ASSERT_TRUE(doc) << doc.error().message;
    EXPECT_EQ(doc->name.view(), "金丝雀");
}

TEST(CardText, NulPaddingIsTrimmedLikeSpaces) {
    auto c = card(SimCardKind::CnId, {{"name", "张三"}});
    for (std::size_t i = resident::kName.offset + 4;
         i < resident::kName.offset + resident::kName.bytes; ++i)
        c.text[i] = 0;
    auto doc = decodeTextBlock(c.text);
    ASSERT_TRUE(doc);
    EXPECT_EQ(doc->name.view(), "张三");
}

TEST(CardText, AddressAndPhotoAreNotPartOfTheDocument) {
    // The address field holds a canary; nothing of the document may carry it.
    auto doc = decodeTextBlock(card(SimCardKind::CnId, {{"address", "ADDRESSCANARY"}}).text);
    ASSERT_TRUE(doc);
    for (auto v : {doc->name.view(), doc->number.view(), doc->birthDate.view(),
                   doc->nationality.view(), doc->primaryIdentifier.view(), doc->givenNames.view()})
        EXPECT_EQ(v.find("CANARY"), std::string_view::npos);
}

TEST(CardText, UnknownCardTypeIsNamed) {
    auto doc = decodeTextBlock(card(SimCardKind::CnId, {{"type", "Y"}}).text);
    ASSERT_FALSE(doc);
    EXPECT_EQ(doc.error().message, "unsupported card type 'Y'");
}

TEST(CardText, BirthDateThatIsNoDateIsRefused) {
    auto doc = decodeTextBlock(card(SimCardKind::CnId, {{"birth", "19900230"}}).text);
    ASSERT_FALSE(doc);
    EXPECT_NE(doc.error().message.find("birth date"), std::string::npos);
    EXPECT_EQ(doc.error().message.find("19900230"), std::string::npos);  // no field value in errors
}

TEST(CardText, NumberOfWrongShapeIsRefusedWithoutEchoingIt) {
    auto doc = decodeTextBlock(card(SimCardKind::CnId, {{"number", "1101051990030770AB"}}).text);
    ASSERT_FALSE(doc);
    EXPECT_NE(doc.error().message.find("number"), std::string::npos);
    EXPECT_EQ(doc.error().message.find("1101051990030770AB"), std::string::npos);
}

TEST(CardText, EmptyNameIsRefused) {
    auto doc = decodeTextBlock(card(SimCardKind::CnId, {{"name", ""}}).text);
    ASSERT_FALSE(doc);
    EXPECT_NE(doc.error().message.find("name"), std::string::npos);
}

TEST(CardText, SurrogateInAFieldIsRefused) {
    auto c = card(SimCardKind::CnId);
    c.text[resident::kName.offset] = 0x00;
    c.text[resident::kName.offset + 1] = 0xD8;
    EXPECT_FALSE(decodeTextBlock(c.text));
}

TEST(CardText, BlockOfWrongSizeIsRefused) {
    auto c = card(SimCardKind::CnId);
    EXPECT_FALSE(decodeTextBlock(std::span<const std::uint8_t>(c.text).first(255)));
}

TEST(CardText, ReadDataWithTheDocumentedLengthsDecodes) {
    auto doc = decodeReadData(readData(card(SimCardKind::CnId)));
    ASSERT_TRUE(doc) << doc.error().message;
    EXPECT_EQ(doc->number.view(), "11010519491231002X");
}

TEST(CardText, ReadDataWhoseLengthsDisagreeIsRefused) {
    auto d = readData(card(SimCardKind::CnId));
    d.pop_back();
    EXPECT_FALSE(decodeReadData(d));
    d = readData(card(SimCardKind::CnId));
    d[0] = 0x00, d[1] = 0xFF;  // text length 255
    EXPECT_FALSE(decodeReadData(d));
    d = readData(card(SimCardKind::CnId));
    d[2] = 0x08;  // photo length 2048
    EXPECT_FALSE(decodeReadData(d));
    EXPECT_FALSE(decodeReadData(std::vector<std::uint8_t>{0x01}));
}

}  // namespace
}  // namespace sentinel::docreader

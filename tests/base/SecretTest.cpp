#include "firmware/base/Secret.h"

#include <gtest/gtest.h>

#include "firmware/base/IdentityDocument.h"

namespace sentinel {
namespace {

TEST(SecretString, WipeEmptiesAndZeroisesTheWholeBuffer) {
    SecretString s("110105199001011234");
    const char* data = s.view().data();
    const std::size_t n = s.size();
    s.wipe();
    EXPECT_TRUE(s.empty());
    // The buffer is still owned by the (now empty) string: its old bytes must be zero.
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(data[i], '\0') << i;
}

TEST(SecretString, AMovedFromValueIsEmpty) {
    SecretString a("ZHANG SAN");
    SecretString b(std::move(a));
    EXPECT_EQ(b.view(), "ZHANG SAN");
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract under test
}

TEST(SecretString, AppendKeepsTheValue) {
    SecretString s("AB");
    for (int i = 0; i < 100; ++i) s.append("CD");
    EXPECT_EQ(s.size(), 202u);
    EXPECT_EQ(s.view().substr(0, 4), "ABCD");
}

TEST(IdentityDocument, TypesRoundTripAndMapToRecordFormats) {
    for (auto t : {DocumentType::CnId, DocumentType::CnPermitJ, DocumentType::CnPrI, DocumentType::Passport,
                   DocumentType::IdTd1}) {
        EXPECT_EQ(documentTypeFromString(toString(t)), t);
    }
    EXPECT_EQ(recordFormat(DocumentType::CnId), "ID");
    EXPECT_EQ(recordFormat(DocumentType::Passport), "MRZ");
    EXPECT_FALSE(documentTypeFromString("DRIVING-LICENCE"));
}

TEST(IdentityDocument, WipeClearsEveryField) {
    IdentityDocument d;
    d.number.assign("E12345678");
    d.birthDate.assign("1964-08-12");
    d.primaryIdentifier.assign("ERIKSSON");
    d.wipe();
    EXPECT_TRUE(d.number.empty());
    EXPECT_TRUE(d.birthDate.empty());
    EXPECT_TRUE(d.primaryIdentifier.empty());
}

}  // namespace
}  // namespace sentinel

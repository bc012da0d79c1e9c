#include "firmware/trust/TrustList.h"

#include <gtest/gtest.h>

#include <fstream>

#include "firmware/issuer/TestIssuer.h"
#include "tests/support/TestSupport.h"

namespace sentinel::trust {
namespace {

using sentinel::testing::TempDir;

std::string base64Of(const std::vector<uint8_t>& bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
        for (int k = 18; k >= 0; k -= 6) out.push_back(kAlphabet[(v >> k) & 0x3F]);
    }
    if (i + 1 == bytes.size()) {
        const uint32_t v = bytes[i] << 16;
        out += {kAlphabet[(v >> 18) & 0x3F], kAlphabet[(v >> 12) & 0x3F], '=', '='};
    } else if (i + 2 == bytes.size()) {
        const uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8);
        out += {kAlphabet[(v >> 18) & 0x3F], kAlphabet[(v >> 12) & 0x3F], kAlphabet[(v >> 6) & 0x3F], '='};
    }
    return out;
}

void write(const std::filesystem::path& p, std::string_view content) {
    std::ofstream out(p, std::ios::binary);
    out << content;
}

void write(const std::filesystem::path& p, const std::vector<uint8_t>& content) {
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(content.size()));
}

class TrustListTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        a_ = new issuer::TestIssuer(issuer::TestIssuer::generate("AT"));
        b_ = new issuer::TestIssuer(issuer::TestIssuer::generate("DE"));
    }
    static void TearDownTestSuite() {
        delete a_;
        delete b_;
    }
    static issuer::TestIssuer* a_;
    static issuer::TestIssuer* b_;
    TempDir dir_;
};
issuer::TestIssuer* TrustListTest::a_ = nullptr;
issuer::TestIssuer* TrustListTest::b_ = nullptr;

TEST_F(TrustListTest, KidIsFirstEightBytesOfSha256OfDer) {
    EXPECT_EQ(a_->kid(), TrustList::kidOf(a_->certificateDer()));
    EXPECT_EQ(8u, TrustList::kidOf(a_->certificateDer()).size());
}

TEST_F(TrustListTest, LoadsPemFile) {
    write(dir_ / "a.pem", a_->certificatePem());
    auto list = TrustList::load(dir_ / "a.pem");
    ASSERT_TRUE(list.ok()) << list.error().message;
    ASSERT_EQ(1u, list->size());
    const auto found = list->findByKid(a_->kid());
    ASSERT_EQ(1u, found.size());
    EXPECT_EQ("AT", found[0]->country);  // from the subject
    EXPECT_EQ(a_->certificateDer(), found[0]->der);
    EXPECT_TRUE(found[0]->notBefore && found[0]->notAfter);
    EXPECT_EQ(3u, found[0]->extendedKeyUsages.size());
    EXPECT_TRUE(list->issuedAt());  // the file's modification time
}

TEST_F(TrustListTest, LoadsPemFileWithSeveralCertificates) {
    write(dir_ / "both.pem", a_->certificatePem() + b_->certificatePem());
    auto list = TrustList::load(dir_ / "both.pem");
    ASSERT_TRUE(list.ok());
    EXPECT_EQ(2u, list->size());
    EXPECT_EQ(1u, list->findByKid(b_->kid()).size());
}

TEST_F(TrustListTest, LoadsDerFile) {
    write(dir_ / "a.der", a_->certificateDer());
    auto list = TrustList::load(dir_ / "a.der");
    ASSERT_TRUE(list.ok()) << list.error().message;
    EXPECT_EQ(1u, list->findByKid(a_->kid()).size());
}

TEST_F(TrustListTest, LoadsBase64DerFile) {
    write(dir_ / "a.b64", base64Of(a_->certificateDer()) + "\n");
    auto list = TrustList::load(dir_ / "a.b64");
    ASSERT_TRUE(list.ok()) << list.error().message;
    EXPECT_EQ(1u, list->findByKid(a_->kid()).size());
}

TEST_F(TrustListTest, LoadsDirectoryIgnoringOtherFiles) {
    write(dir_ / "a.pem", a_->certificatePem());
    write(dir_ / "b.der", b_->certificateDer());
    write(dir_ / "README.md", "not a certificate");
    write(dir_ / ".hidden.pem", "garbage");
    auto list = TrustList::load(dir_.path());
    ASSERT_TRUE(list.ok()) << list.error().message;
    EXPECT_EQ(2u, list->size());
}

TEST_F(TrustListTest, LoadsJsonTrustList) {
    const std::vector<uint8_t> customKid{1, 2, 3, 4, 5, 6, 7, 8};
    const std::string json = R"({"issued_at":"2026-11-21T06:00:00+01:00","certificates":[)"
                             R"({"kid":")" + base64Of(customKid) + R"(","country":"FR","der":")" +
                             base64Of(a_->certificateDer()) + R"("},{"der":")" + base64Of(b_->certificateDer()) + R"("}]})";
    write(dir_ / "list.json", json);
    auto list = TrustList::load(dir_ / "list.json");
    ASSERT_TRUE(list.ok()) << list.error().message;
    EXPECT_EQ(2u, list->size());
    ASSERT_EQ(1u, list->findByKid(customKid).size());
    EXPECT_EQ("FR", list->findByKid(customKid)[0]->country);
    EXPECT_TRUE(list->findByKid(a_->kid()).empty());  // the JSON kid wins
    EXPECT_EQ(1u, list->findByKid(b_->kid()).size());   // no kid: computed
    EXPECT_EQ(*parseRfc3339("2026-11-21T05:00:00Z"), *list->issuedAt());
}

TEST_F(TrustListTest, ErrorsNameTheFile) {
    write(dir_ / "bad.pem", "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
    auto bad = TrustList::load(dir_ / "bad.pem");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(std::string::npos, bad.error().message.find("bad.pem"));
}

TEST_F(TrustListTest, RejectsBrokenInputs) {
    write(dir_ / "garbage.der", std::vector<uint8_t>{0x30, 0x82, 0x01, 0x00, 0x01});
    EXPECT_FALSE(TrustList::load(dir_ / "garbage.der").ok());
    write(dir_ / "bad.json", "{\"certificates\": [{\"der\": 5}]}");
    EXPECT_FALSE(TrustList::load(dir_ / "bad.json").ok());
    write(dir_ / "bad2.json", "{\"certificates\": [");
    EXPECT_FALSE(TrustList::load(dir_ / "bad2.json").ok());
    write(dir_ / "bad3.json", "{\"certificates\": [], \"issued_at\": \"yesterday\"}");
    EXPECT_FALSE(TrustList::load(dir_ / "bad3.json").ok());
    EXPECT_FALSE(TrustList::load(dir_ / "missing.pem").ok());
    auto truncated = a_->certificateDer();
    truncated.pop_back();
    write(dir_ / "cut.der", truncated);
    EXPECT_FALSE(TrustList::load(dir_ / "cut.der").ok());
}

TEST_F(TrustListTest, EmptyDirectoryIsAnError) {
    auto list = TrustList::load(dir_.path());
    EXPECT_FALSE(list.ok());
}

TEST_F(TrustListTest, FromCertificatesKeepsGivenIssuedAt) {
    const auto t = *parseRfc3339("2026-01-01T00:00:00Z");
    auto list = TrustList::fromCertificates({{a_->certificateDer(), "", std::nullopt}}, t);
    ASSERT_TRUE(list.ok());
    EXPECT_EQ(t, *list->issuedAt());
    EXPECT_FALSE(TrustList::fromCertificates({{std::vector<uint8_t>{1, 2, 3}, "", std::nullopt}}).ok());
}

TEST_F(TrustListTest, UnknownKidFindsNothing) {
    auto list = TrustList::fromCertificates({{a_->certificateDer(), "", std::nullopt}}).value();
    EXPECT_TRUE(list.findByKid(std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, 0}).empty());
    EXPECT_TRUE(list.findByKid({}).empty());
}

}  // namespace
}  // namespace sentinel::trust

#include "firmware/issuer/TestIssuer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "firmware/credential/Hc1.h"
#include "firmware/trust/TrustList.h"
#include "firmware/verify/Hc1Verifier.h"
#include "tests/support/TestSupport.h"

namespace sentinel::issuer {
namespace {

using namespace std::chrono_literals;
const UtcTime kNow = *parseRfc3339("2026-11-22T08:00:00Z");

TEST(TestIssuer, IssuesAParseableRealisticCredential) {
    const auto issuer = TestIssuer::generate("XX");
    auto spec = testCredential(TestType::Naat, kNow - 2h, false, kNow);
    spec.certificateIdentifier = "URN:UVCI:01:XX:TEST123";
    const auto text = issuer.issue(spec);
    EXPECT_TRUE(text.starts_with("HC1:"));
    // A real DCC QR payload is 500–700 characters; ours carries name, dob, centre and issuer too.
    EXPECT_GT(text.size(), 400u);
    EXPECT_LT(text.size(), 1200u);
    const auto parsed = credential::parseHc1(text);
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    EXPECT_EQ(issuer.kid(), parsed.cose->kid);
    EXPECT_EQ(credential::kAlgEs256, parsed.cose->alg);
    EXPECT_EQ("XX", parsed.claims->issuer);
    ASSERT_EQ(1u, parsed.claims->dcc.tests.size());
    EXPECT_EQ("LP6464-4", parsed.claims->dcc.tests[0].type);
    EXPECT_EQ("260415000", parsed.claims->dcc.tests[0].result);
    EXPECT_EQ("URN:UVCI:01:XX:TEST123", parsed.claims->dcc.tests[0].identifier);
    EXPECT_EQ(formatRfc3339(kNow - 2h), parsed.claims->dcc.tests[0].sampleTime);
    EXPECT_EQ(toEpochSeconds(spec.expiresAt), toEpochSeconds(*parsed.claims->expiresAt));
}

TEST(TestIssuer, CertificateSaysItIsNotForProduction) {
    const auto pem = TestIssuer::generate().certificatePem();
    EXPECT_TRUE(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    const auto list = trust::TrustList::fromCertificates({{TestIssuer::generate().certificateDer(), "", std::nullopt}});
    ASSERT_TRUE(list.ok());
    EXPECT_EQ("XX", list->certificates()[0].country);
}

TEST(TestIssuer, SaveAndLoadRoundTripWithPrivateKeyFile) {
    sentinel::testing::TempDir dir;
    const auto original = TestIssuer::generate("AT");
    ASSERT_TRUE(original.save(dir.path()).ok());
    struct stat st {};
    ASSERT_EQ(0, ::stat((dir / "test-issuer-key.pem").c_str(), &st));
    EXPECT_EQ(0600u, st.st_mode & 0777u);
    auto loaded = TestIssuer::load(dir.path());
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(original.certificateDer(), loaded->certificateDer());
    EXPECT_EQ("AT", loaded->country());
    // The loaded key signs credentials the original certificate verifies.
    const auto list = trust::TrustList::fromCertificates({{original.certificateDer(), "", std::nullopt}}).value();
    verify::OfflineContext ctx;
    ctx.trust = &list;
    ctx.now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const auto r = verify::verifyHc1(loaded->issue(testCredential(TestType::Naat, ctx.now - 1h, false, ctx.now)), ctx);
    EXPECT_EQ(Reason::Ok, r.reason);
}

TEST(TestIssuer, LoadRejectsMissingOrMismatchedFiles) {
    sentinel::testing::TempDir dir;
    EXPECT_FALSE(TestIssuer::load(dir.path()).ok());
    sentinel::testing::TempDir a, b;
    ASSERT_TRUE(TestIssuer::generate().save(a.path()).ok());
    ASSERT_TRUE(TestIssuer::generate().save(b.path()).ok());
    std::filesystem::copy_file(b / "test-issuer-cert.pem", a / "test-issuer-cert.pem",
                               std::filesystem::copy_options::overwrite_existing);
    EXPECT_FALSE(TestIssuer::load(a.path()).ok());
}

TEST(TestIssuer, RsaIssuerSignsPs256) {
    IssuerOptions o;
    o.keyType = KeyType::Rsa2048;
    const auto rsa = TestIssuer::generate(o);
    EXPECT_EQ(credential::kAlgPs256, rsa.alg());
    const auto parsed = credential::parseHc1(rsa.issue(testCredential(TestType::Naat, kNow, false, kNow)));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(256u, parsed.cose->signature.size());
}

TEST(TestIssuer, KidPlacementAndTamperingAreHonoured) {
    const auto issuer = TestIssuer::generate();
    auto spec = testCredential(TestType::Naat, kNow, false, kNow);
    spec.kidPlacement = KidPlacement::Unprotected;
    auto p = credential::parseHc1(issuer.issue(spec));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(credential::KidSource::Unprotected, p.cose->kidSource);
    spec.kidPlacement = KidPlacement::None;
    p = credential::parseHc1(issuer.issue(spec));
    EXPECT_EQ(credential::KidSource::None, p.cose->kidSource);
    spec.kidPlacement = KidPlacement::Protected;
    const auto clean = credential::parseHc1(issuer.issue(spec));
    spec.tamperSignature = true;
    const auto tampered = credential::parseHc1(issuer.issue(spec));
    EXPECT_EQ(clean.cose->signature.size(), tampered.cose->signature.size());
}

TEST(TestIssuer, VaccinationOnlyCarriesNoTests) {
    auto spec = testCredential(TestType::Naat, kNow, false, kNow);
    spec.vaccinationOnly = true;
    const auto p = credential::parseHc1(TestIssuer::generate().issue(spec));
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(p.claims->dcc.tests.empty());
    EXPECT_EQ(1u, p.claims->dcc.vaccinations.size());
}

}  // namespace
}  // namespace sentinel::issuer

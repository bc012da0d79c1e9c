#include "firmware/verify/Hc1Verifier.h"

#include <gtest/gtest.h>

#include "firmware/credential/Cbor.h"
#include "firmware/credential/Cose.h"
#include "tests/verify/VerifyFixture.h"

namespace sentinel::verify::testing {
namespace {

using namespace std::chrono_literals;
using issuer::Hc1Spec;
using issuer::IssuerOptions;
using issuer::KeyType;
using issuer::KidPlacement;
using issuer::TestIssuer;

void expectAllStagesPassed(const DecisionRecord& r) {
    EXPECT_EQ(true, r.stages.prefix);
    EXPECT_EQ(true, r.stages.base45);
    EXPECT_EQ(true, r.stages.inflate);
    EXPECT_EQ(true, r.stages.cbor);
    EXPECT_EQ(true, r.stages.signature);
    EXPECT_EQ(true, r.stages.keyUsage);
    EXPECT_EQ(true, r.stages.expiry);
    EXPECT_EQ(true, r.stages.policy);
}

TEST_F(VerifyTest, FreshNegativeNaatPasses) {
    const auto r = verify(issuer_->issue(naat(2h)));
    EXPECT_EQ(Decision::Pass, r.decision);
    EXPECT_EQ(Reason::Ok, r.reason);
    EXPECT_EQ("HC1", r.format);
    expectAllStagesPassed(r);
    ASSERT_TRUE(r.test);
    EXPECT_EQ(TestType::Naat, r.test->type);
    EXPECT_DOUBLE_EQ(2.0, r.test->ageHours);
    EXPECT_EQ("negative", r.test->result);
    ASSERT_TRUE(r.latency.verifyMs);
    EXPECT_GE(*r.latency.verifyMs, 0.0);
}

TEST_F(VerifyTest, ExactlyFortyEightHoursPasses) {
    EXPECT_EQ(Reason::Ok, verify(issuer_->issue(naat(48h))).reason);
}

TEST_F(VerifyTest, FortyEightHoursAndOneSecondIsTooOld) {
    const auto r = verify(issuer_->issue(naat(48h + 1s)));
    EXPECT_EQ(Decision::Deny, r.decision);
    EXPECT_EQ(Reason::TestTooOld, r.reason);
    EXPECT_EQ(true, r.stages.expiry);
    EXPECT_EQ(false, r.stages.policy);
}

TEST_F(VerifyTest, FortySevenFiftyNinePassesFortyEightOhOneIsTooOld) {
    EXPECT_EQ(Reason::Ok, verify(issuer_->issue(naat(47h + 59min))).reason);
    EXPECT_EQ(Reason::TestTooOld, verify(issuer_->issue(naat(48h + 1min))).reason);
}

TEST_F(VerifyTest, PositiveTestIsDenied) {
    EXPECT_EQ(Reason::TestPositive, verify(issuer_->issue(naat(1h, true))).reason);
}

TEST_F(VerifyTest, RapidAntigenNotAcceptedByDefault) {
    auto r = verify(issuer_->issue(issuer::testCredential(TestType::Rat, kNow - 1h, false, kNow)));
    EXPECT_EQ(Reason::TestTypeNotAccepted, r.reason);
    ctx_.policy.maxTestAgeRatH = 24;
    r = verify(issuer_->issue(issuer::testCredential(TestType::Rat, kNow - 1h, false, kNow)));
    EXPECT_EQ(Reason::Ok, r.reason);
    ASSERT_TRUE(r.test);
    EXPECT_EQ(TestType::Rat, r.test->type);
}

TEST_F(VerifyTest, VaccinationOnlyHasNoTestResult) {
    Hc1Spec spec = naat(1h);
    spec.vaccinationOnly = true;
    EXPECT_EQ(Reason::NoTestResult, verify(issuer_->issue(spec)).reason);
}

TEST_F(VerifyTest, SampleBeyondFutureToleranceIsInFuture) {
    EXPECT_EQ(Reason::TestInFuture, verify(issuer_->issue(issuer::testCredential(TestType::Naat, kNow + 301s, false, kNow))).reason);
    EXPECT_EQ(Reason::Ok, verify(issuer_->issue(issuer::testCredential(TestType::Naat, kNow + 300s, false, kNow))).reason);
}

TEST_F(VerifyTest, TamperedSignatureIsInvalid) {
    Hc1Spec spec = naat(1h);
    spec.tamperSignature = true;
    const auto r = verify(issuer_->issue(spec));
    EXPECT_EQ(Reason::SignatureInvalid, r.reason);
    EXPECT_EQ(false, r.stages.signature);
    EXPECT_FALSE(r.stages.keyUsage);  // not reached
    EXPECT_FALSE(r.stages.policy);
}

TEST_F(VerifyTest, UnknownIssuerWhenNoCertificateHasTheKid) {
    const auto stranger = TestIssuer::generate(optionsAround(kNow));
    const auto r = verify(stranger.issue(naat(1h)));
    EXPECT_EQ(Reason::UnknownIssuer, r.reason);
    EXPECT_EQ(Decision::Deny, r.decision);
    EXPECT_EQ(false, r.stages.signature);
}

TEST_F(VerifyTest, NoTrustListMeansUnknownIssuer) {
    ctx_.trust = nullptr;
    EXPECT_EQ(Reason::UnknownIssuer, verify(issuer_->issue(naat(1h))).reason);
}

TEST_F(VerifyTest, KidInUnprotectedHeaderIsUsedWhenProtectedHasNone) {
    Hc1Spec spec = naat(1h);
    spec.kidPlacement = KidPlacement::Unprotected;
    EXPECT_EQ(Reason::Ok, verify(issuer_->issue(spec)).reason);
}

TEST_F(VerifyTest, NoKidAnywhereIsUnknownIssuer) {
    Hc1Spec spec = naat(1h);
    spec.kidPlacement = KidPlacement::None;
    EXPECT_EQ(Reason::UnknownIssuer, verify(issuer_->issue(spec)).reason);
}

TEST_F(VerifyTest, ExpiredCredential) {
    Hc1Spec spec = naat(1h);
    spec.expiresAt = kNow - 1s;
    const auto r = verify(issuer_->issue(spec));
    EXPECT_EQ(Reason::CredentialExpired, r.reason);
    EXPECT_EQ(false, r.stages.expiry);
    EXPECT_EQ(true, r.stages.signature);
}

TEST_F(VerifyTest, CredentialIssuedInTheFutureIsNotYetValid) {
    Hc1Spec spec = naat(1h);
    spec.issuedAt = kNow + 1s;
    EXPECT_EQ(Reason::CredentialNotYetValid, verify(issuer_->issue(spec)).reason);
}

TEST_F(VerifyTest, CredentialOutsideTheDscValidityWindowFails) {
    IssuerOptions o;
    o.notBefore = kNow - 24h;
    o.notAfter = kNow + 24h;
    const auto shortLived = TestIssuer::generate(o);
    const auto list = trustOf({&shortLived});
    ctx_.trust = &list;
    Hc1Spec before = naat(1h);
    before.issuedAt = kNow - 25h;  // signed before the DSC existed
    EXPECT_EQ(Reason::CredentialNotYetValid, verify(shortLived.issue(before)).reason);
    Hc1Spec after = naat(1h);
    after.expiresAt = kNow + 25h;  // outlives the DSC
    EXPECT_EQ(Reason::CredentialExpired, verify(shortLived.issue(after)).reason);
    Hc1Spec inside = naat(1h);
    inside.expiresAt = kNow + 23h;
    EXPECT_EQ(Reason::Ok, verify(shortLived.issue(inside)).reason);
}

TEST_F(VerifyTest, KeyUsageForVaccinationOnlyRejectsATest) {
    IssuerOptions o = optionsAround(kNow);
    o.extendedKeyUsages = {issuer::kOidKeyUsageVaccination};
    const auto vaccinationOnly = TestIssuer::generate(o);
    const auto list = trustOf({&vaccinationOnly});
    ctx_.trust = &list;
    const auto r = verify(vaccinationOnly.issue(naat(1h)));
    EXPECT_EQ(Reason::KeyUsageMismatch, r.reason);
    EXPECT_EQ(true, r.stages.signature);
    EXPECT_EQ(false, r.stages.keyUsage);
    Hc1Spec v = naat(1h);
    v.vaccinationOnly = true;
    EXPECT_EQ(Reason::NoTestResult, verify(vaccinationOnly.issue(v)).reason);
}

TEST_F(VerifyTest, CertificateWithoutHealthOidsSignsAnyType) {
    IssuerOptions o = optionsAround(kNow);
    o.extendedKeyUsages = {};
    const auto plain = TestIssuer::generate(o);
    const auto list = trustOf({&plain});
    ctx_.trust = &list;
    EXPECT_EQ(Reason::Ok, verify(plain.issue(naat(1h))).reason);
}

TEST_F(VerifyTest, AlternativeOidSpellingIsHonoured) {
    IssuerOptions o = optionsAround(kNow);
    o.extendedKeyUsages = {"1.3.6.1.4.1.0.1847.2021.1.1"};
    const auto alt = TestIssuer::generate(o);
    const auto list = trustOf({&alt});
    ctx_.trust = &list;
    EXPECT_EQ(Reason::Ok, verify(alt.issue(naat(1h))).reason);
    o.extendedKeyUsages = {"1.3.6.1.4.1.0.1847.2021.1.3"};
    const auto recoveryOnly = TestIssuer::generate(o);
    const auto list2 = trustOf({&recoveryOnly});
    ctx_.trust = &list2;
    EXPECT_EQ(Reason::KeyUsageMismatch, verify(recoveryOnly.issue(naat(1h))).reason);
}

TEST_F(VerifyTest, StaleTrustListRefersWhatWouldPass) {
    ctx_.trustStale = true;
    const auto r = verify(issuer_->issue(naat(1h)));
    EXPECT_EQ(Decision::Refer, r.decision);
    EXPECT_EQ(Reason::TrustListStale, r.reason);
    EXPECT_EQ(true, r.stages.policy);
}

TEST_F(VerifyTest, StaleTrustListRefersAnUnknownIssuer) {
    ctx_.trustStale = true;
    const auto stranger = TestIssuer::generate(optionsAround(kNow));
    const auto r = verify(stranger.issue(naat(1h)));
    EXPECT_EQ(Decision::Refer, r.decision);
    EXPECT_EQ(Reason::TrustListStale, r.reason);
}

TEST_F(VerifyTest, StaleTrustListDoesNotSoftenADenial) {
    ctx_.trustStale = true;
    EXPECT_EQ(Reason::TestPositive, verify(issuer_->issue(naat(1h, true))).reason);
    Hc1Spec tampered = naat(1h);
    tampered.tamperSignature = true;
    EXPECT_EQ(Reason::SignatureInvalid, verify(issuer_->issue(tampered)).reason);
}

TEST_F(VerifyTest, EveryCertificateWithTheKidIsTried) {
    // A decoy certificate filed under the issuer's kid comes first; the real one still verifies.
    const auto decoy = TestIssuer::generate(optionsAround(kNow));
    std::vector<trust::CertificateInput> in{{decoy.certificateDer(), "XX", issuer_->kid()},
                                            {issuer_->certificateDer(), "XX", std::nullopt}};
    const auto list = trust::TrustList::fromCertificates(std::move(in)).value();
    ASSERT_EQ(2u, list.findByKid(issuer_->kid()).size());
    ctx_.trust = &list;
    EXPECT_EQ(Reason::Ok, verify(issuer_->issue(naat(1h))).reason);
}

TEST_F(VerifyTest, SubjectIsTheKeyedHashOfTheCertificateIdentifier) {
    Hc1Spec spec = naat(1h);
    spec.certificateIdentifier = "URN:UVCI:01:XX:ABCDEF#1";
    const auto r = verify(issuer_->issue(spec));
    EXPECT_EQ(subjectHash("device-secret", "URN:UVCI:01:XX:ABCDEF#1"), r.subject);
    EXPECT_EQ(64u, r.subject.size());
    EXPECT_EQ(std::string::npos, r.subject.find("URN"));
}

TEST(SubjectHash, MatchesRfc4231TestCase2) {
    EXPECT_EQ("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
              subjectHash("Jefe", "what do ya want for nothing?"));
}

TEST(SubjectHash, DependsOnTheKey) { EXPECT_NE(subjectHash("a", "ci"), subjectHash("b", "ci")); }

TEST_F(VerifyTest, Ps256With2048BitKeyVerifies) {
    IssuerOptions o = optionsAround(kNow);
    o.keyType = KeyType::Rsa2048;
    const auto rsa = TestIssuer::generate(o);
    EXPECT_EQ(credential::kAlgPs256, rsa.alg());
    const auto list = trustOf({&rsa});
    ctx_.trust = &list;
    EXPECT_EQ(Reason::Ok, verify(rsa.issue(naat(1h))).reason);
    Hc1Spec tampered = naat(1h);
    tampered.tamperSignature = true;
    EXPECT_EQ(Reason::SignatureInvalid, verify(rsa.issue(tampered)).reason);
}

TEST_F(VerifyTest, Ps256With3072BitKeyVerifies) {
    IssuerOptions o = optionsAround(kNow);
    o.keyType = KeyType::Rsa3072;
    const auto rsa = TestIssuer::generate(o);
    const auto list = trustOf({&rsa});
    ctx_.trust = &list;
    EXPECT_EQ(Reason::Ok, verify(rsa.issue(naat(1h))).reason);
}

TEST_F(VerifyTest, UnusableDccContentIsMalformedAtThePolicyStage) {
    // A signed credential whose test entry has a numeric sc.
    credential::CborWriter dcc;
    dcc.map(1).text("t").array(1).map(3).text("tt").text("LP6464-4").text("tr").text("260415000").text("sc").integer(5);
    credential::CborWriter claims;
    claims.map(3).integer(credential::kClaimExp).integer(toEpochSeconds(kNow + 24h));
    claims.integer(credential::kClaimIat).integer(toEpochSeconds(kNow - 1h));
    claims.integer(credential::kClaimHcert).map(1).integer(credential::kHcertEuDcc).raw(dcc.data());
    credential::CborWriter prot;
    prot.map(2).integer(credential::kHeaderAlg).integer(issuer_->alg()).integer(credential::kHeaderKid).bytes(issuer_->kid());
    credential::CborWriter cose;
    cose.tag(credential::kTagCoseSign1).array(4).bytes(prot.data()).map(0).bytes(claims.data());
    cose.bytes(issuer_->sign(prot.data(), claims.data()));
    const auto r = verify(issuer::wrapHc1(cose.data()));
    EXPECT_EQ(Reason::Malformed, r.reason);
    EXPECT_EQ(true, r.stages.expiry);
    EXPECT_EQ(false, r.stages.policy);
}

TEST_F(VerifyTest, EvaluateAllStagesKeepsGoingAfterABadSignature) {
    ctx_.evaluateAllStages = true;
    Hc1Spec spec = naat(1h);
    spec.tamperSignature = true;
    spec.expiresAt = kNow - 1s;
    const auto r = verify(issuer_->issue(spec));
    EXPECT_EQ(Reason::SignatureInvalid, r.reason);
    EXPECT_EQ(false, r.stages.signature);
    EXPECT_EQ(true, r.stages.keyUsage);
    EXPECT_EQ(false, r.stages.expiry);
    EXPECT_FALSE(r.stages.policy);
}

TEST(PolicyInput, MapsDccCodes) {
    credential::HealthCertificate dcc;
    dcc.tests.push_back({"LP6464-4", "260415000", "2026-11-20T06:00:00+0100", "ci"});
    dcc.tests.push_back({"LP217198-3", "260373001", "2026-11-20T06:00:00+01", "ci"});
    dcc.tests.push_back({"XYZ", "1", "not a time", "ci"});
    const auto in = policyInputOf(dcc);
    ASSERT_EQ(3u, in.tests.size());
    EXPECT_EQ(TestType::Naat, in.tests[0].type);
    EXPECT_TRUE(in.tests[0].negative);
    EXPECT_EQ(*parseRfc3339("2026-11-20T05:00:00Z"), *in.tests[0].collectedAt);
    EXPECT_EQ(TestType::Rat, in.tests[1].type);
    EXPECT_FALSE(in.tests[1].negative);
    EXPECT_EQ("positive", in.tests[1].result);
    EXPECT_EQ(TestType::Other, in.tests[2].type);
    EXPECT_FALSE(in.tests[2].collectedAt);
}

}  // namespace
}  // namespace sentinel::verify::testing

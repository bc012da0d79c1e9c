// Signature-stage rejection paths: ES256 lengths and scalar ranges, alg placement, key/alg mismatch,
// protected bytes as received.
#include "firmware/verify/Signature.h"

#include <gtest/gtest.h>

#include "firmware/credential/Cbor.h"
#include "firmware/credential/Cose.h"
#include "tests/verify/VerifyFixture.h"

namespace sentinel::verify::testing {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<uint8_t>;
using credential::CborWriter;

// SEC 2 §2.4.2: P-256 group order n.
const Bytes kOrder{0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                   0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};

class SignatureStageTest : public VerifyTest {
protected:
    Bytes claims() const { return issuer_->claims(naat(1h)); }

    Bytes protectedHeader(std::optional<int64_t> alg, const Bytes& kid) const {
        CborWriter w;
        w.map(alg ? 2 : 1);
        if (alg) w.integer(credential::kHeaderAlg).integer(*alg);
        w.integer(credential::kHeaderKid).bytes(kid);
        return w.take();
    }

    static std::string hc1(const Bytes& prot, const Bytes& unprotectedMap, const Bytes& payload, const Bytes& sig) {
        CborWriter w;
        w.tag(credential::kTagCoseSign1).array(4).bytes(prot).raw(unprotectedMap).bytes(payload).bytes(sig);
        return issuer::wrapHc1(w.data());
    }

    DecisionRecord withSignature(const Bytes& sig) const {
        const auto prot = protectedHeader(credential::kAlgEs256, issuer_->kid());
        return verify(hc1(prot, Bytes{0xA0}, claims(), sig));
    }

    void expectSignatureInvalid(const DecisionRecord& r) const {
        EXPECT_EQ(Reason::SignatureInvalid, r.reason);
        EXPECT_EQ(Decision::Deny, r.decision);
        EXPECT_EQ(true, r.stages.cbor);
        EXPECT_EQ(false, r.stages.signature);
    }
};

TEST_F(SignatureStageTest, HandBuiltCredentialVerifies) {
    const auto prot = protectedHeader(credential::kAlgEs256, issuer_->kid());
    const auto payload = claims();
    EXPECT_EQ(Reason::Ok, verify(hc1(prot, Bytes{0xA0}, payload, issuer_->sign(prot, payload))).reason);
}

TEST_F(SignatureStageTest, Es256SignatureOfWrongLengthIsRejected) {
    const auto prot = protectedHeader(credential::kAlgEs256, issuer_->kid());
    const auto good = issuer_->sign(prot, claims());
    for (size_t len : {0u, 1u, 32u, 63u, 65u, 72u, 128u}) {
        Bytes sig = good;
        sig.resize(len, 0x01);
        expectSignatureInvalid(withSignature(sig));
    }
}

TEST_F(SignatureStageTest, Es256DerEncodedSignatureIsRejected) {
    // 70–72 byte DER ECDSA-Sig-Value instead of raw r‖s.
    Bytes der{0x30, 0x44, 0x02, 0x20};
    der.insert(der.end(), 32, 0x11);
    der.insert(der.end(), {0x02, 0x20});
    der.insert(der.end(), 32, 0x22);
    expectSignatureInvalid(withSignature(der));
}

TEST_F(SignatureStageTest, Es256ScalarsOutOfRangeAreRejected) {
    const auto prot = protectedHeader(credential::kAlgEs256, issuer_->kid());
    const auto good = issuer_->sign(prot, claims());
    const Bytes r(good.begin(), good.begin() + 32), s(good.begin() + 32, good.end());
    const Bytes zero(32, 0), ones(32, 0xFF);
    auto concat = [](const Bytes& a, const Bytes& b) {
        Bytes out = a;
        out.insert(out.end(), b.begin(), b.end());
        return out;
    };
    expectSignatureInvalid(withSignature(concat(zero, s)));
    expectSignatureInvalid(withSignature(concat(r, zero)));
    expectSignatureInvalid(withSignature(concat(kOrder, s)));
    expectSignatureInvalid(withSignature(concat(r, kOrder)));
    expectSignatureInvalid(withSignature(concat(ones, s)));
    expectSignatureInvalid(withSignature(concat(r, ones)));
}

TEST_F(SignatureStageTest, AlgOnlyInUnprotectedHeaderIsRejected) {
    const auto prot = protectedHeader(std::nullopt, issuer_->kid());
    const auto payload = claims();
    CborWriter unprot;
    unprot.map(1).integer(credential::kHeaderAlg).integer(credential::kAlgEs256);
    const auto r = verify(hc1(prot, unprot.data(), payload, issuer_->sign(prot, payload)));
    expectSignatureInvalid(r);
}

TEST_F(SignatureStageTest, UnprotectedAlgCannotOverrideProtectedAlg) {
    const auto prot = protectedHeader(credential::kAlgPs256, issuer_->kid());
    const auto payload = claims();
    CborWriter unprot;
    unprot.map(1).integer(credential::kHeaderAlg).integer(credential::kAlgEs256);
    expectSignatureInvalid(verify(hc1(prot, unprot.data(), payload, issuer_->sign(prot, payload))));
}

TEST_F(SignatureStageTest, UnsupportedAlgIsRejected) {
    constexpr int64_t kAlgEs384 = -35;
    const auto prot = protectedHeader(kAlgEs384, issuer_->kid());
    const auto payload = claims();
    expectSignatureInvalid(verify(hc1(prot, Bytes{0xA0}, payload, issuer_->sign(prot, payload))));
}

TEST_F(SignatureStageTest, Ps256AlgWithAnEcKeyIsRejected) {
    const auto prot = protectedHeader(credential::kAlgPs256, issuer_->kid());
    const auto payload = claims();
    expectSignatureInvalid(verify(hc1(prot, Bytes{0xA0}, payload, Bytes(256, 0x42))));
}

TEST_F(SignatureStageTest, Es256AlgWithAnRsaKeyIsRejected) {
    issuer::IssuerOptions o = optionsAround(kNow);
    o.keyType = issuer::KeyType::Rsa2048;
    const auto rsa = issuer::TestIssuer::generate(o);
    const auto list = trustOf({&rsa});
    ctx_.trust = &list;
    const auto prot = protectedHeader(credential::kAlgEs256, rsa.kid());
    const auto payload = claims();
    expectSignatureInvalid(verify(hc1(prot, Bytes{0xA0}, payload, Bytes(64, 0x42))));
    // PS256 signature cut by one byte.
    const auto psProt = protectedHeader(credential::kAlgPs256, rsa.kid());
    auto sig = rsa.sign(psProt, payload);
    ASSERT_EQ(256u, sig.size());
    EXPECT_EQ(Reason::Ok, verify(hc1(psProt, Bytes{0xA0}, payload, sig)).reason);
    sig.pop_back();
    expectSignatureInvalid(verify(hc1(psProt, Bytes{0xA0}, payload, sig)));
}

TEST_F(SignatureStageTest, ProtectedBytesAreSignedAsReceived) {
    // {1: -7, 4: kid} with -7 written in a non-shortest 1+1-byte form (0x38 0x06).
    Bytes prot{0xA2, 0x01, 0x38, 0x06, 0x04, 0x48};
    const auto kid = issuer_->kid();
    prot.insert(prot.end(), kid.begin(), kid.end());
    const auto payload = claims();
    EXPECT_EQ(Reason::Ok, verify(hc1(prot, Bytes{0xA0}, payload, issuer_->sign(prot, payload))).reason);
    // Signed over the canonical re-encoding instead: must not verify.
    const auto canonical = protectedHeader(credential::kAlgEs256, kid);
    expectSignatureInvalid(verify(hc1(prot, Bytes{0xA0}, payload, issuer_->sign(canonical, payload))));
}

TEST_F(SignatureStageTest, SignatureOverOtherPayloadIsRejected) {
    const auto prot = protectedHeader(credential::kAlgEs256, issuer_->kid());
    const auto payload = claims();
    auto other = issuer_->claims(naat(2h));
    expectSignatureInvalid(verify(hc1(prot, Bytes{0xA0}, payload, issuer_->sign(prot, other))));
}

TEST(VerifyCoseSignature, UnparseableCertificateIsAKeyMismatch) {
    credential::CoseSign1 cose;
    cose.alg = credential::kAlgEs256;
    cose.signature = Bytes(64, 1);
    EXPECT_EQ(SignatureCheck::KeyMismatch, verifyCoseSignature(cose, Bytes{0x30, 0x03, 0x02, 0x01, 0x01}));
    cose.alg.reset();
    EXPECT_EQ(SignatureCheck::UnsupportedAlgorithm, verifyCoseSignature(cose, Bytes{}));
}

}  // namespace
}  // namespace sentinel::verify::testing

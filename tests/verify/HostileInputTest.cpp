// Item 8 of issue 3: every rejection path of the HC1 path, end to end through verifyHc1. Each input
// must end as a DENY with MALFORMED (or the precise reason), without a crash, within 20 ms.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <random>

#include "firmware/credential/Base45.h"
#include "firmware/credential/Cbor.h"
#include "firmware/credential/Cose.h"
#include "firmware/credential/Zlib.h"
#include "tests/verify/VerifyFixture.h"

namespace sentinel::verify::testing {
namespace {

// CPU time of this thread: the budget is about work done, not about how busy the shared machine is.
inline std::chrono::nanoseconds threadCpuTime() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec};
}

using namespace std::chrono_literals;
using Bytes = std::vector<uint8_t>;
using credential::CborWriter;

// Issue 3, item 8: each hostile input is rejected within 20 ms (thread CPU time).
constexpr auto kRejectBudget = 20ms;

class HostileInputTest : public VerifyTest {
protected:
    DecisionRecord timedVerify(const std::string& payload) const {
        const auto start = threadCpuTime();
        auto r = verify(payload);
        const auto elapsed = threadCpuTime() - start;
        EXPECT_LT(elapsed, kRejectBudget) << "took "
                                          << std::chrono::duration<double, std::milli>(elapsed).count() << " ms";
        return r;
    }

    void expectMalformed(const std::string& payload, const char* what) const {
        const auto r = timedVerify(payload);
        EXPECT_EQ(Reason::Malformed, r.reason) << what;
        EXPECT_EQ(Decision::Deny, r.decision) << what;
        EXPECT_FALSE(r.stages.signature) << what;  // never reached
    }

    // A signed COSE_Sign1 around arbitrary claim bytes (the signature is valid for those bytes).
    std::string signedAround(const Bytes& claimBytes) const {
        CborWriter prot;
        prot.map(2).integer(credential::kHeaderAlg).integer(issuer_->alg()).integer(credential::kHeaderKid).bytes(issuer_->kid());
        CborWriter w;
        w.tag(credential::kTagCoseSign1).array(4).bytes(prot.data()).map(0).bytes(claimBytes);
        w.bytes(issuer_->sign(prot.data(), claimBytes));
        return issuer::wrapHc1(w.data());
    }
};

TEST_F(HostileInputTest, OtherPrefixesAreUnsupported) {
    const auto good = issuer_->issue(naat(1h));
    for (const std::string prefix : {"HC2:", "HL0:", "hc1:", "", "HC1"}) {
        const auto r = timedVerify(prefix + good.substr(4));
        EXPECT_EQ(Reason::UnsupportedFormat, r.reason) << prefix;
        EXPECT_EQ(false, r.stages.prefix);
    }
}

TEST_F(HostileInputTest, EmptyBodyIsMalformed) { expectMalformed("HC1:", "empty"); }

TEST_F(HostileInputTest, Base45Violations) {
    const auto good = issuer_->issue(naat(1h));
    expectMalformed(good + "A", "trailing single character");
    expectMalformed(good.substr(0, 40) + "a" + good.substr(41), "lower case");
    expectMalformed("HC1:GGW", "triplet above 65535");
    expectMalformed("HC1:V5", "pair above 255");
    expectMalformed(good + "\n", "newline");
}

TEST_F(HostileInputTest, ZlibBombIsStoppedAtTheCap) {
    const Bytes zeros(16 * 1024 * 1024, 0);
    const auto payload = "HC1:" + credential::base45Encode(credential::deflateZlib(zeros));
    const auto r = timedVerify(payload);
    EXPECT_EQ(Reason::Malformed, r.reason);
    EXPECT_EQ(true, r.stages.base45);
    EXPECT_EQ(false, r.stages.inflate);
}

TEST_F(HostileInputTest, UncompressedCoseIsRejected) {
    const auto prot = Bytes{0xA1, 0x01, 0x26};
    CborWriter w;
    w.tag(credential::kTagCoseSign1).array(4).bytes(prot).map(0).bytes(Bytes{0xA0}).bytes(Bytes(64, 1));
    const auto r = timedVerify("HC1:" + credential::base45Encode(w.data()));
    EXPECT_EQ(Reason::Malformed, r.reason);
    EXPECT_EQ(false, r.stages.inflate);
}

TEST_F(HostileInputTest, TruncatedPayloadsNeverPass) {
    const auto good = issuer_->issue(naat(1h));
    for (size_t len = 4; len < good.size(); len += 3) {
        const auto r = timedVerify(good.substr(0, len));
        EXPECT_EQ(Reason::Malformed, r.reason) << "length " << len;
    }
}

TEST_F(HostileInputTest, TruncatedCborInsideValidZlibIsMalformed) {
    const auto good = issuer_->issue(naat(1h));
    const auto cose = credential::inflateZlib(credential::base45Decode(good.substr(4)).value()).value();
    for (size_t len = 0; len < cose.size(); len += 5) {
        const auto r = timedVerify(issuer::wrapHc1(std::span(cose).first(len)));
        EXPECT_EQ(Reason::Malformed, r.reason) << "length " << len;
        EXPECT_EQ(false, r.stages.cbor);
    }
}

TEST_F(HostileInputTest, OversizeDeclaredLengthsAreMalformed) {
    // COSE array whose payload bstr declares 4 GiB.
    CborWriter w;
    w.tag(credential::kTagCoseSign1).array(4).bytes(Bytes{0xA1, 0x01, 0x26}).map(0);
    Bytes cose = w.take();
    cose.insert(cose.end(), {0x5A, 0xFF, 0xFF, 0xFF, 0xFF, 0x00});
    expectMalformed(issuer::wrapHc1(cose), "payload length 4 GiB");
    // Array count 2^64-1.
    expectMalformed(issuer::wrapHc1(Bytes{0xD2, 0x9B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x40}),
                    "array count 2^64-1");
    // Claims (inside a valid signature) with a map declaring 2^32-1 pairs.
    expectMalformed(signedAround(Bytes{0xBA, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x02}), "claims map count");
    // Text string length beyond the claims.
    expectMalformed(signedAround(Bytes{0xA1, 0x01, 0x7A, 0x7F, 0xFF, 0xFF, 0xFF, 'X'}), "iss length");
}

TEST_F(HostileInputTest, DeepNestingIsMalformed) {
    Bytes deepArray(200, 0x81);
    deepArray.push_back(0x00);
    expectMalformed(issuer::wrapHc1(deepArray), "200 nested arrays as the COSE");
    // Claims nesting 20 levels inside the DCC, signed.
    CborWriter claims;
    claims.map(1).integer(credential::kClaimHcert).map(1).integer(credential::kHcertEuDcc).map(1).text("t");
    for (int i = 0; i < 20; ++i) claims.array(1);
    claims.integer(0);
    expectMalformed(signedAround(claims.data()), "20 levels inside the DCC");
    Bytes deepTags(100, 0xD2);
    deepTags.push_back(0x80);
    expectMalformed(issuer::wrapHc1(deepTags), "100 nested tags");
}

TEST_F(HostileInputTest, WrongTypesAreMalformed) {
    const auto payload = issuer_->claims(naat(1h));
    CborWriter prot;
    prot.map(2).integer(credential::kHeaderAlg).integer(issuer_->alg()).integer(credential::kHeaderKid).bytes(issuer_->kid());
    {
        CborWriter w;  // payload as text
        w.tag(credential::kTagCoseSign1).array(4).bytes(prot.data()).map(0).text("claims").bytes(Bytes(64, 1));
        expectMalformed(issuer::wrapHc1(w.data()), "payload text");
    }
    {
        CborWriter w;  // a map instead of the COSE array
        w.tag(credential::kTagCoseSign1).map(0);
        expectMalformed(issuer::wrapHc1(w.data()), "COSE map");
    }
    {
        CborWriter w;  // unexpected tag
        w.tag(17).array(4).bytes(prot.data()).map(0).bytes(payload).bytes(Bytes(64, 1));
        expectMalformed(issuer::wrapHc1(w.data()), "tag 17");
    }
    // Claims that are an array; hcert that is an array; exp as text; iat NaN.
    expectMalformed(signedAround(Bytes{0x80}), "claims array");
    {
        CborWriter c;
        c.map(1).integer(credential::kClaimHcert).array(0);
        expectMalformed(signedAround(c.data()), "hcert array");
    }
    {
        CborWriter c;
        c.map(2).integer(credential::kClaimExp).text("tomorrow").integer(credential::kClaimHcert).map(1).integer(1).map(0);
        expectMalformed(signedAround(c.data()), "exp text");
    }
    {
        CborWriter c;
        c.map(2).integer(credential::kClaimIat).float64(std::nan("")).integer(credential::kClaimHcert).map(1).integer(1).map(0);
        expectMalformed(signedAround(c.data()), "iat NaN");
    }
    {
        CborWriter c;  // duplicate exp claim
        c.map(3).integer(credential::kClaimExp).integer(1).integer(credential::kClaimExp).integer(2);
        c.integer(credential::kClaimHcert).map(1).integer(1).map(0);
        expectMalformed(signedAround(c.data()), "duplicate exp");
    }
}

TEST_F(HostileInputTest, TrailingBytesAfterTheCoseAreMalformed) {
    const auto good = issuer_->issue(naat(1h));
    auto cose = credential::inflateZlib(credential::base45Decode(good.substr(4)).value()).value();
    cose.push_back(0x00);
    expectMalformed(issuer::wrapHc1(cose), "trailing byte");
}

TEST_F(HostileInputTest, RandomMutationsNeverPass) {
    const auto good = issuer_->issue(naat(1h));
    const auto cose = credential::inflateZlib(credential::base45Decode(good.substr(4)).value()).value();
    std::mt19937 rng(20261122);
    for (int i = 0; i < 300; ++i) {
        Bytes m = cose;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) m[rng() % m.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
        const auto r = timedVerify(issuer::wrapHc1(m));
        EXPECT_NE(Decision::Pass, r.decision) << "mutation " << i;
    }
}

}  // namespace
}  // namespace sentinel::verify::testing

#include "firmware/credential/Cose.h"

#include <gtest/gtest.h>

#include <functional>
#include <limits>

#include "firmware/credential/Cbor.h"
#include "firmware/credential/Cwt.h"

namespace sentinel::credential {
namespace {

using Bytes = std::vector<uint8_t>;
const Bytes kKid{1, 2, 3, 4, 5, 6, 7, 8};

Bytes protectedHeader(bool withAlg, bool withKid) {
    CborWriter w;
    w.map((withAlg ? 1 : 0) + (withKid ? 1 : 0));
    if (withAlg) w.integer(kHeaderAlg).integer(kAlgEs256);
    if (withKid) w.integer(kHeaderKid).bytes(kKid);
    return w.take();
}

Bytes sign1(const Bytes& prot, const std::function<void(CborWriter&)>& unprotected, std::optional<uint64_t> tag1,
            std::optional<uint64_t> tag2) {
    CborWriter w;
    if (tag1) w.tag(*tag1);
    if (tag2) w.tag(*tag2);
    w.array(4).bytes(prot);
    unprotected(w);
    w.bytes(Bytes{0xA0}).bytes(Bytes(64, 0x11));
    return w.take();
}

void emptyMap(CborWriter& w) { w.map(0); }

TEST(Cose, AcceptsTag18) {
    auto c = parseCoseSign1(sign1(protectedHeader(true, true), emptyMap, kTagCoseSign1, std::nullopt));
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(kAlgEs256, c->alg);
    EXPECT_EQ(kKid, c->kid);
    EXPECT_EQ(KidSource::Protected, c->kidSource);
    EXPECT_EQ(64u, c->signature.size());
}

TEST(Cose, AcceptsTag61Then18) {
    EXPECT_TRUE(parseCoseSign1(sign1(protectedHeader(true, true), emptyMap, kTagCwt, kTagCoseSign1)).ok());
}

TEST(Cose, AcceptsUntagged) {
    EXPECT_TRUE(parseCoseSign1(sign1(protectedHeader(true, true), emptyMap, std::nullopt, std::nullopt)).ok());
}

TEST(Cose, RejectsCwtTagWithoutCoseTag) {
    EXPECT_FALSE(parseCoseSign1(sign1(protectedHeader(true, true), emptyMap, kTagCwt, std::nullopt)).ok());
}

TEST(Cose, RejectsOtherTags) {
    EXPECT_FALSE(parseCoseSign1(sign1(protectedHeader(true, true), emptyMap, 98, std::nullopt)).ok());
    EXPECT_FALSE(parseCoseSign1(sign1(protectedHeader(true, true), emptyMap, kTagCoseSign1, kTagCwt)).ok());
}

TEST(Cose, KeepsProtectedBytesAsReceived) {
    // A non-canonical protected header (alg as a 2-byte integer) must stay byte for byte.
    Bytes prot{0xA1, 0x01, 0x38, 0x06};
    auto c = parseCoseSign1(sign1(prot, emptyMap, kTagCoseSign1, std::nullopt));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(prot, c->protectedBytes);
    EXPECT_EQ(kAlgEs256, c->alg);
}

TEST(Cose, AlgOnlyInUnprotectedHeaderIsNotTaken) {
    auto c = parseCoseSign1(sign1(protectedHeader(false, true),
                                  [](CborWriter& w) { w.map(1).integer(kHeaderAlg).integer(kAlgEs256); },
                                  kTagCoseSign1, std::nullopt));
    ASSERT_TRUE(c.ok());
    EXPECT_FALSE(c->alg);
    EXPECT_TRUE(c->algOnlyUnprotected);
}

TEST(Cose, KidFromUnprotectedWhenProtectedHasNone) {
    const Bytes other{9, 9, 9, 9, 9, 9, 9, 9};
    auto c = parseCoseSign1(sign1(protectedHeader(true, false),
                                  [&](CborWriter& w) { w.map(1).integer(kHeaderKid).bytes(other); },
                                  kTagCoseSign1, std::nullopt));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(other, c->kid);
    EXPECT_EQ(KidSource::Unprotected, c->kidSource);
}

TEST(Cose, ProtectedKidWinsOverUnprotected) {
    const Bytes other{9, 9, 9, 9, 9, 9, 9, 9};
    auto c = parseCoseSign1(sign1(protectedHeader(true, true),
                                  [&](CborWriter& w) { w.map(1).integer(kHeaderKid).bytes(other); },
                                  kTagCoseSign1, std::nullopt));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(kKid, c->kid);
}

TEST(Cose, EmptyProtectedHeaderIsAllowed) {
    auto c = parseCoseSign1(sign1(Bytes{}, emptyMap, kTagCoseSign1, std::nullopt));
    ASSERT_TRUE(c.ok());
    EXPECT_FALSE(c->alg);
    EXPECT_EQ(KidSource::None, c->kidSource);
}

TEST(Cose, RejectsWrongTypes) {
    // protected not a bstr
    {
        CborWriter w;
        w.tag(kTagCoseSign1).array(4).map(0).map(0).bytes(Bytes{0xA0}).bytes(Bytes(64, 1));
        EXPECT_FALSE(parseCoseSign1(w.data()).ok());
    }
    // protected bstr holding an array
    EXPECT_FALSE(parseCoseSign1(sign1(Bytes{0x80}, emptyMap, kTagCoseSign1, std::nullopt)).ok());
    // unprotected not a map
    EXPECT_FALSE(parseCoseSign1(sign1(protectedHeader(true, true), [](CborWriter& w) { w.array(0); }, kTagCoseSign1,
                                      std::nullopt))
                     .ok());
    // payload nil (detached)
    {
        CborWriter w;
        w.tag(kTagCoseSign1).array(4).bytes(protectedHeader(true, true)).map(0).null().bytes(Bytes(64, 1));
        EXPECT_FALSE(parseCoseSign1(w.data()).ok());
    }
    // signature text
    {
        CborWriter w;
        w.tag(kTagCoseSign1).array(4).bytes(protectedHeader(true, true)).map(0).bytes(Bytes{0xA0}).text("sig");
        EXPECT_FALSE(parseCoseSign1(w.data()).ok());
    }
    // alg text, kid integer
    {
        CborWriter p;
        p.map(1).integer(kHeaderAlg).text("ES256");
        EXPECT_FALSE(parseCoseSign1(sign1(p.take(), emptyMap, kTagCoseSign1, std::nullopt)).ok());
        CborWriter k;
        k.map(1).integer(kHeaderKid).integer(7);
        EXPECT_FALSE(parseCoseSign1(sign1(k.take(), emptyMap, kTagCoseSign1, std::nullopt)).ok());
    }
    // three elements
    {
        CborWriter w;
        w.tag(kTagCoseSign1).array(3).bytes(protectedHeader(true, true)).map(0).bytes(Bytes{0xA0});
        EXPECT_FALSE(parseCoseSign1(w.data()).ok());
    }
}

TEST(Cose, RejectsDuplicateHeaderLabels) {
    CborWriter p;
    p.map(2).integer(kHeaderAlg).integer(kAlgEs256).integer(kHeaderAlg).integer(kAlgPs256);
    EXPECT_FALSE(parseCoseSign1(sign1(p.take(), emptyMap, kTagCoseSign1, std::nullopt)).ok());
}

TEST(Cose, SigStructureIsSignature1WithEmptyAad) {
    const Bytes prot{0xA1, 0x01, 0x26};
    const Bytes payload{0xA0};
    // 84 6A "Signature1" 43 A10126 40 41 A0
    Bytes expected{0x84, 0x6A, 'S', 'i', 'g', 'n', 'a', 't', 'u', 'r', 'e', '1', 0x43, 0xA1, 0x01, 0x26, 0x40, 0x41, 0xA0};
    EXPECT_EQ(expected, sigStructure(prot, payload));
}

// CWT claims
Bytes claims(const std::function<void(CborWriter&)>& dcc, int pairs = 3) {
    CborWriter w;
    w.map(pairs).integer(kClaimIss).text("XX").integer(kClaimIat).integer(1700000000);
    if (pairs == 3) {
        w.integer(kClaimHcert).map(1).integer(kHcertEuDcc);
        dcc(w);
    }
    return w.take();
}

TEST(Cwt, ReadsTestEntries) {
    auto c = parseCwtClaims(claims([](CborWriter& w) {
        w.map(2).text("ver").text("1.3.0").text("t").array(1).map(4);
        w.text("tt").text("LP6464-4").text("tr").text("260415000").text("sc").text("2026-11-20T06:00:00Z");
        w.text("ci").text("URN:UVCI:01:XX:ABC");
    }));
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_FALSE(c->dccError);
    ASSERT_EQ(1u, c->dcc.tests.size());
    EXPECT_EQ("LP6464-4", c->dcc.tests[0].type);
    EXPECT_EQ("URN:UVCI:01:XX:ABC", c->dcc.tests[0].identifier);
    EXPECT_EQ(1700000000, toEpochSeconds(*c->issuedAt));
    EXPECT_FALSE(c->expiresAt);
}

TEST(Cwt, TimesMayBeFloats) {
    CborWriter w;
    w.map(3).integer(kClaimExp).float64(1800000000.5).integer(kClaimIat).float64(1700000000.0);
    w.integer(kClaimHcert).map(1).integer(kHcertEuDcc).map(0);
    auto c = parseCwtClaims(w.data());
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(1800000000500, c->expiresAt->time_since_epoch().count());
}

TEST(Cwt, RejectsNonFiniteOrHugeTimesAndWrongTypes) {
    for (double bad : {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(), 1e300}) {
        CborWriter w;
        w.map(2).integer(kClaimExp).float64(bad).integer(kClaimHcert).map(1).integer(kHcertEuDcc).map(0);
        EXPECT_FALSE(parseCwtClaims(w.data()).ok());
    }
    CborWriter t;
    t.map(2).integer(kClaimExp).text("2026").integer(kClaimHcert).map(1).integer(kHcertEuDcc).map(0);
    EXPECT_FALSE(parseCwtClaims(t.data()).ok());
    CborWriter i;
    i.map(2).integer(kClaimIss).integer(1).integer(kClaimHcert).map(1).integer(kHcertEuDcc).map(0);
    EXPECT_FALSE(parseCwtClaims(i.data()).ok());
}

TEST(Cwt, RejectsMissingHcert) {
    EXPECT_FALSE(parseCwtClaims(claims({}, 2)).ok());
    CborWriter w;
    w.map(1).integer(kClaimHcert).map(1).integer(2).map(0);  // hcert without key 1
    EXPECT_FALSE(parseCwtClaims(w.data()).ok());
    CborWriter a;
    a.array(0);
    EXPECT_FALSE(parseCwtClaims(a.data()).ok());
}

TEST(Cwt, WrongDccShapeIsReportedNotFatal) {
    auto notArray = parseCwtClaims(claims([](CborWriter& w) { w.map(1).text("t").map(0); }));
    ASSERT_TRUE(notArray.ok());
    EXPECT_TRUE(notArray->dccError);
    auto scNumber = parseCwtClaims(claims([](CborWriter& w) {
        w.map(1).text("t").array(1).map(3).text("tt").text("LP6464-4").text("tr").text("260415000").text("sc").integer(5);
    }));
    ASSERT_TRUE(scNumber.ok());
    EXPECT_TRUE(scNumber->dccError);
    auto missingTr = parseCwtClaims(claims([](CborWriter& w) {
        w.map(1).text("t").array(1).map(2).text("tt").text("LP6464-4").text("sc").text("2026-11-20T06:00:00Z");
    }));
    ASSERT_TRUE(missingTr.ok());
    EXPECT_TRUE(missingTr->dccError);
}

TEST(Cwt, ReadsVaccinationAndRecoveryIdentifiers) {
    auto c = parseCwtClaims(claims([](CborWriter& w) {
        w.map(2).text("v").array(1).map(1).text("ci").text("V1").text("r").array(1).map(1).text("ci").text("R1");
    }));
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(1u, c->dcc.vaccinations.size());
    EXPECT_EQ("V1", c->dcc.vaccinations[0].identifier);
    EXPECT_EQ("R1", c->dcc.recoveries[0].identifier);
}

}  // namespace
}  // namespace sentinel::credential

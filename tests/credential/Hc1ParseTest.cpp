#include "firmware/credential/Hc1.h"

#include <gtest/gtest.h>

#include "firmware/credential/Base45.h"
#include "firmware/credential/Cbor.h"
#include "firmware/credential/Zlib.h"

namespace sentinel::credential {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes minimalCose(bool withHcert = true) {
    CborWriter claims;
    claims.map(withHcert ? 2 : 1).integer(kClaimIss).text("XX");
    if (withHcert) claims.integer(kClaimHcert).map(1).integer(kHcertEuDcc).map(0);
    CborWriter prot;
    prot.map(2).integer(kHeaderAlg).integer(kAlgEs256).integer(kHeaderKid).bytes(Bytes(8, 7));
    CborWriter w;
    w.tag(kTagCoseSign1).array(4).bytes(prot.data()).map(0).bytes(claims.data()).bytes(Bytes(64, 1));
    return w.take();
}

std::string hc1Of(const Bytes& cose) { return "HC1:" + base45Encode(deflateZlib(cose)); }

TEST(Hc1Parse, WellFormedPayloadPassesEveryParseStage) {
    auto p = parseHc1(hc1Of(minimalCose()));
    EXPECT_TRUE(p.ok()) << p.error;
    EXPECT_EQ(true, p.stages.prefix);
    EXPECT_EQ(true, p.stages.base45);
    EXPECT_EQ(true, p.stages.inflate);
    EXPECT_EQ(true, p.stages.cbor);
    EXPECT_FALSE(p.stages.signature);
    ASSERT_TRUE(p.claims);
    EXPECT_EQ("XX", p.claims->issuer);
}

TEST(Hc1Parse, OtherPrefixesAreRejected) {
    const auto body = hc1Of(minimalCose()).substr(4);
    for (const char* prefix : {"HC2:", "HL0:", "hc1:", "HC1", ""}) {
        auto p = parseHc1(prefix + body);
        EXPECT_EQ(false, p.stages.prefix) << prefix;
        EXPECT_FALSE(p.stages.base45);
    }
}

TEST(Hc1Parse, BadBase45StopsAtBase45) {
    auto p = parseHc1("HC1:abc");
    EXPECT_EQ(true, p.stages.prefix);
    EXPECT_EQ(false, p.stages.base45);
    EXPECT_FALSE(p.stages.inflate);
}

TEST(Hc1Parse, UncompressedCoseFailsInflate) {
    auto p = parseHc1("HC1:" + base45Encode(minimalCose()));
    EXPECT_EQ(true, p.stages.base45);
    EXPECT_EQ(false, p.stages.inflate);
}

TEST(Hc1Parse, CwtWithoutHcertFailsCbor) {
    auto p = parseHc1(hc1Of(minimalCose(false)));
    EXPECT_EQ(true, p.stages.inflate);
    EXPECT_EQ(false, p.stages.cbor);
    EXPECT_FALSE(p.ok());
}

TEST(Hc1Parse, GarbageInsideZlibFailsCbor) {
    auto p = parseHc1(hc1Of(Bytes{0x9A, 0xFF, 0xFF, 0xFF, 0xFF}));
    EXPECT_EQ(true, p.stages.inflate);
    EXPECT_EQ(false, p.stages.cbor);
}

TEST(Hk1, RecognisesTokensOfAllowedLength) {
    EXPECT_TRUE(isHk1Token("HK1:" + std::string(16, 'a')));
    EXPECT_TRUE(isHk1Token("HK1:" + std::string(128, '_')));
    EXPECT_TRUE(isHk1Token("HK1:AZaz09-_AZaz09-_"));
}

TEST(Hk1, RejectsWrongLengthsCharactersAndPrefixes) {
    EXPECT_FALSE(isHk1Token("HK1:" + std::string(15, 'a')));
    EXPECT_FALSE(isHk1Token("HK1:" + std::string(129, 'a')));
    EXPECT_FALSE(isHk1Token("HK1:" + std::string(15, 'a') + "+"));
    EXPECT_FALSE(isHk1Token("HK1:" + std::string(15, 'a') + "="));
    EXPECT_FALSE(isHk1Token("HK2:" + std::string(20, 'a')));
    EXPECT_FALSE(isHk1Token("HC1:" + std::string(20, 'a')));
}

}  // namespace
}  // namespace sentinel::credential

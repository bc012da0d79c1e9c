#include "firmware/verify/Revocation.h"

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "firmware/credential/Hc1.h"
#include "firmware/trust/Base64.h"
#include "tests/support/TestSupport.h"
#include "tests/verify/VerifyFixture.h"

namespace sentinel::verify::testing {
namespace {

using namespace std::chrono_literals;
using trust::RevocationHashType;

constexpr uint8_t kUci = static_cast<uint8_t>(RevocationHashType::Uci);
constexpr uint8_t kCountry = static_cast<uint8_t>(RevocationHashType::CountryCodeUci);
constexpr uint8_t kSignature = static_cast<uint8_t>(RevocationHashType::Signature);

credential::Hc1Parse parsed(const std::string& payload) {
    auto p = credential::parseHc1(payload);
    EXPECT_TRUE(p.ok()) << p.error;
    return p;
}

RevocationHashes hashesOf(const std::string& payload) {
    const auto p = parsed(payload);
    return revocationHashes(*p.cose, *p.claims);
}

// ---- the shared vectors (corona-warn-app sample data) ----

TEST(RevocationHashVectors, EveryVectorReproduces) {
    const auto file = sentinel::testing::testdataDir() / "revocation" / "cwa-revocation-sample.json";
    std::ifstream in(file);
    ASSERT_TRUE(in) << file;
    const auto vectors = nlohmann::json::parse(in);
    ASSERT_EQ(3u, vectors.size());
    for (const auto& v : vectors) {
        SCOPED_TRACE(v["description"].get<std::string>());
        const auto h = hashesOf(v["barcodeData"].get<std::string>());
        ASSERT_TRUE(h.uci);
        EXPECT_EQ(v["expUCI"].get<std::string>(), trust::hexOf(*h.uci));
        ASSERT_EQ(1u, h.countryCodeUci.size());  // iss and co are the same country in all three
        EXPECT_EQ(v["expCOUNTRYCODEUCI"].get<std::string>(), trust::hexOf(h.countryCodeUci[0]));
        EXPECT_EQ(v["expSIGNATURE"].get<std::string>(), trust::hexOf(h.signature));
    }
}

// ---- hashes of credentials made by the test issuer ----

class RevocationTest : public VerifyTest {
protected:
    // An index with one list; `kid` empty = `*`.
    static std::shared_ptr<const trust::RevocationIndex> indexWith(std::vector<uint8_t> kid, uint8_t types,
                                                                   std::vector<trust::RevocationHash> hashes,
                                                                   std::optional<UtcTime> expires = std::nullopt,
                                                                   UtcTime issuedAt = kNow - 1h) {
        trust::RevocationIndexBuilder b;
        EXPECT_TRUE(b.addList(std::move(kid), types, expires, std::move(hashes)));
        auto r = trust::RevocationIndex::fromBytes(b.build(issuedAt));
        EXPECT_TRUE(r);
        return *r;
    }
    DecisionRecord verifyWith(const std::string& payload, const trust::RevocationIndex* index) {
        ctx_.revocation = index;
        return verify(payload);
    }
    std::string credential(const std::string& ci = "URN:UVCI:01:XX:REVOKEME0001#A") const {
        auto spec = naat(2h);
        spec.certificateIdentifier = ci;
        return issuer_->issue(spec);
    }
};

TEST_F(RevocationTest, DrlIsBase64OfTheWholeSha256OfTheIdentifier) {
    // README known answer: base64(SHA-256("Hello!")).
    const auto h = hashesOf(credential("Hello!"));
    EXPECT_EQ("M00Bb3Vc1txYxTqG4YOIL47BT1L7BTRYh8il7dQsh7c=", h.drl);
    ASSERT_TRUE(h.uci);
    EXPECT_EQ("334d016f755cd6dc58c53a86e183882f", trust::hexOf(*h.uci));  // its first 16 bytes
}

TEST_F(RevocationTest, CountryCodeUciHasASecondValueWhenTheEntryCountryDiffers) {
    auto spec = naat(2h);
    spec.certificateIdentifier = "ABC";
    spec.entryCountry = "YY";
    const auto h = hashesOf(issuer_->issue(spec));
    ASSERT_EQ(2u, h.countryCodeUci.size());
    auto truncatedSha = [](const std::string& s) {
        const auto d = trust::sha256Of(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
        return trust::hexOf(std::span(d.data(), trust::kRevocationHashBytes));
    };
    EXPECT_EQ(truncatedSha("XXABC"), trust::hexOf(h.countryCodeUci[0]));  // iss first
    EXPECT_EQ(truncatedSha("YYABC"), trust::hexOf(h.countryCodeUci[1]));  // then co
}

TEST_F(RevocationTest, CredentialWithoutIdentifierHasOnlyASignatureHash) {
    const auto h = hashesOf(credential(""));
    EXPECT_FALSE(h.uci);
    EXPECT_TRUE(h.countryCodeUci.empty());
    EXPECT_TRUE(h.drl.empty());
}

TEST_F(RevocationTest, Es256SignatureHashCoversROnly) {
    const std::string payload = credential();
    const auto p = parsed(payload);
    ASSERT_EQ(64u, p.cose->signature.size());
    const auto r = trust::sha256Of(std::span(p.cose->signature.data(), 32));
    EXPECT_EQ(trust::hexOf(std::span(r.data(), 16)), trust::hexOf(hashesOf(payload).signature));
}

// ---- decisions ----

TEST_F(RevocationTest, NoIndexDecidesAsBefore) {
    const auto r = verifyWith(credential(), nullptr);
    EXPECT_EQ(Reason::Ok, r.reason);
    EXPECT_FALSE(r.revocation);
}

TEST_F(RevocationTest, UciHashRevokes) {
    const auto payload = credential();
    const auto index = indexWith(issuer_->kid(), kUci, {*hashesOf(payload).uci});
    const auto r = verifyWith(payload, index.get());
    EXPECT_EQ(Decision::Deny, r.decision);
    EXPECT_EQ(Reason::Revoked, r.reason);
    EXPECT_EQ("UCI", r.revocation);
    EXPECT_EQ(true, r.stages.signature);
    EXPECT_NE(std::string::npos, toJsonLine(r).find(R"("revocation":{"type":"UCI"})"));
}

TEST_F(RevocationTest, CountryCodeUciHashRevokes) {
    const auto payload = credential();
    const auto index = indexWith(issuer_->kid(), kCountry, {hashesOf(payload).countryCodeUci.at(0)});
    const auto r = verifyWith(payload, index.get());
    EXPECT_EQ(Reason::Revoked, r.reason);
    EXPECT_EQ("COUNTRYCODEUCI", r.revocation);
}

TEST_F(RevocationTest, SecondCountryCodeUciValueRevokes) {
    auto spec = naat(2h);
    spec.entryCountry = "YY";
    const auto payload = issuer_->issue(spec);
    const auto index = indexWith(issuer_->kid(), kCountry, {hashesOf(payload).countryCodeUci.at(1)});
    EXPECT_EQ(Reason::Revoked, verifyWith(payload, index.get()).reason);
}

TEST_F(RevocationTest, SignatureHashRevokes) {
    const auto payload = credential();
    const auto index = indexWith(issuer_->kid(), kSignature, {hashesOf(payload).signature});
    const auto r = verifyWith(payload, index.get());
    EXPECT_EQ(Reason::Revoked, r.reason);
    EXPECT_EQ("SIGNATURE", r.revocation);
}

TEST_F(RevocationTest, DrlListRevokesThroughTheUciHash) {
    const auto payload = credential();
    const auto drl = trust::decodeBase64(hashesOf(payload).drl);
    ASSERT_TRUE(drl);
    trust::RevocationHash first16{};
    std::copy_n(drl->begin(), 16, first16.begin());
    const auto index = indexWith({}, kUci, {first16});
    EXPECT_EQ(Reason::Revoked, verifyWith(payload, index.get()).reason);
}

TEST_F(RevocationTest, OtherCredentialsOfTheIssuerAreNotRevoked) {
    const auto index = indexWith(issuer_->kid(), kUci, {*hashesOf(credential()).uci});
    const auto r = verifyWith(credential("URN:UVCI:01:XX:SOMEONEELSE#B"), index.get());
    EXPECT_EQ(Reason::Ok, r.reason);
    EXPECT_FALSE(r.revocation);
}

TEST_F(RevocationTest, ListOfAnotherKidDoesNotRevoke) {
    const auto payload = credential();
    const auto h = hashesOf(payload);
    const std::vector<uint8_t> otherKid{9, 9, 9, 9, 9, 9, 9, 9};
    for (uint8_t type : {kUci, kCountry, kSignature}) {
        const auto hash = type == kUci ? *h.uci : type == kCountry ? h.countryCodeUci.at(0) : h.signature;
        const auto index = indexWith(otherKid, type, {hash});
        EXPECT_EQ(Reason::Ok, verifyWith(payload, index.get()).reason) << int(type);
    }
}

TEST_F(RevocationTest, WildcardListRevokesWhateverTheKid) {
    const auto payload = credential();
    const auto index = indexWith({}, kSignature, {hashesOf(payload).signature});
    EXPECT_EQ(Reason::Revoked, verifyWith(payload, index.get()).reason);
}

TEST_F(RevocationTest, HashOfOneTypeInAListOfAnotherTypeDoesNotRevoke) {
    const auto payload = credential();
    const auto index = indexWith(issuer_->kid(), kSignature, {*hashesOf(payload).uci});
    EXPECT_EQ(Reason::Ok, verifyWith(payload, index.get()).reason);
}

TEST_F(RevocationTest, EntryNoLongerRevokesAfterItsListExpired) {
    const auto payload = credential();
    const auto index = indexWith(issuer_->kid(), kUci, {*hashesOf(payload).uci}, kNow);
    EXPECT_EQ(Reason::Revoked, verifyWith(payload, index.get()).reason);  // at the instant: still counts
    ctx_.now = kNow + 1s;
    EXPECT_EQ(Reason::Ok, verifyWith(payload, index.get()).reason);
}

TEST_F(RevocationTest, ForgedSignatureIsSignatureInvalidNotRevoked) {
    auto spec = naat(2h);
    spec.tamperSignature = true;
    const auto payload = issuer_->issue(spec);
    const auto index = indexWith({}, kUci, {*hashesOf(payload).uci});
    const auto r = verifyWith(payload, index.get());
    EXPECT_EQ(Reason::SignatureInvalid, r.reason);
    EXPECT_FALSE(r.revocation);
}

TEST_F(RevocationTest, RevocationComesBeforeExpiry) {
    auto spec = naat(2h);
    spec.expiresAt = kNow - 1h;
    const auto payload = issuer_->issue(spec);
    const auto index = indexWith({}, kUci, {*hashesOf(payload).uci});
    EXPECT_EQ(Reason::Revoked, verifyWith(payload, index.get()).reason);
}

TEST_F(RevocationTest, Ps256SignatureHashCoversTheWholeSignature) {
    auto o = optionsAround(kNow);
    o.keyType = issuer::KeyType::Rsa2048;
    const auto rsa = issuer::TestIssuer::generate(o);
    trust_ = trustOf({&rsa});
    auto spec = naat(2h);
    const auto payload = rsa.issue(spec);
    const auto p = parsed(payload);
    ASSERT_EQ(256u, p.cose->signature.size());
    const auto whole = trust::sha256Of(p.cose->signature);
    const auto firstHalf = trust::sha256Of(std::span(p.cose->signature.data(), 32));
    trust::RevocationHash w{}, f{};
    std::copy_n(whole.begin(), 16, w.begin());
    std::copy_n(firstHalf.begin(), 16, f.begin());
    EXPECT_EQ(w, hashesOf(payload).signature);
    EXPECT_EQ(Reason::Revoked, verifyWith(payload, indexWith({}, kSignature, {w}).get()).reason);
    EXPECT_EQ(Reason::Ok, verifyWith(payload, indexWith({}, kSignature, {f}).get()).reason);
}

TEST_F(RevocationTest, StaleIndexRefersWhatWouldPass) {
    const auto index = indexWith({}, kUci, {});
    ctx_.revocationStale = true;
    const auto r = verifyWith(credential(), index.get());
    EXPECT_EQ(Decision::Refer, r.decision);
    EXPECT_EQ(Reason::RevocationListStale, r.reason);
    EXPECT_EQ(true, r.stages.policy);
}

TEST_F(RevocationTest, MissingIndexWhileRequiredRefers) {
    ctx_.revocationStale = trust::revocationStale(nullptr, kNow, {48h, true});
    EXPECT_EQ(Reason::RevocationListStale, verifyWith(credential(), nullptr).reason);
}

TEST_F(RevocationTest, StaleIndexDoesNotSoftenADeny) {
    const auto index = indexWith({}, kUci, {});
    ctx_.revocationStale = true;
    ctx_.revocation = index.get();
    EXPECT_EQ(Reason::TestTooOld, verify(issuer_->issue(naat(49h))).reason);
}

TEST_F(RevocationTest, RevocationFoundInAStaleIndexIsStillRevoked) {
    const auto payload = credential();
    const auto index = indexWith({}, kUci, {*hashesOf(payload).uci});
    ctx_.revocationStale = true;
    EXPECT_EQ(Reason::Revoked, verifyWith(payload, index.get()).reason);
}

TEST_F(RevocationTest, StaleTrustListRanksBeforeStaleRevocation) {
    ctx_.trustStale = true;
    ctx_.revocationStale = true;
    EXPECT_EQ(Reason::TrustListStale, verifyWith(credential(), nullptr).reason);
}

TEST_F(RevocationTest, TamperedIndexIsRefusedAndTheOldOneKeepsDeciding) {
    const auto payload = credential();
    sentinel::testing::TempDir dir;
    trust::RevocationIndexBuilder b;
    ASSERT_TRUE(b.addList(issuer_->kid(), kUci, std::nullopt, {*hashesOf(payload).uci}));
    auto bytes = b.build(kNow - 1h);
    auto write = [&](const std::string& name, const std::vector<uint8_t>& data) {
        std::ofstream out(dir / name, std::ios::binary);
        out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    };
    write("good.idx", bytes);
    trust::RevocationHolder holder;
    ASSERT_TRUE(holder.loadAndSwap(dir / "good.idx"));

    trust::RevocationIndexBuilder empty;  // a new list that would un-revoke it …
    auto tampered = empty.build(kNow);
    tampered[20] ^= 0x01;  // … tampered in transit
    write("tampered.idx", tampered);
    EXPECT_FALSE(holder.loadAndSwap(dir / "tampered.idx"));
    const auto snapshot = holder.current();
    EXPECT_EQ(Reason::Revoked, verifyWith(payload, snapshot.get()).reason);
}

}  // namespace
}  // namespace sentinel::verify::testing

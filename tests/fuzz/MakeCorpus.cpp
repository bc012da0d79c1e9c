// Writes the seed corpus of the fuzz targets: `fuzz_make_corpus <dir>` fills <dir>/<target>/.
// Seeds come from the test issuer and hand-written edge cases; nothing from shared test data.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "firmware/credential/Base45.h"
#include "firmware/credential/Cbor.h"
#include "firmware/credential/Cose.h"
#include "firmware/credential/Zlib.h"
#include "firmware/issuer/TestIssuer.h"
#include "firmware/trust/RevocationIndex.h"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;
using namespace sentinel;
using namespace std::chrono_literals;

fs::path root;

void put(const std::string& target, const std::string& name, const Bytes& bytes) {
    fs::create_directories(root / target);
    std::ofstream out(root / target / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void put(const std::string& target, const std::string& name, const std::string& text) {
    put(target, name, Bytes(text.begin(), text.end()));
}

Bytes coseOf(const std::string& hc1) {
    return credential::inflateZlib(credential::base45Decode(hc1.substr(4)).value()).value();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: fuzz_make_corpus <corpus dir>\n";
        return 2;
    }
    root = argv[1];
    const UtcTime now = *parseRfc3339("2026-11-22T08:00:00Z");  // the clock of FuzzHc1.cpp
    issuer::IssuerOptions o;
    o.notBefore = *parseRfc3339("2020-01-01T00:00:00Z");
    o.notAfter = *parseRfc3339("2040-01-01T00:00:00Z");
    const auto es = issuer::TestIssuer::generate(o);
    o.keyType = issuer::KeyType::Rsa2048;
    const auto ps = issuer::TestIssuer::generate(o);

    const auto naat = issuer::testCredential(TestType::Naat, now - 2h, false, now);
    auto positive = issuer::testCredential(TestType::Naat, now - 5h, true, now);
    const auto rat = issuer::testCredential(TestType::Rat, now - 3h, false, now);
    auto vacc = naat;
    vacc.vaccinationOnly = true;
    auto expired = naat;
    expired.expiresAt = now - 24h;
    auto unprotectedKid = naat;
    unprotectedKid.kidPlacement = issuer::KidPlacement::Unprotected;
    auto tampered = naat;
    tampered.tamperSignature = true;
    auto twoTests = naat;
    twoTests.tests.push_back({TestType::Rat, now - 30h, false});

    const auto hc1Naat = es.issue(naat);
    const auto hc1Ps = ps.issue(naat);

    // base45
    put("base45", "rfc-ab", "BB8");
    put("base45", "rfc-hello", "%69 VD92EX0");
    put("base45", "max-triplet", "FGW");
    put("base45", "over-triplet", "GGW");
    put("base45", "pair-255", "U5");
    put("base45", "dangling", "BB8B");
    put("base45", "hc1-body", hc1Naat.substr(4));

    // inflate
    put("inflate", "cose-es256", credential::deflateZlib(coseOf(hc1Naat)));
    put("inflate", "hello", credential::deflateZlib(Bytes{'h', 'e', 'l', 'l', 'o'}));
    put("inflate", "zeros-70k", credential::deflateZlib(Bytes(70000, 0)));
    put("inflate", "empty", credential::deflateZlib(Bytes{}));
    put("inflate", "gzip-header", Bytes{0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    auto cut = credential::deflateZlib(coseOf(hc1Naat));
    cut.resize(cut.size() / 2);
    put("inflate", "truncated", cut);

    // cbor
    put("cbor", "cose-es256", coseOf(hc1Naat));
    put("cbor", "claims-naat", es.claims(naat));
    put("cbor", "claims-vaccination", es.claims(vacc));
    put("cbor", "indefinite", Bytes{0x9F, 0x01, 0xBF, 0x61, 'a', 0x5F, 0x41, 0x01, 0xFF, 0xFF, 0x7F, 0x61, 'x', 0xFF, 0xFF});
    put("cbor", "floats", Bytes{0x83, 0xF9, 0x3E, 0x00, 0xFA, 0x47, 0xC3, 0x50, 0x00, 0xFB, 0x3F, 0xF1, 0x99, 0x99, 0x99,
                                0x99, 0x99, 0x9A});
    Bytes deep(16, 0x81);
    deep.push_back(0xF6);
    put("cbor", "depth-16", deep);
    put("cbor", "big-ints", Bytes{0x82, 0x1B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3B, 0x7F, 0xFF, 0xFF, 0xFF,
                                  0xFF, 0xFF, 0xFF, 0xFF});
    put("cbor", "libcbor-killer", Bytes{0x9A, 0xFF, 0xFF, 0xFF, 0xFF});

    // cose
    put("cose", "es256-protected-kid", coseOf(hc1Naat));
    put("cose", "es256-unprotected-kid", coseOf(es.issue(unprotectedKid)));
    put("cose", "ps256", coseOf(hc1Ps));
    {
        auto c = coseOf(hc1Naat);
        c.erase(c.begin());  // drop tag 18: untagged
        put("cose", "untagged", c);
        Bytes tagged{0xD8, 0x3D, 0xD2};
        tagged.insert(tagged.end(), c.begin(), c.end());
        put("cose", "tag61-tag18", tagged);
    }
    {
        credential::CborWriter w;
        w.tag(credential::kTagCoseSign1).array(4).bytes(Bytes{}).map(2).integer(credential::kHeaderAlg).integer(-7);
        w.integer(credential::kHeaderKid).bytes(es.kid()).bytes(es.claims(rat)).bytes(Bytes(64, 0x11));
        put("cose", "alg-unprotected-only", w.data());
    }

    // hc1 end to end: text as scanned, and 0x01 + claims signed by the fuzz target itself.
    put("hc1", "naat", hc1Naat);
    put("hc1", "ps256", hc1Ps);
    put("hc1", "tampered", es.issue(tampered));
    put("hc1", "unprotected-kid", es.issue(unprotectedKid));
    put("hc1", "hc2-prefix", "HC2:" + hc1Naat.substr(4));
    auto signedHere = [&](const std::string& name, const issuer::Hc1Spec& spec) {
        Bytes b{0x01};
        const auto c = es.claims(spec);
        b.insert(b.end(), c.begin(), c.end());
        put("hc1", name, b);
    };
    signedHere("signed-naat", naat);
    signedHere("signed-positive", positive);
    signedHere("signed-rat", rat);
    signedHere("signed-vaccination", vacc);
    signedHere("signed-expired", expired);
    signedHere("signed-two-tests", twoTests);
    // revocation_index: indexes the builder writes (empty, one `*` list, kid lists of every type,
    // an expired list) and a truncated one.
    {
        auto hashOf = [](uint8_t seed) {
            trust::RevocationHash h{};
            for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(seed * 31 + i * 7);
            return h;
        };
        auto check = [](const Status& s) {
            if (!s) std::cerr << "revocation_index seed: " << s.error().message << '\n';
        };
        put("revocation_index", "empty", trust::RevocationIndexBuilder().build(now));
        trust::RevocationIndexBuilder one;
        check(one.addList({}, static_cast<uint8_t>(trust::RevocationHashType::Uci), std::nullopt, {hashOf(1), hashOf(2), hashOf(3)}));
        put("revocation_index", "wildcard-uci", one.build(now));
        trust::RevocationIndexBuilder many;
        check(many.addList(es.kid(), static_cast<uint8_t>(trust::RevocationHashType::Uci), now + 24h, {hashOf(4), hashOf(5)}));
        check(many.addList(es.kid(), static_cast<uint8_t>(trust::RevocationHashType::CountryCodeUci), std::nullopt, {hashOf(6)}));
        check(many.addList(ps.kid(), static_cast<uint8_t>(trust::RevocationHashType::Signature), now - 24h, {hashOf(7), hashOf(8)}));
        check(many.addList({}, static_cast<uint8_t>(trust::RevocationHashType::Uci) | static_cast<uint8_t>(trust::RevocationHashType::Signature),
                           std::nullopt, {}));
        const auto bytes = many.build(now);
        put("revocation_index", "kid-lists", bytes);
        put("revocation_index", "truncated", Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 2)));
    }
    std::cout << "corpus written to " << root << '\n';
    return 0;
}

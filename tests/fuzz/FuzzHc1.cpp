// libFuzzer target: the whole offline path, verifyHc1 included.
// First byte 'H' or anything else: the input is HC1 text, verified as scanned.
// First byte 0x01: the rest is a CWT claims payload, signed here with a test key the trust list
// holds, so the fuzzer reaches key usage, expiry and the policy behind a valid signature.
#include <cstdlib>
#include <span>
#include <string_view>

#include "firmware/credential/Cbor.h"
#include "firmware/credential/Cose.h"
#include "firmware/issuer/TestIssuer.h"
#include "firmware/trust/TrustList.h"
#include "firmware/verify/Hc1Verifier.h"

namespace {

constexpr uint8_t kSignedClaimsMode = 0x01;

struct World {
    sentinel::issuer::TestIssuer issuer = [] {
        sentinel::issuer::IssuerOptions o;
        o.notBefore = *sentinel::parseRfc3339("2020-01-01T00:00:00Z");
        o.notAfter = *sentinel::parseRfc3339("2040-01-01T00:00:00Z");
        return sentinel::issuer::TestIssuer::generate(o);
    }();
    sentinel::trust::TrustList trust =
        sentinel::trust::TrustList::fromCertificates({{issuer.certificateDer(), "XX", std::nullopt}}).value();
};

World& world() {
    static World w;
    return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sentinel;
    auto& w = world();
    verify::OfflineContext ctx;
    ctx.trust = &w.trust;
    ctx.now = *parseRfc3339("2026-11-22T08:00:00Z");
    ctx.subjectKey = "fuzz";
    std::string payload;
    bool signedHere = false;
    if (size > 0 && data[0] == kSignedClaimsMode) {
        const std::span claims(data + 1, size - 1);
        credential::CborWriter prot;
        prot.map(2).integer(credential::kHeaderAlg).integer(w.issuer.alg());
        prot.integer(credential::kHeaderKid).bytes(w.issuer.kid());
        credential::CborWriter cose;
        cose.tag(credential::kTagCoseSign1).array(4).bytes(prot.data()).map(0).bytes(claims);
        cose.bytes(w.issuer.sign(prot.data(), claims));
        payload = issuer::wrapHc1(cose.data());
        signedHere = true;
    } else {
        payload.assign(reinterpret_cast<const char*>(data), size);
    }
    const auto record = verify::verifyHc1(payload, ctx);
    // Oracles: a PASS has every stage true; text the fuzzer wrote cannot carry our signature.
    if (record.decision == Decision::Pass) {
        const auto& s = record.stages;
        if (!(s.prefix == true && s.base45 == true && s.inflate == true && s.cbor == true && s.signature == true &&
              s.keyUsage == true && s.expiry == true && s.policy == true)) {
            std::abort();
        }
        if (!signedHere) std::abort();
    }
    return 0;
}

#include "firmware/verify/Revocation.h"

#include <openssl/evp.h>

#include <algorithm>
#include <span>
#include <string_view>

#include "firmware/verify/RuleCheck.h"

namespace sentinel::verify {
namespace {

struct Entry {
    std::string_view identifier;  // ci
    std::string_view country;     // co
};

std::optional<Entry> primaryEntry(const credential::HealthCertificate& dcc) {
    for (const auto& t : dcc.tests) {
        if (!t.identifier.empty()) return Entry{t.identifier, t.country};
    }
    for (const auto* list : {&dcc.vaccinations, &dcc.recoveries}) {
        for (const auto& e : *list) {
            if (!e.identifier.empty()) return Entry{e.identifier, e.country};
        }
    }
    return std::nullopt;
}

using Digest = std::array<uint8_t, 32>;

Digest sha256(std::initializer_list<std::span<const uint8_t>> parts) {
    Digest d{};
    unsigned int len = 0;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1) {
        for (auto p : parts) EVP_DigestUpdate(ctx, p.data(), p.size());
        EVP_DigestFinal_ex(ctx, d.data(), &len);
    }
    EVP_MD_CTX_free(ctx);
    return d;
}

std::span<const uint8_t> bytesOf(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

trust::RevocationHash truncated(const Digest& d) {
    trust::RevocationHash h{};
    std::copy_n(d.begin(), h.size(), h.begin());
    return h;
}

trust::RevocationHash uciHash(std::string_view ci) { return truncated(sha256({bytesOf(ci)})); }

std::vector<trust::RevocationHash> countryCodeUciHashes(const credential::CwtClaims& claims, const Entry& entry) {
    std::vector<trust::RevocationHash> out;
    if (claims.issuer) out.push_back(truncated(sha256({bytesOf(*claims.issuer), bytesOf(entry.identifier)})));
    if (!entry.country.empty() && (!claims.issuer || *claims.issuer != entry.country)) {
        out.push_back(truncated(sha256({bytesOf(entry.country), bytesOf(entry.identifier)})));
    }
    return out;
}

trust::RevocationHash signatureHash(const credential::CoseSign1& cose) {
    std::span<const uint8_t> sig = cose.signature;
    if (cose.alg == credential::kAlgEs256 && sig.size() >= kEs256RBytes) sig = sig.first(kEs256RBytes);
    return truncated(sha256({sig}));
}

}  // namespace

RevocationHashes revocationHashes(const credential::CoseSign1& cose, const credential::CwtClaims& claims) {
    RevocationHashes h;
    h.signature = signatureHash(cose);
    if (const auto entry = primaryEntry(claims.dcc)) {
        const Digest full = sha256({bytesOf(entry->identifier)});
        h.uci = truncated(full);
        h.drl = base64Of(std::vector<uint8_t>(full.begin(), full.end()));
        h.countryCodeUci = countryCodeUciHashes(claims, *entry);
    }
    return h;
}

std::optional<trust::RevocationHashType> revocationHit(const trust::RevocationIndex& index, const credential::CoseSign1& cose,
                                                       const credential::CwtClaims& claims, UtcTime validationTime) {
    using trust::RevocationHashType;
    const uint8_t types = index.typesFor(cose.kid, validationTime);
    if (types == 0) return std::nullopt;
    auto wanted = [&](RevocationHashType t) { return (types & static_cast<uint8_t>(t)) != 0; };
    auto holds = [&](RevocationHashType t, const trust::RevocationHash& h) { return index.contains(cose.kid, t, h, validationTime); };
    const auto entry = primaryEntry(claims.dcc);
    if (entry && wanted(RevocationHashType::Uci) && holds(RevocationHashType::Uci, uciHash(entry->identifier))) {
        return RevocationHashType::Uci;
    }
    if (entry && wanted(RevocationHashType::CountryCodeUci)) {
        for (const auto& h : countryCodeUciHashes(claims, *entry)) {
            if (holds(RevocationHashType::CountryCodeUci, h)) return RevocationHashType::CountryCodeUci;
        }
    }
    if (wanted(RevocationHashType::Signature) && holds(RevocationHashType::Signature, signatureHash(cose))) {
        return RevocationHashType::Signature;
    }
    return std::nullopt;
}

}  // namespace sentinel::verify

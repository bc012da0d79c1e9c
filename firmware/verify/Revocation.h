#pragma once
// DESIGN §17: the revocation hashes of an HC1 credential and its lookup in the index in force.
// Pure (SHA-256 through OpenSSL, private to this module). The hashes are derived from the
// certificate identifier: they are never logged.
//
//   UCI             SHA-256(UTF-8 ci)[0..16)
//   COUNTRYCODEUCI  SHA-256(country ‖ ci)[0..16) with the CWT `iss`, and again with the entry's `co`
//                   when it is present and differs (one or two values; `co` alone when no `iss`)
//   SIGNATURE       SHA-256(COSE signature)[0..16); ES256: r only (the first 32 bytes), PS256 and
//                   anything else: the whole signature
//   DRL             base64(SHA-256(UTF-8 ci)), the Italian DRL form; its first 16 bytes are UCI
//
// `ci` and `co` are those of the DCC's first entry with a certificate identifier, in the order the
// `subject` hash uses (tests, then vaccinations, then recoveries); a DCC holds one entry.

#include <optional>
#include <string>
#include <vector>

#include "firmware/base/Time.h"
#include "firmware/credential/Cose.h"
#include "firmware/credential/Cwt.h"
#include "firmware/trust/RevocationIndex.h"

namespace sentinel::verify {

// ES256 signatures are r ‖ s (RFC 9053 §2.1); the revocation hash covers r, 32 bytes.
inline constexpr std::size_t kEs256RBytes = 32;

struct RevocationHashes {
    std::optional<trust::RevocationHash> uci;          // nullopt: the DCC has no certificate identifier
    std::vector<trust::RevocationHash> countryCodeUci;  // iss + ci, then co + ci when co differs
    trust::RevocationHash signature{};
    std::string drl;                                    // "" without a certificate identifier
};

RevocationHashes revocationHashes(const credential::CoseSign1& cose, const credential::CwtClaims& claims);

// The first hash type (UCI, COUNTRYCODEUCI, SIGNATURE) of this credential that a list applying to
// its kid holds, unexpired at `validationTime`; nullopt = not revoked. Hashes only the types some
// applicable list holds (none when no list applies).
std::optional<trust::RevocationHashType> revocationHit(const trust::RevocationIndex& index, const credential::CoseSign1& cose,
                                                       const credential::CwtClaims& claims, UtcTime validationTime);

}  // namespace sentinel::verify

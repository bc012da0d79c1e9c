#pragma once
// CWT claims (RFC 8392) with the HCERT claim (-260 → 1): the EU DCC v1 test, vaccination and
// recovery entries. Only the fields the kiosk decides on are kept, and the holder (`nam`, `dob`) for
// §15 holder binding, in zeroised SecretStrings (personal data: never logged, journaled or sent).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "firmware/base/IdentityDocument.h"
#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::credential {

// RFC 8392 §3.1 claim keys and the HCERT claim (EU eHealth Network, HCERT spec §2.6.3).
inline constexpr int64_t kClaimIss = 1;
inline constexpr int64_t kClaimExp = 4;
inline constexpr int64_t kClaimIat = 6;
inline constexpr int64_t kClaimHcert = -260;
inline constexpr int64_t kHcertEuDcc = 1;

struct DccTest {
    std::string type;            // tt, e.g. "LP6464-4" (NAAT), "LP217198-3" (RAT)
    std::string result;          // tr, e.g. "260415000" (not detected)
    std::string sampleTime;      // sc, RFC 3339 as written by the issuer
    std::string identifier;      // ci, the certificate identifier
    std::string country{};       // co, where the test was taken ("" when absent or not text)
};

struct DccEntry {
    std::string identifier;  // ci
    std::string country{};   // co ("" when absent or not text)
};

struct HealthCertificate {
    std::string version;  // ver
    std::vector<DccTest> tests;
    std::vector<DccEntry> vaccinations;
    std::vector<DccEntry> recoveries;
    // nam.fn/fnt/gn/gnt and dob when they are text (absent or of another type: empty; the DCC is
    // decided as before, and holder binding cannot match it).
    CertificateHolder holder;
};

struct CwtClaims {
    std::optional<std::string> issuer;  // iss, a country code
    std::optional<UtcTime> expiresAt;   // exp
    std::optional<UtcTime> issuedAt;    // iat
    HealthCertificate dcc;
    // Set when the DCC content does not have the shape the kiosk needs (t/v/r not arrays of maps,
    // tt/tr/sc not texts): the credential is well-formed CBOR but cannot be decided on → MALFORMED.
    std::optional<std::string> dccError;
};

// Errors (the "cbor" stage fails): not a CBOR map, duplicate claim keys, iss not text, exp/iat
// neither an integer nor a finite float within ±kMaxEpochSeconds, no hcert claim map with key 1
// holding a map.
Result<CwtClaims> parseCwtClaims(std::span<const uint8_t> payload);

}  // namespace sentinel::credential

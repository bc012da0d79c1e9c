#pragma once
// The HC1 text → COSE_Sign1 → CWT claims pipeline (DESIGN §2, §3 stages prefix, base45, inflate,
// cbor) and the HK1 token shape. Pure functions, no I/O, no cryptography.

#include <optional>
#include <string>
#include <string_view>

#include "firmware/base/DecisionRecord.h"
#include "firmware/credential/Cose.h"
#include "firmware/credential/Cwt.h"

namespace sentinel::credential {

inline constexpr std::string_view kHc1Prefix = "HC1:";
inline constexpr std::string_view kHk1Prefix = "HK1:";

struct Hc1Parse {
    // prefix, base45, inflate, cbor as DESIGN §3 defines them; the other stages stay nullopt.
    // A stage after the first failure stays nullopt (not reached).
    Stages stages;
    std::optional<CoseSign1> cose;   // set when the cbor stage passed
    std::optional<CwtClaims> claims; // set when the cbor stage passed
    std::string error;               // the first failure, for logs (never holds payload bytes)

    bool ok() const { return stages.cbor == true; }
};

// `HC1:` exactly, strict Base45, zlib inflate within kMaxInflatedBytes, COSE_Sign1 whose payload
// is a CWT carrying the hcert claim.
Hc1Parse parseHc1(std::string_view text);

// `HK1:` followed by 16–128 base64url characters (A–Z a–z 0–9 - _), nothing else.
bool isHk1Token(std::string_view text);

}  // namespace sentinel::credential

#pragma once
// COSE_Sign1 (RFC 9052 §4.2) as HCERT uses it. Pure, no I/O, no cryptography: the signature is
// checked in firmware/verify.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::credential {

// RFC 9053 / IANA COSE registries.
inline constexpr uint64_t kTagCoseSign1 = 18;
inline constexpr uint64_t kTagCwt = 61;
inline constexpr int64_t kHeaderAlg = 1;
inline constexpr int64_t kHeaderKid = 4;
inline constexpr int64_t kAlgEs256 = -7;
inline constexpr int64_t kAlgPs256 = -37;

enum class KidSource { None, Protected, Unprotected };

struct CoseSign1 {
    std::vector<uint8_t> protectedBytes;  // the protected header bstr exactly as received
    std::optional<int64_t> alg;           // from the protected header only; nullopt when absent there
    bool algOnlyUnprotected = false;      // an alg sits in the unprotected header but not the protected one
    std::vector<uint8_t> kid;             // protected kid, else the unprotected one
    KidSource kidSource = KidSource::None;
    std::vector<uint8_t> payload;
    std::vector<uint8_t> signature;
};

// Accepts tag 18, tag 61 wrapping tag 18, or no tag (tag 61 alone is an error). Errors: not a 4-element array, a protected
// header that is not an empty bstr or a bstr holding a map, an unprotected header that is not a map,
// duplicate header labels, a non-integer alg or non-bstr kid, a payload or signature that is not a
// bstr (detached payloads are not HCERT).
Result<CoseSign1> parseCoseSign1(std::span<const uint8_t> bytes);

// Sig_structure = ["Signature1", protected, external_aad = h'', payload] (RFC 9052 §4.4), built
// from the protected bytes as received.
std::vector<uint8_t> sigStructure(std::span<const uint8_t> protectedBytes, std::span<const uint8_t> payload);

}  // namespace sentinel::credential

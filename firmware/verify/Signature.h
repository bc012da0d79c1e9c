#pragma once
// COSE_Sign1 signature check against one certificate (OpenSSL EVP, private to this module).

#include <cstdint>
#include <span>
#include <string>

#include "firmware/credential/Cose.h"

namespace sentinel::verify {

// RFC 9053 §2.1 / FIPS 186-4: ES256 = ECDSA P-256 with SHA-256, signature raw r‖s, 32 bytes each.
inline constexpr size_t kEs256SignatureBytes = 64;
// RFC 8230 §2 / HCERT §3.3.2: PS256 = RSASSA-PSS, SHA-256, MGF1 SHA-256, salt = hash length.
inline constexpr int kPs256SaltBytes = 32;
// RSA moduli accepted for PS256: HCERT uses 2048 and 3072 bits; 4096 is allowed, smaller is not.
inline constexpr int kMinRsaBits = 2048;
inline constexpr int kMaxRsaBits = 4096;

enum class SignatureCheck {
    Valid,
    Invalid,               // the signature does not verify (or is malformed: length, r/s range)
    UnsupportedAlgorithm,  // no alg in the protected header, or one other than ES256/PS256
    KeyMismatch,           // the certificate's key cannot do the protected alg (or is not parseable)
};

// Verifies `cose` with the public key of the DER certificate. The Sig_structure is built from the
// protected bytes exactly as received; `alg` comes from the protected header only.
SignatureCheck verifyCoseSignature(const credential::CoseSign1& cose, std::span<const uint8_t> certificateDer);

}  // namespace sentinel::verify

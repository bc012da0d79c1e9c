#pragma once
// The DSC trust list: the document-signer certificates the kiosk accepts HC1 signatures from,
// indexed by kid (DESIGN §2: first 8 bytes of SHA-256 over the DER). Loading reads files; lookups
// are pure. OpenSSL stays private to this module.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::trust {

// HCERT spec §3.3.1: the kid is the first 8 bytes of SHA-256 over the DSC DER.
inline constexpr size_t kKidBytes = 8;

struct TrustedCertificate {
    std::vector<uint8_t> kid;             // from the trust-list file, else computed from the DER
    std::string country;                  // from the trust-list file, else the subject's C=, else ""
    std::vector<uint8_t> der;
    std::optional<UtcTime> notBefore;
    std::optional<UtcTime> notAfter;
    std::vector<std::string> extendedKeyUsages;  // dotted OIDs, empty when the extension is absent
};

struct CertificateInput {
    std::vector<uint8_t> der;
    std::string country;                     // may be empty
    std::optional<std::vector<uint8_t>> kid; // nullopt: computed from the DER
};

class TrustList {
public:
    TrustList() = default;

    // `path` is one of: a PEM file (one or more certificates), a DER file, a file holding base64
    // DER, a JSON trust list `{"certificates":[{"kid":"<b64>","country":"AT","der":"<b64>"}],
    // "issued_at":"<RFC 3339>"}` (kid and country optional; issued_at optional), or a directory of
    // such files (non-recursive; files named *.pem *.crt *.cer *.der *.b64 *.json; others ignored).
    // Errors name the file: unreadable, not a certificate, bad JSON, no certificate at all.
    static Result<TrustList> load(const std::filesystem::path& path);

    // From memory. Errors: a DER that is not one X.509 certificate.
    static Result<TrustList> fromCertificates(std::vector<CertificateInput> certificates,
                                              std::optional<UtcTime> issuedAt = std::nullopt);

    // Every certificate whose kid equals `kid` (possibly several: kids collide).
    std::vector<const TrustedCertificate*> findByKid(std::span<const uint8_t> kid) const;

    size_t size() const { return certificates_.size(); }
    const std::vector<TrustedCertificate>& certificates() const { return certificates_; }

    // When the list was issued: the JSON `issued_at`, else the newest modification time of the
    // files loaded, else what fromCertificates was given. Feeds TRUST_LIST_STALE.
    std::optional<UtcTime> issuedAt() const { return issuedAt_; }

    // kid of a DER certificate: first kKidBytes of SHA-256(DER).
    static std::vector<uint8_t> kidOf(std::span<const uint8_t> der);

private:
    std::vector<TrustedCertificate> certificates_;
    std::optional<UtcTime> issuedAt_;
};

// Splits certificate file contents (PEM, DER or base64 DER; not JSON) into DER blobs.
Result<std::vector<std::vector<uint8_t>>> parseCertificateFile(std::span<const uint8_t> contents);

}  // namespace sentinel::trust

#pragma once
// DEMO / TEST ONLY: a self-contained HC1 issuer (its own key and self-signed DSC) for `sentinel demo`,
// test cards, the camera simulator and tests. Its certificate must never be put in a production
// trust path: its subject says so (O = "Sentinel TEST issuer - NOT FOR PRODUCTION").

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "firmware/base/DecisionRecord.h"
#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::issuer {

// HCERT §3.3.3 key usage OIDs.
inline constexpr const char* kOidKeyUsageTest = "1.3.6.1.4.1.1847.2021.1.1";
inline constexpr const char* kOidKeyUsageVaccination = "1.3.6.1.4.1.1847.2021.1.2";
inline constexpr const char* kOidKeyUsageRecovery = "1.3.6.1.4.1.1847.2021.1.3";

enum class KeyType { P256, Rsa2048, Rsa3072 };  // P256 signs ES256, RSA signs PS256

struct IssuerOptions {
    std::string country = "XX";
    KeyType keyType = KeyType::P256;
    // Default: test, vaccination and recovery (so the demo's vaccination-only credential reaches the
    // policy and gets NO_TEST_RESULT). Empty: no EKU extension (= any type).
    std::vector<std::string> extendedKeyUsages{kOidKeyUsageTest, kOidKeyUsageVaccination, kOidKeyUsageRecovery};
    std::optional<UtcTime> notBefore;  // default: now − 30 days
    std::optional<UtcTime> notAfter;   // default: now + 5 years
};

enum class KidPlacement { Protected, Unprotected, None };

struct TestSpec {
    TestType type = TestType::Naat;
    UtcTime sampleTime;
    bool positive = false;
};

// The DCC holder (`nam`, `dob`): fictional, EU DCC specimen style by default.
struct HolderSpec {
    std::string familyName = "Musterfrau-Gößinger";           // fn
    std::string familyNameStandard = "MUSTERFRAU<GOESSINGER";  // fnt
    std::string givenName = "Gabriele";                        // gn
    std::string givenNameStandard = "GABRIELE";                // gnt
    std::string birthDate = "1998-02-26";                      // dob
};

struct Hc1Spec {
    std::vector<TestSpec> tests;       // `t` entries
    bool vaccinationOnly = false;      // a `v` entry instead of tests (tests are then ignored)
    UtcTime issuedAt;                  // iat
    UtcTime expiresAt;                 // exp
    std::string certificateIdentifier = "URN:UVCI:01:XX:SENTINELDEMO0000000000001#X";
    std::optional<std::string> entryCountry;  // the entry's `co`; default: the issuer's country (= iss)
    bool tamperSignature = false;      // flip one bit of the signature after signing
    KidPlacement kidPlacement = KidPlacement::Protected;
    HolderSpec holder;                 // §15 holder binding compares it with a passport
};

// One NAAT/RAT test, iat = now − 1 min, exp = now + 14 days.
Hc1Spec testCredential(TestType type, UtcTime sampleTime, bool positive, UtcTime now);

class TestIssuer {
public:
    // Fresh key and self-signed DSC. Never fails for the built-in key types (aborts on an OpenSSL
    // allocation failure, which is a bug or an out-of-memory, not an input).
    static TestIssuer generate(std::string country = "XX");
    static TestIssuer generate(const IssuerOptions& options);

    // `dir/test-issuer-key.pem` (PKCS#8, written 0600) and `dir/test-issuer-cert.pem`.
    static Result<TestIssuer> load(const std::filesystem::path& dir);
    Status save(const std::filesystem::path& dir) const;

    std::string certificatePem() const;
    std::vector<uint8_t> certificateDer() const { return certificateDer_; }
    std::vector<uint8_t> kid() const;  // first 8 bytes of SHA-256(DER)
    int64_t alg() const;               // COSE alg: ES256 (-7) or PS256 (-37)
    const std::string& country() const { return country_; }

    // The full "HC1:…" text of a signed credential.
    std::string issue(const Hc1Spec& spec) const;

    // Building blocks for hostile-input tests.
    std::vector<uint8_t> claims(const Hc1Spec& spec) const;  // CWT claims CBOR
    // COSE signature over Sig_structure(protectedBytes, payload): raw r‖s (ES256) or PSS (PS256).
    std::vector<uint8_t> sign(std::span<const uint8_t> protectedBytes, std::span<const uint8_t> payload) const;

    struct Key;  // OpenSSL key, private to the .cpp

private:
    std::shared_ptr<const Key> key_;
    std::vector<uint8_t> certificateDer_;
    std::string country_;
};

// "HC1:" + Base45(zlib(coseBytes)).
std::string wrapHc1(std::span<const uint8_t> coseBytes);

}  // namespace sentinel::issuer

#include "tests/hcsim/TestPki.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <memory>

namespace sentinel::hcsim {
namespace {

constexpr long kBackdateS = 3600;  // tolerate a client clock an hour behind the generator's
constexpr int kSerialBytes = 16;   // RFC 5280 §4.1.2.2: up to 20 octets, positive

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

KeyPtr newKey() { return KeyPtr(EVP_EC_gen("P-256"), EVP_PKEY_free); }

std::string bioText(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string{};
}

bool addExt(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
    if (ext == nullptr) return false;
    bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

bool setRandomSerial(X509* cert) {
    unsigned char raw[kSerialBytes];
    if (RAND_bytes(raw, sizeof raw) != 1) return false;
    raw[0] &= 0x7f;  // positive
    raw[0] |= 0x01;  // and not shortened to fewer octets
    BIGNUM* bn = BN_bin2bn(raw, sizeof raw, nullptr);
    bool ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nullptr;
    BN_free(bn);
    return ok;
}

enum class Kind { Ca, Server };

// issuer == nullptr: self-signed.
CertPtr makeCert(EVP_PKEY* key, const std::string& commonName, X509* issuer, EVP_PKEY* issuerKey,
                 const std::string& subjectAltNames, std::chrono::hours validity, Kind kind) {
    CertPtr cert(X509_new(), X509_free);
    if (!cert) return cert;
    X509* x = cert.get();
    const long validityS = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(validity).count());
    bool ok = X509_set_version(x, 2) == 1 && setRandomSerial(x) &&
              X509_gmtime_adj(X509_getm_notBefore(x), -kBackdateS) != nullptr &&
              X509_gmtime_adj(X509_getm_notAfter(x), validityS) != nullptr && X509_set_pubkey(x, key) == 1;
    X509_NAME* name = X509_get_subject_name(x);
    ok = ok &&
         X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                    reinterpret_cast<const unsigned char*>("Sentinel test PKI (not for production)"),
                                    -1, -1, 0) == 1 &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    reinterpret_cast<const unsigned char*>(commonName.c_str()), -1, -1, 0) == 1;
    ok = ok && X509_set_issuer_name(x, issuer != nullptr ? X509_get_subject_name(issuer) : name) == 1;
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : x, x, nullptr, nullptr, 0);
    if (kind == Kind::Ca) {
        ok = ok && addExt(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
             addExt(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") &&
             addExt(x, &ctx, NID_subject_key_identifier, "hash");
    } else {
        ok = ok && addExt(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
             addExt(x, &ctx, NID_key_usage, "critical,digitalSignature") &&
             addExt(x, &ctx, NID_ext_key_usage, "serverAuth") &&
             addExt(x, &ctx, NID_subject_key_identifier, "hash") &&
             addExt(x, &ctx, NID_authority_key_identifier, "keyid:always") &&
             addExt(x, &ctx, NID_subject_alt_name, subjectAltNames);
    }
    ok = ok && X509_sign(x, issuerKey != nullptr ? issuerKey : key, EVP_sha256()) > 0;
    if (!ok) cert.reset();
    return cert;
}

std::string certPem(X509* cert) {
    BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_X509(bio.get(), cert);
    return bioText(bio.get());
}

std::string keyPem(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    return bioText(bio.get());
}

Result<std::string> pinOfKey(EVP_PKEY* key) {
    unsigned char* der = nullptr;
    int n = i2d_PUBKEY(key, &der);
    if (n <= 0) return makeError("cannot encode the public key");
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(der, static_cast<size_t>(n), digest);
    OPENSSL_free(der);
    unsigned char b64[4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1];
    EVP_EncodeBlock(b64, digest, SHA256_DIGEST_LENGTH);
    return "sha256//" + std::string(reinterpret_cast<char*>(b64));
}

Status writeFile(const std::filesystem::path& p, const std::string& text, bool secret) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    if (!out) return makeError("cannot write " + p.string());
    out << text;
    out.close();
    if (!out) return makeError("cannot write " + p.string());
    std::error_code ec;
    if (secret) {
        std::filesystem::permissions(p, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                     std::filesystem::perm_options::replace, ec);
    }
    return Ok{};
}

}  // namespace

Result<TestPki> generateTestPki(const std::vector<std::string>& extraDnsNames, std::chrono::hours validity) {
    std::string sans = "IP:127.0.0.1,IP:::1,DNS:localhost";
    for (const auto& n : extraDnsNames) sans += ",DNS:" + n;
    KeyPtr caKey = newKey(), serverKey = newKey(), backupKey = newKey();
    if (!caKey || !serverKey || !backupKey) return makeError("cannot generate P-256 keys");
    CertPtr ca = makeCert(caKey.get(), "Sentinel test CA", nullptr, nullptr, {}, validity, Kind::Ca);
    if (!ca) return makeError("cannot make the test CA certificate");
    CertPtr server = makeCert(serverKey.get(), "sentinel-hcsim", ca.get(), caKey.get(), sans, validity, Kind::Server);
    CertPtr backup =
        makeCert(backupKey.get(), "sentinel-hcsim (backup key)", ca.get(), caKey.get(), sans, validity, Kind::Server);
    if (!server || !backup) return makeError("cannot make the server certificates");
    auto pin = pinOfKey(serverKey.get());
    auto backupPin = pinOfKey(backupKey.get());
    if (!pin || !backupPin) return makeError("cannot compute the pins");
    TestPki pki;
    pki.caCertPem = certPem(ca.get());
    pki.serverCertPem = certPem(server.get());
    pki.serverKeyPem = keyPem(serverKey.get());
    pki.serverPin = *pin;
    pki.backupCertPem = certPem(backup.get());
    pki.backupKeyPem = keyPem(backupKey.get());
    pki.backupPin = *backupPin;
    return pki;
}

Result<TestPki> generateSelfSignedPki(std::chrono::hours validity) {
    KeyPtr key = newKey();
    if (!key) return makeError("cannot generate a P-256 key");
    CertPtr cert = makeCert(key.get(), "sentinel-hcsim (self-signed)", nullptr, nullptr,
                            "IP:127.0.0.1,IP:::1,DNS:localhost", validity, Kind::Server);
    if (!cert) return makeError("cannot make the self-signed certificate");
    auto pin = pinOfKey(key.get());
    if (!pin) return pin.error();
    TestPki pki;
    pki.serverCertPem = certPem(cert.get());
    pki.caCertPem = pki.serverCertPem;  // the certificate is its own trust anchor
    pki.serverKeyPem = keyPem(key.get());
    pki.serverPin = *pin;
    return pki;
}

Result<std::string> pinOfCertificate(const std::string& pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
    if (!cert) return makeError("not a PEM certificate");
    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    if (key == nullptr) return makeError("certificate without a public key");
    return pinOfKey(key);
}

Status writePki(const TestPki& pki, const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return makeError("cannot create " + dir.string() + ": " + ec.message());
    for (auto [name, text, secret] : {std::tuple{"ca.pem", &pki.caCertPem, false},
                                      std::tuple{"server.pem", &pki.serverCertPem, false},
                                      std::tuple{"server.key", &pki.serverKeyPem, true},
                                      std::tuple{"backup.pem", &pki.backupCertPem, false},
                                      std::tuple{"backup.key", &pki.backupKeyPem, true}}) {
        if (text->empty()) continue;
        auto st = writeFile(dir / name, *text, secret);
        if (!st) return st;
    }
    return writeFile(dir / "pins.txt", pki.serverPin + "\n" + pki.backupPin + "\n", false);
}

}  // namespace sentinel::hcsim

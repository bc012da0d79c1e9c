#include "firmware/issuer/TestIssuer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "firmware/credential/Base45.h"
#include "firmware/credential/Cbor.h"
#include "firmware/credential/Cose.h"
#include "firmware/credential/Cwt.h"
#include "firmware/credential/Zlib.h"

namespace sentinel::issuer {

struct TestIssuer::Key {
    EVP_PKEY* pkey = nullptr;
    ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

constexpr const char* kKeyFile = "test-issuer-key.pem";
constexpr const char* kCertFile = "test-issuer-cert.pem";
constexpr const char* kOrganisation = "Sentinel TEST issuer - NOT FOR PRODUCTION";
constexpr const char* kCommonName = "Sentinel demo DSC";
constexpr size_t kKidBytes = 8;            // HCERT §3.3.1
constexpr size_t kP256ScalarBytes = 32;    // ES256 raw r‖s halves
constexpr int kPs256SaltBytes = 32;        // HCERT §3.3.2
constexpr int kSerialBytes = 16;
constexpr int kRsa2048Bits = 2048, kRsa3072Bits = 3072;
constexpr auto kDefaultBackdate = std::chrono::days{30};
constexpr auto kDefaultLifetime = std::chrono::days{5 * 365};
constexpr auto kCredentialBackdate = std::chrono::minutes{1};
constexpr auto kCredentialLifetime = std::chrono::days{14};
constexpr mode_t kKeyFileMode = 0600;

// DCC value sets (ehn-dcc-valuesets): disease COVID-19, test types, results, a vaccine.
constexpr const char* kTargetCovid = "840539006";
constexpr const char* kLoincNaat = "LP6464-4";
constexpr const char* kLoincRat = "LP217198-3";
constexpr const char* kLoincOther = "LP0000-0";  // deliberately outside the value set
constexpr const char* kSnomedNotDetected = "260415000";
constexpr const char* kSnomedDetected = "260373001";

[[noreturn]] void fatal(const char* what) {
    // Only reachable on OpenSSL allocation failure for fixed, valid parameters.
    std::fprintf(stderr, "TestIssuer: OpenSSL failure: %s\n", what);
    std::abort();
}

struct Free {
    void operator()(X509* p) const { X509_free(p); }
    void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
    void operator()(BIO* p) const { BIO_free(p); }
    void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
    void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

std::string bioText(BIO* bio) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string{};
}

std::vector<uint8_t> derOf(X509* cert) {
    unsigned char* der = nullptr;
    const int len = i2d_X509(cert, &der);
    if (len <= 0) fatal("i2d_X509");
    std::vector<uint8_t> out(der, der + len);
    OPENSSL_free(der);
    return out;
}

std::string subjectCountry(X509* x) {
    X509_NAME* name = X509_get_subject_name(x);
    const int idx = X509_NAME_get_index_by_NID(name, NID_countryName, -1);
    if (idx < 0) return "XX";
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<size_t>(ASN1_STRING_length(s)));
}

long long epochSeconds(UtcTime t) { return toEpochSeconds(t); }

void selfSign(X509* cert, EVP_PKEY* key, const IssuerOptions& o) {
    X509_set_version(cert, 2);
    std::array<unsigned char, kSerialBytes> serial{};
    RAND_bytes(serial.data(), static_cast<int>(serial.size()));
    serial[0] &= 0x7F;  // positive INTEGER
    BIGNUM* bn = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
    BN_free(bn);
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const UtcTime notBefore = o.notBefore.value_or(now - kDefaultBackdate);
    const UtcTime notAfter = o.notAfter.value_or(now + kDefaultLifetime);
    ASN1_TIME_set(X509_getm_notBefore(cert), static_cast<time_t>(epochSeconds(notBefore)));
    ASN1_TIME_set(X509_getm_notAfter(cert), static_cast<time_t>(epochSeconds(notAfter)));
    X509_NAME* name = X509_get_subject_name(cert);
    const std::string country = o.country.size() == 2 ? o.country : "XX";
    X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(country.c_str()), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(kOrganisation), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(kCommonName), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_set_pubkey(cert, key);
    if (!o.extendedKeyUsages.empty()) {
        std::string value;
        for (const auto& oid : o.extendedKeyUsages) value += (value.empty() ? "" : ",") + oid;
        Ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, nullptr, NID_ext_key_usage, value.c_str()));
        if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) fatal("extended key usage");
    }
    if (X509_sign(cert, key, EVP_sha256()) <= 0) fatal("X509_sign");
}

}  // namespace

Hc1Spec testCredential(TestType type, UtcTime sampleTime, bool positive, UtcTime now) {
    Hc1Spec spec;
    spec.tests.push_back({type, sampleTime, positive});
    spec.issuedAt = now - kCredentialBackdate;
    spec.expiresAt = now + kCredentialLifetime;
    return spec;
}

TestIssuer TestIssuer::generate(std::string country) {
    IssuerOptions o;
    o.country = std::move(country);
    return generate(o);
}

TestIssuer TestIssuer::generate(const IssuerOptions& options) {
    auto key = std::make_shared<Key>();
    switch (options.keyType) {
        case KeyType::P256: key->pkey = EVP_EC_gen("P-256"); break;
        case KeyType::Rsa2048: key->pkey = EVP_RSA_gen(kRsa2048Bits); break;
        case KeyType::Rsa3072: key->pkey = EVP_RSA_gen(kRsa3072Bits); break;
    }
    if (key->pkey == nullptr) fatal("key generation");
    Ptr<X509> cert(X509_new());
    if (!cert) fatal("X509_new");
    selfSign(cert.get(), key->pkey, options);
    TestIssuer issuer;
    issuer.key_ = std::move(key);
    issuer.certificateDer_ = derOf(cert.get());
    issuer.country_ = subjectCountry(cert.get());
    return issuer;
}

Result<TestIssuer> TestIssuer::load(const std::filesystem::path& dir) {
    auto readAll = [](const std::filesystem::path& p) -> std::optional<std::string> {
        std::ifstream in(p, std::ios::binary);
        if (!in) return std::nullopt;
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    const auto keyText = readAll(dir / kKeyFile);
    const auto certText = readAll(dir / kCertFile);
    if (!keyText) return makeError((dir / kKeyFile).string() + ": cannot read");
    if (!certText) return makeError((dir / kCertFile).string() + ": cannot read");
    Ptr<BIO> keyBio(BIO_new_mem_buf(keyText->data(), static_cast<int>(keyText->size())));
    Ptr<BIO> certBio(BIO_new_mem_buf(certText->data(), static_cast<int>(certText->size())));
    auto key = std::make_shared<Key>();
    key->pkey = PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr);
    Ptr<X509> cert(PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (key->pkey == nullptr) return makeError((dir / kKeyFile).string() + ": not a PEM private key");
    if (!cert) return makeError((dir / kCertFile).string() + ": not a PEM certificate");
    if (X509_check_private_key(cert.get(), key->pkey) != 1) {
        ERR_clear_error();
        return makeError(dir.string() + ": key and certificate do not match");
    }
    const int type = EVP_PKEY_get_base_id(key->pkey);
    if (type != EVP_PKEY_EC && type != EVP_PKEY_RSA) return makeError((dir / kKeyFile).string() + ": unsupported key type");
    TestIssuer issuer;
    issuer.key_ = std::move(key);
    issuer.certificateDer_ = derOf(cert.get());
    issuer.country_ = subjectCountry(cert.get());
    return issuer;
}

Status TestIssuer::save(const std::filesystem::path& dir) const {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return makeError(dir.string() + ": " + ec.message());
    Ptr<BIO> bio(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_PrivateKey(bio.get(), key_->pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        return makeError("cannot encode the private key");
    }
    const std::string keyPem = bioText(bio.get());
    const auto keyPath = dir / kKeyFile;
    const int fd = ::open(keyPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, kKeyFileMode);
    if (fd < 0) return makeError(keyPath.string() + ": cannot create");
    bool ok = ::fchmod(fd, kKeyFileMode) == 0;
    ok = ok && ::write(fd, keyPem.data(), keyPem.size()) == static_cast<ssize_t>(keyPem.size());
    ok = (::close(fd) == 0) && ok;
    if (!ok) return makeError(keyPath.string() + ": cannot write");
    std::ofstream cert(dir / kCertFile, std::ios::binary | std::ios::trunc);
    cert << certificatePem();
    if (!cert) return makeError((dir / kCertFile).string() + ": cannot write");
    return Ok{};
}

std::string TestIssuer::certificatePem() const {
    const unsigned char* p = certificateDer_.data();
    Ptr<X509> cert(d2i_X509(nullptr, &p, static_cast<long>(certificateDer_.size())));
    Ptr<BIO> bio(BIO_new(BIO_s_mem()));
    if (!cert || !bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) fatal("PEM_write_bio_X509");
    return bioText(bio.get());
}

std::vector<uint8_t> TestIssuer::kid() const {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int len = 0;
    EVP_Digest(certificateDer_.data(), certificateDer_.size(), digest.data(), &len, EVP_sha256(), nullptr);
    return {digest.begin(), digest.begin() + kKidBytes};
}

int64_t TestIssuer::alg() const {
    return EVP_PKEY_get_base_id(key_->pkey) == EVP_PKEY_EC ? credential::kAlgEs256 : credential::kAlgPs256;
}

std::vector<uint8_t> TestIssuer::sign(std::span<const uint8_t> protectedBytes, std::span<const uint8_t> payload) const {
    const auto tbs = credential::sigStructure(protectedBytes, payload);
    Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key_->pkey) != 1) fatal("DigestSignInit");
    const bool ec = alg() == credential::kAlgEs256;
    if (!ec && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1 ||
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, kPs256SaltBytes) != 1)) {
        fatal("PSS parameters");
    }
    size_t len = 0;
    if (EVP_DigestSign(ctx.get(), nullptr, &len, tbs.data(), tbs.size()) != 1) fatal("DigestSign size");
    std::vector<uint8_t> sig(len);
    if (EVP_DigestSign(ctx.get(), sig.data(), &len, tbs.data(), tbs.size()) != 1) fatal("DigestSign");
    sig.resize(len);
    if (!ec) return sig;
    // DER ECDSA-Sig-Value → raw r‖s (RFC 9053 §2.1).
    const unsigned char* p = sig.data();
    Ptr<ECDSA_SIG> es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
    if (!es) fatal("d2i_ECDSA_SIG");
    std::vector<uint8_t> raw(2 * kP256ScalarBytes);
    BN_bn2binpad(ECDSA_SIG_get0_r(es.get()), raw.data(), static_cast<int>(kP256ScalarBytes));
    BN_bn2binpad(ECDSA_SIG_get0_s(es.get()), raw.data() + kP256ScalarBytes, static_cast<int>(kP256ScalarBytes));
    return raw;
}

std::vector<uint8_t> TestIssuer::claims(const Hc1Spec& spec) const {
    using credential::CborWriter;
    const bool vaccination = spec.vaccinationOnly || spec.tests.empty();
    CborWriter dcc;
    dcc.map(4);
    dcc.text("ver").text("1.3.0");
    // Fictional holder; the kiosk reads it only for §15 holder binding.
    const HolderSpec& h = spec.holder;
    dcc.text("nam").map(4).text("fn").text(h.familyName).text("fnt").text(h.familyNameStandard);
    dcc.text("gn").text(h.givenName).text("gnt").text(h.givenNameStandard);
    dcc.text("dob").text(h.birthDate);
    if (vaccination) {
        dcc.text("v").array(1).map(10);
        dcc.text("tg").text(kTargetCovid).text("vp").text("1119349007").text("mp").text("EU/1/20/1528");
        dcc.text("ma").text("ORG-100030215").text("dn").unsignedInt(2).text("sd").unsignedInt(2);
        dcc.text("dt").text("2026-06-01").text("co").text(spec.entryCountry.value_or(country_)).text("is").text(kOrganisation);
        dcc.text("ci").text(spec.certificateIdentifier);
    } else {
        dcc.text("t").array(spec.tests.size());
        for (const auto& t : spec.tests) {
            const bool rat = t.type == TestType::Rat;
            dcc.map(9);
            dcc.text("tg").text(kTargetCovid);
            dcc.text("tt").text(t.type == TestType::Naat ? kLoincNaat : rat ? kLoincRat : kLoincOther);
            if (rat) {
                dcc.text("ma").text("1232");
            } else {
                dcc.text("nm").text("Roche LightCycler qPCR testing");
            }
            dcc.text("sc").text(formatRfc3339(t.sampleTime));
            dcc.text("tr").text(t.positive ? kSnomedDetected : kSnomedNotDetected);
            dcc.text("tc").text("Testzentrum Beispielstadt Hauptbahnhof");
            dcc.text("co").text(spec.entryCountry.value_or(country_));
            dcc.text("is").text(kOrganisation);
            dcc.text("ci").text(spec.certificateIdentifier);
        }
    }
    CborWriter w;
    w.map(4);
    w.integer(credential::kClaimIss).text(country_);
    w.integer(credential::kClaimExp).integer(toEpochSeconds(spec.expiresAt));
    w.integer(credential::kClaimIat).integer(toEpochSeconds(spec.issuedAt));
    w.integer(credential::kClaimHcert).map(1).integer(credential::kHcertEuDcc).raw(dcc.data());
    return w.take();
}

std::string TestIssuer::issue(const Hc1Spec& spec) const {
    using credential::CborWriter;
    const auto kidBytes = kid();
    CborWriter prot;
    prot.map(spec.kidPlacement == KidPlacement::Protected ? 2 : 1).integer(credential::kHeaderAlg).integer(alg());
    if (spec.kidPlacement == KidPlacement::Protected) prot.integer(credential::kHeaderKid).bytes(kidBytes);
    const auto payload = claims(spec);
    auto signature = sign(prot.data(), payload);
    if (spec.tamperSignature) signature[signature.size() / 2] ^= 0x01;
    CborWriter cose;
    cose.tag(credential::kTagCoseSign1).array(4).bytes(prot.data());
    if (spec.kidPlacement == KidPlacement::Unprotected) {
        cose.map(1).integer(credential::kHeaderKid).bytes(kidBytes);
    } else {
        cose.map(0);
    }
    cose.bytes(payload).bytes(signature);
    return wrapHc1(cose.data());
}

std::string wrapHc1(std::span<const uint8_t> coseBytes) {
    return "HC1:" + credential::base45Encode(credential::deflateZlib(coseBytes));
}

}  // namespace sentinel::issuer

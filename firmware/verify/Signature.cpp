#include "firmware/verify/Signature.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

namespace sentinel::verify {
namespace {

constexpr size_t kP256ScalarBytes = 32;
// SEC 2 §2.4.2: the order n of the P-256 base point, big-endian.
constexpr std::array<uint8_t, kP256ScalarBytes> kP256Order{
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};
constexpr const char* kP256GroupName = "prime256v1";
constexpr size_t kGroupNameBytes = 64;

struct Free {
    void operator()(X509* p) const { X509_free(p); }
    void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
    void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

// 1 ≤ v ≤ n − 1 for a big-endian 32-byte scalar.
bool inScalarRange(std::span<const uint8_t> v) {
    const bool zero = std::all_of(v.begin(), v.end(), [](uint8_t b) { return b == 0; });
    return !zero && std::memcmp(v.data(), kP256Order.data(), kP256ScalarBytes) < 0;
}

bool isP256(EVP_PKEY* key) {
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return false;
    std::array<char, kGroupNameBytes> name{};
    size_t len = 0;
    if (EVP_PKEY_get_group_name(key, name.data(), name.size(), &len) != 1) return false;
    return std::string_view(name.data(), len) == kP256GroupName;
}

// raw r‖s → DER ECDSA-Sig-Value, empty when out of range.
std::vector<uint8_t> es256ToDer(std::span<const uint8_t> raw) {
    const auto r = raw.first(kP256ScalarBytes);
    const auto s = raw.subspan(kP256ScalarBytes);
    if (!inScalarRange(r) || !inScalarRange(s)) return {};
    Ptr<ECDSA_SIG> sig(ECDSA_SIG_new());
    BIGNUM* br = BN_bin2bn(r.data(), static_cast<int>(r.size()), nullptr);
    BIGNUM* bs = BN_bin2bn(s.data(), static_cast<int>(s.size()), nullptr);
    if (!sig || !br || !bs || ECDSA_SIG_set0(sig.get(), br, bs) != 1) {
        BN_free(br);
        BN_free(bs);
        return {};
    }
    unsigned char* der = nullptr;
    const int len = i2d_ECDSA_SIG(sig.get(), &der);
    if (len <= 0) return {};
    std::vector<uint8_t> out(der, der + len);
    OPENSSL_free(der);
    return out;
}

}  // namespace

SignatureCheck verifyCoseSignature(const credential::CoseSign1& cose, std::span<const uint8_t> certificateDer) {
    // Failed verifications leave entries on OpenSSL's thread-local error queue; drop them.
    struct ClearErrors {
        ~ClearErrors() { ERR_clear_error(); }
    } clearErrors;
    if (!cose.alg || (*cose.alg != credential::kAlgEs256 && *cose.alg != credential::kAlgPs256)) {
        return SignatureCheck::UnsupportedAlgorithm;
    }
    const unsigned char* p = certificateDer.data();
    Ptr<X509> cert(d2i_X509(nullptr, &p, static_cast<long>(certificateDer.size())));
    if (!cert) return SignatureCheck::KeyMismatch;
    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    if (key == nullptr) return SignatureCheck::KeyMismatch;

    const auto tbs = credential::sigStructure(cose.protectedBytes, cose.payload);
    Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    if (!ctx) return SignatureCheck::Invalid;
    EVP_PKEY_CTX* pctx = nullptr;

    if (*cose.alg == credential::kAlgEs256) {
        if (!isP256(key)) return SignatureCheck::KeyMismatch;
        if (cose.signature.size() != kEs256SignatureBytes) return SignatureCheck::Invalid;
        const auto der = es256ToDer(cose.signature);
        if (der.empty()) return SignatureCheck::Invalid;
        if (EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) != 1) return SignatureCheck::Invalid;
        return EVP_DigestVerify(ctx.get(), der.data(), der.size(), tbs.data(), tbs.size()) == 1 ? SignatureCheck::Valid
                                                                                              : SignatureCheck::Invalid;
    }
    const int type = EVP_PKEY_get_base_id(key);
    if (type != EVP_PKEY_RSA && type != EVP_PKEY_RSA_PSS) return SignatureCheck::KeyMismatch;
    const int bits = EVP_PKEY_get_bits(key);
    if (bits < kMinRsaBits || bits > kMaxRsaBits) return SignatureCheck::KeyMismatch;
    if (cose.signature.size() != static_cast<size_t>(EVP_PKEY_get_size(key))) return SignatureCheck::Invalid;
    if (EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, kPs256SaltBytes) != 1) {
        return SignatureCheck::Invalid;
    }
    return EVP_DigestVerify(ctx.get(), cose.signature.data(), cose.signature.size(), tbs.data(), tbs.size()) == 1
               ? SignatureCheck::Valid
               : SignatureCheck::Invalid;
}

}  // namespace sentinel::verify

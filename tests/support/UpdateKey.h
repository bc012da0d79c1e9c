#pragma once
// The fleet's update key (P-256) as the signing side holds it, for tests: its public PEM (what a
// kiosk pins as trust.update_key) and signatures as `openssl dgst -sha256 -sign` makes them, in
// the envelopes of DESIGN §7 (trust/rules bundles) and §13 (fleet commands). Header-only: each
// test links OpenSSL itself.

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sentinel::testing {

// Standard base64, padded (as the envelopes carry bytes).
inline std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

class UpdateKey {
public:
    UpdateKey() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")) {}
    ~UpdateKey() { EVP_PKEY_free(key_); }
    UpdateKey(const UpdateKey&) = delete;
    UpdateKey& operator=(const UpdateKey&) = delete;

    std::string publicPem() const {
        BIO* bio = BIO_new(BIO_s_mem());
        PEM_write_bio_PUBKEY(bio, key_);
        char* data = nullptr;
        const long n = BIO_get_mem_data(bio, &data);
        std::string pem(data, static_cast<std::size_t>(n));
        BIO_free(bio);
        return pem;
    }
    // The private half (PKCS#8 PEM, unencrypted): what an operator's `--signing-key` file holds.
    std::string privatePem() const {
        BIO* bio = BIO_new(BIO_s_mem());
        PEM_write_bio_PrivateKey(bio, key_, nullptr, nullptr, 0, nullptr, nullptr);
        char* data = nullptr;
        const long n = BIO_get_mem_data(bio, &data);
        std::string pem(data, static_cast<std::size_t>(n));
        BIO_free(bio);
        return pem;
    }
    // ECDSA-SHA256 over `payload`, DER-encoded.
    std::string sign(std::string_view payload) const {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        std::size_t len = 0;
        EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_);
        EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
        std::string sig(len, '\0');
        EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
        sig.resize(len);
        EVP_MD_CTX_free(ctx);
        return sig;
    }
    // {"format": FORMAT, "payload": base64(payload), "signature": base64(signature)}.
    std::string envelope(std::string_view format, const std::string& payload) const {
        return nlohmann::json{{"format", format}, {"payload", base64(payload)}, {"signature", base64(sign(payload))}}.dump();
    }

private:
    EVP_PKEY* key_;
};

}  // namespace sentinel::testing

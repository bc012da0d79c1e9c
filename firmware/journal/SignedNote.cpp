#include "firmware/journal/SignedNote.h"

#include <unistd.h>

#include <cstring>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "firmware/base/Log.h"
#include "firmware/journal/Base64.h"
#include "firmware/journal/SecretFile.h"

namespace sentinel::journal {
namespace {

constexpr std::uint8_t kEd25519Type = 0x01;     // signed-note §Signature types
constexpr std::size_t kKeyIdBytes = 4;          // signed-note: uint32 key id, big-endian
constexpr const char* kSignatureDash = "\xE2\x80\x94 ";  // U+2014 em dash, then a space
constexpr std::string_view kSignerPrefix = "PRIVATE+KEY+";
constexpr std::string_view kKeyWhat = "journal key";
constexpr std::size_t kMaxKeyFileBytes = 4096;  // a PKCS#8 Ed25519 PEM is 119 bytes

struct PkeyDeleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BioDeleter {
    void operator()(BIO* b) const { BIO_free(b); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

std::string hex8(std::uint32_t v) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", v);
    return buf;
}

std::optional<std::uint32_t> parseHex8(std::string_view s) {
    if (s.size() != 8) return std::nullopt;
    std::uint32_t v = 0;
    for (char c : s) {
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else return std::nullopt;
        v = (v << 4) | static_cast<std::uint32_t>(d);
    }
    return v;
}

// Well-formed UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF) without control characters but '\n'.
bool isNoteText(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
            ++i;
            continue;
        }
        int len;
        std::uint32_t cp;
        if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
        else return false;
        if (i + static_cast<std::size_t>(len) > s.size()) return false;
        for (int k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        if (cp >= 0x80 && cp <= 0x9f) return false;  // C1 controls
        i += static_cast<std::size_t>(len);
    }
    return true;
}

Pkey publicKeyObject(std::string_view publicKey) {
    return Pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<const unsigned char*>(publicKey.data()), publicKey.size()));
}

std::string rawPublicKey(EVP_PKEY* key) {
    std::string pub(kEd25519KeyBytes, '\0');
    std::size_t len = pub.size();
    if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(pub.data()), &len) != 1 ||
        len != kEd25519KeyBytes) {
        return {};
    }
    return pub;
}

// `name+hexid+base64(0x01||key)` split into its parts; the key id must match the key.
struct KeyString {
    std::string name;
    std::uint32_t id = 0;
    std::string key;  // 32 bytes
};
Result<KeyString> parseKeyString(std::string_view s, std::string_view what) {
    // The name ends at the first '+' (names have none); the base64 key may hold '+' itself.
    constexpr std::size_t kIdChars = 8;
    const auto plus = s.find('+');
    if (plus == std::string_view::npos || s.size() < plus + kIdChars + 2 || s[plus + 1 + kIdChars] != '+') {
        return makeError(std::string(what) + ": not name+keyid+key");
    }
    KeyString k;
    k.name = std::string(s.substr(0, plus));
    if (!isValidKeyName(k.name)) return makeError(std::string(what) + ": bad key name");
    k.id = parseHex8(s.substr(plus + 1, kIdChars)).value_or(0);
    if (!parseHex8(s.substr(plus + 1, kIdChars))) return makeError(std::string(what) + ": key id is not 8 lowercase hex digits");
    auto raw = base64Decode(s.substr(plus + 2 + kIdChars));
    if (!raw || raw->size() != 1 + kEd25519KeyBytes) return makeError(std::string(what) + ": key is not base64 of 33 bytes");
    if (static_cast<std::uint8_t>((*raw)[0]) != kEd25519Type) return makeError(std::string(what) + ": not an Ed25519 key");
    k.key = raw->substr(1);
    return k;
}

}  // namespace

std::string journalKeyName(std::string_view kioskId) { return "sentinel.kiosk/" + std::string(kioskId); }

bool isValidKeyName(std::string_view name) {
    if (name.empty() || !isNoteText(name)) return false;
    for (std::size_t i = 0; i < name.size();) {
        const auto c = static_cast<unsigned char>(name[i]);
        if (c < 0x80) {
            if (c == '+' || c == ' ' || c == '\n') return false;
            ++i;
            continue;
        }
        // Unicode spaces (Go's unicode.IsSpace beyond ASCII): U+0085, U+00A0, U+1680, U+2000–U+200A,
        // U+2028, U+2029, U+202F, U+205F, U+3000. isNoteText has checked the encoding.
        const int len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
        std::uint32_t cp = c & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
        for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(name[i + static_cast<std::size_t>(k)]) & 0x3f);
        if (cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
            cp == 0x202f || cp == 0x205f || cp == 0x3000) {
            return false;
        }
        i += static_cast<std::size_t>(len);
    }
    return true;
}

std::uint32_t ed25519KeyId(std::string_view name, std::string_view publicKey) {
    std::string buf(name);
    buf += '\n';
    buf += static_cast<char>(kEd25519Type);
    buf += publicKey;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(buf.data()), buf.size(), digest);
    return (std::uint32_t{digest[0]} << 24) | (std::uint32_t{digest[1]} << 16) | (std::uint32_t{digest[2]} << 8) |
           std::uint32_t{digest[3]};
}

Result<Note> parseNote(std::string_view note) {
    if (note.size() > kMaxNoteBytes) return makeError("note is larger than " + std::to_string(kMaxNoteBytes) + " bytes");
    if (!isNoteText(note)) return makeError("note is not UTF-8 text without control characters");
    if (note.empty() || note.back() != '\n') return makeError("note does not end in a newline");
    const auto blank = note.rfind("\n\n");
    if (blank == std::string_view::npos) return makeError("note has no blank line before its signatures");
    Note n;
    n.text = std::string(note.substr(0, blank + 1));
    std::string_view sigs = note.substr(blank + 2);
    if (sigs.empty()) return makeError("note has no signature");
    while (!sigs.empty()) {
        const auto end = sigs.find('\n');
        std::string_view line = sigs.substr(0, end);
        sigs.remove_prefix(end + 1);
        if (n.signatures.size() >= kMaxNoteSignatures) return makeError("note has too many signatures");
        if (line.substr(0, std::strlen(kSignatureDash)) != kSignatureDash) {
            return makeError("a signature line does not start with an em dash and a space");
        }
        line.remove_prefix(std::strlen(kSignatureDash));
        const auto space = line.find(' ');
        if (space == std::string_view::npos) return makeError("a signature line has no signature");
        NoteSignature s;
        s.keyName = std::string(line.substr(0, space));
        if (!isValidKeyName(s.keyName)) return makeError("a signature line has a bad key name");
        auto raw = base64Decode(line.substr(space + 1));
        if (!raw || raw->size() < kKeyIdBytes) return makeError("a signature is not base64 of a key id and a signature");
        s.keyId = (std::uint32_t{static_cast<std::uint8_t>((*raw)[0])} << 24) |
                  (std::uint32_t{static_cast<std::uint8_t>((*raw)[1])} << 16) |
                  (std::uint32_t{static_cast<std::uint8_t>((*raw)[2])} << 8) | std::uint32_t{static_cast<std::uint8_t>((*raw)[3])};
        s.signature = raw->substr(kKeyIdBytes);
        n.signatures.push_back(std::move(s));
    }
    return n;
}

// --- verifier -----------------------------------------------------------------------------------

Result<NoteVerifier> NoteVerifier::make(std::string name, std::string publicKey) {
    if (!isValidKeyName(name)) return makeError("bad key name");
    if (publicKey.size() != kEd25519KeyBytes) return makeError("an Ed25519 public key has 32 bytes");
    NoteVerifier v;
    v.keyId_ = ed25519KeyId(name, publicKey);
    v.name_ = std::move(name);
    v.publicKey_ = std::move(publicKey);
    return v;
}

Result<NoteVerifier> NoteVerifier::parse(std::string_view verifierKey) {
    auto k = parseKeyString(verifierKey, "verifier key");
    if (!k) return k.error();
    auto v = make(k->name, k->key);
    if (!v) return v;
    if (k->id != v->keyId()) return makeError("verifier key: the key id does not match the key");
    return v;
}

std::string NoteVerifier::toString() const {
    std::string raw(1, static_cast<char>(kEd25519Type));
    raw += publicKey_;
    return name_ + "+" + hex8(keyId_) + "+" + base64Encode(raw);
}

bool NoteVerifier::verify(std::string_view text, std::string_view signature) const {
    if (signature.size() != kEd25519SignatureBytes) return false;
    Pkey key = publicKeyObject(publicKey_);
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
    if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1;
}

Result<std::string> NoteVerifier::open(std::string_view note) const {
    auto n = parseNote(note);
    if (!n) return n.error();
    bool seen = false;
    for (const auto& s : n->signatures) {
        if (s.keyName != name_ || s.keyId != keyId_) continue;
        seen = true;
        if (!verify(n->text, s.signature)) return makeError("the signature by " + name_ + " does not verify");
    }
    if (!seen) return makeError("no signature by " + name_ + "+" + hex8(keyId_));
    return std::move(n->text);
}

// --- signer -------------------------------------------------------------------------------------

struct NoteSigner::Impl {
    Pkey key;
};

NoteSigner::NoteSigner(std::unique_ptr<Impl> impl, NoteVerifier verifier)
    : impl_(std::move(impl)), verifier_(std::move(verifier)) {}
NoteSigner::NoteSigner(NoteSigner&&) noexcept = default;
NoteSigner& NoteSigner::operator=(NoteSigner&&) noexcept = default;
NoteSigner::~NoteSigner() = default;

namespace {
Result<NoteSigner> signerFromKey(std::string name, Pkey key, auto make) {
    if (!key) return makeError("not an Ed25519 key");
    const std::string pub = rawPublicKey(key.get());
    if (pub.empty()) return makeError("cannot read the Ed25519 public key");
    auto v = NoteVerifier::make(std::move(name), pub);
    if (!v) return v.error();
    return make(std::move(key), std::move(*v));
}
}  // namespace

Result<NoteSigner> NoteSigner::fromSeed(std::string name, std::string_view seed) {
    if (seed.size() != kEd25519KeyBytes) return makeError("an Ed25519 seed has 32 bytes");
    Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()),
                                          seed.size()));
    return signerFromKey(std::move(name), std::move(key), [](Pkey k, NoteVerifier v) {
        auto impl = std::make_unique<Impl>();
        impl->key = std::move(k);
        return NoteSigner(std::move(impl), std::move(v));
    });
}

Result<NoteSigner> NoteSigner::fromSignerKey(std::string_view signerKey) {
    if (signerKey.substr(0, kSignerPrefix.size()) != kSignerPrefix) return makeError("signer key: no PRIVATE+KEY+ prefix");
    auto k = parseKeyString(signerKey.substr(kSignerPrefix.size()), "signer key");
    if (!k) return k.error();
    auto s = fromSeed(k->name, k->key);
    if (!s) return s;
    if (k->id != s->verifier().keyId()) return makeError("signer key: the key id does not match the key");
    return s;
}

Result<NoteSigner> NoteSigner::generate(std::string name) {
    Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    return signerFromKey(std::move(name), std::move(key), [](Pkey k, NoteVerifier v) {
        auto impl = std::make_unique<Impl>();
        impl->key = std::move(k);
        return NoteSigner(std::move(impl), std::move(v));
    });
}

Result<std::string> NoteSigner::sign(std::string_view text) const {
    if (text.empty() || text.back() != '\n') return makeError("note text must end in a newline");
    if (text.size() >= 2 && text[text.size() - 2] == '\n') return makeError("note text must not end in a blank line");
    if (!isNoteText(text)) return makeError("note text must be UTF-8 without control characters");
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
    std::string sig(kEd25519SignatureBytes, '\0');
    std::size_t len = sig.size();
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1 ||
        len != kEd25519SignatureBytes) {
        return makeError("Ed25519 signing failed");
    }
    const std::uint32_t id = verifier_.keyId();
    std::string raw{static_cast<char>(id >> 24), static_cast<char>(id >> 16), static_cast<char>(id >> 8),
                    static_cast<char>(id)};
    raw += sig;
    std::string note(text);
    note += '\n';
    note += kSignatureDash;
    note += verifier_.name();
    note += ' ';
    note += base64Encode(raw);
    note += '\n';
    return note;
}

// --- the device key file ------------------------------------------------------------------------

namespace {

Result<Pkey> readKeyFile(const std::filesystem::path& path) {
    auto read = readSecretFile(path, kKeyWhat, SecretFileLimits{kMaxKeyFileBytes, std::nullopt});
    if (!read) return read.error();
    std::string& pem = *read;
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    Pkey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    OPENSSL_cleanse(pem.data(), pem.size());
    if (!key) return makeError(path.string() + ": not a PEM private key");
    if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) return makeError(path.string() + ": not an Ed25519 key");
    return key;
}

Result<std::string> pemOf(EVP_PKEY* key) {
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        return makeError("cannot encode the journal key");
    }
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    std::string pem(data, static_cast<std::size_t>(len));
    // The BIO's buffer held the key too; BIO_free does not clear it.
    OPENSSL_cleanse(data, static_cast<std::size_t>(len));
    return pem;
}

// The loaded key as a signer: through its seed (cleared after use), so one constructor makes them all.
Result<NoteSigner> signerFromFileKey(EVP_PKEY* key, std::string_view kioskId) {
    std::string seed(kEd25519KeyBytes, '\0');
    std::size_t len = seed.size();
    if (EVP_PKEY_get_raw_private_key(key, reinterpret_cast<unsigned char*>(seed.data()), &len) != 1 ||
        len != kEd25519KeyBytes) {
        return makeError("cannot read the journal key");
    }
    auto signer = NoteSigner::fromSeed(journalKeyName(kioskId), seed);
    OPENSSL_cleanse(seed.data(), seed.size());
    return signer;
}

}  // namespace

Result<NoteSigner> loadJournalKey(const std::filesystem::path& stateDir, std::string_view kioskId) {
    if (!isValidKeyName(journalKeyName(kioskId))) return makeError("kiosk.id cannot be part of a key name (spaces or '+')");
    auto key = readKeyFile(stateDir / kJournalKeyFile);
    if (!key) return key.error();
    return signerFromFileKey(key->get(), kioskId);
}

Result<NoteSigner> loadOrCreateJournalKey(const std::filesystem::path& stateDir, std::string_view kioskId) {
    if (!isValidKeyName(journalKeyName(kioskId))) return makeError("kiosk.id cannot be part of a key name (spaces or '+')");
    if (auto dir = ensureStateDirectory(stateDir); !dir) return dir.error();
    const auto path = stateDir / kJournalKeyFile;
    if (::access(path.c_str(), F_OK) == 0) return loadJournalKey(stateDir, kioskId);

    Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!key) return makeError("cannot generate the journal key");
    auto pem = pemOf(key.get());
    if (!pem) return pem.error();
    auto installed = installSecretFile(path, *pem, kKeyWhat);
    OPENSSL_cleanse(pem->data(), pem->size());
    if (!installed) return installed.error();
    if (!*installed) return loadJournalKey(stateDir, kioskId);  // another process installed its key first
    auto signer = signerFromFileKey(key.get(), kioskId);
    if (signer) {
        SLOG("Journal", Info) << "created journal key " << path.string() << " (" << signer->verifier().toString() << ")";
    }
    return signer;
}

}  // namespace sentinel::journal

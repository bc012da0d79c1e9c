#pragma once
// C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 signatures (type 0x01), as the
// journal's checkpoints use it (DESIGN §16), and the device key that signs them. OpenSSL is private
// to the module: no OpenSSL type crosses this header.
//
// Key strings (the Go sumdb/note spelling):
//   verifier key  <name>+<8 hex key id>+<base64(0x01 || 32-byte public key)>
//   signer key    PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 || 32-byte seed)>   (tests only)
// key id = the first 4 bytes (big-endian) of SHA-256(name || 0x0A || 0x01 || public key).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::journal {

inline constexpr std::size_t kEd25519KeyBytes = 32;
inline constexpr std::size_t kEd25519SignatureBytes = 64;
inline constexpr const char* kJournalKeyFile = "journal-key.pem";  // in kiosk.state_dir, mode 0600

// "sentinel.kiosk/{kioskId}": the name the device key signs checkpoints under (DESIGN §16).
std::string journalKeyName(std::string_view kioskId);
// Non-empty, no Unicode spaces, no '+' (signed-note §Format); ASCII is all this firmware makes.
bool isValidKeyName(std::string_view name);
std::uint32_t ed25519KeyId(std::string_view name, std::string_view publicKey);

struct NoteSignature {
    std::string keyName;
    std::uint32_t keyId = 0;
    std::string signature;  // the bytes after the key id
};

struct Note {
    std::string text;  // up to and including the newline before the blank line
    std::vector<NoteSignature> signatures;
};

// The note's shape only (no signature is checked): valid UTF-8, no control characters but newline,
// text ending in a newline, a blank line, then at least one `— <name> <base64>` line, each ending in
// a newline; at most kMaxNoteBytes and kMaxNoteSignatures.
Result<Note> parseNote(std::string_view note);
inline constexpr std::size_t kMaxNoteBytes = 64 * 1024;
inline constexpr std::size_t kMaxNoteSignatures = 64;  // signed-note asks verifiers to accept ≥ 16

// One known Ed25519 key.
class NoteVerifier {
public:
    static Result<NoteVerifier> parse(std::string_view verifierKey);
    static Result<NoteVerifier> make(std::string name, std::string publicKey);

    const std::string& name() const { return name_; }
    std::uint32_t keyId() const { return keyId_; }
    const std::string& publicKey() const { return publicKey_; }
    std::string toString() const;  // the verifier key string

    // The note's text when it carries a signature by this key (name and key id) that verifies.
    // Errors: malformed note, no signature by this key, a signature by this key that does not verify.
    // Signatures by other keys are ignored, as signed-note requires.
    Result<std::string> open(std::string_view note) const;
    bool verify(std::string_view text, std::string_view signature) const;

private:
    std::string name_;
    std::uint32_t keyId_ = 0;
    std::string publicKey_;
};

// The private half. Movable, not copyable; the seed never leaves OpenSSL's key object.
class NoteSigner {
public:
    static Result<NoteSigner> fromSeed(std::string name, std::string_view seed);
    static Result<NoteSigner> fromSignerKey(std::string_view signerKey);  // PRIVATE+KEY+…
    // A fresh random key (OpenSSL's generator).
    static Result<NoteSigner> generate(std::string name);
    NoteSigner(NoteSigner&&) noexcept;
    NoteSigner& operator=(NoteSigner&&) noexcept;
    ~NoteSigner();

    const NoteVerifier& verifier() const { return verifier_; }
    // `text` followed by the blank line and this key's signature line. `text` must be non-empty,
    // end in a newline, hold no blank line at its end and no control characters but newlines.
    Result<std::string> sign(std::string_view text) const;

private:
    struct Impl;
    NoteSigner(std::unique_ptr<Impl> impl, NoteVerifier verifier);
    std::unique_ptr<Impl> impl_;
    NoteVerifier verifier_;
};

// The device key in `stateDir` (kJournalKeyFile: PKCS#8 PEM, mode 0600, created atomically on the
// first call), named journalKeyName(kioskId). A key file of another type, unreadable or readable
// by others is an error (the mode is tightened, as for the device secret).
Result<NoteSigner> loadOrCreateJournalKey(const std::filesystem::path& stateDir, std::string_view kioskId);
// The same without creating: an error when the file does not exist.
Result<NoteSigner> loadJournalKey(const std::filesystem::path& stateDir, std::string_view kioskId);

}  // namespace sentinel::journal

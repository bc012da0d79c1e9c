#include "firmware/kiosk/DocumentKey.h"

#include <openssl/rand.h>

#include "firmware/base/Log.h"
#include "firmware/base/Secret.h"
#include "firmware/verify/Hc1Verifier.h"

namespace sentinel::kiosk {
namespace {

constexpr const char* kLog = "DocumentKey";
constexpr std::size_t kKeyHexChars = 32;  // 128 bits of the keyed hash: enough to tell documents apart

}  // namespace

DocumentKeyer::DocumentKeyer() {
    if (RAND_bytes(salt_.data(), static_cast<int>(salt_.size())) != 1) {
        // Without randomness the key is still a hash, only a guessable one: keep going, say so.
        SLOG(kLog, Warn) << "no random key for document dedupe keys; using a fixed one";
    }
}

std::string DocumentKeyer::keyOf(std::string_view prefix, const IdentityDocument& document) const {
    SecretString identifier;
    identifier.assign(toString(document.type));
    identifier.append(":");
    identifier.append(document.number.view());
    const std::string_view salt(reinterpret_cast<const char*>(salt_.data()), salt_.size());
    return std::string(prefix) + ":" + verify::subjectHash(salt, identifier.view()).substr(0, kKeyHexChars);
}

}  // namespace sentinel::kiosk

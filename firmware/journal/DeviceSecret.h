#pragma once
// The per-device secret that keys the `subject` hash (DESIGN §3): 32 random bytes in
// `<stateDir>/device-secret`, mode 0600, created once and never rotated silently (rotating it
// breaks repeat counting and replay detection across the change).

#include <filesystem>
#include <string>
#include <string_view>

#include "firmware/base/Result.h"

namespace sentinel::journal {

inline constexpr std::size_t kDeviceSecretBytes = 32;  // HMAC-SHA-256 key: one hash block's worth of entropy
inline constexpr const char* kDeviceSecretFile = "device-secret";

// Returns the secret (raw bytes). On first start creates stateDir (0700) if needed and the file
// atomically: written to a temporary file with mode 0600, fsynced, then hard-linked into place
// (link never overwrites, so two processes starting at once agree on one secret). An existing file
// must be a regular file of exactly 32 bytes; group/other permission bits are removed if present.
// Errors (unreadable, wrong size, no randomness, I/O) are values naming the file.
Result<std::string> loadOrCreateDeviceSecret(const std::filesystem::path& stateDir);


}  // namespace sentinel::journal

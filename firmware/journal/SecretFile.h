#pragma once
// Secret files in the kiosk's state directory (kiosk.state_dir, 0700): the device secret and the
// journal's signing key. Created once, mode 0600, atomically — written to a temporary file of its
// own and linked into place, so concurrent first starts agree on one file — and read back strictly:
// a regular file (never through a link), of a bounded size, its mode narrowed to 0600 if it was wider.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "firmware/base/Result.h"

namespace sentinel::journal {

// Creates the state directory (0700) when it does not exist.
Status ensureStateDirectory(const std::filesystem::path& stateDir);

struct SecretFileLimits {
    std::size_t maxBytes = 0;                // larger → error
    std::optional<std::size_t> exactBytes;   // set: any other size → error
};

// The file's bytes. `what` names the file in errors and the log ("device secret"). The caller clears
// the returned bytes when done with them.
Result<std::string> readSecretFile(const std::filesystem::path& path, std::string_view what, SecretFileLimits limits);

// Installs `contents` at `path` (0600, fsynced, the directory too) unless a file is there already.
// True when this call installed it; false when the file existed or another process installed it
// first (read that one). The temporary copy is removed either way.
Result<bool> installSecretFile(const std::filesystem::path& path, std::string_view contents, std::string_view what);

}  // namespace sentinel::journal

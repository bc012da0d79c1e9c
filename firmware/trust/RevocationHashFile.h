#pragma once
// DESIGN §17 hash files, the input of `sentinel fleet revocation build TYPE:HASHFILE…`: one hash a
// line — 32 hex characters or base64 of 16 bytes (the EU DCC gateway's batches, any type), or for
// the Italian DRL base64 of the full 32-byte SHA-256 of the UVCI, whose first 16 bytes are the UCI
// hash. Blank lines and lines starting with `#` are skipped. Pure.

#include <optional>
#include <string_view>
#include <vector>

#include "firmware/base/Result.h"
#include "firmware/trust/RevocationIndex.h"

namespace sentinel::trust {

// A TYPE of the build command: a hash type, or DRL (which lists UCI hashes).
struct HashFileKind {
    RevocationHashType type = RevocationHashType::Uci;
    bool drl = false;
};
// "UCI", "COUNTRYCODEUCI", "SIGNATURE" or "DRL"; nullopt otherwise.
std::optional<HashFileKind> hashFileKindFromString(std::string_view name);

// Errors name `fileName` and the line (never its content).
Result<std::vector<RevocationHash>> parseRevocationHashes(std::string_view text, HashFileKind kind, std::string_view fileName);

}  // namespace sentinel::trust

#pragma once
// Base45 (RFC 9285), the text encoding of HC1 payloads. Pure functions, no I/O.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::credential {

// Strict RFC 9285 decode: only the 45-character alphabet; a trailing single character, a triplet
// above 65535 and a pair above 255 are errors. The output is at most 2/3 of the input length.
Result<std::vector<uint8_t>> base45Decode(std::string_view text);

// RFC 9285 encode (used by the test issuer).
std::string base45Encode(std::span<const uint8_t> bytes);

}  // namespace sentinel::credential

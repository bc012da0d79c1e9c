#pragma once
// Base64 (RFC 4648 §4) and base64url (§5) decoding for trust lists and certificate files.

#include <cstdint>
#include <string_view>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::trust {

// Accepts both alphabets, optional '=' padding, and ASCII whitespace between characters (PEM
// bodies and wrapped files). Errors: other characters, data after padding, a dangling 6 bits.
Result<std::vector<uint8_t>> decodeBase64(std::string_view text);

}  // namespace sentinel::trust

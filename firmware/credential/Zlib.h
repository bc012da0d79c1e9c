#pragma once
// Bounded zlib (RFC 1950) inflate and deflate. Pure functions, no I/O.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::credential {

// DESIGN §2: an HC1 payload never inflates beyond 64 KiB (a QR holds < 3 KiB compressed).
inline constexpr size_t kMaxInflatedBytes = 64 * 1024;

// Inflates one complete zlib stream. Errors: not a zlib header (raw deflate, gzip, preset
// dictionary), corrupt or truncated data, output over `maxOutputBytes`, bytes after the stream.
Result<std::vector<uint8_t>> inflateZlib(std::span<const uint8_t> input, size_t maxOutputBytes = kMaxInflatedBytes);

// zlib stream at the best compression level (used by the test issuer).
std::vector<uint8_t> deflateZlib(std::span<const uint8_t> input);

}  // namespace sentinel::credential

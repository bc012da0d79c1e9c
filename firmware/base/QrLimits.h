#pragma once
// What a QR code can carry at most, so that anything longer is refused before any parser sees it.

#include <cstddef>

namespace sentinel {

// ISO/IEC 18004:2015 Table 7, version 40 at EC level L: 7089 numeric characters (4296
// alphanumeric, 2953 bytes). No QR code holds a longer payload, whatever its modes.
inline constexpr std::size_t kMaxQrPayloadChars = 7089;

}  // namespace sentinel

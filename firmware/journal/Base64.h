#pragma once
// Standard base64 (RFC 4648 §4, with padding), as the C2SP formats use it (signed notes, checkpoints,
// tlog proofs). Strict decoding: a value has exactly one accepted spelling.

#include <optional>
#include <string>
#include <string_view>

namespace sentinel::journal {

std::string base64Encode(std::string_view bytes);
// nullopt for anything but canonical base64: characters outside the alphabet, a length that is not
// a multiple of 4, misplaced padding, or non-zero bits in the last character before the padding.
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace sentinel::journal

#pragma once
// Strict UTF-8 (RFC 3629): one code point at a time. Overlong forms, surrogates, code points above
// U+10FFFF and truncated sequences are errors — shared by the CBOR parser (text strings must be
// UTF-8) and the name transliteration of holder binding.

#include <optional>
#include <string_view>

namespace sentinel {

// The code point that starts at `at`, which moves past it; nullopt (and `at` unchanged) when the
// bytes there are not one well-formed UTF-8 sequence. `at` must be < text.size().
std::optional<char32_t> nextCodePoint(std::string_view text, std::size_t& at);

// Every byte of `text` is part of a well-formed sequence.
bool validUtf8(std::string_view text);

}  // namespace sentinel

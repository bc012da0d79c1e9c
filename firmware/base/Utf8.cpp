#include "firmware/base/Utf8.h"

namespace sentinel {

std::optional<char32_t> nextCodePoint(std::string_view text, std::size_t& at) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(at);
    if (lead < 0x80) {
        ++at;
        return lead;
    }
    std::size_t extra = 0;
    char32_t cp = 0;
    if ((lead & 0xE0) == 0xC0) {
        extra = 1;
        cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        extra = 2;
        cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        extra = 3;
        cp = lead & 0x07;
    } else {
        return std::nullopt;
    }
    if (at + extra >= text.size()) return std::nullopt;
    for (std::size_t k = 1; k <= extra; ++k) {
        const unsigned char c = byte(at + k);
        if ((c & 0xC0) != 0x80) return std::nullopt;
        cp = (cp << 6) | (c & 0x3F);
    }
    constexpr char32_t kMinTwo = 0x80, kMinThree = 0x800, kMinFour = 0x10000, kMax = 0x10FFFF;
    constexpr char32_t kSurrogateFirst = 0xD800, kSurrogateLast = 0xDFFF;
    const bool overlong = (extra == 1 && cp < kMinTwo) || (extra == 2 && cp < kMinThree) || (extra == 3 && cp < kMinFour);
    if (overlong || cp > kMax || (cp >= kSurrogateFirst && cp <= kSurrogateLast)) return std::nullopt;
    at += extra + 1;
    return cp;
}

bool validUtf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        if (!nextCodePoint(text, i)) return false;
    }
    return true;
}

}  // namespace sentinel

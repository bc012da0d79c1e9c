#include "firmware/trust/Base64.h"

namespace sentinel::trust {
namespace {

int valueOf(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

Result<std::vector<uint8_t>> decodeBase64(std::string_view text) {
    std::vector<uint8_t> out;
    out.reserve(text.size() / 4 * 3 + 3);
    uint32_t acc = 0;
    int bits = 0;
    size_t padding = 0;
    size_t symbols = 0;
    for (char c : text) {
        if (isSpace(c)) continue;
        if (c == '=') {
            ++padding;
            continue;
        }
        if (padding > 0) return makeError("base64: data after padding");
        const int v = valueOf(c);
        if (v < 0) return makeError("base64: invalid character");
        ++symbols;
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<uint8_t>(acc >> bits));
            acc &= (1u << bits) - 1;
        }
    }
    if (symbols % 4 == 1) return makeError("base64: dangling bits");
    if (padding > 2 || (padding > 0 && (symbols + padding) % 4 != 0)) return makeError("base64: bad padding");
    return out;
}

}  // namespace sentinel::trust

#include "firmware/credential/Base45.h"

#include <array>

namespace sentinel::credential {
namespace {

// RFC 9285 §4: the 45-character alphabet, value = index.
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
constexpr uint32_t kBase = 45;
constexpr uint32_t kMaxTriplet = 0xFFFF;  // a 3-character group carries two bytes
constexpr uint32_t kMaxPair = 0xFF;       // a trailing 2-character group carries one byte

constexpr std::array<int8_t, 256> makeTable() {
    std::array<int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (size_t i = 0; i < kAlphabet.size(); ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
    return t;
}
constexpr std::array<int8_t, 256> kTable = makeTable();

}  // namespace

Result<std::vector<uint8_t>> base45Decode(std::string_view text) {
    if (text.size() % 3 == 1) return makeError("base45: dangling single character");
    std::vector<uint8_t> out;
    out.reserve(text.size() / 3 * 2 + 1);
    for (size_t i = 0; i < text.size(); i += 3) {
        const size_t n = std::min<size_t>(3, text.size() - i);
        uint32_t value = 0;
        uint32_t weight = 1;
        for (size_t k = 0; k < n; ++k) {
            const int8_t d = kTable[static_cast<unsigned char>(text[i + k])];
            if (d < 0) return makeError("base45: character outside the alphabet");
            value += static_cast<uint32_t>(d) * weight;
            weight *= kBase;
        }
        if (n == 3) {
            if (value > kMaxTriplet) return makeError("base45: triplet above 65535");
            out.push_back(static_cast<uint8_t>(value >> 8));
            out.push_back(static_cast<uint8_t>(value & 0xFF));
        } else {
            if (value > kMaxPair) return makeError("base45: pair above 255");
            out.push_back(static_cast<uint8_t>(value));
        }
    }
    return out;
}

std::string base45Encode(std::span<const uint8_t> bytes) {
    std::string out;
    out.reserve(bytes.size() / 2 * 3 + 2);
    size_t i = 0;
    for (; i + 1 < bytes.size(); i += 2) {
        uint32_t v = (static_cast<uint32_t>(bytes[i]) << 8) | bytes[i + 1];
        for (int k = 0; k < 3; ++k) {
            out.push_back(kAlphabet[v % kBase]);
            v /= kBase;
        }
    }
    if (i < bytes.size()) {
        uint32_t v = bytes[i];
        out.push_back(kAlphabet[v % kBase]);
        out.push_back(kAlphabet[v / kBase]);
    }
    return out;
}

}  // namespace sentinel::credential

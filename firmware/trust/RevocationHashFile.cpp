#include "firmware/trust/RevocationHashFile.h"

#include <algorithm>
#include <string>

#include "firmware/trust/Base64.h"

namespace sentinel::trust {
namespace {

constexpr std::size_t kHexChars = 2 * kRevocationHashBytes;  // 32
constexpr std::size_t kDrlDigestBytes = 32;                  // the DRL lists the whole SHA-256

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
    return s;
}

std::optional<RevocationHash> parseLine(std::string_view s, bool drl) {
    RevocationHash h{};
    if (s.size() == kHexChars && std::all_of(s.begin(), s.end(), [](char c) { return hexValue(c) >= 0; })) {
        for (std::size_t i = 0; i < kRevocationHashBytes; ++i) {
            h[i] = static_cast<uint8_t>(hexValue(s[2 * i]) << 4 | hexValue(s[2 * i + 1]));
        }
        return h;
    }
    if (std::any_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; })) return std::nullopt;
    auto bytes = decodeBase64(s);
    if (!bytes) return std::nullopt;
    if (bytes->size() == kRevocationHashBytes || (drl && bytes->size() == kDrlDigestBytes)) {
        std::copy_n(bytes->begin(), kRevocationHashBytes, h.begin());
        return h;
    }
    return std::nullopt;
}

}  // namespace

std::optional<HashFileKind> hashFileKindFromString(std::string_view name) {
    if (name == "DRL") return HashFileKind{RevocationHashType::Uci, true};
    if (auto t = revocationHashTypeFromString(name)) return HashFileKind{*t, false};
    return std::nullopt;
}

Result<std::vector<RevocationHash>> parseRevocationHashes(std::string_view text, HashFileKind kind, std::string_view fileName) {
    std::vector<RevocationHash> out;
    std::size_t lineNo = 0;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        const std::string_view raw = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        ++lineNo;
        const std::string_view line = trimmed(raw);
        if (line.empty() || line.front() == '#') continue;
        auto h = parseLine(line, kind.drl);
        if (!h) {
            return makeError(std::string(fileName) + ":" + std::to_string(lineNo) + ": not a hash (" +
                             (kind.drl ? "base64 of a 32-byte SHA-256, " : "") + "32 hex characters or base64 of 16 bytes)");
        }
        out.push_back(*h);
    }
    return out;
}

}  // namespace sentinel::trust

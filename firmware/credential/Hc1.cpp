#include "firmware/credential/Hc1.h"

#include "firmware/credential/Base45.h"
#include "firmware/credential/Zlib.h"

namespace sentinel::credential {
namespace {

// DESIGN §2: an HK1 token is 16–128 base64url characters.
constexpr size_t kMinHk1TokenChars = 16;
constexpr size_t kMaxHk1TokenChars = 128;

bool isBase64Url(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

Hc1Parse parseHc1(std::string_view text) {
    Hc1Parse out;
    if (!text.starts_with(kHc1Prefix)) {
        out.stages.prefix = false;
        out.error = "prefix: not HC1:";
        return out;
    }
    out.stages.prefix = true;
    auto raw = base45Decode(text.substr(kHc1Prefix.size()));
    out.stages.base45 = raw.ok();
    if (!raw) {
        out.error = raw.error().message;
        return out;
    }
    auto inflated = inflateZlib(raw.value());
    out.stages.inflate = inflated.ok();
    if (!inflated) {
        out.error = inflated.error().message;
        return out;
    }
    auto cose = parseCoseSign1(inflated.value());
    if (!cose) {
        out.stages.cbor = false;
        out.error = cose.error().message;
        return out;
    }
    auto claims = parseCwtClaims(cose->payload);
    if (!claims) {
        out.stages.cbor = false;
        out.error = claims.error().message;
        return out;
    }
    out.stages.cbor = true;
    out.cose = std::move(cose.value());
    out.claims = std::move(claims.value());
    return out;
}

bool isHk1Token(std::string_view text) {
    if (!text.starts_with(kHk1Prefix)) return false;
    const auto token = text.substr(kHk1Prefix.size());
    if (token.size() < kMinHk1TokenChars || token.size() > kMaxHk1TokenChars) return false;
    for (char c : token) {
        if (!isBase64Url(c)) return false;
    }
    return true;
}

}  // namespace sentinel::credential

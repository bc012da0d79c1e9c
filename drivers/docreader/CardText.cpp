#include "drivers/docreader/CardText.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "firmware/base/Secret.h"

namespace sentinel::docreader {
namespace {

constexpr std::size_t kUtf8PerBmpChar = 3;  // U+0800..U+FFFF take three bytes
constexpr std::size_t kMaxFieldBytes = foreign::kEnglishName.bytes;  // the longest field
constexpr std::size_t kScratchBytes = kMaxFieldBytes / 2 * kUtf8PerBmpChar;
constexpr std::size_t kResidentNumberChars = 18;  // GB 11643-1999
constexpr std::size_t kForeignNumberChars = 15;  // foreign permanent resident ID card (2017 layout)
constexpr std::size_t kCountryCodeChars = 3;     // ISO 3166-1 alpha-3
constexpr std::size_t kDateChars = 8;            // YYYYMMDD
constexpr std::string_view kChina = "CHN";
constexpr unsigned kByteBits = 8;

// UTF-8 text of one field, on the stack, zeroised when it goes.
class Scratch {
  public:
    Scratch() = default;
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    ~Scratch() { secureZero(buf_.data(), buf_.size()); }

    void put(char c) { buf_[n_++] = c; }
    std::string_view view() const { return {buf_.data() + begin_, n_ - begin_}; }
    // Drops the space padding at both ends.
    void trim() {
        while (n_ > begin_ && buf_[n_ - 1] == ' ') --n_;
        while (begin_ < n_ && buf_[begin_] == ' ') ++begin_;
    }

  private:
    std::array<char, kScratchBytes> buf_{};
    std::size_t n_ = 0;
    std::size_t begin_ = 0;
};

bool isSurrogate(char16_t c) {
    return c >= 0xD800 && c <= 0xDFFF;
}

char16_t charAt(std::span<const std::uint8_t> text, std::size_t offset) {
    return static_cast<char16_t>(text[offset] | (text[offset + 1] << kByteBits));
}

// UCS-2LE → UTF-8, trimmed. A NUL ends the text (some cards pad with NULs). False on a surrogate:
// UCS-2 has none, so the block is damaged.
bool decodeField(std::span<const std::uint8_t> text, TextField f, Scratch& out) {
    constexpr unsigned kOneByteEnd = 0x80, kTwoByteEnd = 0x800;
    for (std::size_t i = 0; i + 1 < f.bytes; i += 2) {
        const char16_t c = charAt(text, f.offset + i);
        if (c == 0) break;
        if (isSurrogate(c)) return false;
        if (c < kOneByteEnd) {
            out.put(static_cast<char>(c));
        } else if (c < kTwoByteEnd) {
            out.put(static_cast<char>(0xC0 | (c >> 6)));
            out.put(static_cast<char>(0x80 | (c & 0x3F)));
        } else {
            out.put(static_cast<char>(0xE0 | (c >> 12)));
            out.put(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
            out.put(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
    out.trim();
    return true;
}

Error fieldError(std::string_view field, std::string_view problem) {
    return makeError("card text: " + std::string(field) + " " + std::string(problem));
}

Status decodeName(std::span<const std::uint8_t> text, TextField f, std::string_view what,
                  SecretString& into) {
    Scratch s;
    if (!decodeField(text, f, s)) return fieldError(what, "is not valid UCS-2");
    into.assign(s.view());
    return Ok{};
}

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}
bool isUpper(char c) {
    return c >= 'A' && c <= 'Z';
}

Status decodeBirth(std::span<const std::uint8_t> text, TextField f, SecretString& into) {
    Scratch s;
    if (!decodeField(text, f, s)) return fieldError("birth date", "is not valid UCS-2");
    const auto v = s.view();
    if (v.size() != kDateChars) return fieldError("birth date", "is not 8 digits (YYYYMMDD)");
    int ymd[3] = {0, 0, 0};
    const std::size_t widths[3] = {4, 2, 2};
    std::size_t at = 0;
    for (int k = 0; k < 3; ++k) {
        for (std::size_t i = 0; i < widths[k]; ++i, ++at) {
            if (!isDigit(v[at])) return fieldError("birth date", "is not 8 digits (YYYYMMDD)");
            ymd[k] = ymd[k] * 10 + (v[at] - '0');
        }
    }
    const std::chrono::year_month_day date{std::chrono::year{ymd[0]},
                                           std::chrono::month{static_cast<unsigned>(ymd[1])},
                                           std::chrono::day{static_cast<unsigned>(ymd[2])}};
    if (!date.ok()) return fieldError("birth date", "is not a real date");
    std::array<char, 10> iso{v[0], v[1], v[2], v[3], '-', v[4], v[5], '-', v[6], v[7]};
    into.assign(std::string_view(iso.data(), iso.size()));
    secureZero(iso.data(), iso.size());
    return Ok{};
}

Status decodeResidentNumber(std::span<const std::uint8_t> text, SecretString& into) {
    Scratch s;
    if (!decodeField(text, resident::kNumber, s)) return fieldError("number", "is not valid UCS-2");
    const auto v = s.view();
    bool ok = v.size() == kResidentNumberChars;
    for (std::size_t i = 0; ok && i < v.size(); ++i)
        ok = isDigit(v[i]) || (i + 1 == v.size() && v[i] == 'X');
    if (!ok) return fieldError("number", "is not 17 digits and a check digit or X");
    into.assign(v);
    return Ok{};
}

Status decodeForeignNumber(std::span<const std::uint8_t> text, SecretString& into) {
    Scratch s;
    if (!decodeField(text, foreign::kNumber, s)) return fieldError("number", "is not valid UCS-2");
    const auto v = s.view();
    bool ok = v.size() == kForeignNumberChars;
    for (std::size_t i = 0; ok && i < v.size(); ++i) ok = isDigit(v[i]) || isUpper(v[i]);
    if (!ok) return fieldError("number", "is not 15 letters and digits");
    into.assign(v);
    return Ok{};
}

Status decodeCountry(std::span<const std::uint8_t> text, SecretString& into) {
    Scratch s;
    if (!decodeField(text, foreign::kNationality, s))
        return fieldError("nationality", "is not valid UCS-2");
    const auto v = s.view();
    bool ok = v.size() == kCountryCodeChars;
    for (std::size_t i = 0; ok && i < v.size(); ++i) ok = isUpper(v[i]);
    if (!ok) return fieldError("nationality", "is not three capital letters (ISO 3166-1 alpha-3)");
    into.assign(v);
    return Ok{};
}

Result<IdentityDocument> residentLayout(std::span<const std::uint8_t> text, DocumentType type) {
    IdentityDocument doc;
    doc.type = type;
    if (auto st = decodeName(text, resident::kName, "name", doc.name); !st) return st.error();
    if (doc.name.empty()) return fieldError("name", "is empty");
    if (auto st = decodeBirth(text, resident::kBirth, doc.birthDate); !st) return st.error();
    if (auto st = decodeResidentNumber(text, doc.number); !st) return st.error();
    doc.nationality.assign(kChina);
    return doc;
}

Result<IdentityDocument> foreignLayout(std::span<const std::uint8_t> text) {
    IdentityDocument doc;
    doc.type = DocumentType::CnPrI;
    if (auto st = decodeName(text, foreign::kEnglishName, "English name", doc.name); !st)
        return st.error();
    if (doc.name.empty()) {
        if (auto st = decodeName(text, foreign::kChineseName, "Chinese name", doc.name); !st)
            return st.error();
    }
    if (doc.name.empty()) return fieldError("name", "is empty");
    if (auto st = decodeBirth(text, foreign::kBirth, doc.birthDate); !st) return st.error();
    if (auto st = decodeForeignNumber(text, doc.number); !st) return st.error();
    if (auto st = decodeCountry(text, doc.nationality); !st) return st.error();
    return doc;
}

std::uint16_t bigEndian16(std::span<const std::uint8_t> b) {
    return static_cast<std::uint16_t>((b[0] << kByteBits) | b[1]);
}

}  // namespace

Result<IdentityDocument> decodeTextBlock(std::span<const std::uint8_t> text) {
    if (text.size() != kTextBlockBytes) {
        return makeError("card text: " + std::to_string(text.size()) + " bytes, not " +
                         std::to_string(kTextBlockBytes));
    }
    const char16_t type = charAt(text, kCardType.offset);
    if (type == 0 || type == u' ') return residentLayout(text, DocumentType::CnId);
    if (type == kTypePermitJ) return residentLayout(text, DocumentType::CnPermitJ);
    if (type == kTypeForeignI) return foreignLayout(text);
    constexpr char16_t kPrintableFirst = 0x21, kPrintableLast = 0x7E;
    char buf[48];
    if (type >= kPrintableFirst && type <= kPrintableLast) {
        std::snprintf(buf, sizeof buf, "unsupported card type '%c'", static_cast<char>(type));
    } else {
        std::snprintf(buf, sizeof buf, "unsupported card type U+%04X", static_cast<unsigned>(type));
    }
    return makeError(buf);
}

Result<IdentityDocument> decodeReadData(std::span<const std::uint8_t> data) {
    if (data.size() < kReadLengthsBytes)
        return makeError("read reply: " + std::to_string(data.size()) + " data bytes, too short");
    const std::size_t textLen = bigEndian16(data.subspan(0, 2));
    const std::size_t photoLen = bigEndian16(data.subspan(2, 2));
    if (textLen != kTextBlockBytes) {
        return makeError("read reply: text length " + std::to_string(textLen) + ", not " +
                         std::to_string(kTextBlockBytes));
    }
    if (photoLen > kPhotoBytes) {
        return makeError("read reply: photo length " + std::to_string(photoLen) + ", over " +
                         std::to_string(kPhotoBytes));
    }
    if (data.size() != kReadLengthsBytes + textLen + photoLen) {
        return makeError("read reply: " + std::to_string(data.size()) +
                         " data bytes, lengths say " +
                         std::to_string(kReadLengthsBytes + textLen + photoLen));
    }
    return decodeTextBlock(data.subspan(kReadLengthsBytes, textLen));
}

}  // namespace sentinel::docreader

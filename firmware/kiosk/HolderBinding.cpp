#include "firmware/kiosk/HolderBinding.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

#include "firmware/base/Utf8.h"

namespace sentinel::kiosk {
namespace {

// Doc 9303 Part 3 §6, Latin-1 Supplement U+00C0–U+00DF (the lower-case letters U+00E0–U+00FF
// transliterate as their capitals, 0x20 below). nullptr: not a letter (× ÷).
constexpr std::array<const char*, 32> kLatin1 = {
    "A", "A", "A", "A", "AE", "AA", "AE", "C", "E", "E", "E", "E", "I", "I", "I",  "I",
    "D", "N", "O", "O", "O",  "O",  "OE", nullptr, "OE", "U", "U", "U", "UE", "Y", "TH", "SS"};

// Latin Extended-A U+0100–U+017F: ranges of code points and the letters they transliterate to.
struct Range {
    char32_t first, last;
    const char* to;
};
constexpr Range kExtendedA[] = {
    {0x100, 0x105, "A"}, {0x106, 0x10D, "C"},  {0x10E, 0x111, "D"}, {0x112, 0x11B, "E"}, {0x11C, 0x123, "G"},
    {0x124, 0x127, "H"}, {0x128, 0x131, "I"},  {0x132, 0x133, "IJ"}, {0x134, 0x135, "J"}, {0x136, 0x138, "K"},
    {0x139, 0x142, "L"}, {0x143, 0x14B, "N"},  {0x14C, 0x151, "O"}, {0x152, 0x153, "OE"}, {0x154, 0x159, "R"},
    {0x15A, 0x161, "S"}, {0x162, 0x167, "T"},  {0x168, 0x173, "U"}, {0x174, 0x175, "W"}, {0x176, 0x178, "Y"},
    {0x179, 0x17E, "Z"}, {0x17F, 0x17F, "S"},
};

// One code point's transliteration: letters, "" (dropped), " " (a separator), nullptr (not Latin).
const char* transliterate(char32_t cp, char (&ascii)[2]) {
    if (cp < 0x80) {
        const char c = static_cast<char>(cp);
        if (std::isalpha(static_cast<unsigned char>(c))) {
            ascii[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            ascii[1] = '\0';
            return ascii;
        }
        if (c == ' ' || c == '-' || c == ',' || c == '<') return " ";
        if (c == '\'' || c == '.') return "";
        return nullptr;  // digits and other signs are not part of a name
    }
    if (cp >= 0xC0 && cp <= 0xFF) {
        if (cp == 0xFE) return "TH";
        if (cp == 0xFF) return "Y";
        if (cp == 0xDF) return "SS";
        const char32_t upper = cp >= 0xE0 ? cp - 0x20 : cp;
        return kLatin1[upper - 0xC0];
    }
    for (const auto& r : kExtendedA) {
        if (cp >= r.first && cp <= r.last) return r.to;
    }
    if (cp == 0x2019) return "";  // the typographic apostrophe
    return nullptr;
}

// Two spellings Doc 9303 allows for one national character (Ä → AE or A, Å → AA or A, Ö → OE or O,
// Ü → UE or U) fold to the short one, so that two states' transliterations of one name compare equal.
SecretString foldUmlauts(std::string_view name) {
    SecretString out;
    std::string buffer;
    buffer.reserve(name.size());
    for (std::size_t i = 0; i < name.size(); ++i) {
        buffer.push_back(name[i]);
        if (i + 1 < name.size()) {
            const char a = name[i], b = name[i + 1];
            if ((b == 'E' && (a == 'A' || a == 'O' || a == 'U')) || (a == 'A' && b == 'A')) ++i;
        }
    }
    out.assign(buffer);
    secureZero(buffer.data(), buffer.size());
    return out;
}

bool sameName(std::string_view a, std::string_view b) {
    if (a == b) return true;
    return foldUmlauts(a) == foldUmlauts(b);
}

// The first space-separated part.
std::string_view firstPart(std::string_view name) { return name.substr(0, name.find(' ')); }

// A name as compared: the standard (transliterated) form when the certificate has one, else the
// printed form transliterated.
SecretString comparable(const SecretString& standard, const SecretString& printed) {
    if (!standard.empty()) return normalisedName(standard.view());
    return icaoTransliterate(printed.view());
}

bool digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A date "YYYY[-MM[-DD]]" as its parts; false when it has another shape.
bool dateParts(std::string_view date, std::string_view (&parts)[3], int& count) {
    count = 0;
    constexpr std::size_t kYear = 4, kTwo = 2;
    if (date.empty()) return true;
    if (date.size() < kYear || !digits(date.substr(0, kYear))) return false;
    parts[count++] = date.substr(0, kYear);
    std::size_t at = kYear;
    while (at < date.size() && count < 3) {
        if (date[at] != '-' || at + 1 + kTwo > date.size() || !digits(date.substr(at + 1, kTwo))) return false;
        parts[count++] = date.substr(at + 1, kTwo);
        at += 1 + kTwo;
    }
    return at == date.size();
}

}  // namespace

std::string_view toString(HolderBinding b) {
    switch (b) {
        case HolderBinding::Off: return "off";
        case HolderBinding::Show: return "show";
        case HolderBinding::Require: return "require";
    }
    return "show";
}

std::optional<HolderBinding> holderBindingFromString(std::string_view s) {
    for (HolderBinding b : {HolderBinding::Off, HolderBinding::Show, HolderBinding::Require}) {
        if (toString(b) == s) return b;
    }
    return std::nullopt;
}

bool canBind(DocumentType t) { return t == DocumentType::Passport || t == DocumentType::IdTd1; }

SecretString icaoTransliterate(std::string_view utf8) {
    std::string buffer;
    buffer.reserve(utf8.size() * 2);
    bool ok = true;
    char ascii[2] = {};
    for (std::size_t i = 0; i < utf8.size() && ok;) {
        const std::optional<char32_t> cp = nextCodePoint(utf8, i);
        const char* to = cp ? transliterate(*cp, ascii) : nullptr;
        if (to == nullptr) {
            ok = false;
        } else {
            buffer.append(to);
        }
    }
    SecretString out = ok ? normalisedName(buffer) : SecretString{};
    secureZero(buffer.data(), buffer.size());
    return out;
}

SecretString normalisedName(std::string_view name) {
    std::string buffer;
    buffer.reserve(name.size());
    bool space = false;
    for (char c : name) {
        if (c == '<' || c == ' ') {
            space = !buffer.empty();
            continue;
        }
        if (space) buffer.push_back(' ');
        space = false;
        buffer.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
    SecretString out(buffer);
    secureZero(buffer.data(), buffer.size());
    return out;
}

BindingOutcome compareHolder(const CertificateHolder& certificate, const IdentityDocument& document) {
    const SecretString family = comparable(certificate.familyNameStandard, certificate.familyName);
    const SecretString given = comparable(certificate.givenNameStandard, certificate.givenName);
    std::string_view dob[3], born[3];
    int dobParts = 0, bornParts = 0;
    if (family.empty() || !dateParts(certificate.birthDate.view(), dob, dobParts)) return BindingOutcome::Unbindable;

    const SecretString primary = normalisedName(document.primaryIdentifier.view());
    const SecretString givenNames = normalisedName(document.givenNames.view());
    if (!sameName(family.view(), primary.view())) return BindingOutcome::Mismatch;
    if (!sameName(firstPart(given.view()), firstPart(givenNames.view()))) return BindingOutcome::Mismatch;
    if (!dateParts(document.birthDate.view(), born, bornParts)) return BindingOutcome::Mismatch;
    const int compared = std::min(dobParts, bornParts);
    for (int k = 0; k < compared; ++k) {
        // The year by its last two digits (the MRZ has no century).
        const std::string_view a = k == 0 ? dob[0].substr(2) : dob[k];
        const std::string_view b = k == 0 ? born[0].substr(2) : born[k];
        if (a != b) return BindingOutcome::Mismatch;
    }
    return BindingOutcome::Match;
}

std::string maskedHolder(const CertificateHolder& certificate) {
    const SecretString family = comparable(certificate.familyNameStandard, certificate.familyName);
    const SecretString given = comparable(certificate.givenNameStandard, certificate.givenName);
    if (family.empty()) return {};
    constexpr std::size_t kMaxStars = 8;
    std::string out;
    auto mask = [&](std::string_view part) {
        if (part.empty()) return;
        if (!out.empty()) out.push_back(' ');
        out.push_back(part[0]);
        out.append(std::min(part.size() - 1, kMaxStars), '*');
    };
    std::string_view rest = family.view();
    while (!rest.empty()) {
        const auto space = rest.find(' ');
        mask(rest.substr(0, space));
        rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    }
    mask(firstPart(given.view()));
    std::string_view dob[3];
    int parts = 0;
    if (dateParts(certificate.birthDate.view(), dob, parts) && parts > 0) out += " (" + std::string(dob[0]) + ")";
    return out;
}

}  // namespace sentinel::kiosk

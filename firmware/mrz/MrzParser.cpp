#include "firmware/mrz/MrzParser.h"

#include <algorithm>
#include <cstdio>

namespace sentinel::mrz {
namespace {

// Doc 9303 Part 3 §4.9: the weights repeat 7, 3, 1 from the first character of the field.
constexpr std::array<int, 3> kWeights{7, 3, 1};
constexpr int kCheckModulus = 10;
constexpr int kLetterValueOffset = 10;  // 'A' = 10 … 'Z' = 35
// Expiry dates: a passport is valid for at most 10 years; 50 leaves room for any card.
constexpr int kExpiryWindowYears = 50;
constexpr int kCentury = 100;
constexpr int kMonthsPerYear = 12;
constexpr int kMaxDayOfMonth = 31;

// Field positions (0-based, half-open) of Doc 9303 Part 4 §4.2.2 (TD3) and Part 5 §4.2.2 (TD1).
struct Span {
    int begin;
    int end;
    std::string_view of(std::string_view line) const { return line.substr(std::size_t(begin), std::size_t(end - begin)); }
};
namespace td3 {
constexpr Span kCode{0, 2}, kState{2, 5}, kName{5, 44};                                  // line 1
constexpr Span kNumber{0, 9}, kNumberCheck{9, 10}, kNationality{10, 13}, kBirth{13, 19}, kBirthCheck{19, 20},
    kSex{20, 21}, kExpiry{21, 27}, kExpiryCheck{27, 28}, kOptional{28, 42}, kOptionalCheck{42, 43},
    kComposite{43, 44};                                                                  // line 2
// The composite check digit covers line 2 columns 1–10, 14–20 and 22–43.
constexpr std::array<Span, 3> kCompositeSpans{{{0, 10}, {13, 20}, {21, 43}}};
}  // namespace td3
namespace td1 {
constexpr Span kCode{0, 2}, kState{2, 5}, kNumber{5, 14}, kNumberCheck{14, 15}, kOptional1{15, 30};  // line 1
constexpr Span kBirth{0, 6}, kBirthCheck{6, 7}, kSex{7, 8}, kExpiry{8, 14}, kExpiryCheck{14, 15},
    kNationality{15, 18}, kOptional2{18, 29}, kComposite{29, 30};                        // line 2
constexpr Span kName{0, 30};                                                             // line 3
// The composite check digit covers line 1 columns 6–30 and line 2 columns 1–7, 9–15 and 19–29.
constexpr Span kCompositeLine1{5, 30};
constexpr std::array<Span, 3> kCompositeLine2{{{0, 7}, {8, 15}, {18, 29}}};
}  // namespace td1

std::vector<std::vector<CharClass>> makeLayout(MrzFormat f) {
    using C = CharClass;
    auto fill = [](std::vector<C>& line, Span s, C c) {
        std::fill(line.begin() + s.begin, line.begin() + s.end, c);
    };
    if (f == MrzFormat::Td3) {
        std::vector<C> l1(kTd3LineLength, C::Alpha), l2(kTd3LineLength, C::AlphaNumeric);
        fill(l2, td3::kNumberCheck, C::Numeric);
        fill(l2, td3::kNationality, C::Alpha);
        fill(l2, td3::kBirth, C::NumericOrFiller);
        fill(l2, td3::kBirthCheck, C::Numeric);
        fill(l2, td3::kSex, C::Sex);
        fill(l2, td3::kExpiry, C::Numeric);
        fill(l2, td3::kExpiryCheck, C::Numeric);
        fill(l2, td3::kOptionalCheck, C::NumericOrFiller);
        fill(l2, td3::kComposite, C::Numeric);
        return {l1, l2};
    }
    std::vector<C> l1(kTd1LineLength, C::AlphaNumeric), l2(kTd1LineLength, C::Numeric), l3(kTd1LineLength, C::Alpha);
    fill(l1, td1::kCode, C::Alpha);
    fill(l1, td1::kState, C::Alpha);
    fill(l1, td1::kNumberCheck, C::NumericOrFiller);  // '<' when the number runs on (long numbers)
    fill(l2, td1::kBirth, C::NumericOrFiller);
    fill(l2, td1::kSex, C::Sex);
    fill(l2, td1::kNationality, C::Alpha);
    fill(l2, td1::kOptional2, C::AlphaNumeric);
    return {l1, l2, l3};
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isLetter(char c) { return c >= 'A' && c <= 'Z'; }

std::string_view trimFillers(std::string_view s) {
    while (!s.empty() && s.back() == kFiller) s.remove_suffix(1);
    while (!s.empty() && s.front() == kFiller) s.remove_prefix(1);
    return s;
}

// A field's printed check digit against the one computed over `field`.
bool checks(std::string_view field, char printed) {
    const int d = checkDigit(field);
    return d >= 0 && isDigit(printed) && printed - '0' == d;
}

// Name field: primary identifier before the first "<<", given names after it, '<' → ' '.
void splitName(std::string_view field, MrzFields& out) {
    const std::string_view name = trimFillers(field);
    const auto sep = name.find("<<");
    std::string_view primary = name.substr(0, sep);
    std::string_view given = sep == std::string_view::npos ? std::string_view{} : trimFillers(name.substr(sep + 2));
    auto spaced = [](std::string_view s, SecretString& into) {
        std::string tmp(s);
        std::replace(tmp.begin(), tmp.end(), kFiller, ' ');
        into.assign(tmp);
        secureZero(tmp.data(), tmp.size());
    };
    spaced(primary, out.primaryIdentifier);
    spaced(given, out.givenNames);
}

// YYMMDD with digits, or '<' for an unknown part (birth dates only); month and day in range.
bool plausibleDate(std::string_view d, bool unknownPartsAllowed) {
    auto part = [&](int at, int max, bool mayBeUnknown) {
        const char a = d[std::size_t(at)], b = d[std::size_t(at + 1)];
        if (a == kFiller && b == kFiller) return mayBeUnknown;
        if (!isDigit(a) || !isDigit(b)) return false;
        const int v = (a - '0') * 10 + (b - '0');
        return max == 0 || (v >= 1 && v <= max);
    };
    return part(0, 0, unknownPartsAllowed) && part(2, kMonthsPerYear, unknownPartsAllowed) &&
           part(4, kMaxDayOfMonth, unknownPartsAllowed);
}

Error lineError(std::size_t line, std::string_view what) {
    return makeError("MRZ line " + std::to_string(line + 1) + ": " + std::string(what));
}

Result<ParsedMrz> parseTd3(std::string_view l1, std::string_view l2) {
    ParsedMrz out;
    MrzFields& f = out.fields;
    f.format = MrzFormat::Td3;
    if (l1[0] != 'P') return lineError(0, "a TD3 document code starts with P");
    if (!plausibleDate(td3::kBirth.of(l2), true)) return lineError(1, "birth date is not a date");
    if (!plausibleDate(td3::kExpiry.of(l2), false)) return lineError(1, "expiry date is not a date");

    f.documentCode.assign(trimFillers(td3::kCode.of(l1)));
    f.issuingState.assign(trimFillers(td3::kState.of(l1)));
    splitName(td3::kName.of(l1), f);
    f.documentNumber.assign(trimFillers(td3::kNumber.of(l2)));
    f.nationality.assign(trimFillers(td3::kNationality.of(l2)));
    f.birthDate.assign(td3::kBirth.of(l2));
    f.sex.assign(trimFillers(td3::kSex.of(l2)));
    f.expiryDate.assign(td3::kExpiry.of(l2));
    f.optionalData.assign(trimFillers(td3::kOptional.of(l2)));

    CheckResults& c = out.checks;
    c.documentNumber = checks(td3::kNumber.of(l2), l2[td3::kNumberCheck.begin]);
    c.birthDate = checks(td3::kBirth.of(l2), l2[td3::kBirthCheck.begin]);
    c.expiryDate = checks(td3::kExpiry.of(l2), l2[td3::kExpiryCheck.begin]);
    // Part 4: over an all-filler personal number the check digit may be '<' (or 0).
    const char optionalCheck = l2[td3::kOptionalCheck.begin];
    c.optionalData = checks(td3::kOptional.of(l2), optionalCheck) ||
                     (optionalCheck == kFiller && trimFillers(td3::kOptional.of(l2)).empty());
    std::string composite;
    for (const Span& s : td3::kCompositeSpans) composite += s.of(l2);
    c.composite = checks(composite, l2[td3::kComposite.begin]);
    secureZero(composite.data(), composite.size());
    return out;
}

Result<ParsedMrz> parseTd1(std::string_view l1, std::string_view l2, std::string_view l3) {
    ParsedMrz out;
    MrzFields& f = out.fields;
    f.format = MrzFormat::Td1;
    if (l1[0] != 'I' && l1[0] != 'A' && l1[0] != 'C') return lineError(0, "a TD1 document code starts with I, A or C");
    if (!plausibleDate(td1::kBirth.of(l2), true)) return lineError(1, "birth date is not a date");
    if (!plausibleDate(td1::kExpiry.of(l2), false)) return lineError(1, "expiry date is not a date");

    f.documentCode.assign(trimFillers(td1::kCode.of(l1)));
    f.issuingState.assign(trimFillers(td1::kState.of(l1)));
    CheckResults& c = out.checks;
    const std::string_view optional1 = td1::kOptional1.of(l1);
    if (l1[td1::kNumberCheck.begin] == kFiller) {
        // Part 5 §4.2.4: a number longer than 9 characters runs on into optional data 1, followed
        // by its check digit and a filler; the check digit covers the whole number.
        const auto end = optional1.find(kFiller);
        const std::string_view overflow = optional1.substr(0, end);
        if (overflow.empty()) return lineError(0, "a long document number without its rest");
        std::string number(td1::kNumber.of(l1));
        number += overflow.substr(0, overflow.size() - 1);
        c.documentNumber = checks(number, overflow.back());
        f.documentNumber.assign(number);
        secureZero(number.data(), number.size());
        f.optionalData.assign(trimFillers(optional1.substr(overflow.size())));
    } else {
        c.documentNumber = checks(td1::kNumber.of(l1), l1[td1::kNumberCheck.begin]);
        f.documentNumber.assign(trimFillers(td1::kNumber.of(l1)));
        f.optionalData.assign(trimFillers(optional1));
    }
    const std::string_view optional2 = trimFillers(td1::kOptional2.of(l2));
    if (!optional2.empty()) {
        if (!f.optionalData.empty()) f.optionalData.append(" ");
        f.optionalData.append(optional2);
    }
    f.birthDate.assign(td1::kBirth.of(l2));
    f.sex.assign(trimFillers(td1::kSex.of(l2)));
    f.expiryDate.assign(td1::kExpiry.of(l2));
    f.nationality.assign(trimFillers(td1::kNationality.of(l2)));
    splitName(td1::kName.of(l3), f);

    c.birthDate = checks(td1::kBirth.of(l2), l2[td1::kBirthCheck.begin]);
    c.expiryDate = checks(td1::kExpiry.of(l2), l2[td1::kExpiryCheck.begin]);
    c.optionalData = true;  // TD1 prints no check digit over its optional data
    std::string composite(td1::kCompositeLine1.of(l1));
    for (const Span& s : td1::kCompositeLine2) composite += s.of(l2);
    c.composite = checks(composite, l2[td1::kComposite.begin]);
    secureZero(composite.data(), composite.size());
    return out;
}

}  // namespace

std::string_view toString(MrzFormat f) { return f == MrzFormat::Td3 ? "TD3" : "TD1"; }
int lineCount(MrzFormat f) { return f == MrzFormat::Td3 ? kTd3Lines : kTd1Lines; }
int lineLength(MrzFormat f) { return f == MrzFormat::Td3 ? kTd3LineLength : kTd1LineLength; }

std::vector<std::size_t> checkDigitCells(MrzFormat f) {
    if (f == MrzFormat::Td3) {
        const auto cell = [](Span s) { return std::size_t(kTd3LineLength + s.begin); };  // line 2
        return {cell(td3::kNumberCheck), cell(td3::kBirthCheck), cell(td3::kExpiryCheck), cell(td3::kOptionalCheck),
                cell(td3::kComposite)};
    }
    const auto cell = [](Span s) { return std::size_t(kTd1LineLength + s.begin); };  // line 2
    return {std::size_t(td1::kNumberCheck.begin), cell(td1::kBirthCheck), cell(td1::kExpiryCheck), cell(td1::kComposite)};
}

namespace {

std::vector<int> makeCheckedFields(MrzFormat f) {
    const int chars = lineLength(f);
    std::vector<int> out(std::size_t(lineCount(f) * chars), kUnchecked);
    auto mark = [&](int line, Span s, int field) {
        for (int c = s.begin; c < s.end; ++c) out[std::size_t(line * chars + c)] = field;
    };
    if (f == MrzFormat::Td3) {
        mark(1, td3::kNumber, 0), mark(1, td3::kNumberCheck, 0);
        mark(1, td3::kBirth, 1), mark(1, td3::kBirthCheck, 1);
        mark(1, td3::kExpiry, 2), mark(1, td3::kExpiryCheck, 2);
        mark(1, td3::kOptional, 3), mark(1, td3::kOptionalCheck, 3);
        mark(1, td3::kComposite, kCompositeOnly);
    } else {
        mark(0, td1::kNumber, 0), mark(0, td1::kNumberCheck, 0);
        mark(0, td1::kOptional1, kCompositeOnly);
        mark(1, td1::kBirth, 1), mark(1, td1::kBirthCheck, 1);
        mark(1, td1::kExpiry, 2), mark(1, td1::kExpiryCheck, 2);
        mark(1, td1::kOptional2, kCompositeOnly), mark(1, td1::kComposite, kCompositeOnly);
    }
    return out;
}

}  // namespace

const std::vector<int>& checkedFields(MrzFormat f) {
    static const auto kTd3 = makeCheckedFields(MrzFormat::Td3);
    static const auto kTd1 = makeCheckedFields(MrzFormat::Td1);
    return f == MrzFormat::Td3 ? kTd3 : kTd1;
}

int characterValue(char c) {
    if (isDigit(c)) return c - '0';
    if (isLetter(c)) return c - 'A' + kLetterValueOffset;
    if (c == kFiller) return 0;
    return -1;
}

int checkDigit(std::string_view field) {
    int sum = 0;
    for (std::size_t i = 0; i < field.size(); ++i) {
        const int v = characterValue(field[i]);
        if (v < 0) return -1;
        sum += v * kWeights[i % kWeights.size()];
    }
    return sum % kCheckModulus;
}

const std::vector<std::vector<CharClass>>& layout(MrzFormat f) {
    static const auto kTd3 = makeLayout(MrzFormat::Td3);
    static const auto kTd1 = makeLayout(MrzFormat::Td1);
    return f == MrzFormat::Td3 ? kTd3 : kTd1;
}

bool allowed(CharClass c, char ch) {
    switch (c) {
        case CharClass::Alpha: return isLetter(ch) || ch == kFiller;
        case CharClass::Numeric: return isDigit(ch);
        case CharClass::NumericOrFiller: return isDigit(ch) || ch == kFiller;
        case CharClass::AlphaNumeric: return isLetter(ch) || isDigit(ch) || ch == kFiller;
        case CharClass::Sex: return ch == 'M' || ch == 'F' || ch == 'X' || ch == kFiller;
    }
    return false;
}

Result<ParsedMrz> parseMrz(const std::vector<std::string_view>& lines) {
    MrzFormat format;
    if (lines.size() == kTd3Lines) {
        format = MrzFormat::Td3;
    } else if (lines.size() == kTd1Lines) {
        format = MrzFormat::Td1;
    } else {
        return makeError("an MRZ has 2 (TD3) or 3 (TD1) lines, not " + std::to_string(lines.size()));
    }
    const auto& classes = layout(format);
    for (std::size_t l = 0; l < lines.size(); ++l) {
        if (int(lines[l].size()) != lineLength(format)) {
            return lineError(l, "a " + std::string(toString(format)) + " line has " + std::to_string(lineLength(format)) +
                                    " characters, not " + std::to_string(lines[l].size()));
        }
        for (std::size_t i = 0; i < lines[l].size(); ++i) {
            if (!allowed(classes[l][i], lines[l][i])) {
                return lineError(l, "column " + std::to_string(i + 1) + " holds a character its field does not allow");
            }
        }
    }
    return format == MrzFormat::Td3 ? parseTd3(lines[0], lines[1]) : parseTd1(lines[0], lines[1], lines[2]);
}

Result<ParsedMrz> parseMrzText(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    const char separator = text.find('\n') != std::string_view::npos ? '\n' : ' ';
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (true) {
        const auto end = text.find(separator, start);
        std::string_view line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        if (end == std::string_view::npos || lines.size() > kTd1Lines) break;
        start = end + 1;
    }
    return parseMrz(lines);
}

int birthYear(int twoDigitYear, int referenceYear) {
    const int century = referenceYear / kCentury * kCentury;
    const int year = century + twoDigitYear;
    return year <= referenceYear ? year : year - kCentury;
}

int expiryYear(int twoDigitYear, int referenceYear) {
    const int century = referenceYear / kCentury * kCentury;
    int year = century + twoDigitYear;
    if (year > referenceYear + kExpiryWindowYears) year -= kCentury;
    if (year < referenceYear - kExpiryWindowYears) year += kCentury;
    return year;
}

Result<IdentityDocument> toIdentityDocument(const ParsedMrz& mrz, int referenceYear) {
    if (!mrz.checks.all()) return makeError("MRZ check digits do not all pass");
    const MrzFields& f = mrz.fields;
    IdentityDocument doc;
    doc.type = f.format == MrzFormat::Td3 ? DocumentType::Passport : DocumentType::IdTd1;
    doc.number = f.documentNumber;
    doc.nationality = f.nationality;
    doc.primaryIdentifier = f.primaryIdentifier;
    doc.givenNames = f.givenNames;
    const std::string_view d = f.birthDate.view();
    if (d.size() == 6 && isDigit(d[0]) && isDigit(d[1])) {
        char buf[11];  // YYYY-MM-DD
        const int year = birthYear((d[0] - '0') * 10 + (d[1] - '0'), referenceYear);
        int n = std::snprintf(buf, sizeof buf, "%04d", year);
        if (d[2] != kFiller) {
            n += std::snprintf(buf + n, sizeof buf - std::size_t(n), "-%c%c", d[2], d[3]);
            if (d[4] != kFiller) std::snprintf(buf + n, sizeof buf - std::size_t(n), "-%c%c", d[4], d[5]);
        }
        doc.birthDate.assign(buf);
        secureZero(buf, sizeof buf);
    }
    return doc;
}

}  // namespace sentinel::mrz

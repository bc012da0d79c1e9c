// The parser against the ICAO Doc 9303 specimens (Part 4 Appendix B: the TD3 data page of Anna Maria
// Eriksson of Utopia; Part 5: the TD1 card of the same holder), written here as literals, and every
// single-character mutation of them.
#include "firmware/mrz/MrzParser.h"

#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sentinel::mrz {
namespace {

const std::vector<std::string> kTd3Specimen{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                                            "L898902C36UTO7408122F1204159ZE184226B<<<<<10"};
const std::vector<std::string> kTd1Specimen{"I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6",
                                            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"};
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<";

Result<ParsedMrz> parse(const std::vector<std::string>& lines) {
    std::vector<std::string_view> views(lines.begin(), lines.end());
    return parseMrz(views);
}

bool accepted(const std::vector<std::string>& lines) {
    auto r = parse(lines);
    return r.ok() && r->checks.all();
}

TEST(MrzParser, CheckDigitsOfTheSpecimenFieldsAreThePrintedOnes) {
    EXPECT_EQ(checkDigit("L898902C3"), 6);
    EXPECT_EQ(checkDigit("740812"), 2);
    EXPECT_EQ(checkDigit("120415"), 9);
    EXPECT_EQ(checkDigit("ZE184226B<<<<<"), 1);
    EXPECT_EQ(checkDigit("D23145890"), 7);
    EXPECT_EQ(checkDigit("L8989a"), -1);
}

// The cells checkDigitCells names hold the printed check digits: each is a digit, and changing it
// alone fails exactly one check of the specimen (the composite's own, or its field's and the
// composite's).
TEST(MrzParser, CheckDigitCellsAreWhereTheSpecimensPrintTheirCheckDigits) {
    for (const auto& [format, specimen] : {std::pair{MrzFormat::Td3, kTd3Specimen}, std::pair{MrzFormat::Td1, kTd1Specimen}}) {
        const auto cells = checkDigitCells(format);
        ASSERT_EQ(cells.size(), format == MrzFormat::Td3 ? 5u : 4u);
        const std::size_t chars = std::size_t(lineLength(format));
        for (std::size_t cell : cells) {
            std::vector<std::string> mutated = specimen;
            char& c = mutated[cell / chars][cell % chars];
            ASSERT_TRUE(std::isdigit(static_cast<unsigned char>(c)) || c == '<') << toString(format) << " cell " << cell;
            c = c == '1' ? '2' : '1';
            auto r = parse(mutated);
            ASSERT_TRUE(r.ok()) << toString(format) << " cell " << cell;
            EXPECT_FALSE(r->checks.all()) << toString(format) << " cell " << cell;
        }
        EXPECT_EQ(cells.back(), 2 * chars - 1) << "the composite last: line 2, last column";
    }
}

// Every cell of the specimens changed to a character of another check-digit value (its class
// allows): the field checkedFields names fails its own check, a composite-only cell fails the
// composite alone, and an unchecked cell fails nothing.
TEST(MrzParser, CheckedFieldsNameTheCheckThatSeesEachCell) {
    for (const auto& [format, specimen] : {std::pair{MrzFormat::Td3, kTd3Specimen}, std::pair{MrzFormat::Td1, kTd1Specimen}}) {
        const std::vector<int> fields = checkedFields(format);
        const std::size_t chars = std::size_t(lineLength(format));
        ASSERT_EQ(fields.size(), specimen.size() * chars);
        for (std::size_t cell = 0; cell < fields.size(); ++cell) {
            // The first character of another value that its position allows and the parser takes
            // (dates must stay dates): none for the document code's letter or a month's tens digit.
            const char printed = specimen[cell / chars][cell % chars];
            const std::string where = std::string(toString(format)) + " cell " + std::to_string(cell);
            std::optional<ParsedMrz> r;
            for (char c : kAlphabet) {
                if (characterValue(c) % 10 == characterValue(printed) % 10 || !allowed(layout(format)[cell / chars][cell % chars], c)) continue;
                std::vector<std::string> mutated = specimen;
                mutated[cell / chars][cell % chars] = c;
                auto parsed = parse(mutated);
                if (!parsed.ok()) continue;
                r = std::move(*parsed);
                break;
            }
            if (!r) continue;
            const CheckResults& k = r->checks;
            const std::vector<bool> own{k.documentNumber, k.birthDate, k.expiryDate, k.optionalData};
            if (fields[cell] == kUnchecked) {
                EXPECT_TRUE(k.all()) << where;
            } else if (fields[cell] == kCompositeOnly) {
                EXPECT_FALSE(k.composite) << where;
                EXPECT_TRUE(k.documentNumber && k.birthDate && k.expiryDate && k.optionalData) << where;
            } else {
                ASSERT_LT(fields[cell], 4) << where;
                EXPECT_FALSE(own[std::size_t(fields[cell])]) << where;
            }
        }
    }
}

TEST(MrzParser, Td3SpecimenParsesAndPassesEveryCheck) {
    auto r = parse(kTd3Specimen);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->checks.all());
    const MrzFields& f = r->fields;
    EXPECT_EQ(f.format, MrzFormat::Td3);
    EXPECT_EQ(f.documentCode.view(), "P");
    EXPECT_EQ(f.issuingState.view(), "UTO");
    EXPECT_EQ(f.primaryIdentifier.view(), "ERIKSSON");
    EXPECT_EQ(f.givenNames.view(), "ANNA MARIA");
    EXPECT_EQ(f.documentNumber.view(), "L898902C3");
    EXPECT_EQ(f.nationality.view(), "UTO");
    EXPECT_EQ(f.birthDate.view(), "740812");
    EXPECT_EQ(f.sex.view(), "F");
    EXPECT_EQ(f.expiryDate.view(), "120415");
    EXPECT_EQ(f.optionalData.view(), "ZE184226B");
}

TEST(MrzParser, Td1SpecimenParsesAndPassesEveryCheck) {
    auto r = parse(kTd1Specimen);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->checks.all());
    const MrzFields& f = r->fields;
    EXPECT_EQ(f.format, MrzFormat::Td1);
    EXPECT_EQ(f.documentCode.view(), "I");
    EXPECT_EQ(f.documentNumber.view(), "D23145890");
    EXPECT_EQ(f.birthDate.view(), "740812");
    EXPECT_EQ(f.expiryDate.view(), "120415");
    EXPECT_EQ(f.nationality.view(), "UTO");
    EXPECT_EQ(f.primaryIdentifier.view(), "ERIKSSON");
    EXPECT_EQ(f.givenNames.view(), "ANNA MARIA");
}

TEST(MrzParser, Td1LongDocumentNumberIsJoinedFromTheOptionalData) {
    // Part 5 §4.2.4: a 12-character number, its first 9 in columns 6–14, a filler in 15, the rest and
    // its check digit (over the whole number) from column 16.
    const std::string number = "D23145890123";
    std::string l1 = "I<UTO" + number.substr(0, 9) + "<" + number.substr(9) + char('0' + checkDigit(number));
    l1.resize(kTd1LineLength, '<');
    std::string l2 = "7408122F1204159UTO<<<<<<<<<<<";
    l2 += char('0' + checkDigit(l1.substr(5, 25) + l2.substr(0, 7) + l2.substr(8, 7) + l2.substr(18, 11)));
    auto r = parse({l1, l2, kTd1Specimen[2]});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->checks.all());
    EXPECT_EQ(r->fields.documentNumber.view(), number);
}

TEST(MrzParser, TextFormsSplitOnNewlinesOrSingleSpaces) {
    EXPECT_TRUE(parseMrzText(kTd3Specimen[0] + "\n" + kTd3Specimen[1] + "\n").ok());
    EXPECT_TRUE(parseMrzText(kTd3Specimen[0] + "\r\n" + kTd3Specimen[1]).ok());
    EXPECT_TRUE(parseMrzText(kTd1Specimen[0] + " " + kTd1Specimen[1] + " " + kTd1Specimen[2]).ok());
    EXPECT_FALSE(parseMrzText(kTd3Specimen[0]).ok());
}

TEST(MrzParser, LayoutErrorsNameThePlaceButNeverQuoteTheText) {
    auto shortLine = parse({kTd3Specimen[0], kTd3Specimen[1].substr(0, 43)});
    ASSERT_FALSE(shortLine.ok());
    auto lowercase = parse({"P<UTOERIKSSON<<ANNa<MARIA<<<<<<<<<<<<<<<<<<<", kTd3Specimen[1]});
    ASSERT_FALSE(lowercase.ok());
    EXPECT_NE(lowercase.error().message.find("column 19"), std::string::npos) << lowercase.error().message;
    for (const auto& e : {shortLine.error(), lowercase.error()}) {
        EXPECT_EQ(e.message.find("ERIKSSON"), std::string::npos);
        EXPECT_EQ(e.message.find("L898902C3"), std::string::npos);
    }
    EXPECT_FALSE(parse({kTd3Specimen[0]}).ok());
    EXPECT_FALSE(parse({"V" + kTd3Specimen[0].substr(1), kTd3Specimen[1]}).ok());  // a visa is not a TD3 passport
}

// Fields each check digit covers (line, begin, end), the check digits' places and the birth date's
// place, read off Doc 9303 Parts 4 and 5 independently of the parser's tables.
struct Coverage {
    std::vector<std::vector<std::tuple<int, int, int>>> checks;  // per check: the spans it covers
    std::set<std::pair<int, int>> digits;                        // (line, column) of check digits
    int birthLine = 0, birthBegin = 0;                           // YYMMDD
};

Coverage td3Coverage() {
    return {{{{1, 0, 9}}, {{1, 13, 19}}, {{1, 21, 27}}, {{1, 28, 42}}, {{1, 0, 10}, {1, 13, 20}, {1, 21, 43}}},
            {{1, 9}, {1, 19}, {1, 27}, {1, 42}, {1, 43}},
            1,
            13};
}

Coverage td1Coverage() {
    return {{{{0, 5, 14}}, {{1, 0, 6}}, {{1, 8, 14}}, {{0, 5, 30}, {1, 0, 7}, {1, 8, 15}, {1, 18, 29}}},
            {{0, 14}, {1, 6}, {1, 14}, {1, 29}},
            1,
            0};
}

// Whether the checks (and the field alphabets) let a substitution of `from` by `to` at (line, col) pass.
bool expectedToPass(const Coverage& cov, MrzFormat format, int line, int col, char from, char to) {
    if (cov.digits.count({line, col}) > 0) return false;  // a different check digit never matches
    if (!allowed(layout(format)[std::size_t(line)][std::size_t(col)], to)) return false;
    if (line == 0 && col == 0) return format == MrzFormat::Td3 ? to == 'P' : (to == 'I' || to == 'A' || to == 'C');
    // An unknown part of a birth date is "<<" (month or day); a lone filler in a date is malformed,
    // whatever the check digit says (0 and '<' are both worth 0).
    if (line == cov.birthLine && col >= cov.birthBegin && col < cov.birthBegin + 6 && to == '<') return false;
    for (const auto& check : cov.checks)
        for (const auto& [l, b, e] : check)
            if (l == line && col >= b && col < e && (characterValue(to) - characterValue(from)) % 10 != 0) return false;
    return true;
}

void mutateAll(const std::vector<std::string>& specimen, MrzFormat format, const Coverage& cov, int& undetected) {
    undetected = 0;
    for (int l = 0; l < int(specimen.size()); ++l) {
        for (int c = 0; c < int(specimen[std::size_t(l)].size()); ++c) {
            for (char to : kAlphabet) {
                const char from = specimen[std::size_t(l)][std::size_t(c)];
                if (to == from) continue;
                std::vector<std::string> m = specimen;
                m[std::size_t(l)][std::size_t(c)] = to;
                const bool expected = expectedToPass(cov, format, l, c, from, to);
                EXPECT_EQ(accepted(m), expected) << "line " << l + 1 << " column " << c + 1 << ": " << from << " -> " << to;
                undetected += expected;
            }
        }
    }
}

TEST(MrzParser, Td3SingleCharacterMutationsAreRejectedExactlyWhenTheCheckDigitsSaySo) {
    int undetected = 0;
    mutateAll(kTd3Specimen, MrzFormat::Td3, td3Coverage(), undetected);
    // Undetectable (README): substitutions in the unchecked fields (document type, state, names,
    // nationality, sex) within their alphabets, and congruent ones (mod 10) in the checked
    // alphanumeric fields; a '0' turned '<' in the birth date is caught by the layout, not the check.
    EXPECT_GT(undetected, 0);
}

TEST(MrzParser, Td1SingleCharacterMutationsAreRejectedExactlyWhenTheCheckDigitsSaySo) {
    int undetected = 0;
    mutateAll(kTd1Specimen, MrzFormat::Td1, td1Coverage(), undetected);
    EXPECT_GT(undetected, 0);
}

TEST(MrzParser, LookAlikesCongruentModTenPassTheCheckDigits) {
    // The documented blind spots: 6/G and 8/S in a checked field change no check digit.
    std::vector<std::string> g = kTd3Specimen;
    g[1][35] = 'G';  // personal number ZE184226B -> ZE18422GB
    EXPECT_TRUE(accepted(g));
    std::vector<std::string> s = kTd3Specimen;
    s[1][1] = 'S';  // document number L898902C3 -> LS98902C3
    EXPECT_TRUE(accepted(s));
    std::vector<std::string> b = kTd3Specimen;
    b[1][1] = 'B';  // 8 -> B is caught
    EXPECT_FALSE(accepted(b));
}

TEST(MrzParser, NamesSplitAtTheFirstDoubleFillerWithFillersAsSpaces) {
    std::vector<std::string> t = kTd3Specimen;
    t[0] = "P<UTOVAN<DER<BERG<<ANNA<<<<<<<<<<<<<<<<<<<<<";
    auto r = parse(t);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->fields.primaryIdentifier.view(), "VAN DER BERG");
    EXPECT_EQ(r->fields.givenNames.view(), "ANNA");
    t[0] = "P<UTOMONONYM<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<";
    r = parse(t);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->fields.primaryIdentifier.view(), "MONONYM");
    EXPECT_TRUE(r->fields.givenNames.empty());
}

TEST(MrzParser, BirthCenturyIsTheLatestThatDoesNotLieAfterTheReferenceYear) {
    EXPECT_EQ(birthYear(74, 2026), 1974);
    EXPECT_EQ(birthYear(26, 2026), 2026);
    EXPECT_EQ(birthYear(27, 2026), 1927);
    EXPECT_EQ(birthYear(0, 2026), 2000);
    EXPECT_EQ(expiryYear(12, 2026), 2012);
    EXPECT_EQ(expiryYear(36, 2026), 2036);
    EXPECT_EQ(expiryYear(99, 2026), 1999);
}

TEST(MrzParser, IdentityDocumentOfTheTd3Specimen) {
    auto r = parse(kTd3Specimen);
    ASSERT_TRUE(r.ok());
    auto doc = toIdentityDocument(*r, 2026);
    ASSERT_TRUE(doc.ok()) << doc.error().message;
    EXPECT_EQ(doc->type, DocumentType::Passport);
    EXPECT_EQ(doc->number.view(), "L898902C3");
    EXPECT_EQ(doc->birthDate.view(), "1974-08-12");
    EXPECT_EQ(doc->nationality.view(), "UTO");
    EXPECT_EQ(doc->primaryIdentifier.view(), "ERIKSSON");
    EXPECT_EQ(doc->givenNames.view(), "ANNA MARIA");
}

TEST(MrzParser, IdentityDocumentOfTheTd1SpecimenIsAnIdTd1) {
    auto r = parse(kTd1Specimen);
    ASSERT_TRUE(r.ok());
    auto doc = toIdentityDocument(*r, 2026);
    ASSERT_TRUE(doc.ok());
    EXPECT_EQ(doc->type, DocumentType::IdTd1);
    EXPECT_EQ(toString(doc->type), "ID-TD1");
}

TEST(MrzParser, UnknownBirthDayAndMonthShortenTheBirthDate) {
    std::string l2 = "L898902C36UTO74<<<<" ;
    l2 += char('0' + checkDigit("74<<<<"));
    l2 += "F1204159ZE184226B<<<<<1";
    l2 += char('0' + checkDigit(l2.substr(0, 10) + l2.substr(13, 7) + l2.substr(21, 22)));
    auto r = parse({kTd3Specimen[0], l2});
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_TRUE(r->checks.all());
    auto doc = toIdentityDocument(*r, 2026);
    ASSERT_TRUE(doc.ok());
    EXPECT_EQ(doc->birthDate.view(), "1974");
}

TEST(MrzParser, AWhollyUnknownBirthDateLeavesTheBirthDateEmpty) {
    // Found by the fuzzer: "<<<<<<" (check digit 0) is a valid unknown date of birth.
    std::string l2 = "L898902C36UTO<<<<<<0F1204159ZE184226B<<<<<1";
    l2 += char('0' + checkDigit(l2.substr(0, 10) + l2.substr(13, 7) + l2.substr(21, 22)));
    auto r = parse({kTd3Specimen[0], l2});
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_TRUE(r->checks.all());
    auto doc = toIdentityDocument(*r, 2026);
    ASSERT_TRUE(doc.ok());
    EXPECT_TRUE(doc->birthDate.empty());
}

TEST(MrzParser, NoIdentityDocumentWhenACheckFails) {
    std::vector<std::string> bad = kTd3Specimen;
    bad[1][9] = '7';
    auto r = parse(bad);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->checks.documentNumber);
    EXPECT_FALSE(toIdentityDocument(*r, 2026).ok());
}

}  // namespace
}  // namespace sentinel::mrz

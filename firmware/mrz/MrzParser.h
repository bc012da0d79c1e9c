#pragma once
// ICAO Doc 9303 machine readable zones as text: layout, field extraction and every check digit
// (pure: text in, values out; no I/O, no logging). TD3 (passports: 2 lines × 44, Part 4) and TD1
// (cards: 3 lines × 30, Part 5). The text is personal data (DESIGN §15, STYLE 19): the fields come
// back in SecretStrings, and no error message ever quotes the input.
//
// Check digits (Part 3 §4.9): characters valued 0–9 → 0–9, A–Z → 10–35, '<' → 0, weighted 7, 3, 1
// repeating from the left, sum mod 10. A substitution inside a checked field goes undetected exactly
// when the two characters' values are congruent mod 10 (the weights are prime to 10): the classes
// 0 A K U <, 1 B L V, 2 C M W, 3 D N X, 4 E O Y, 5 F P Z, 6 G Q, 7 H R, 8 I S, 9 J T. Of these
// G/6, Q/6, S/8, I/8 and K/< look alike in OCR-B; the reader must not confuse them (README).
// Names, issuing state, nationality, sex and the document code are covered by no check digit.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/IdentityDocument.h"
#include "firmware/base/Result.h"
#include "firmware/base/Secret.h"

namespace sentinel::mrz {

enum class MrzFormat { Td3, Td1 };
std::string_view toString(MrzFormat f);  // "TD3", "TD1"

inline constexpr int kTd3Lines = 2;
inline constexpr int kTd3LineLength = 44;
inline constexpr int kTd1Lines = 3;
inline constexpr int kTd1LineLength = 30;
inline constexpr char kFiller = '<';

int lineCount(MrzFormat f);
int lineLength(MrzFormat f);
// Cells (line × lineLength + column) of `f`'s printed check digits, the composite last. A TD1
// number longer than 9 characters carries its check digit inside the optional data instead of
// the first (then a filler).
std::vector<std::size_t> checkDigitCells(MrzFormat f);
// Per cell of `f` (line × lineLength + column): the field whose own check digit covers it (the
// field's cells and the digit itself; 0, 1, …), kCompositeOnly where only the composite does (the
// composite digit, TD1's optional data), kUnchecked where none does (names, codes, sex).
inline constexpr int kCompositeOnly = 100;
inline constexpr int kUnchecked = -1;
const std::vector<int>& checkedFields(MrzFormat f);

// Check-digit value of one MRZ character; -1 outside the MRZ alphabet (A–Z, 0–9, '<').
int characterValue(char c);
// 7-3-1 check digit of `field` (0–9); -1 if a character is outside the MRZ alphabet.
int checkDigit(std::string_view field);

// What a character position may hold (Doc 9303 Parts 4 and 5 field definitions). The reader uses
// this to classify each position among its own alphabet only.
enum class CharClass {
    Alpha,         // A–Z and '<' (names, state codes, document code)
    Numeric,       // 0–9 (dates; check digits)
    NumericOrFiller,  // 0–9 or '<' (a check digit over an all-filler field, a partly unknown birth date)
    AlphaNumeric,  // A–Z, 0–9, '<' (document number, optional data)
    Sex,           // M, F, '<' (and X, Part 4 8th edition)
};
// The class of every position of every line of `f`, line by line.
const std::vector<std::vector<CharClass>>& layout(MrzFormat f);
bool allowed(CharClass c, char ch);
// No check digit covers a position of this class (names, state codes, the document code, sex): a
// glyph misread there passes every check.
inline bool uncheckedByDigits(CharClass c) { return c == CharClass::Alpha || c == CharClass::Sex; }

struct CheckResults {
    bool documentNumber = false;
    bool birthDate = false;
    bool expiryDate = false;
    bool optionalData = false;  // TD3: the personal number's check digit; TD1: none printed (true)
    bool composite = false;
    bool all() const { return documentNumber && birthDate && expiryDate && optionalData && composite; }
};

// The fields as printed, fillers removed at the ends; names with '<' as spaces.
struct MrzFields {
    MrzFormat format = MrzFormat::Td3;
    SecretString documentCode;    // "P", "PD", "I", "ID", "AC", …
    SecretString issuingState;    // "UTO", "D"
    SecretString documentNumber;  // TD1 numbers longer than 9 characters joined from the optional data
    SecretString birthDate;       // YYMMDD as printed ('<' for an unknown part)
    SecretString sex;             // "M", "F", "X" or "" (unspecified)
    SecretString expiryDate;      // YYMMDD
    SecretString nationality;
    SecretString primaryIdentifier;
    SecretString givenNames;
    SecretString optionalData;  // TD3 personal number; TD1 optional data 1 (after a long number) + 2
};

struct ParsedMrz {
    MrzFields fields;
    CheckResults checks;
};

// Parses one MRZ. `lines` must be 2 × 44 (TD3, first character 'P') or 3 × 30 (TD1, first
// character 'I', 'A' or 'C'), every character in its position's class. A layout or character error
// is an Error (its message names the line and column, never the text); a check digit that does not
// match is not an error: it is reported in `checks`.
Result<ParsedMrz> parseMrz(const std::vector<std::string_view>& lines);
// The same for text whose lines are separated by '\n' (a trailing newline and '\r' are ignored) or
// by single spaces (the benchmark manifest's form).
Result<ParsedMrz> parseMrzText(std::string_view text);

// The century rule for MRZ dates (YYMMDD carries no century). Birth dates: the latest century that
// does not put the birth after `referenceYear` (born 20YY if 20YY ≤ referenceYear, else 19YY; a
// holder of 100 years or more is dated a century late). Expiry dates: 20YY if that is at most 50
// years after `referenceYear`, else 19YY.
int birthYear(int twoDigitYear, int referenceYear);
int expiryYear(int twoDigitYear, int referenceYear);

// The identity document of an MRZ whose every check passed (an Error otherwise): PASSPORT for TD3,
// ID-TD1 for TD1; birth date as YYYY-MM-DD (YYYY or YYYY-MM when day or month are printed as '<<',
// empty when the whole date is, as Doc 9303 allows for an unknown date of birth).
Result<IdentityDocument> toIdentityDocument(const ParsedMrz& mrz, int referenceYear);

}  // namespace sentinel::mrz

#pragma once
// Citizen identity numbers (GB 11643-1999), as on the resident ID card and the HK/Macao/Taiwan
// residence permit (DESIGN §15: checked before the lookup). Pure: no I/O, no copies of the number.
//
// 18 characters: a 6-digit region code, the birth date YYYYMMDD (characters 7–14), a 3-digit
// sequence, and a check character by ISO 7064 MOD 11-2 over the first 17 digits ('0'–'9', 'X' for
// 10).

#include <optional>
#include <string_view>

namespace sentinel::credential {

enum class ResidentIdCheck {
    Valid,
    BadFormat,          // not 17 digits followed by a digit or 'X'
    BadCheckDigit,      // the check character is not the MOD 11-2 one
    BadBirthDate,       // characters 7–14 are not a real date (or before 1850)
    BirthDateMismatch,  // the date in the number differs from the card's birth date field
};

// "valid", "not 17 digits and a check character", … (no part of the number).
std::string_view describe(ResidentIdCheck c);

// The ISO 7064 MOD 11-2 check character for the first 17 digits; nullopt unless `first17` is
// exactly 17 digits.
std::optional<char> residentIdCheckCharacter(std::string_view first17);

// Checks format, check character and the birth date inside `number`; when `birthDate` (YYYY-MM-DD,
// the card's own field) is not empty it must equal that date. Checks run in that order and the
// first failure is returned.
ResidentIdCheck checkResidentId(std::string_view number, std::string_view birthDate);

}  // namespace sentinel::credential

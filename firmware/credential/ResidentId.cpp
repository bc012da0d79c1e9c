#include "firmware/credential/ResidentId.h"

#include <array>
#include <chrono>

namespace sentinel::credential {
namespace {

constexpr std::size_t kBodyDigits = 17;
constexpr std::size_t kNumberChars = kBodyDigits + 1;
constexpr std::size_t kBirthAt = 6;        // characters 7–14: YYYYMMDD
constexpr std::size_t kIsoDateChars = 10;  // YYYY-MM-DD
constexpr int kModulus = 11;               // ISO 7064 MOD 11-2
// Numbers were first issued to people alive in 1999 (GB 11643-1999); a year before this is no real
// birth date, whatever the calendar says.
constexpr int kEarliestBirthYear = 1850;
// Weights 2^(17-i) mod 11 for positions i = 1..17 (GB 11643-1999, 7.2).
constexpr std::array<int, kBodyDigits> kWeights{7, 9, 10, 5,  8, 4, 2, 1, 6,
                                                3, 7, 9,  10, 5, 8, 4, 2};
// Check character for (weighted sum mod 11) = 0..10.
constexpr std::array<char, kModulus> kCheckCharacters{'1', '0', 'X', '9', '8', '7',
                                                      '6', '5', '4', '3', '2'};

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

int number(std::string_view s) {
    int v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return v;
}

}  // namespace

std::string_view describe(ResidentIdCheck c) {
    switch (c) {
        case ResidentIdCheck::Valid:
            return "valid";
        case ResidentIdCheck::BadFormat:
            return "not 17 digits and a check character";
        case ResidentIdCheck::BadCheckDigit:
            return "check character wrong (ISO 7064 MOD 11-2)";
        case ResidentIdCheck::BadBirthDate:
            return "the birth date in the number is not a real date";
        case ResidentIdCheck::BirthDateMismatch:
            return "the birth date in the number differs from the card's";
    }
    return "invalid";
}

std::optional<char> residentIdCheckCharacter(std::string_view first17) {
    if (first17.size() != kBodyDigits) return std::nullopt;
    int sum = 0;
    for (std::size_t i = 0; i < kBodyDigits; ++i) {
        if (!isDigit(first17[i])) return std::nullopt;
        sum += (first17[i] - '0') * kWeights[i];
    }
    return kCheckCharacters[static_cast<std::size_t>(sum % kModulus)];
}

ResidentIdCheck checkResidentId(std::string_view id, std::string_view birthDate) {
    if (id.size() != kNumberChars) return ResidentIdCheck::BadFormat;
    const auto expected = residentIdCheckCharacter(id.substr(0, kBodyDigits));
    const char last = id[kBodyDigits];
    if (!expected || !(isDigit(last) || last == 'X')) return ResidentIdCheck::BadFormat;
    if (last != *expected) return ResidentIdCheck::BadCheckDigit;

    const auto year = id.substr(kBirthAt, 4), month = id.substr(kBirthAt + 4, 2),
               day = id.substr(kBirthAt + 6, 2);
    const std::chrono::year_month_day date{std::chrono::year{number(year)},
                                           std::chrono::month{static_cast<unsigned>(number(month))},
                                           std::chrono::day{static_cast<unsigned>(number(day))}};
    if (!date.ok() || number(year) < kEarliestBirthYear) return ResidentIdCheck::BadBirthDate;
    if (!birthDate.empty()) {
        const bool same = birthDate.size() == kIsoDateChars && birthDate.substr(0, 4) == year &&
                          birthDate[4] == '-' && birthDate.substr(5, 2) == month &&
                          birthDate[7] == '-' && birthDate.substr(8, 2) == day;
        if (!same) return ResidentIdCheck::BirthDateMismatch;
    }
    return ResidentIdCheck::Valid;
}

}  // namespace sentinel::credential

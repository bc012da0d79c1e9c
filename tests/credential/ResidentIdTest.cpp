// GB 11643-1999 citizen identity numbers: check character (ISO 7064 MOD 11-2) and the birth date
// inside.
#include <gtest/gtest.h>

#include <string>

#include "firmware/credential/ResidentId.h"

namespace sentinel::credential {
namespace {

TEST(ResidentId, StandardExamplesAreValid) {
    // GB 11643-1999 appendix examples (the second one with check character X).
    EXPECT_EQ(checkResidentId("440524188001010014", ""), ResidentIdCheck::Valid);
    EXPECT_EQ(checkResidentId("11010519491231002X", ""), ResidentIdCheck::Valid);
}

TEST(ResidentId, CheckCharacterIsComputedByMod11_2) {
    EXPECT_EQ(residentIdCheckCharacter("11010519491231002"), 'X');
    EXPECT_EQ(residentIdCheckCharacter("44052418800101001"), '4');
    EXPECT_FALSE(residentIdCheckCharacter("4405241880010100"));
    EXPECT_FALSE(residentIdCheckCharacter("4405241880010100A"));
}

TEST(ResidentId, WrongCheckCharacterIsRefused) {
    EXPECT_EQ(checkResidentId("440524188001010015", ""), ResidentIdCheck::BadCheckDigit);
    EXPECT_EQ(checkResidentId("110105194912310021", ""), ResidentIdCheck::BadCheckDigit);
}

TEST(ResidentId, WrongShapeIsRefused) {
    EXPECT_EQ(checkResidentId("44052418800101001", ""), ResidentIdCheck::BadFormat);
    EXPECT_EQ(checkResidentId("4405241880010100144", ""), ResidentIdCheck::BadFormat);
    EXPECT_EQ(checkResidentId("11010519491231002x", ""), ResidentIdCheck::BadFormat);
    EXPECT_EQ(checkResidentId("1101051949123100AX", ""), ResidentIdCheck::BadFormat);
    EXPECT_EQ(checkResidentId("", ""), ResidentIdCheck::BadFormat);
}

TEST(ResidentId, BirthDateThatIsNoDateIsRefusedEvenWithTheRightCheckCharacter) {
    // 1990-02-30 and 2001-02-29 do not exist; 2000-02-29 does. Check characters computed for each.
    for (const char* body : {"11010519900230001", "11010520010229001", "11010518491231001"}) {
        std::string id(body);
        id += *residentIdCheckCharacter(body);
        EXPECT_EQ(checkResidentId(id, ""), ResidentIdCheck::BadBirthDate) << id;
    }
    EXPECT_EQ(checkResidentId("110101200002290018", ""), ResidentIdCheck::Valid);
}

TEST(ResidentId, BirthDateMustEqualTheCardsBirthField) {
    EXPECT_EQ(checkResidentId("110105199003077032", "1990-03-07"), ResidentIdCheck::Valid);
    EXPECT_EQ(checkResidentId("110105199003077032", "1990-03-08"),
              ResidentIdCheck::BirthDateMismatch);
    EXPECT_EQ(checkResidentId("110105199003077032", "19900307"),
              ResidentIdCheck::BirthDateMismatch);
}

TEST(ResidentId, DescriptionsHoldNoPartOfTheNumber) {
    for (auto c :
         {ResidentIdCheck::Valid, ResidentIdCheck::BadFormat, ResidentIdCheck::BadCheckDigit,
          ResidentIdCheck::BadBirthDate, ResidentIdCheck::BirthDateMismatch})
        EXPECT_FALSE(describe(c).empty());
}

}  // namespace
}  // namespace sentinel::credential

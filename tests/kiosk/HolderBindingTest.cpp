// §15 holder binding, the comparison: names in ICAO transliteration, partial birth dates, the mask.
#include "firmware/kiosk/HolderBinding.h"

#include <gtest/gtest.h>

namespace sentinel::kiosk {
namespace {

CertificateHolder holder(std::string_view fnt, std::string_view gnt, std::string_view dob) {
    CertificateHolder h;
    h.familyNameStandard.assign(fnt);
    h.givenNameStandard.assign(gnt);
    h.birthDate.assign(dob);
    return h;
}

IdentityDocument passport(std::string_view primary, std::string_view given, std::string_view born) {
    IdentityDocument d;
    d.type = DocumentType::Passport;
    d.primaryIdentifier.assign(primary);
    d.givenNames.assign(given);
    d.birthDate.assign(born);
    return d;
}

TEST(HolderBinding, TheSameHolderMatches) {
    EXPECT_EQ(BindingOutcome::Match, compareHolder(holder("MUSTERFRAU<GOESSINGER", "GABRIELE", "1998-02-26"),
                                                   passport("MUSTERFRAU GOESSINGER", "GABRIELE", "1998-02-26")));
}

TEST(HolderBinding, OnlyTheFirstGivenNameIsCompared) {
    EXPECT_EQ(BindingOutcome::Match,
              compareHolder(holder("ERIKSSON", "ANNA", "1974-08-12"), passport("ERIKSSON", "ANNA MARIA", "1974-08-12")));
    EXPECT_EQ(BindingOutcome::Mismatch,
              compareHolder(holder("ERIKSSON", "MARIA", "1974-08-12"), passport("ERIKSSON", "ANNA MARIA", "1974-08-12")));
}

TEST(HolderBinding, AnotherFamilyNameIsAMismatch) {
    EXPECT_EQ(BindingOutcome::Mismatch,
              compareHolder(holder("ERIKSSON", "ANNA", "1974-08-12"), passport("ERIKSEN", "ANNA", "1974-08-12")));
}

TEST(HolderBinding, AnotherBirthDayIsAMismatch) {
    EXPECT_EQ(BindingOutcome::Mismatch,
              compareHolder(holder("ERIKSSON", "ANNA", "1974-08-12"), passport("ERIKSSON", "ANNA", "1974-08-13")));
}

TEST(HolderBinding, PartialBirthDatesCompareAsFarAsGiven) {
    const IdentityDocument doc = passport("ERIKSSON", "ANNA", "1974-08-12");
    EXPECT_EQ(BindingOutcome::Match, compareHolder(holder("ERIKSSON", "ANNA", "1974"), doc));
    EXPECT_EQ(BindingOutcome::Match, compareHolder(holder("ERIKSSON", "ANNA", "1974-08"), doc));
    EXPECT_EQ(BindingOutcome::Mismatch, compareHolder(holder("ERIKSSON", "ANNA", "1974-09"), doc));
    EXPECT_EQ(BindingOutcome::Mismatch, compareHolder(holder("ERIKSSON", "ANNA", "1975"), doc));
    // An unknown birth date in the certificate compares names only; one in the MRZ ('<<') likewise.
    EXPECT_EQ(BindingOutcome::Match, compareHolder(holder("ERIKSSON", "ANNA", ""), doc));
    EXPECT_EQ(BindingOutcome::Match, compareHolder(holder("ERIKSSON", "ANNA", "1974-08-12"), passport("ERIKSSON", "ANNA", "1974")));
}

TEST(HolderBinding, TheCenturyAnMrzCannotPrintIsNotHeldAgainstTheHolder) {
    // Born 1925: the MRZ prints 25, which a 2026 kiosk reads as 2025.
    EXPECT_EQ(BindingOutcome::Match,
              compareHolder(holder("ERIKSSON", "ANNA", "1925-03-01"), passport("ERIKSSON", "ANNA", "2025-03-01")));
}

TEST(HolderBinding, APrintedNameIsTransliteratedWhenTheStandardOneIsMissing) {
    CertificateHolder h;
    h.familyName.assign("Müller-Lüdenscheidt");
    h.givenName.assign("Søren Åke");
    h.birthDate.assign("1980-01-01");
    EXPECT_EQ(BindingOutcome::Match, compareHolder(h, passport("MUELLER LUEDENSCHEIDT", "SOEREN AAKE", "1980-01-01")));
}

TEST(HolderBinding, TwoStatesSpellingsOfAnUmlautMatch) {
    EXPECT_EQ(BindingOutcome::Match,
              compareHolder(holder("MUELLER", "JOERG", "1980-01-01"), passport("MULLER", "JORG", "1980-01-01")));
}

TEST(HolderBinding, ACertificateNamingNobodyCannotBind) {
    EXPECT_EQ(BindingOutcome::Unbindable, compareHolder(holder("", "ANNA", "1974-08-12"), passport("ERIKSSON", "ANNA", "1974-08-12")));
    EXPECT_EQ(BindingOutcome::Unbindable,
              compareHolder(holder("ERIKSSON", "ANNA", "12.08.1974"), passport("ERIKSSON", "ANNA", "1974-08-12")));
    CertificateHolder cyrillic;
    cyrillic.familyName.assign("Иванов");
    cyrillic.birthDate.assign("1974");
    EXPECT_EQ(BindingOutcome::Unbindable, compareHolder(cyrillic, passport("IVANOV", "IVAN", "1974-08-12")));
}

TEST(HolderBinding, TransliterationFollowsDoc9303) {
    EXPECT_EQ("MUSTERFRAU GOESSINGER", icaoTransliterate("Musterfrau-Gößinger").view());
    EXPECT_EQ("DARTAGNAN", icaoTransliterate("d'Artagnan").view());
    EXPECT_EQ("LOPEZ DE LA CRUZ", icaoTransliterate("López de la  Cruz").view());
    EXPECT_EQ("LECH WALESA", icaoTransliterate("Lech Wałęsa").view());
    EXPECT_EQ("", icaoTransliterate("张伟").view());
    EXPECT_EQ("", icaoTransliterate(std::string_view("\xC3", 1)).view());  // a truncated sequence
}

TEST(HolderBinding, TheMaskShowsInitialsAndTheBirthYear) {
    EXPECT_EQ("M******** G******** G******* (1998)", maskedHolder(holder("MUSTERFRAU<GOESSINGER", "GABRIELE", "1998-02-26")));
    EXPECT_EQ("E******* A***", maskedHolder(holder("ERIKSSON", "ANNA<MARIA", "")));
    EXPECT_EQ("", maskedHolder(holder("", "ANNA", "1974")));
}

TEST(HolderBinding, OnlyMachineReadableDocumentsBind) {
    EXPECT_TRUE(canBind(DocumentType::Passport));
    EXPECT_TRUE(canBind(DocumentType::IdTd1));
    EXPECT_FALSE(canBind(DocumentType::CnId));
    EXPECT_FALSE(canBind(DocumentType::CnPermitJ));
}

TEST(HolderBinding, ModesRoundTrip) {
    for (auto b : {HolderBinding::Off, HolderBinding::Show, HolderBinding::Require}) {
        EXPECT_EQ(b, holderBindingFromString(toString(b)));
    }
    EXPECT_FALSE(holderBindingFromString("strict"));
}

}  // namespace
}  // namespace sentinel::kiosk

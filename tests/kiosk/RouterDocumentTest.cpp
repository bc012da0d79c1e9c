// The router's identity-document path (issue 26, DESIGN §15) before any lookup: what cannot be
// looked up is decided here, each with the reason a traveller can act on.

#include <gtest/gtest.h>

#include "firmware/kiosk/Router.h"
#include "tests/support/TestSupport.h"

namespace sentinel::kiosk {
namespace {

using sentinel::testing::ManualClock;

Presentation documentOf(DocumentType type, std::string_view number, std::string_view birth, std::string source = "reader") {
    auto d = std::make_shared<IdentityDocument>();
    d->type = type;
    d->number.assign(number);
    d->birthDate.assign(birth);
    Presentation p;
    p.kind = Presentation::Kind::Document;
    p.document = std::move(d);
    p.source = std::move(source);
    p.key = "doc:test";
    return p;
}

class RouterDocumentTest : public ::testing::Test {
protected:
    Verdict decide(const Presentation& p) { return router().verifyPresentation(p, clock.monotonic() + std::chrono::seconds(5)); }
    CredentialRouter& router() {
        if (!router_) router_ = std::make_unique<CredentialRouter>(clock, options);
        return *router_;
    }
    ManualClock clock;
    RouterOptions options;
    std::unique_ptr<CredentialRouter> router_;
};

TEST_F(RouterDocumentTest, AResidentIdCardWithoutAServiceIsBackendNotConfiguredAsFormatId) {
    const Verdict v = decide(documentOf(DocumentType::CnId, "11010519491231002X", "1949-12-31"));
    EXPECT_EQ(Decision::Refer, v.record.decision);
    EXPECT_EQ(Reason::BackendNotConfigured, v.record.reason);
    EXPECT_EQ("ID", v.record.format);
    EXPECT_EQ("config", v.record.policyVersion);
}

TEST_F(RouterDocumentTest, ANumberFailingItsCheckCharacterIsDocumentUnreadable) {
    const Verdict v = decide(documentOf(DocumentType::CnId, "110105194912310021", "1949-12-31"));
    EXPECT_EQ(Decision::Refer, v.record.decision);
    EXPECT_EQ(Reason::DocumentUnreadable, v.record.reason);
    EXPECT_EQ("ID", v.record.format);
}

TEST_F(RouterDocumentTest, ABirthDateInTheNumberThatDiffersFromTheCardsIsDocumentUnreadable) {
    const Verdict v = decide(documentOf(DocumentType::CnId, "110105199003077032", "1990-03-08"));
    EXPECT_EQ(Reason::DocumentUnreadable, v.record.reason);
}

TEST_F(RouterDocumentTest, AResidencePermitNumberIsCheckedLikeAResidentId) {
    EXPECT_EQ(Reason::DocumentUnreadable, decide(documentOf(DocumentType::CnPermitJ, "810000199001011231", "1990-01-01")).record.reason);
    EXPECT_EQ(Reason::BackendNotConfigured, decide(documentOf(DocumentType::CnPermitJ, "810000199001011230", "1990-01-01")).record.reason);
}

TEST_F(RouterDocumentTest, APassportIsNotHeldToGb11643AndIsFormatMrz) {
    const Verdict v = decide(documentOf(DocumentType::Passport, "E12345678", "1985-04-01", "mrz"));
    EXPECT_EQ(Reason::BackendNotConfigured, v.record.reason);
    EXPECT_EQ("MRZ", v.record.format);
}

TEST_F(RouterDocumentTest, AReadThatGaveNoDocumentIsDocumentUnreadableInTheSourcesFormat) {
    Presentation p;
    p.kind = Presentation::Kind::Document;
    p.source = "reader";
    p.key = "unreadable:1";
    const Verdict v = decide(p);
    EXPECT_EQ(Reason::DocumentUnreadable, v.record.reason);
    EXPECT_EQ("ID", v.record.format);
}

TEST_F(RouterDocumentTest, AnUntrustedClockDoesNotHideThatTheCardMustBeSwipedAgain) {
    options.clockTrusted = [] { return false; };
    EXPECT_EQ(Reason::DocumentUnreadable, decide(documentOf(DocumentType::CnId, "110105194912310021", "1949-12-31")).record.reason);
}

TEST_F(RouterDocumentTest, AnHk1CodeWithoutAServiceIsBackendNotConfiguredNotAnOutage) {
    Presentation p = Presentation::code("HK1:SIMgreenNaat6hNegative01", "camera", clock.monotonic(), std::nullopt);
    const Verdict v = decide(p);
    EXPECT_EQ(Decision::Refer, v.record.decision);
    EXPECT_EQ(Reason::BackendNotConfigured, v.record.reason);
    EXPECT_EQ("HK1", v.record.format);
}

}  // namespace
}  // namespace sentinel::kiosk

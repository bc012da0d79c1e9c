#pragma once
// Shared set-up for the verify tests: one P-256 test issuer, its trust list, a fixed clock.

#include <gtest/gtest.h>

#include "firmware/issuer/TestIssuer.h"
#include "firmware/trust/TrustList.h"
#include "firmware/verify/Hc1Verifier.h"

namespace sentinel::verify::testing {

inline const UtcTime kNow = *parseRfc3339("2026-11-22T08:00:00Z");

inline issuer::IssuerOptions optionsAround(UtcTime now) {
    issuer::IssuerOptions o;
    o.notBefore = now - std::chrono::days{365};
    o.notAfter = now + std::chrono::days{365};
    return o;
}

inline trust::TrustList trustOf(const std::vector<const issuer::TestIssuer*>& issuers) {
    std::vector<trust::CertificateInput> in;
    for (const auto* i : issuers) in.push_back({i->certificateDer(), "XX", std::nullopt});
    return trust::TrustList::fromCertificates(std::move(in), kNow).value();
}

class VerifyTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { issuer_ = new issuer::TestIssuer(issuer::TestIssuer::generate(optionsAround(kNow))); }
    static void TearDownTestSuite() {
        delete issuer_;
        issuer_ = nullptr;
    }

    void SetUp() override {
        trust_ = trustOf({issuer_});
        ctx_.trust = &trust_;
        ctx_.now = kNow;
        ctx_.subjectKey = "device-secret";
    }

    static issuer::Hc1Spec naat(std::chrono::milliseconds age, bool positive = false) {
        return issuer::testCredential(TestType::Naat, kNow - age, positive, kNow);
    }
    DecisionRecord verify(const std::string& payload) const { return verifyHc1(payload, ctx_); }

    static issuer::TestIssuer* issuer_;
    trust::TrustList trust_;
    OfflineContext ctx_;
};

inline issuer::TestIssuer* VerifyTest::issuer_ = nullptr;

}  // namespace sentinel::verify::testing

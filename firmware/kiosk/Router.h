#pragma once
// The credential router: `HC1:` → offline verification against the trust list, `HK1:` → the
// health-code service, anything else → REFER UNSUPPORTED_FORMAT ("please show your health code").
// Identity documents (§15) → the GB 11643 check, then the service's document lookup. Applies
// trust-list staleness and the validation clock. Online presentations are decided against the
// risk-area list in force at the decision's time (TrustState::risk, §14). Fails closed: every path
// returns a record with a reason.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "firmware/kiosk/HolderBinding.h"
#include "firmware/kiosk/Kiosk.h"
#include "firmware/kiosk/TrustStore.h"
#include "firmware/policy/Policy.h"
#include "firmware/rules/RuleSet.h"
#include "firmware/trust/RevocationIndex.h"

namespace sentinel::trust {
class TrustList;
}
namespace sentinel::verify {
class OnlineVerifier;
}

namespace sentinel::kiosk {

struct RouterOptions {
    const trust::TrustList* trust = nullptr;  // nullptr: no trust list could be loaded → REFER
    // When set, the trust list and policy come from this store (swapped by trust sync) instead of
    // `trust` and `policy`; each decision uses one snapshot.
    std::shared_ptr<const TrustStore> trustStore;
    double trustMaxAgeH = 72;                 // trust.max_age_h
    policy::PolicyConfig policy;
    std::shared_ptr<const rules::RuleSet> rules;  // without trustStore: the rule set (nullptr = built-in)
    std::string rulesCountry = "CN";              // rules.country
    std::string subjectKey;                   // device secret (HMAC key of `subject`)
    verify::OnlineVerifier* online = nullptr; // nullptr: online codes REFER BACKEND_ERROR
    std::optional<UtcTime> validationTime;    // `verify --at`; nullopt = the clock
    // `verify`: evaluate key_usage and expiry even after an earlier crypto stage failed, so the
    // record shows every stage (the reason is still the first failure). The kiosk leaves it off.
    bool evaluateAllStages = false;
    // Trusted-time state: false → every time-dependent decision is REFER CLOCK_UNTRUSTED.
    std::function<bool()> clockTrusted;
    // Test-card check (diagnostics): returns true when the payload is signed by the device's test
    // issuer. Test cards are accepted only in diagnostics mode and never open the gate: in service
    // a test card is DENY UNKNOWN_ISSUER; in diagnostics mode the record is format "TEST", reason OK,
    // and the verdict carries testCard (indicators show TEST CARD, the relay stays shut). A test card
    // proves the camera-to-indicator path, not a traveller's health, so its test age and the clock
    // do not matter.
    std::function<bool(std::string_view payload)> isTestCard;
    bool diagnosticsMode = false;
    // §17: the revocation index in force (nullptr = none: no revocation check); one snapshot per
    // decision. `verify --revocation` sets it without freshness (a desk check, like --trust); the
    // kiosk also sets revocationFreshness (trust.revocation_max_age_h, trust.require_revocation),
    // judged on the kiosk clock (a decision on an untrusted clock is CLOCK_UNTRUSTED anyway).
    std::shared_ptr<const trust::RevocationHolder> revocation;
    std::optional<trust::RevocationFreshness> revocationFreshness;
    // §15 policy.holder_binding: `show` and `require` put an HC1 certificate's masked holder
    // (maskedHolder) on the verdict for the card; `require` also hands the loop the holder itself
    // (Verdict::holder) to compare with a document. Off (here the default, `verify`): neither.
    HolderBinding holderBinding = HolderBinding::Off;
};

class CredentialRouter final : public CredentialVerifier {
public:
    CredentialRouter(const Clock& clock, RouterOptions options);
    Verdict verify(std::string_view payload, MonoTime deadline) override;
    // Codes go to verify(); identity documents (§15): no document (a bad read) or a resident ID
    // number failing GB 11643 → REFER DOCUMENT_UNREADABLE; no service → REFER
    // BACKEND_NOT_CONFIGURED; otherwise the §5 v1.1 document lookup, decided as an HK1 code.
    Verdict verifyPresentation(const Presentation& presentation, MonoTime deadline) override;
    const RouterOptions& options() const { return options_; }

private:
    Verdict verifyDocument(const Presentation& presentation, MonoTime deadline);
    // What every path ends with: the clock's say, the failed rule's text, latency, policy version.
    void finish(Verdict& v, MonoTime t0, bool clockTrusted, const TrustState* snapshot, const policy::PolicyConfig& policy,
                const std::shared_ptr<const rules::RuleSet>& rules) const;

    const Clock& clock_;
    RouterOptions options_;
    std::shared_ptr<const verify::BuiltinRules> builtin_;  // of options_.policy (without trustStore)
};

}  // namespace sentinel::kiosk

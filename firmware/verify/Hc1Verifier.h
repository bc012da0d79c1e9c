#pragma once
// Offline HC1 verification (DESIGN §2, §3): parse, signature against the DSC trust list, key usage,
// validity window, then the policy. Deterministic: the validation time is in the context.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/DecisionRecord.h"
#include "firmware/base/Time.h"
#include "firmware/credential/Cwt.h"
#include "firmware/policy/Policy.h"
#include "firmware/trust/RevocationIndex.h"
#include "firmware/trust/TrustList.h"
#include "firmware/verify/RuleCheck.h"

namespace sentinel::verify {

struct OfflineContext {
    const trust::TrustList* trust = nullptr;  // not owned; nullptr = no trust list → UNKNOWN_ISSUER
    UtcTime now;                              // validation clock
    policy::PolicyConfig policy;
    bool trustStale = false;                  // the caller compared trust->issuedAt() with trust.max_age_h
    std::string subjectKey;                   // per-device HMAC key for `subject`
    // Conformance/diagnostics: keep evaluating key_usage and expiry after an earlier crypto stage
    // failed (against the first certificate with the kid), so every stage has a value. The reason
    // is still the first failure. The kiosk leaves this off: later stages stay null (not reached).
    bool evaluateAllStages = false;
    // §12: a loaded rule set decides instead of `policy` (which still picks the test shown in the
    // record); rules.set nullptr = the built-in rules made from `policy` (rules.builtin when it was
    // made from this policy, else made for the decision).
    RulesInForce rules;
    // §17: the revocation index in force (not owned; the caller holds its snapshot for the
    // decision); nullptr = no revocation check, exactly today's path.
    const trust::RevocationIndex* revocation = nullptr;
    // §17: computed by the caller on the kiosk's trusted clock (trust::revocationStale): the index is
    // older than trust.revocation_max_age_h, or there is none while trust.require_revocation.
    bool revocationStale = false;
};

// Fills format "HC1", stages prefix … policy, test, subject, latency.verifyMs, decision and reason.
//
// Order (first failure decides; later stages stay null unless evaluateAllStages):
//   1. prefix not `HC1:`                          → REFER UNSUPPORTED_FORMAT
//   2. base45 / inflate / cbor                    → DENY  MALFORMED
//   3. no trust list or no certificate with the kid → DENY UNKNOWN_ISSUER,
//      or REFER TRUST_LIST_STALE when the list is stale (a newer list may hold the DSC)
//      alg missing from the protected header, unsupported, or no certificate verifies
//                                                 → DENY  SIGNATURE_INVALID
//   3b. a valid signature whose credential is in the revocation index (revocationHit: a list of its
//      kid or `*`, holding the type, unexpired at the validation clock)
//                                                 → DENY  REVOKED (record.revocation = the type)
//   4. key usage                                  → DENY  KEY_USAGE_MISMATCH
//   5. expiry: clock < iat or iat < DSC notBefore → DENY  CREDENTIAL_NOT_YET_VALID
//              clock > exp or exp > DSC notAfter or no exp → DENY CREDENTIAL_EXPIRED
//   6. DCC content unusable (t/v/r shape)         → DENY  MALFORMED (policy stage false)
//      the built-in rules made from ctx.policy    → their reason (exactly policy::evaluate's), or with a
//      loaded rule set (ctx.rules.set):
//      every applicable rule passes → OK, else   → DENY  RULE_NOT_MET (record.rules names them)
//   7. a PASS resting on a stale trust list       → REFER TRUST_LIST_STALE (policy stage stays true)
//   8. a PASS resting on a stale revocation index (revocationStale)
//                                                 → REFER REVOCATION_LIST_STALE
// A stale list does not soften a DENY: a bad signature, an old test or a revocation found in an old
// index is wrong whatever the list age. Both lists stale: TRUST_LIST_STALE (the earlier stage).
DecisionRecord verifyHc1(std::string_view payload, const OfflineContext& ctx);
// The same, and (§15 holder binding) the certificate's holder into `holder` when the signature
// verified (left as it was otherwise: names from an unverified credential are not evidence).
DecisionRecord verifyHc1(std::string_view payload, const OfflineContext& ctx, CertificateHolder* holder);

// Conformance / diagnostics entry: every stage from prefix to expiry, evaluated as far as the input
// allows (evaluateAllStages); the policy is not applied (policy stays null).
Stages hc1Stages(std::string_view payload, const trust::TrustList* trust, UtcTime validationClock);

// Keyed subject hash (DESIGN §3): HMAC-SHA-256(key, identifier), lowercase hex (64 characters).
std::string subjectHash(std::string_view key, std::string_view identifier);

// HCERT §3.3.3 extended key usage OIDs (and the 1.3.6.1.4.1.0.1847… variant some issuers used).
// No such OID on the certificate = any credential type; otherwise every entry type the credential
// carries (t, v, r) needs its OID.
bool keyUsageAllows(const std::vector<std::string>& extendedKeyUsages, const credential::HealthCertificate& dcc);

// The policy facts of a DCC: tt LP6464-4 = NAAT, LP217198-3 = RAT; tr 260415000 = negative;
// sc parsed with parseRfc3339 (nullopt when unparseable → MALFORMED in the policy).
policy::PolicyInput policyInputOf(const credential::HealthCertificate& dcc);

}  // namespace sentinel::verify

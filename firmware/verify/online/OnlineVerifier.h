#pragma once
// The health-code service client (DESIGN §5): an `HK1:` token → POST {base_url}/v1/verify → the
// decision record. Fail closed: every path ends with a reason.
//
//   200 + valid body      → clock check (|kiosk − server_time| > maxSkewS → REFER CLOCK_UNTRUSTED),
//                           then the built-in rules made from [policy] (BuiltinRules.h: colour →
//                           CODE_NOT_GREEN, newest accepted test, … as policy::evaluate)
//   404                   → DENY UNKNOWN_CODE
//   401/403/other status, malformed or oversize body, redirect, TLS/pin, network → REFER BACKEND_ERROR
//   no complete answer by the deadline → REFER BACKEND_TIMEOUT
//   empty baseUrl         → REFER BACKEND_ERROR without touching the network
//   not `HK1:` → DENY UNSUPPORTED_FORMAT; `HK1:` with a bad token (16–128 base64url) → DENY MALFORMED
//
// Test selection: the newest test of a type the policy accepts (a non-zero max age: NAAT by
// default) decides; when none is accepted, the newest of all (→ TEST_TYPE_NOT_ACCEPTED). So a newer
// antigen test does not hide a valid NAAT.
//
// Logging: reason, status class, latency and the subject hash only; never the token, the masked
// name or ID, or the response body.

#include <string>
#include <string_view>

#include "drivers/hal/HttpTransport.h"
#include "firmware/base/DecisionRecord.h"
#include "firmware/base/Time.h"
#include "firmware/policy/Policy.h"
#include "firmware/verify/RuleCheck.h"

namespace sentinel::verify {

struct OnlineConfig {
    std::string baseUrl;      // https://host[:port][/prefix]; empty = online codes REFER BACKEND_ERROR
    std::string kioskId;      // kiosk.id, sent as kiosk_id
    std::string deviceToken;  // Authorization: Bearer <token>; surrounding whitespace is dropped
    int maxSkewS = 300;       // clock.max_skew_s
};

struct OnlineResult {
    DecisionRecord record;
    std::string holderMasked;  // holder.name_masked, for the display only: never log or journal it
    std::string idMasked;      // holder.id_masked, same rule
};

class OnlineVerifier {
public:
    // `transport` and `clock` must outlive the verifier.
    OnlineVerifier(hal::HttpTransport& transport, const Clock& clock, OnlineConfig config,
                   policy::PolicyConfig policy);

    // Returns by `deadline` (steady clock) plus the transport's jitter. `subjectKey` is the device
    // secret: record.subject = lowercase hex HMAC-SHA-256(subjectKey, token after "HK1:").
    // Decides with the policy given at construction and the built-in rules.
    OnlineResult verify(std::string_view hk1Payload, MonoTime deadline, std::string_view subjectKey);
    // Decides with `policy` and `rules` — the snapshot in force (TrustStore), shared with HC1: the
    // colour against policy.accept_status first, then a loaded rule set (§12: payload.t from the
    // service's tests, external.code = {"format":"HK1","status":…}) → OK or DENY RULE_NOT_MET.
    OnlineResult verify(std::string_view hk1Payload, MonoTime deadline, std::string_view subjectKey,
                        const policy::PolicyConfig& policy, const RulesInForce& rules);

private:
    hal::HttpTransport& transport_;
    const Clock& clock_;
    OnlineConfig config_;
    policy::PolicyConfig policy_;
    RulesInForce builtin_;  // the built-in rules of policy_, for verify() without a snapshot
    std::string url_;
};

}  // namespace sentinel::verify

#pragma once
// The health-code service client (DESIGN §5 with v1.1, §14, §15): an `HK1:` token or an identity
// document → POST {base_url}/v1/verify → the decision record. Fail closed: every path ends with a
// reason.
//
//   200 + valid body      → clock check (|kiosk − server_time| > maxSkewS → REFER CLOCK_UNTRUSTED),
//                           then the built-in rules made from [policy] (BuiltinRules.h: colour →
//                           CODE_NOT_GREEN, the §14 risk rules against the list in force, pending →
//                           TEST_RESULT_PENDING, newest accepted test, … as policy::evaluate)
//   404                   → DENY UNKNOWN_CODE
//   401/403/other status, malformed or oversize body, redirect, TLS/pin, network → REFER BACKEND_ERROR
//   no complete answer by the deadline → REFER BACKEND_TIMEOUT
//   circuit breaker open  → REFER BACKEND_UNAVAILABLE at once, without touching the network (§14)
//   empty baseUrl         → REFER BACKEND_NOT_CONFIGURED without touching the network
//   not `HK1:` → REFER UNSUPPORTED_FORMAT; `HK1:` with a bad token (16–128 base64url) → DENY MALFORMED
// The record gains `route` (policy::routeFor) and, when the answer carries travel and the list in
// force is fresh, `risk` {level, list} — never a region.
//
// §5 v1.1 answers: `travel` (≤ kMaxStays stays, region 6 digits, from/to RFC 3339, to null = still
// there; absent or null = a v1 answer without travel) and test results "pending"; anything else
// off-contract is BACKEND_ERROR. The itinerary lives in the decision only: the answer's text and
// the parsed itinerary are zeroised when the decision is made. A document request's body is zeroised
// after it is sent.
//
// The circuit breaker (CircuitBreaker.h): counts consecutive timeouts, transport errors and 5xx;
// opens at BreakerConfig::failures; while open, a thread the verifier owns probes
// `GET {base_url}/v1/health` (deadline probeTimeout) breaker.openFor after opening and after each
// failed probe, and closes the breaker on a valid answer (200 with server_time) or any 4xx (the
// service answers: a v1 service without /v1/health answers 404).
//
// Logging: reason, status class, latency and the subject hash only; never the token, the masked
// name or ID, a document's fields, the itinerary or the response body.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "drivers/hal/HttpTransport.h"
#include "firmware/base/DecisionRecord.h"
#include "firmware/base/IdentityDocument.h"
#include "firmware/base/Time.h"
#include "firmware/policy/Policy.h"
#include "firmware/policy/RiskAreaList.h"
#include "firmware/verify/RiskValueSets.h"
#include "firmware/verify/RuleCheck.h"
#include "firmware/verify/online/CircuitBreaker.h"

namespace sentinel::verify {

struct OnlineConfig {
    std::string baseUrl;      // https://host[:port][/prefix]; empty = online presentations REFER BACKEND_NOT_CONFIGURED
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
    // `transport` and `clock` must outlive the verifier. With a baseUrl, starts the health-probe
    // thread (idle until the breaker opens); the destructor stops and joins it (waiting at most for a
    // probe in flight, breaker.probeTimeout). `breaker`: online.breaker_failures, online.breaker_open_s.
    OnlineVerifier(hal::HttpTransport& transport, const Clock& clock, OnlineConfig config,
                   policy::PolicyConfig policy, BreakerConfig breaker = {});
    ~OnlineVerifier();
    OnlineVerifier(const OnlineVerifier&) = delete;
    OnlineVerifier& operator=(const OnlineVerifier&) = delete;

    // Returns by `deadline` (steady clock) plus the transport's jitter. `subjectKey` is the device
    // secret: record.subject = lowercase hex HMAC-SHA-256(subjectKey, token after "HK1:").
    // Decides with the policy given at construction and the built-in rules, without a risk list.
    OnlineResult verify(std::string_view hk1Payload, MonoTime deadline, std::string_view subjectKey);
    // Decides with `policy` and `rules` — the snapshot in force (TrustStore), shared with HC1: the
    // colour against policy.accept_status first, then the built-in rules (with the §14 risk rules
    // against `riskList`, the list in force: nullptr = none, so travel → RISK_LIST_STALE) or a loaded
    // rule set (§12: payload.t/pending/travel from the answer, external.code, the risk-area value sets
    // of `riskList`) → OK or DENY RULE_NOT_MET.
    OnlineResult verify(std::string_view hk1Payload, MonoTime deadline, std::string_view subjectKey,
                        const policy::PolicyConfig& policy, const RulesInForce& rules,
                        std::shared_ptr<const policy::RiskAreaList> riskList = nullptr);
    // §15: the same lookup for an identity document (the §5 v1.1 `document` form). record.format =
    // recordFormat(type) ("ID" | "MRZ"); record.subject = HMAC-SHA-256(subjectKey, "<type>:<number>"),
    // e.g. "CN-ID:1101…". The document's fields are used for the request only (its buffer zeroised).
    OnlineResult verifyDocument(const IdentityDocument& document, MonoTime deadline, std::string_view subjectKey,
                                const policy::PolicyConfig& policy, const RulesInForce& rules,
                                std::shared_ptr<const policy::RiskAreaList> riskList = nullptr);

    // The breaker, for status, metrics and the `backend` alarm.
    BreakerStatus breakerStatus() const;
    // Called (outside the verifier's lock) each time the breaker opens (on the decision thread) or
    // closes (on the probe thread), in the order the changes happened, one call at a time. Must not
    // block; set it before the first verify().
    void onBreakerChange(std::function<void(const BreakerStatus&)> listener);

private:
    struct Lookup;
    OnlineResult lookup(Lookup& request, MonoTime deadline, const policy::PolicyConfig& policy, const RulesInForce& rules,
                        const std::shared_ptr<const policy::RiskAreaList>& riskList);
    void recordOutcome(CallOutcome outcome);
    void deliverChanges();
    void probeLoop(std::stop_token stop);
    bool probeHealth();

    hal::HttpTransport& transport_;
    const Clock& clock_;
    OnlineConfig config_;
    policy::PolicyConfig policy_;
    RulesInForce builtin_;  // the built-in rules of policy_, for verify() without a snapshot
    std::string url_, healthUrl_;
    RiskValueSetCache riskSets_;

    mutable std::mutex mutex_;  // breaker_, listener_, changes_
    std::condition_variable_any wake_;
    CircuitBreaker breaker_;
    std::function<void(const BreakerStatus&)> listener_;
    std::deque<BreakerStatus> changes_;  // open/close, in the order they happened, not yet delivered
    std::mutex deliveryMutex_;           // one delivery at a time, in order
    std::jthread prober_;  // last: started after everything it uses, stopped first
};

}  // namespace sentinel::verify

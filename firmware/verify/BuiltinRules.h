#pragma once
// The built-in rule set (DESIGN §12): the [policy] keys written as CertLogic rules in the EU DCC
// gateway format, so that without rules.path one engine — firmware/rules — decides both formats,
// exactly as the reference policy::evaluate does and with its §3 reasons. Pure.
//
// The rules, evaluated in this order; the first that fails gives the decision's reason:
//   GR-CC-0001  General  online code colour in policy.accept_status                 → CODE_NOT_GREEN
//   GR-CC-0003  General  travel with stays is checked against a list in force issued
//                        at most policy.risk_max_age_h ago                           → RISK_LIST_STALE
//   GR-CC-0004  General  an online answer carries travel (only with policy.require_travel) → TRAVEL_UNKNOWN
//   GR-CC-0005  General  no stay in a high-risk area ended within the high lookback  → RISK_AREA_HIGH
//   GR-CC-0006  General  no stay in a medium-risk area ended within the medium lookback → RISK_AREA_MEDIUM
//   GR-CC-0007  General  a negative test qualifies, or the newest test within its limit
//                        is not pending                                              → TEST_RESULT_PENDING
//   GR-CC-0002  General  a (completed) test result present (only when policy.require_test) → NO_TEST_RESULT
//   TR-CC-0001  Test     every test has a sample time                                → MALFORMED
//   TR-CC-0002  Test     the decisive test's type is accepted                        → TEST_TYPE_NOT_ACCEPTED
//   TR-CC-0003  Test     its sample time ≤ now + policy.future_tolerance_s           → TEST_IN_FUTURE
//   TR-CC-0004  Test     its result is negative                                      → TEST_POSITIVE
//   TR-CC-0005  Test     now ≤ sample time + the limit of its type                   → TEST_TOO_OLD
// (CC = rules.country; General rules keep their numbers whatever the policy generates.) "The
// decisive test" is chosen inside each rule with CertLogic `reduce`: the newest test of an accepted
// type, else the newest of any type (the first of equal times). Test rules apply when there is a
// completed test.
//
// The data object (builtinDataObject) is the §12 shape, built from the parsed tests of either format:
//   payload.t[i]       = {"tt": "LP6464-4" | "LP217198-3" | "" (other), "sc": RFC 3339 with milliseconds
//                         or "" when the sample time is absent or unparseable,
//                         "tr": "260415000" (negative) | "260373001" (positive) | ""} — completed tests
//   payload.pending[i] = {"tt", "sc"} — §5 v1.1 tests whose result is "pending"
//   payload.travel[i]  = {"region":"110105","prefixes":["11","1101","110105"],"from","to"|null,"days_ago"}
//                         (§14; absent when the service gave no travel data)
//   external           = {"validationClock", "countryCode", …,
//                         "code": {"format":"HK1","status":…,"travel":true|false} (online; travel: the
//                         service gave travel data),
//                         "riskList": {"version","issuedAt","effectiveFrom"} | null,
//                         "valueSets": {"risk-areas-high":[codes], "risk-areas-medium":[codes]}}
// The value sets hold the list's codes of that level still listed at the validation clock; decisions
// get them as rules::SharedValueSets made once per list (RiskValueSets.h), so `in` is a hash lookup.
// decideBuiltin gives each stay only what these rules read of it ({"prefixes","to"}); the whole
// shape above is builtinDataObject's and what a loaded rule set sees (RuleCheck: onlinePayload).

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "firmware/base/Reason.h"
#include "firmware/base/Time.h"
#include "firmware/policy/Policy.h"
#include "firmware/policy/RiskAreaList.h"
#include "firmware/rules/CertLogic.h"
#include "firmware/rules/RuleSet.h"

namespace sentinel::verify {

struct BuiltinRules {
    policy::PolicyConfig policy;  // what the rules were made from
    std::string country;          // rules.country: the rules' Country
    nlohmann::json gateway;       // the rules as the gateway distributes them (a JSON array)
    rules::RuleSet set;           // id "builtin"; set.rules in evaluation order
    std::vector<Reason> reasons;  // reasons[i]: what set.rules[i] failing stands for
    // Problems parsing the generated rules (a bug, never expected): decisions are then INTERNAL_ERROR.
    std::vector<rules::RuleIssue> issues;
};

// Makes the built-in rules of `policy` for `country` (two capital letters). Costs tens of µs: make
// it once per policy snapshot (TrustStore, Router, OnlineVerifier do), not per decision.
std::shared_ptr<const BuiltinRules> makeBuiltinRules(const policy::PolicyConfig& policy, const std::string& country = "CN");

// The CertLogic data object the built-in rules read (shape above), self-contained (the value sets
// inside). It holds the itinerary when the input has one: personal data, for evaluation only.
nlohmann::json builtinDataObject(const policy::PolicyInput& input, UtcTime now, const std::string& country,
                                 const policy::RiskAreaList* riskList = nullptr);

// The reason of the first built-in rule that fails on `input` at `now`, else OK. Selection as for
// any rule set: General rules always, Test rules when there is a completed test. `riskList` is the
// list in force (nullptr: none); `riskSets` its value sets at `now` (RiskValueSetCache; nullptr: made
// here, which costs about a millisecond for a 3 000-area list). The data object's strings are
// zeroised before it goes (the itinerary).
Reason decideBuiltin(const BuiltinRules& builtin, const policy::PolicyInput& input, UtcTime now,
                     const policy::RiskAreaList* riskList = nullptr,
                     std::shared_ptr<const rules::SharedValueSets> riskSets = nullptr);

// `cached` when it was made from `policy` and `country`, else freshly made ones (the slow path for
// callers that hold no snapshot, e.g. a context built by hand).
std::shared_ptr<const BuiltinRules> builtinRulesFor(const std::shared_ptr<const BuiltinRules>& cached,
                                                    const policy::PolicyConfig& policy, const std::string& country);

}  // namespace sentinel::verify

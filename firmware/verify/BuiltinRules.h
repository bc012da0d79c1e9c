#pragma once
// The built-in rule set (DESIGN §12): the [policy] keys written as CertLogic rules in the EU DCC
// gateway format, so that without rules.path one engine — firmware/rules — decides both formats,
// exactly as the reference policy::evaluate does and with its §3 reasons. Pure.
//
// The rules, evaluated in this order; the first that fails gives the decision's reason:
//   GR-CC-0001  General  online code colour in policy.accept_status          → CODE_NOT_GREEN
//   GR-CC-0002  General  a test result present (only when policy.require_test) → NO_TEST_RESULT
//   TR-CC-0001  Test     every test has a sample time                          → MALFORMED
//   TR-CC-0002  Test     the decisive test's type is accepted                  → TEST_TYPE_NOT_ACCEPTED
//   TR-CC-0003  Test     its sample time ≤ now + policy.future_tolerance_s     → TEST_IN_FUTURE
//   TR-CC-0004  Test     its result is negative                                → TEST_POSITIVE
//   TR-CC-0005  Test     now ≤ sample time + the limit of its type             → TEST_TOO_OLD
// (CC = rules.country). "The decisive test" is chosen inside each rule with CertLogic `reduce`: the
// newest test of an accepted type, else the newest of any type (the first of equal times).
//
// The data object (builtinDataObject) is the §12 shape, built from the parsed tests of either format:
//   payload.t[i] = {"tt": "LP6464-4" | "LP217198-3" | "" (other), "sc": RFC 3339 with milliseconds
//                   or "" when the credential's sample time is absent or unparseable,
//                   "tr": "260415000" (negative) | "260373001" (positive) | ""}
//   external     = {"validationClock", "countryCode", …, "code": {"format":"HK1","status":…} (HK1 only)}

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "firmware/base/Reason.h"
#include "firmware/base/Time.h"
#include "firmware/policy/Policy.h"
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

// The CertLogic data object the built-in rules read (shape above). Holds no personal data.
nlohmann::json builtinDataObject(const policy::PolicyInput& input, UtcTime now, const std::string& country);

// The reason of the first built-in rule that fails on `input` at `now`, else OK. Selection as for
// any rule set: General rules always, Test rules when there is a test.
Reason decideBuiltin(const BuiltinRules& builtin, const policy::PolicyInput& input, UtcTime now);

// `cached` when it was made from `policy` and `country`, else freshly made ones (the slow path for
// callers that hold no snapshot, e.g. a context built by hand).
std::shared_ptr<const BuiltinRules> builtinRulesFor(const std::shared_ptr<const BuiltinRules>& cached,
                                                    const policy::PolicyConfig& policy, const std::string& country);

}  // namespace sentinel::verify

#pragma once
// A loaded rule set deciding a credential (DESIGN §12): the §12 CertLogic data object for HC1 (the
// HCERT payload as JSON) and HK1 (the service's answer in the same shape), and the outcome of the
// rules that apply → OK or RULE_NOT_MET with `rules` in the record. Pure.
//
// The data object holds personal data (name, date of birth) for the evaluation only: it is never
// logged, journaled or kept.

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "firmware/base/DecisionRecord.h"
#include "firmware/base/Time.h"
#include "firmware/credential/Cbor.h"
#include "firmware/policy/Policy.h"
#include "firmware/rules/RuleSet.h"
#include "firmware/verify/BuiltinRules.h"

namespace sentinel::verify {

// §12 / HCERT value sets in the CertLogic data object: LOINC test types, SNOMED CT results.
inline constexpr const char* kLoincNaat = "LP6464-4";
inline constexpr const char* kLoincRat = "LP217198-3";
inline constexpr const char* kSnomedNotDetected = "260415000";
inline constexpr const char* kSnomedDetected = "260373001";

// The rule set in force. `set` nullptr = the built-in rules made from [policy] (BuiltinRules.h).
struct RulesInForce {
    std::shared_ptr<const rules::RuleSet> set;
    std::string country = "CN";  // rules.country: the country of arrival whose rules apply
    // The built-in rules of the policy snapshot, made once with it (TrustStore, Router). Used only
    // when made from the decision's policy and country; otherwise the decision makes its own.
    std::shared_ptr<const BuiltinRules> builtin;
};

// CBOR → JSON for rule evaluation: texts, integers, floats, booleans, null, arrays; map keys that
// are integers become their decimal text; byte strings become base64; tags are dropped.
nlohmann::json cborToJson(const credential::CborValue& value);
std::string base64Of(const std::vector<uint8_t>& bytes);  // standard alphabet, padded

// payload.t from the service's tests (§12): tt LP6464-4 (NAAT) / LP217198-3 (RAT), sc RFC 3339,
// tr 260415000 (negative) / 260373001 (positive).
nlohmann::json onlinePayload(const std::vector<policy::TestEntry>& tests);

struct RuleCheck {
    bool passed = false;
    RulesOutcome outcome;  // for DecisionRecord::rules
};

// The description ("zh / en" where the rule has them) of the first failed rule of `outcome`, for
// the console and the screen; for a set with no applicable rule, a sentence saying so.
std::string failedRuleText(const rules::RuleSet& set, const RulesOutcome& outcome);

// Selects the rules of `rules.country` for `kind` valid at `now`, evaluates them on
// {payload, external + valueSets}. No applicable rule at all fails closed (failed = []).
RuleCheck checkRules(const rules::RuleSet& set, const std::string& country, rules::CertificateKind kind, UtcTime now,
                     nlohmann::json payload, rules::External external);

}  // namespace sentinel::verify

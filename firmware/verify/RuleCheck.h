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
#include "firmware/policy/RiskAreaList.h"
#include "firmware/rules/CertLogic.h"
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
// tr 260415000 (negative) / 260373001 (positive). Pending tests are left out of payload.t.
nlohmann::json onlinePayload(const std::vector<policy::TestEntry>& tests);
// The same with §5 v1.1: payload.t (completed tests), payload.pending (pending tests: tt, sc) and,
// when the service gave travel, payload.travel (travelJson). Holds the itinerary: wipeStrings it.
nlohmann::json onlinePayload(const policy::PolicyInput& input, UtcTime now);

// §12/§14 pieces of the data object, shared by the built-in rules and loaded rule sets:
// the LOINC code of a test type ("" for other types);
const char* testTypeCode(TestType type);
// payload.pending: [{"tt","sc"}] of the pending tests (sc "" when unknown);
nlohmann::json pendingJson(const std::vector<policy::TestEntry>& tests);
// payload.travel: [{"region","prefixes":[2, 4 and 6 digits],"from","to"|null,"days_ago"}] (times with
// milliseconds, days_ago = whole days from the stay's end — an open stay: now — to `now`, ≥ 0);
nlohmann::json travelJson(const policy::Itinerary& travel, UtcTime now);
// external.code of an online answer: {"format":"HK1","status":colour,"travel":whether the service gave
// travel data (§5 v1.1)} — documents (§15) are decided exactly as HK1 codes;
nlohmann::json onlineCodeJson(const std::string& status, bool travelGiven);
// external.riskList: {"version","issuedAt","effectiveFrom"} of the list in force, or null.
nlohmann::json riskListJson(const policy::RiskAreaList* list);

// Zeroises every string in `value` (recursively) — a data object that held an itinerary, before it
// goes (STYLE 19).
void wipeStrings(nlohmann::json& value);

struct RuleCheck {
    bool passed = false;
    RulesOutcome outcome;  // for DecisionRecord::rules
};

// The description ("zh / en" where the rule has them) of the first failed rule of `outcome`, for
// the console and the screen; for a set with no applicable rule, a sentence saying so.
std::string failedRuleText(const rules::RuleSet& set, const RulesOutcome& outcome);

// Selects the rules of `rules.country` for `kind` valid at `now`, evaluates them on
// {payload, external + valueSets}. No applicable rule at all fails closed (failed = []).
// `shared`: value sets given beside the set's own (the §14 risk-area sets, RiskValueSets.h); the
// set's own value sets of the same name win. The data object's strings are zeroised before it goes.
RuleCheck checkRules(const rules::RuleSet& set, const std::string& country, rules::CertificateKind kind, UtcTime now,
                     nlohmann::json payload, rules::External external,
                     std::shared_ptr<const rules::SharedValueSets> shared = nullptr);

}  // namespace sentinel::verify

#pragma once
// Rule sets in the EU DCC gateway format (DESIGN §12): rules with Identifier, Type, Country,
// Version, CertificateType, ValidFrom/ValidTo, Engine CERTLOGIC, Logic, Description by language,
// AffectedFields; plus the value sets the rules look up (external.valueSets). Pure: JSON text in,
// values out (reading files and folders is the caller's job: firmware/app/RuleSetFile).
//
// A rule set is hostile input: the text is size- and depth-checked before it is parsed, every rule
// is checked against the gateway schema and CertLogic validation with Limits, and evaluation is
// bounded; a rule that errors is a failed rule.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "firmware/base/Result.h"
#include "firmware/rules/CertLogic.h"

namespace sentinel::rules {

// Bounds of a rule-set text (DESIGN §12 "bounded size"). The eight DCC rule sets in the testdata are
// < 60 KiB each; a whole gateway download of all countries is ~2 MiB.
inline constexpr std::size_t kMaxRuleSetBytes = 4u << 20;
inline constexpr std::size_t kMaxRules = 2000;

struct Rule {
    std::string identifier;       // e.g. "TR-AT-0001"
    std::string type;             // "Acceptance" | "Invalidation"
    std::string country;          // ISO 3166 alpha-2 of the rule owner (the country of arrival)
    std::string version;          // semver text
    std::array<std::int64_t, 3> versionParts{};
    std::string certificateType;  // "General" | "Test" | "Vaccination" | "Recovery"
    std::int64_t validFromMs = 0;  // epoch ms, inclusive
    std::int64_t validToMs = 0;    // epoch ms, exclusive
    std::map<std::string, std::string> descriptions;  // language ("en", "zh", …) → text
    std::vector<std::string> affectedFields;
    nlohmann::json logic;  // validated CertLogic
    std::shared_ptr<const CompiledExpression> compiled;  // `logic`, ready to evaluate (made by parseRule)

    // "zh" and "en" where the rule has them (else the first language), "zh / en" when both.
    std::string description() const;
};

struct RuleSet {
    std::string id;       // file or folder name, or "id" of the object form
    std::string version;  // "version" of the object form, else the highest rule Version
    std::vector<Rule> rules;
    nlohmann::json valueSets = nlohmann::json::object();  // name → array of codes
    // `valueSets` indexed once (finishRuleSet): decisions read them beside the data object instead of
    // copying every code into it; nullptr (a set made by hand) = copied as before.
    std::shared_ptr<const SharedValueSets> sharedValueSets;

    std::string label() const { return id + "/" + version; }  // DecisionRecord::rules.set
};

struct RuleIssue {
    std::string where;  // "rule 3 (TR-AT-0001)", "valueSets", …
    std::string message;
};

// Accepts a JSON array of rules (the gateway's download format), an object
// {"id","version","rules":[…],"valueSets":{…}}, or one rule object (a rule.json). `defaultId`
// names an array or single-rule set (its file name).
// Every problem is reported; the set is usable only when `issues` is empty.
struct ParsedRuleSet {
    RuleSet set;
    std::vector<RuleIssue> issues;
};
ParsedRuleSet parseRuleSet(std::string_view text, std::string_view defaultId, const Limits& limits = {});
// One rule object (a rule.json); issues appended with `where`.
std::optional<Rule> parseRule(const nlohmann::json& rule, const std::string& where, std::vector<RuleIssue>& issues,
                              const Limits& limits = {});
// Value sets: {"name":[codes]} or the gateway's {"name":{"valueSetValues":{code:{…}}}} (keys kept).
Result<nlohmann::json> parseValueSets(std::string_view text);
// The highest Version wins for the set's version label, and the value sets are indexed
// (sharedValueSets); call after adding rules or value sets by hand.
void finishRuleSet(RuleSet& set);

// What a decision is about (selection, DESIGN §12).
enum class CertificateKind { Test, Vaccination, Recovery, None };
std::string_view toString(CertificateKind k);  // "Test", "Vaccination", "Recovery", "General"

// Rules of `country` (Acceptance and Invalidation) whose CertificateType is General or `kind`, valid
// at `clockMs` (ValidFrom ≤ clock < ValidTo); of several versions of one Identifier, the highest.
std::vector<const Rule*> selectRules(const RuleSet& set, std::string_view country, CertificateKind kind, std::int64_t clockMs);

struct RuleResult {
    const Rule* rule = nullptr;
    bool passed = false;
    std::string error;  // why the rule failed by error (evaluation error, not a boolean), else empty
};

// Evaluates one rule on `data`: passes when its result is truthy; falsy, neither, or an evaluation
// error fails it.
RuleResult evaluateRule(const Rule& rule, const nlohmann::json& data, const Limits& limits = {});
// Evaluates each rule on `data` (the CertLogic data object of §12). A rule passes when its result
// is truthy; falsy, neither, or an evaluation error fails it.
std::vector<RuleResult> evaluateRules(const std::vector<const Rule*>& rules, const nlohmann::json& data,
                                      const Limits& limits = {});
// The same on an evaluation context (the data object with shared value sets; value-set indexes built
// once for all the rules of the decision).
RuleResult evaluateRule(const Rule& rule, EvaluationContext& context, const Limits& limits = {});
std::vector<RuleResult> evaluateRules(const std::vector<const Rule*>& rules, EvaluationContext& context,
                                      const Limits& limits = {});

// The §12 data object: {"payload": payload, "external": external + "valueSets"}.
struct External {
    std::int64_t validationClockMs = 0;
    std::string countryCode;        // rules.country
    std::optional<std::int64_t> expMs, iatMs;
    std::string issuerCountryCode;  // HC1 iss
    std::string kid;                // HC1 kid, base64
    std::string region;
    std::optional<nlohmann::json> code;  // HK1: {"format":"HK1","status":…}
    std::optional<nlohmann::json> riskList;  // §14: {"version","issuedAt","effectiveFrom"} or null
};
nlohmann::json makeDataObject(nlohmann::json payload, const External& external, const nlohmann::json& valueSets);

}  // namespace sentinel::rules

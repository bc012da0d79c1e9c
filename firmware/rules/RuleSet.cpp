#include "firmware/rules/RuleSet.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

namespace sentinel::rules {
namespace {

using nlohmann::json;

// A rule.json nests Logic ~20 deep inside a set array; the CertLogic limit bounds the Logic itself.
constexpr std::size_t kMaxTextDepth = 96;

const json* member(const json& obj, const char* key) {
    const auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
}

std::optional<std::string> text(const json& obj, const char* key) {
    const json* v = member(obj, key);
    if (!v || !v->is_string()) return std::nullopt;
    return v->get<std::string>();
}

std::optional<std::array<std::int64_t, 3>> semver(const std::string& s) {
    std::array<std::int64_t, 3> out{};
    std::size_t pos = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        if (i > 0) {
            if (pos >= s.size() || s[pos] != '.') return std::nullopt;
            ++pos;
        }
        std::size_t digits = 0;
        std::int64_t v = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && digits < 9) {
            v = v * 10 + (s[pos] - '0');
            ++pos;
            ++digits;
        }
        if (digits == 0) return std::nullopt;
        out[i] = v;
    }
    return out;  // anything after major.minor.patch (pre-release, build) is ignored, as the schema allows
}

bool isUpperAlpha2(const std::string& s) { return s.size() == 2 && std::isupper(static_cast<unsigned char>(s[0])) && std::isupper(static_cast<unsigned char>(s[1])); }

// "TR-AT-0001": type prefix, owner country, number (gateway schema and Gateway-constraints.adoc).
bool identifierMatches(const std::string& id, const std::string& certificateType, const std::string& type) {
    if (id.size() < 7 || id[2] != '-' || id[5] != '-') return false;
    const std::string prefix = id.substr(0, 2);
    if (!isUpperAlpha2(id.substr(3, 2))) return false;
    if (!std::all_of(id.begin() + 6, id.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    if (type == "Invalidation") return prefix == "IR";
    static const std::map<std::string, std::string> kPrefix{
        {"General", "GR"}, {"Test", "TR"}, {"Vaccination", "VR"}, {"Recovery", "RR"}};
    const auto it = kPrefix.find(certificateType);
    return it != kPrefix.end() && it->second == prefix;
}

}  // namespace

std::string Rule::description() const {
    const auto zh = descriptions.find("zh");
    const auto en = descriptions.find("en");
    if (zh != descriptions.end() && en != descriptions.end()) return zh->second + " / " + en->second;
    if (zh != descriptions.end()) return zh->second;
    if (en != descriptions.end()) return en->second;
    return descriptions.empty() ? identifier : descriptions.begin()->second;
}

std::string_view toString(CertificateKind k) {
    switch (k) {
        case CertificateKind::Test: return "Test";
        case CertificateKind::Vaccination: return "Vaccination";
        case CertificateKind::Recovery: return "Recovery";
        case CertificateKind::None: return "General";
    }
    return "General";
}

std::optional<Rule> parseRule(const json& j, const std::string& where, std::vector<RuleIssue>& issues, const Limits& limits) {
    const std::size_t before = issues.size();
    auto issue = [&](std::string message) { issues.push_back({where, std::move(message)}); };
    if (!j.is_object()) {
        issue("a rule must be a JSON object");
        return std::nullopt;
    }
    Rule r;
    static constexpr std::array kRequired{"Identifier", "Type", "Country", "Version", "SchemaVersion", "Engine",
                                          "EngineVersion", "CertificateType", "ValidFrom", "ValidTo"};
    std::map<std::string, std::string> fields;
    for (const char* key : kRequired) {
        auto v = text(j, key);
        if (!v) {
            issue(std::string(key) + " is missing or not a string");
        } else if (v->size() > limits.maxStringBytes) {
            issue(std::string(key) + " is longer than " + std::to_string(limits.maxStringBytes) + " bytes");
        } else {
            fields[key] = *v;
        }
    }
    if (issues.size() != before) return std::nullopt;
    r.identifier = fields["Identifier"];
    r.type = fields["Type"];
    r.country = fields["Country"];
    r.version = fields["Version"];
    r.certificateType = fields["CertificateType"];
    if (r.type != "Acceptance" && r.type != "Invalidation") issue("Type must be Acceptance or Invalidation");
    if (!isUpperAlpha2(r.country)) issue("Country must be two capital letters");
    static const std::set<std::string> kCertTypes{"General", "Test", "Vaccination", "Recovery"};
    if (!kCertTypes.count(r.certificateType)) issue("CertificateType must be General, Test, Vaccination or Recovery");
    if (!identifierMatches(r.identifier, r.certificateType, r.type))
        issue("Identifier '" + r.identifier + "' does not match its CertificateType/Type (GR|TR|VR|RR|IR-CC-digits)");
    else if (r.identifier.substr(3, 2) != r.country)
        issue("the country in Identifier '" + r.identifier + "' is not Country " + r.country);
    if (auto v = semver(r.version)) r.versionParts = *v; else issue("Version is not a semantic version");
    if (!semver(fields["SchemaVersion"])) issue("SchemaVersion is not a semantic version");
    if (!semver(fields["EngineVersion"])) issue("EngineVersion is not a semantic version");
    if (fields["Engine"] != "CERTLOGIC") issue("Engine must be CERTLOGIC");
    const auto from = parseDateTimeMs(fields["ValidFrom"]);
    const auto to = parseDateTimeMs(fields["ValidTo"]);
    if (!from) issue("ValidFrom is not a date-time");
    if (!to) issue("ValidTo is not a date-time");
    if (from && to && *from >= *to) issue("ValidFrom must be before ValidTo");
    r.validFromMs = from.value_or(0);
    r.validToMs = to.value_or(0);

    const json* desc = member(j, "Description");
    if (!desc || !desc->is_array()) {
        issue("Description must be an array of {lang, desc}");
    } else {
        for (const auto& d : *desc) {
            if (!d.is_object() || !text(d, "lang") || !text(d, "desc")) {
                issue("Description entries must be {\"lang\":…, \"desc\":…}");
                break;
            }
            auto lang = d["lang"].get<std::string>(), txt = d["desc"].get<std::string>();
            if (lang.size() > limits.maxStringBytes || txt.size() > limits.maxStringBytes) {
                issue("Description text is too long");
                break;
            }
            r.descriptions[lang] = txt;
        }
    }
    const json* affected = member(j, "AffectedFields");
    if (!affected || !affected->is_array()) {
        issue("AffectedFields must be an array of strings");
    } else {
        for (const auto& f : *affected) {
            if (!f.is_string()) {
                issue("AffectedFields must be an array of strings");
                break;
            }
            r.affectedFields.push_back(f.get<std::string>());
        }
    }
    const json* logic = member(j, "Logic");
    if (!logic || !logic->is_object() || logic->empty()) {
        issue("Logic must be a non-empty object (a CertLogic expression)");
    } else {
        for (const auto& v : validate(*logic, limits)) issue("Logic: " + v.message);
        r.logic = *logic;
    }
    if (issues.size() != before) return std::nullopt;
    r.compiled = std::make_shared<const CompiledExpression>(r.logic);
    return r;
}

Result<json> parseValueSets(std::string_view textIn) {
    auto parsed = parseBounded(textIn, kMaxRuleSetBytes, kMaxTextDepth);
    if (!parsed) return Error{"valueSets: " + parsed.error().message};
    if (!parsed->is_object()) return Error{"valueSets must be an object of name → codes"};
    json out = json::object();
    for (const auto& [name, v] : parsed->items()) {
        if (v.is_array()) {
            out[name] = v;
        } else if (v.is_object() && v.contains("valueSetValues") && v["valueSetValues"].is_object()) {
            json codes = json::array();
            for (const auto& [code, _] : v["valueSetValues"].items()) codes.push_back(code);
            out[name] = std::move(codes);
        } else {
            return Error{"valueSets: '" + name + "' is neither an array of codes nor {valueSetValues}"};
        }
    }
    return out;
}

void finishRuleSet(RuleSet& set) {
    const Rule* highest = nullptr;
    for (const auto& r : set.rules) {
        if (!highest || r.versionParts > highest->versionParts) highest = &r;
    }
    if (set.version.empty()) set.version = highest ? highest->version : "0.0.0";
    std::map<std::string, json, std::less<>> sets;
    if (set.valueSets.is_object()) {
        for (const auto& [name, codes] : set.valueSets.items()) sets.emplace(name, codes);
    }
    set.sharedValueSets = std::make_shared<const SharedValueSets>(std::move(sets));
}

ParsedRuleSet parseRuleSet(std::string_view textIn, std::string_view defaultId, const Limits& limits) {
    ParsedRuleSet out;
    out.set.id = std::string(defaultId);
    auto parsed = parseBounded(textIn, kMaxRuleSetBytes, kMaxTextDepth);
    if (!parsed) {
        out.issues.push_back({"rule set", parsed.error().message});
        return out;
    }
    const json* rules = &*parsed;
    json single;
    if (parsed->is_object() && parsed->contains("Identifier")) {  // one rule.json on its own
        single = json::array({std::move(*parsed)});
        rules = &single;
    } else if (parsed->is_object()) {
        if (auto id = text(*parsed, "id")) out.set.id = *id;
        if (auto version = text(*parsed, "version")) out.set.version = *version;
        rules = member(*parsed, "rules");
        if (const json* vs = member(*parsed, "valueSets")) {
            auto sets = parseValueSets(vs->dump());
            if (sets) out.set.valueSets = std::move(sets).value(); else out.issues.push_back({"valueSets", sets.error().message});
        }
        if (!rules) {
            out.issues.push_back({"rule set", "an object rule set needs \"rules\": [ … ]"});
            return out;
        }
    }
    if (!rules->is_array()) {
        out.issues.push_back({"rule set", "rules must be a JSON array of rule objects"});
        return out;
    }
    if (rules->size() > kMaxRules) {
        out.issues.push_back({"rule set", "more than " + std::to_string(kMaxRules) + " rules"});
        return out;
    }
    std::size_t index = 0;
    for (const auto& r : *rules) {
        ++index;
        std::string where = "rule " + std::to_string(index);
        if (r.is_object()) {
            if (auto id = text(r, "Identifier"); id && id->size() <= limits.maxStringBytes) where += " (" + *id + ")";
        }
        if (auto rule = parseRule(r, where, out.issues, limits)) out.set.rules.push_back(std::move(*rule));
    }
    finishRuleSet(out.set);
    return out;
}

std::vector<const Rule*> selectRules(const RuleSet& set, std::string_view country, CertificateKind kind, std::int64_t clockMs) {
    std::map<std::string, const Rule*> best;
    const std::string_view certType = toString(kind);
    for (const auto& r : set.rules) {
        if (r.country != country) continue;
        if (r.certificateType != "General" && (kind == CertificateKind::None || r.certificateType != certType)) continue;
        if (clockMs < r.validFromMs || clockMs >= r.validToMs) continue;
        auto& slot = best[r.identifier];
        if (!slot || r.versionParts > slot->versionParts) slot = &r;
    }
    std::vector<const Rule*> out;
    out.reserve(best.size());
    for (const auto& [_, r] : best) out.push_back(r);
    return out;  // by Identifier: a stable order for `rules.failed`
}

RuleResult evaluateRule(const Rule& rule, const json& data, const Limits& limits) {
    EvaluationContext context(data);
    return evaluateRule(rule, context, limits);
}

RuleResult evaluateRule(const Rule& rule, EvaluationContext& context, const Limits& limits) {
    RuleResult res;
    res.rule = &rule;
    auto v = rule.compiled ? evaluateCompiled(*rule.compiled, context, limits) : evaluateValidated(rule.logic, context, limits);
    if (!v) {
        res.error = v.error().message;
    } else {
        res.passed = isTruthy(*v);
        if (!res.passed && !isFalsy(*v)) res.error = "result is neither true nor false";
    }
    return res;
}

std::vector<RuleResult> evaluateRules(const std::vector<const Rule*>& rules, const json& data, const Limits& limits) {
    EvaluationContext context(data);
    return evaluateRules(rules, context, limits);
}

std::vector<RuleResult> evaluateRules(const std::vector<const Rule*>& rules, EvaluationContext& context, const Limits& limits) {
    std::vector<RuleResult> out;
    out.reserve(rules.size());
    for (const Rule* r : rules) out.push_back(evaluateRule(*r, context, limits));
    return out;
}

json makeDataObject(json payload, const External& e, const json& valueSets) {
    json external = json::object();
    external["validationClock"] = formatDateTimeMs(e.validationClockMs);
    external["valueSets"] = valueSets;
    external["countryCode"] = e.countryCode;
    external["exp"] = e.expMs ? json(formatDateTimeMs(*e.expMs)) : json(nullptr);
    external["iat"] = e.iatMs ? json(formatDateTimeMs(*e.iatMs)) : json(nullptr);
    external["issuerCountryCode"] = e.issuerCountryCode;
    external["kid"] = e.kid;
    external["region"] = e.region;
    if (e.code) external["code"] = *e.code;
    if (e.riskList) external["riskList"] = *e.riskList;
    json data = json::object();
    data["payload"] = std::move(payload);
    data["external"] = std::move(external);
    return data;
}

}  // namespace sentinel::rules

#include "firmware/verify/RuleCheck.h"

#include <openssl/evp.h>

#include "firmware/base/Log.h"
#include "firmware/base/Secret.h"

namespace sentinel::verify {
namespace {

using nlohmann::json;

constexpr const char* kLog = "Rules";

}  // namespace

std::string base64Of(const std::vector<uint8_t>& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

json cborToJson(const credential::CborValue& v) {
    using credential::CborType;
    switch (v.type) {
        case CborType::Unsigned:
        case CborType::Negative: {
            if (auto i = v.asInt()) return *i;
            return v.type == CborType::Unsigned ? json(v.number) : json(-1.0 - static_cast<double>(v.number));
        }
        case CborType::Bytes: return base64Of(v.bytes);
        case CborType::Text: return v.text;
        case CborType::Array: {
            json out = json::array();
            for (const auto& item : v.items) out.push_back(cborToJson(item));
            return out;
        }
        case CborType::Map: {
            json out = json::object();
            for (std::size_t i = 0; i + 1 < v.items.size(); i += 2) {
                const auto& key = v.items[i];
                std::string name;
                if (key.type == CborType::Text) {
                    name = key.text;
                } else if (auto k = key.asInt()) {
                    name = std::to_string(*k);
                } else {
                    continue;  // not a key CertLogic could name
                }
                if (!out.contains(name)) out[name] = cborToJson(v.items[i + 1]);
            }
            return out;
        }
        case CborType::Tag: return v.items.empty() ? json() : cborToJson(v.items.front());
        case CborType::Float: return v.real;
        case CborType::Simple:
            if (v.number == 20) return false;
            if (v.number == 21) return true;
            return nullptr;
    }
    return nullptr;
}

const char* testTypeCode(TestType type) { return type == TestType::Naat ? kLoincNaat : type == TestType::Rat ? kLoincRat : ""; }

json onlinePayload(const std::vector<policy::TestEntry>& tests) {
    json t = json::array();
    for (const auto& e : tests) {
        if (e.pending) continue;
        json entry;
        entry["tt"] = testTypeCode(e.type);
        entry["sc"] = e.collectedAt ? formatRfc3339(*e.collectedAt) : "";
        entry["tr"] = e.negative ? kSnomedNotDetected : e.result == "positive" ? kSnomedDetected : "";
        t.push_back(std::move(entry));
    }
    json payload = json::object();
    payload["t"] = std::move(t);
    return payload;
}

json onlinePayload(const policy::PolicyInput& input, UtcTime now) {
    json payload = onlinePayload(input.tests);
    payload["pending"] = pendingJson(input.tests);
    if (input.travel) payload["travel"] = travelJson(*input.travel, now);
    return payload;
}

json pendingJson(const std::vector<policy::TestEntry>& tests) {
    json out = json::array();
    for (const auto& e : tests) {
        if (!e.pending) continue;
        out.push_back({{"tt", testTypeCode(e.type)},
                       {"sc", e.collectedAt ? rules::formatDateTimeMs(e.collectedAt->time_since_epoch().count()) : ""}});
    }
    return out;
}

json travelJson(const policy::Itinerary& travel, UtcTime now) {
    constexpr std::int64_t kMsPerDay = 24LL * 3600 * 1000;
    json out = json::array();
    out.get_ref<json::array_t&>().reserve(travel.size());
    for (const auto& s : travel.stays()) {
        const std::string_view region = s.regionCode();
        json prefixes = json::array();
        for (std::size_t digits = 2; digits <= region.size(); digits += 2) prefixes.push_back(std::string(region.substr(0, digits)));
        const UtcTime ended = s.to ? *s.to : now;
        const std::int64_t sinceMs = (now - ended).count();
        // Members in key order, each placed at the end: no key comparisons (30 stays per decision).
        json entry = json::object();
        auto& members = entry.get_ref<json::object_t&>();
        members.emplace_hint(members.end(), "days_ago", sinceMs > 0 ? sinceMs / kMsPerDay : 0);
        members.emplace_hint(members.end(), "from", rules::formatDateTimeMs(s.from.time_since_epoch().count()));
        members.emplace_hint(members.end(), "prefixes", std::move(prefixes));
        members.emplace_hint(members.end(), "region", std::string(region));
        members.emplace_hint(members.end(), "to", s.to ? json(rules::formatDateTimeMs(s.to->time_since_epoch().count())) : json(nullptr));
        out.push_back(std::move(entry));
    }
    return out;
}

json onlineCodeJson(const std::string& status, bool travelGiven) {
    return {{"format", "HK1"}, {"status", status}, {"travel", travelGiven}};
}

json riskListJson(const policy::RiskAreaList* list) {
    if (!list) return nullptr;
    return {{"version", list->version()},
            {"issuedAt", rules::formatDateTimeMs(list->issuedAt().time_since_epoch().count())},
            {"effectiveFrom", rules::formatDateTimeMs(list->effectiveFrom().time_since_epoch().count())}};
}

void wipeStrings(json& value) {
    if (value.is_string()) {
        auto& s = value.get_ref<json::string_t&>();
        s.resize(s.capacity());  // the whole buffer: an earlier, longer value may sit beyond size()
        secureZero(s.data(), s.size());
        s.clear();
    } else if (value.is_array() || value.is_object()) {
        for (auto& item : value) wipeStrings(item);
    }
}

RuleCheck checkRules(const rules::RuleSet& set, const std::string& country, rules::CertificateKind kind, UtcTime now,
                     json payload, rules::External external, std::shared_ptr<const rules::SharedValueSets> shared) {
    RuleCheck out;
    out.outcome.set = set.label();
    const std::int64_t clockMs = now.time_since_epoch().count();
    const auto selected = rules::selectRules(set, country, kind, clockMs);
    if (selected.empty()) {
        SLOG(kLog, Warn) << "rule set " << out.outcome.set << " has no " << country << " rule for " << rules::toString(kind)
                         << " certificates valid now: failing closed";
        wipeStrings(payload);
        return out;
    }
    external.validationClockMs = clockMs;
    external.countryCode = country;
    // The set's value sets are read beside the data object (indexed once, when the set was loaded),
    // then the shared ones (the §14 risk-area sets); a set made by hand has them copied in.
    json data = rules::makeDataObject(std::move(payload), external, set.sharedValueSets ? json::object() : set.valueSets);
    rules::EvaluationContext context(data, {set.sharedValueSets, std::move(shared)});
    for (const auto& r : rules::evaluateRules(selected, context)) {
        if (r.passed) continue;
        out.outcome.failed.push_back(r.rule->identifier);
        SLOG(kLog, Info) << "rule " << r.rule->identifier << " " << r.rule->version << " failed"
                         << (r.error.empty() ? "" : " (" + r.error + ")") << ": " << r.rule->description();
    }
    out.passed = out.outcome.failed.empty();
    wipeStrings(data);  // names, dates of birth, itineraries: for the evaluation only (STYLE 19)
    return out;
}

std::string failedRuleText(const rules::RuleSet& set, const RulesOutcome& outcome) {
    if (outcome.failed.empty()) return "规则集中没有适用于此证件的规则 / no rule of the rule set applies to this certificate";
    const rules::Rule* best = nullptr;
    for (const auto& r : set.rules) {
        if (r.identifier == outcome.failed.front() && (!best || r.versionParts > best->versionParts)) best = &r;
    }
    return outcome.failed.front() + ": " + (best ? best->description() : std::string("(rule not in the set)"));
}

}  // namespace sentinel::verify

#include "firmware/verify/BuiltinRules.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "firmware/base/Log.h"
#include "firmware/rules/CertLogic.h"
#include "firmware/verify/RuleCheck.h"

namespace sentinel::verify {
namespace {

using nlohmann::json;

constexpr const char* kLog = "Rules";
// Gateway rule fields of the generated rules. Valid "always": from before any credential in
// service to the end of the 4-digit years CertLogic date-times have.
constexpr const char* kValidFrom = "2020-01-01T00:00:00Z";
constexpr const char* kValidTo = "9999-12-31T23:59:59Z";
constexpr const char* kVersion = "1.0.0";
constexpr const char* kSetId = "builtin";

// A fixed-length plusTime unit and how many of it make `ms`: the coarsest that is exact, so that
// the default limits read as the gateway's rules do (48 "hour") and 0.5 h or 300 s stay exact.
struct Amount {
    std::int64_t count;
    const char* unit;  // CertLogic plusTime unit
    const char* en;
    const char* zh;
};

Amount amountOf(std::int64_t ms) {
    struct Unit {
        std::int64_t ms;
        const char *unit, *en, *zh;
    };
    static constexpr std::array<Unit, 4> kUnits{{{3'600'000, "hour", "h", "小时"},
                                                 {60'000, "minute", "min", "分钟"},
                                                 {1'000, "second", "s", "秒"},
                                                 {1, "millisecond", "ms", "毫秒"}}};
    for (const auto& u : kUnits) {
        if (ms % u.ms == 0) return {ms / u.ms, u.unit, u.en, u.zh};
    }
    return {ms, "millisecond", "ms", "毫秒"};
}

std::string enText(const Amount& a) { return std::to_string(a.count) + " " + a.en; }
std::string zhText(const Amount& a) { return std::to_string(a.count) + a.zh; }

json var(const char* path) { return {{"var", path}}; }
json op(const char* name, json operands) { return {{name, std::move(operands)}}; }
// A date(-time) text as a CertLogic date-time, moved by `amount`.
json dateTime(json text, const Amount& amount) { return op("plusTime", json::array({std::move(text), amount.count, amount.unit})); }
json dateTime(json text) { return dateTime(std::move(text), Amount{0, "hour", "", ""}); }

// The decisive test, in CertLogic: reduce over payload.t keeping the test with the greater
// (type accepted, sample time), the first of equals — the reference's choice.
json decisiveTest(const json& acceptedTypes) {
    const auto accepted = [&](const char* test) { return op("in", json::array({var(test), acceptedTypes})); };
    const json newer = op("after", json::array({dateTime(var("current.sc")), dateTime(var("accumulator.sc"))}));
    const json better = op("if", json::array({accepted("current.tt"),
                                              op("if", json::array({accepted("accumulator.tt"), newer, true})),
                                              op("if", json::array({accepted("accumulator.tt"), false, newer}))}));
    return op("reduce", json::array({var("payload.t"), op("if", json::array({better, var("current"), var("accumulator")})),
                                     var("payload.t.0")}));
}

// `body` evaluated with the decisive test as `current` (and the data object as `data`): a reduce
// over the one-element array [decisive test] — CertLogic has no other way to name a value.
json onDecisiveTest(const json& acceptedTypes, json body) {
    return op("reduce", json::array({json::array({decisiveTest(acceptedTypes)}), std::move(body), false}));
}

json rule(const std::string& id, const std::string& country, const char* certificateType, const std::string& en,
          const std::string& zh, json affected, json logic) {
    return {{"Identifier", id},
            {"Type", "Acceptance"},
            {"Country", country},
            {"Version", kVersion},
            {"SchemaVersion", "1.0.0"},
            {"Engine", "CERTLOGIC"},
            {"EngineVersion", "1.0.0"},
            {"CertificateType", certificateType},
            {"Description", json::array({{{"lang", "en"}, {"desc", en}}, {{"lang", "zh"}, {"desc", zh}}})},
            {"ValidFrom", kValidFrom},
            {"ValidTo", kValidTo},
            {"AffectedFields", std::move(affected)},
            {"Logic", std::move(logic)}};
}

// The §5 colours as a traveller reads them in Chinese; any other value as it is.
std::vector<std::string> coloursZh(const std::vector<std::string>& colours) {
    std::vector<std::string> out;
    for (const auto& c : colours) out.push_back(c == "green" ? "绿码" : c == "yellow" ? "黄码" : c == "red" ? "红码" : c);
    return out;
}

std::string joined(const std::vector<std::string>& items, const char* separator) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : separator) + s;
    return out.empty() ? "(none)" : out;
}

}  // namespace

std::shared_ptr<const BuiltinRules> makeBuiltinRules(const policy::PolicyConfig& policy, const std::string& country) {
    auto out = std::make_shared<BuiltinRules>();
    out->policy = policy;
    out->country = country;
    const auto naat = policy::maxTestAge(TestType::Naat, policy);
    const auto rat = policy::maxTestAge(TestType::Rat, policy);
    json acceptedTypes = json::array();
    std::vector<std::string> acceptedNames;
    if (naat) {
        acceptedTypes.push_back(kLoincNaat);
        acceptedNames.emplace_back("NAAT");
    }
    if (rat) {
        acceptedTypes.push_back(kLoincRat);
        acceptedNames.emplace_back("RAT");
    }

    json& rules = out->gateway = json::array();
    int generalNumber = 0, testNumber = 0;
    auto push = [&](const char* certificateType, Reason reason, const std::string& en, const std::string& zh, json affected,
                    json logic) {
        const bool general = std::string_view(certificateType) == "General";
        const int n = general ? ++generalNumber : ++testNumber;
        char id[16];
        std::snprintf(id, sizeof id, "%s-%s-%04d", general ? "GR" : "TR", country.c_str(), n);
        rules.push_back(rule(id, country, certificateType, en, zh, std::move(affected), std::move(logic)));
        out->reasons.push_back(reason);
    };

    // Online codes: the colour (HC1 certificates have no external.code and pass).
    push("General", Reason::CodeNotGreen, "An online health code's colour is one of: " + joined(policy.acceptStatus, ", "),
         "在线健康码须为：" + joined(coloursZh(policy.acceptStatus), "、"), json::array({"external.code.status"}),
         op("if", json::array({op("===", json::array({var("external.code.format"), "HK1"})),
                               op("in", json::array({var("external.code.status"), policy.acceptStatus})), true})));
    if (policy.requireTest) {
        push("General", Reason::NoTestResult, "A test result is required (a vaccination or recovery alone does not pass)",
             "须有检测结果（仅有疫苗接种或康复证明不予通行）", json::array({"t"}), op("!!", json::array({var("payload.t.0")})));
    }
    push("Test", Reason::Malformed, "Every test has a readable sample collection time", "每项检测须有可读的采样时间",
         json::array({"t.0.sc"}),
         op("reduce", json::array({var("payload.t"), op("and", json::array({var("accumulator"), op("!!", json::array({var("current.sc")}))})),
                                   true})));
    push("Test", Reason::TestTypeNotAccepted, "The test type is accepted: " + joined(acceptedNames, ", "),
         "接受的检测类型：" + joined(acceptedNames, "、"), json::array({"t.0.tt"}),
         onDecisiveTest(acceptedTypes, op("in", json::array({var("current.tt"), acceptedTypes}))));
    const Amount tolerance = amountOf(std::int64_t{policy.futureToleranceS} * 1000);
    push("Test", Reason::TestInFuture,
         "The sample collection time is not later than the check (tolerance " + enText(tolerance) + ")",
         "采样时间不得晚于核验时间（容差" + zhText(tolerance) + "）", json::array({"t.0.sc"}),
         onDecisiveTest(acceptedTypes, op("not-after", json::array({dateTime(var("current.sc")),
                                                                    dateTime(var("data.external.validationClock"), tolerance)}))));
    push("Test", Reason::TestPositive, "The test result is negative", "检测结果须为阴性", json::array({"t.0.tr"}),
         onDecisiveTest(acceptedTypes, op("===", json::array({var("current.tr"), kSnomedNotDetected}))));
    // Age: now ≤ sample time + the limit of the decisive test's type (exactly the limit passes).
    const Amount naatLimit = amountOf(naat.value_or(std::chrono::milliseconds{0}).count());
    const Amount ratLimit = amountOf(rat.value_or(std::chrono::milliseconds{0}).count());
    json deadline = naat && rat ? op("if", json::array({op("===", json::array({var("current.tt"), kLoincNaat})),
                                                         dateTime(var("current.sc"), naatLimit), dateTime(var("current.sc"), ratLimit)}))
                                : dateTime(var("current.sc"), rat ? ratLimit : naatLimit);
    std::vector<std::string> limits, limitsZh;
    if (naat) {
        limits.push_back("NAAT " + enText(naatLimit));
        limitsZh.push_back("核酸" + zhText(naatLimit));
    }
    if (rat) {
        limits.push_back("RAT " + enText(ratLimit));
        limitsZh.push_back("抗原" + zhText(ratLimit));
    }
    push("Test", Reason::TestTooOld, "The sample was collected at most this long before the check: " + joined(limits, ", "),
         "采样至核验时间不得超过：" + joined(limitsZh, "、"), json::array({"t.0.sc", "t.0.tt"}),
         onDecisiveTest(acceptedTypes,
                        op("not-after", json::array({dateTime(var("data.external.validationClock")), std::move(deadline)}))));

    out->set.id = kSetId;
    out->set.version = kVersion;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const std::string where = "built-in rule " + rules[i]["Identifier"].get<std::string>();
        if (auto r = rules::parseRule(rules[i], where, out->issues)) out->set.rules.push_back(std::move(*r));
    }
    if (!out->issues.empty()) {
        SLOG(kLog, Error) << out->issues.front().where << ": " << out->issues.front().message
                          << " — every decision is INTERNAL_ERROR until the policy changes";
    }
    return out;
}

json builtinDataObject(const policy::PolicyInput& input, UtcTime now, const std::string& country) {
    json t = json::array();
    for (const auto& e : input.tests) {
        json entry = json::object();
        entry["tt"] = e.type == TestType::Naat ? kLoincNaat : e.type == TestType::Rat ? kLoincRat : "";
        entry["sc"] = e.collectedAt ? rules::formatDateTimeMs(e.collectedAt->time_since_epoch().count()) : "";
        entry["tr"] = e.negative ? kSnomedNotDetected : e.result == "positive" ? kSnomedDetected : "";
        t.push_back(std::move(entry));
    }
    rules::External external;
    external.validationClockMs = now.time_since_epoch().count();
    external.countryCode = country;
    if (input.statusColour) external.code = json{{"format", "HK1"}, {"status", *input.statusColour}};
    return rules::makeDataObject(json{{"t", std::move(t)}}, external, json::object());
}

Reason decideBuiltin(const BuiltinRules& builtin, const policy::PolicyInput& input, UtcTime now) {
    if (!builtin.issues.empty() || builtin.set.rules.size() != builtin.reasons.size()) return Reason::InternalError;
    const json data = builtinDataObject(input, now, builtin.country);
    const bool test = !input.tests.empty();
    for (std::size_t i = 0; i < builtin.set.rules.size(); ++i) {
        const rules::Rule& r = builtin.set.rules[i];
        if (r.certificateType == "Test" && !test) continue;  // selection: Test rules for a test certificate
        const auto result = rules::evaluateRule(r, data);
        if (!result.passed) {
            SLOG(kLog, Debug) << "built-in rule " << r.identifier << " failed" << (result.error.empty() ? "" : " (" + result.error + ")")
                              << ": " << toString(builtin.reasons[i]);
            return builtin.reasons[i];
        }
    }
    return Reason::Ok;
}

std::shared_ptr<const BuiltinRules> builtinRulesFor(const std::shared_ptr<const BuiltinRules>& cached,
                                                    const policy::PolicyConfig& policy, const std::string& country) {
    if (cached && cached->policy == policy && cached->country == country) return cached;
    return makeBuiltinRules(policy, country);
}

}  // namespace sentinel::verify

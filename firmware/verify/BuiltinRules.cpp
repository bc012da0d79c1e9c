#include "firmware/verify/BuiltinRules.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "firmware/base/Log.h"
#include "firmware/rules/CertLogic.h"
#include "firmware/verify/RiskValueSets.h"
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

// General rule numbers (stable identifiers GR-CC-000n, whatever the policy generates).
constexpr int kRuleColour = 1;
constexpr int kRuleTestPresent = 2;
constexpr int kRuleRiskListFresh = 3;
constexpr int kRuleTravelKnown = 4;
constexpr int kRuleNotHighRisk = 5;
constexpr int kRuleNotMediumRisk = 6;
constexpr int kRuleNotPending = 7;

// §14: no stay whose region has a prefix in value set `name` and that ended (open: now) within
// `days` of the validation clock. Prefix membership first: a clean traveller costs three hashed
// lookups per stay and no date arithmetic.
json noStayIn(const char* name, int days) {
    const json set = var((std::string("data.external.valueSets.") + name).c_str());
    const json listed = op("or", json::array({op("in", json::array({var("current.prefixes.0"), set})),
                                              op("in", json::array({var("current.prefixes.1"), set})),
                                              op("in", json::array({var("current.prefixes.2"), set}))}));
    const json ended = op("if", json::array({var("current.to"), var("current.to"), var("data.external.validationClock")}));
    const json recent = op("not-before", json::array({op("plusTime", json::array({ended, days, "day"})),
                                                      dateTime(var("data.external.validationClock"))}));
    return op("!", json::array({op("reduce", json::array({var("payload.travel"),
                                                          op("or", json::array({var("accumulator"),
                                                                                op("and", json::array({listed, recent}))})),
                                                          false}))}));
}

// What "within its limit" needs: the accepted types and their limits, the future tolerance.
struct TestLimits {
    json acceptedTypes;
    bool naatAndRat = false;  // both accepted: the limit depends on the type
    Amount limit;             // the limit when only one type is accepted (NAAT's when both)
    Amount ratLimit;
    Amount tolerance;
};

// `item` (a path to a test) is within its limit at the clock at `clock`: sample time known, type
// accepted, not later than clock + tolerance, clock ≤ sample time + the limit of its type.
json withinLimit(const TestLimits& l, const std::string& item, const char* clock) {
    const json sc = var((item + ".sc").c_str());
    const json tt = var((item + ".tt").c_str());
    const json deadline = l.naatAndRat ? op("if", json::array({op("===", json::array({tt, kLoincNaat})), dateTime(sc, l.limit),
                                                                dateTime(sc, l.ratLimit)}))
                                       : dateTime(sc, l.limit);
    return op("and", json::array({sc, op("in", json::array({tt, l.acceptedTypes})),
                                  op("not-after", json::array({dateTime(sc), dateTime(var(clock), l.tolerance)})),
                                  op("not-after", json::array({dateTime(var(clock)), deadline}))}));
}

// §14 TEST_RESULT_PENDING as CertLogic (policy::evaluate step 6): passes unless no negative test
// qualifies and some pending test within its limit has no completed test within its limit taken at
// the same time or later.
json notPending(const TestLimits& l) {
    const json negativeQualifies =
        op("reduce", json::array({var("payload.t"),
                                  op("or", json::array({var("accumulator"),
                                                        op("and", json::array({withinLimit(l, "current", "data.external.validationClock"),
                                                                               op("===", json::array({var("current.tr"), kSnomedNotDetected}))}))})),
                                  false}));
    // Inside the pending test's lambda: `data.current` is the pending test, `data.data` the data object.
    const json completedNotOlder =
        op("reduce", json::array({var("data.payload.t"),
                                  op("or", json::array({var("accumulator"),
                                                        op("and", json::array({withinLimit(l, "current", "data.data.external.validationClock"),
                                                                               op("not-before", json::array({dateTime(var("current.sc")),
                                                                                                             dateTime(var("data.current.sc"))}))}))})),
                                  false}));
    const json newestPending =
        op("reduce", json::array({var("payload.pending"),
                                  op("or", json::array({var("accumulator"),
                                                        op("and", json::array({withinLimit(l, "current", "data.external.validationClock"),
                                                                               op("!", json::array({completedNotOlder}))}))})),
                                  false}));
    return op("!", json::array({op("and", json::array({op("!", json::array({negativeQualifies})), newestPending}))}));
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
    int testNumber = 0;
    // General rules have fixed numbers (GR-CC-0001 colour and GR-CC-0002 a test present as before
    // §14; the §14 rules 0003–0007), evaluated in the order pushed; Test rules are numbered in order.
    auto pushNumbered = [&](int generalNumber, const char* certificateType, Reason reason, const std::string& en,
                            const std::string& zh, json affected, json logic) {
        const bool general = std::string_view(certificateType) == "General";
        const int n = general ? generalNumber : ++testNumber;
        char id[16];
        std::snprintf(id, sizeof id, "%s-%s-%04d", general ? "GR" : "TR", country.c_str(), n);
        rules.push_back(rule(id, country, certificateType, en, zh, std::move(affected), std::move(logic)));
        out->reasons.push_back(reason);
    };
    auto push = [&](const char* certificateType, Reason reason, const std::string& en, const std::string& zh, json affected,
                    json logic) { pushNumbered(0, certificateType, reason, en, zh, std::move(affected), std::move(logic)); };
    const Amount tolerance = amountOf(std::int64_t{policy.futureToleranceS} * 1000);
    const Amount naatLimit = amountOf(naat.value_or(std::chrono::milliseconds{0}).count());
    const Amount ratLimit = amountOf(rat.value_or(std::chrono::milliseconds{0}).count());
    const TestLimits testLimits{acceptedTypes, naat.has_value() && rat.has_value(), rat && !naat ? ratLimit : naatLimit, ratLimit,
                                tolerance};

    // Online codes: the colour (HC1 certificates have no external.code and pass).
    pushNumbered(kRuleColour, "General", Reason::CodeNotGreen,
                 "An online health code's colour is one of: " + joined(policy.acceptStatus, ", "),
                 "在线健康码须为：" + joined(coloursZh(policy.acceptStatus), "、"), json::array({"external.code.status"}),
                 op("if", json::array({op("===", json::array({var("external.code.format"), "HK1"})),
                                       op("in", json::array({var("external.code.status"), policy.acceptStatus})), true})));
    // §14, after the colour and before the tests.
    const Amount listAge = amountOf(policy::riskMaxAge(policy).count());
    pushNumbered(kRuleRiskListFresh, "General", Reason::RiskListStale,
                 "Travel data is checked against a risk-area list issued at most " + enText(listAge) + " ago",
                 "行程须依据" + zhText(listAge) + "内发布的风险地区名单核查", json::array({"travel"}),
                 op("if", json::array({op("!!", json::array({var("payload.travel.0")})),
                                       op("and", json::array({op("!!", json::array({var("external.riskList")})),
                                                              op("not-after", json::array({dateTime(var("external.validationClock")),
                                                                                           dateTime(var("external.riskList.issuedAt"), listAge)}))})),
                                       true})));
    if (policy.requireTravel) {
        pushNumbered(kRuleTravelKnown, "General", Reason::TravelUnknown,
                     "The health-code service gives the holder's travel (itinerary)", "健康码服务须提供持码人行程",
                     json::array({"travel"}),
                     op("if", json::array({op("!!", json::array({var("external.code")})), op("!!", json::array({var("external.code.travel")})),
                                           true})));
    }
    pushNumbered(kRuleNotHighRisk, "General", Reason::RiskAreaHigh,
                 "No stay in a high-risk area within " + std::to_string(policy.riskLookbackHighDays) + " days",
                 std::to_string(policy.riskLookbackHighDays) + "天内无高风险地区停留", json::array({"travel"}),
                 noStayIn(kRiskAreasHighValueSet, policy.riskLookbackHighDays));
    pushNumbered(kRuleNotMediumRisk, "General", Reason::RiskAreaMedium,
                 "No stay in a medium-risk area within " + std::to_string(policy.riskLookbackMediumDays) + " days",
                 std::to_string(policy.riskLookbackMediumDays) + "天内无中风险地区停留", json::array({"travel"}),
                 noStayIn(kRiskAreasMediumValueSet, policy.riskLookbackMediumDays));
    pushNumbered(kRuleNotPending, "General", Reason::TestResultPending,
                 "A negative test qualifies, or the newest test within its limit is not pending",
                 "须有符合要求的阴性结果，或时限内最新的检测不是待出结果", json::array({"t", "pending"}), notPending(testLimits));
    if (policy.requireTest) {
        pushNumbered(kRuleTestPresent, "General", Reason::NoTestResult,
                     "A test result is required (a vaccination or recovery alone does not pass)",
                     "须有检测结果（仅有疫苗接种或康复证明不予通行）", json::array({"t"}), op("!!", json::array({var("payload.t.0")})));
    }
    push("Test", Reason::Malformed, "Every test has a readable sample collection time", "每项检测须有可读的采样时间",
         json::array({"t.0.sc"}),
         op("reduce", json::array({var("payload.t"), op("and", json::array({var("accumulator"), op("!!", json::array({var("current.sc")}))})),
                                   true})));
    push("Test", Reason::TestTypeNotAccepted, "The test type is accepted: " + joined(acceptedNames, ", "),
         "接受的检测类型：" + joined(acceptedNames, "、"), json::array({"t.0.tt"}),
         onDecisiveTest(acceptedTypes, op("in", json::array({var("current.tt"), acceptedTypes}))));
    push("Test", Reason::TestInFuture,
         "The sample collection time is not later than the check (tolerance " + enText(tolerance) + ")",
         "采样时间不得晚于核验时间（容差" + zhText(tolerance) + "）", json::array({"t.0.sc"}),
         onDecisiveTest(acceptedTypes, op("not-after", json::array({dateTime(var("current.sc")),
                                                                    dateTime(var("data.external.validationClock"), tolerance)}))));
    push("Test", Reason::TestPositive, "The test result is negative", "检测结果须为阴性", json::array({"t.0.tr"}),
         onDecisiveTest(acceptedTypes, op("===", json::array({var("current.tr"), kSnomedNotDetected}))));
    // Age: now ≤ sample time + the limit of the decisive test's type (exactly the limit passes).
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

namespace {

// payload.travel with only what the built-in rules read of a stay — its prefixes and its end (`to`) —
// for decideBuiltin: thirty stays are most of a decision's data object, and every member is a few
// allocations. builtinDataObject and loaded rule sets get the whole §14 shape (travelJson).
json travelForBuiltinRules(const policy::Itinerary& travel) {
    json out = json::array();
    out.get_ref<json::array_t&>().reserve(travel.size());
    for (const auto& s : travel.stays()) {
        const std::string_view region = s.regionCode();
        json prefixes = json::array();
        auto& items = prefixes.get_ref<json::array_t&>();
        items.reserve(3);
        for (std::size_t digits = 2; digits <= region.size(); digits += 2) items.emplace_back(std::string(region.substr(0, digits)));
        json entry = json::object();
        auto& members = entry.get_ref<json::object_t&>();
        members.emplace_hint(members.end(), "prefixes", std::move(prefixes));
        members.emplace_hint(members.end(), "to", s.to ? json(rules::formatDateTimeMs(s.to->time_since_epoch().count())) : json(nullptr));
        out.push_back(std::move(entry));
    }
    return out;
}

enum class TravelShape { Full, RulesOnly };

// The data object without its value sets (decideBuiltin gives them as shared value sets).
json dataObjectOf(const policy::PolicyInput& input, UtcTime now, const std::string& country, const policy::RiskAreaList* riskList,
                  json valueSets, TravelShape shape) {
    json t = json::array();
    for (const auto& e : input.tests) {
        if (e.pending) continue;
        json entry = json::object();
        entry["tt"] = testTypeCode(e.type);
        entry["sc"] = e.collectedAt ? rules::formatDateTimeMs(e.collectedAt->time_since_epoch().count()) : "";
        entry["tr"] = e.negative ? kSnomedNotDetected : e.result == "positive" ? kSnomedDetected : "";
        t.push_back(std::move(entry));
    }
    json payload = json::object();
    payload["t"] = std::move(t);
    payload["pending"] = pendingJson(input.tests);
    if (input.travel) payload["travel"] = shape == TravelShape::Full ? travelJson(*input.travel, now) : travelForBuiltinRules(*input.travel);
    rules::External external;
    external.validationClockMs = now.time_since_epoch().count();
    external.countryCode = country;
    if (input.statusColour) external.code = onlineCodeJson(*input.statusColour, input.travel.has_value());
    external.riskList = riskListJson(riskList);
    return rules::makeDataObject(std::move(payload), external, valueSets);
}

bool hasCompletedTest(const policy::PolicyInput& input) {
    return std::any_of(input.tests.begin(), input.tests.end(), [](const policy::TestEntry& t) { return !t.pending; });
}

}  // namespace

json builtinDataObject(const policy::PolicyInput& input, UtcTime now, const std::string& country, const policy::RiskAreaList* riskList) {
    const auto sets = riskValueSets(riskList, now);
    json valueSets = json::object();
    for (const auto& [name, codes] : sets->sets()) valueSets[name] = codes;
    return dataObjectOf(input, now, country, riskList, std::move(valueSets), TravelShape::Full);
}

Reason decideBuiltin(const BuiltinRules& builtin, const policy::PolicyInput& input, UtcTime now, const policy::RiskAreaList* riskList,
                     std::shared_ptr<const rules::SharedValueSets> riskSets) {
    if (!builtin.issues.empty() || builtin.set.rules.size() != builtin.reasons.size()) return Reason::InternalError;
    if (!riskSets) riskSets = riskValueSets(riskList, now);
    json data = dataObjectOf(input, now, builtin.country, riskList, json::object(), TravelShape::RulesOnly);
    rules::EvaluationContext context(data, std::move(riskSets));
    const bool test = hasCompletedTest(input);
    Reason reason = Reason::Ok;
    for (std::size_t i = 0; i < builtin.set.rules.size(); ++i) {
        const rules::Rule& r = builtin.set.rules[i];
        if (r.certificateType == "Test" && !test) continue;  // selection: Test rules for a test certificate
        const auto result = rules::evaluateRule(r, context);
        if (!result.passed) {
            SLOG(kLog, Debug) << "built-in rule " << r.identifier << " failed" << (result.error.empty() ? "" : " (" + result.error + ")")
                              << ": " << toString(builtin.reasons[i]);
            reason = builtin.reasons[i];
            break;
        }
    }
    // The itinerary lives only inside the decision (STYLE 19); nothing else here is personal.
    if (auto travel = data["payload"].find("travel"); travel != data["payload"].end()) wipeStrings(*travel);
    return reason;
}

std::shared_ptr<const BuiltinRules> builtinRulesFor(const std::shared_ptr<const BuiltinRules>& cached,
                                                    const policy::PolicyConfig& policy, const std::string& country) {
    if (cached && cached->policy == policy && cached->country == country) return cached;
    return makeBuiltinRules(policy, country);
}

}  // namespace sentinel::verify

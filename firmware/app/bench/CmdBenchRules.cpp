// `sentinel bench rules [--json] [--rules PATH] [--country CC] [--decisions N]`: what the rules of
// one decision cost (DESIGN §12): the built-in rules made from [policy] (the generated CertLogic
// set, with policy::evaluate — the C++ reference — beside it) and a loaded rule set (selection, the
// §12 data object with the value sets, every applicable rule evaluated).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "firmware/app/CliUtil.h"
#include "firmware/kiosk/RuleSetFile.h"
#include "firmware/policy/Policy.h"
#include "firmware/verify/BuiltinRules.h"
#include "firmware/verify/RiskValueSets.h"
#include "firmware/verify/RuleCheck.h"

namespace sentinel::app {
namespace {

using nlohmann::json;

constexpr const char* kHelp = R"HELP(Usage: sentinel bench rules --rules PATH [--country CC] [--decisions N] [--json]

Cost of the rules of one decision, in µs per decision (p50, p99 over N decisions, after a warm-up):
  builtin   the built-in rules made from the default [policy]: the generated CertLogic rules (7),
            data object included, on one NAAT test (negative, 6 h old: every rule evaluated)
  reference policy::evaluate, the C++ reference the built-in rules are tested against
  builtin + risk   the built-in rules with the §14 risk rules: a 3 000-area risk list and a clean
            traveller with 30 stays (every stay's prefixes looked up), value sets made once per list;
            timed in a tight loop and again with each call right after a 1 µs sleep (as the kiosk's
            decision thread starts a decision after waking for a frame; on a shared machine a tight
            loop's p99 is the scheduler's tick, not the rules)
  reference + risk policy::evaluate on the same
  loaded    the rule set at PATH (file or folder, as rules.path): selection of the rules of CC for
            a test certificate valid now, the §12 data object (payload + external + value sets),
            every selected rule evaluated, on a complete DCC test payload (NAAT, negative, 6 h old)

Options:
  --rules PATH     rule set (e.g. ../shared/testdata/rules/business, which has the value sets)
  --country CC     whose rules apply (default: the country with the most rules in the set)
  --decisions N    decisions timed (default 20000)
  --json           one JSON object {"builtin":{…},"reference":{…},"builtin_risk":{…,"areas","stays","reason"},
                   "builtin_risk_after_wake":{…},
                   "reference_risk":{…},"loaded":{"set","country","rules","p50_us","p99_us",…}}
  --help           this text

Exit status: 0 done, 1 the rule set could not be loaded, 2 usage.
)HELP";

struct Timing {
    double p50 = 0, p99 = 0, mean = 0;
};

template <class F>
Timing timePerCall(int n, F&& f) {
    for (int i = 0; i < std::min(n, 200); ++i) f();  // warm-up: caches, allocator
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(us.begin(), us.end());
    Timing t;
    auto at = [&](double q) { return us[std::min(us.size() - 1, static_cast<std::size_t>(std::ceil(q * us.size())) - 1)]; };
    t.p50 = at(0.50);
    t.p99 = at(0.99);
    double sum = 0;
    for (double x : us) sum += x;
    t.mean = sum / static_cast<double>(us.size());
    return t;
}

json timingJson(const Timing& t) {
    auto r2 = [](double x) { return std::round(x * 100.0) / 100.0; };
    return {{"p50_us", r2(t.p50)}, {"p99_us", r2(t.p99)}, {"mean_us", r2(t.mean)}};
}

// ---- §14: the built-in rules with the risk rules, a 3 000-area list and a 30-stay itinerary ----

// The issue 25 measurement: a list of 3 000 areas (a county-level list of a bad day) and a clean
// traveller with 30 stays (two weeks of commuting), every stay's three prefixes looked up.
constexpr int kRiskBenchAreas = 3000;
constexpr int kRiskBenchStays = 30;

// As timePerCall, each call right after a short sleep: the kiosk's decision thread decides right after
// it wakes for a frame, and a call that starts a time slice is not cut by the neighbours of a shared
// machine (a 50 µs call in a tight loop meets the scheduler's tick every ~100 calls).
template <class F>
Timing timePerCallAfterWake(int n, F&& f) {
    for (int i = 0; i < std::min(n, 200); ++i) f();
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        std::this_thread::sleep_for(std::chrono::microseconds{1});
        const auto t0 = std::chrono::steady_clock::now();
        f();
        us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(us.begin(), us.end());
    Timing t;
    auto at = [&](double q) { return us[std::min(us.size() - 1, static_cast<std::size_t>(std::ceil(q * us.size())) - 1)]; };
    t.p50 = at(0.50);
    t.p99 = at(0.99);
    double sum = 0;
    for (double x : us) sum += x;
    t.mean = sum / static_cast<double>(us.size());
    return t;
}

struct RiskBench {
    Timing builtin, builtinAfterWake, reference;
    Reason reason = Reason::InternalError;
    std::size_t areas = 0, stays = 0;
};

RiskBench benchRiskRules(int decisions, const std::string& country, UtcTime now) {
    RiskBench out;
    // Areas: county codes in 11–65 (provinces), every third a high one; the traveller's stays are in
    // 71xxxx (not listed), so every rule looks at every stay.
    json areas = json::array();
    for (int i = 0; i < kRiskBenchAreas; ++i) {
        const int code = (11 + i % 55) * 10000 + 100 + (i / 55) * 7;
        areas.push_back({{"code", std::to_string(code)}, {"level", i % 3 == 0 ? "high" : "medium"}});
    }
    const json listJson = {{"format", "sentinel-risk-areas/1"},
                           {"version", "bench-3000"},
                           {"issued_at", formatRfc3339(now - std::chrono::hours{2})},
                           {"effective_from", formatRfc3339(now - std::chrono::hours{2})},
                           {"areas", areas}};
    const auto parsed = policy::parseRiskAreaList(listJson.dump());
    if (!parsed.list) return out;
    policy::PolicyInput input;
    input.statusColour = "green";
    policy::TestEntry t;
    t.type = TestType::Naat;
    t.collectedAt = now - std::chrono::hours{6};
    t.negative = true;
    t.result = "negative";
    input.tests.push_back(t);
    policy::Itinerary travel;
    for (int i = 0; i < kRiskBenchStays; ++i) {
        const UtcTime to = now - std::chrono::hours{11 * i};
        travel.add(std::to_string(710100 + i), to - std::chrono::hours{10}, i == 0 ? std::nullopt : std::optional(to));
    }
    input.travel = travel;
    const policy::PolicyConfig config;
    const auto builtinRules = verify::makeBuiltinRules(config, country);
    verify::RiskValueSetCache cache;  // as the online verifier holds it: made once per list
    out.reason = verify::decideBuiltin(*builtinRules, input, now, parsed.list.get(), cache.get(parsed.list, now));
    out.builtin = timePerCall(decisions, [&] {
        volatile int sink = static_cast<int>(verify::decideBuiltin(*builtinRules, input, now, parsed.list.get(), cache.get(parsed.list, now)));
        (void)sink;
    });
    out.builtinAfterWake = timePerCallAfterWake(decisions, [&] {
        volatile int sink = static_cast<int>(verify::decideBuiltin(*builtinRules, input, now, parsed.list.get(), cache.get(parsed.list, now)));
        (void)sink;
    });
    out.reference = timePerCall(decisions, [&] {
        volatile int sink = static_cast<int>(policy::evaluate(input, now, config, parsed.list.get()).reason);
        (void)sink;
    });
    out.areas = parsed.list->size();
    out.stays = input.travel->size();
    return out;
}

}  // namespace

int cmdBenchRules(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--rules", "--country", "--decisions"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    if (!args->value("--rules")) {
        ctx.err << "sentinel bench rules: --rules PATH is required\n\n" << kHelp;
        return kExitUsage;
    }
    int decisions = 20000;
    if (auto d = args->value("--decisions")) {
        try {
            decisions = std::stoi(*d);
        } catch (...) {
            decisions = 0;
        }
        if (decisions < 1 || decisions > 10'000'000) {
            ctx.err << "sentinel bench rules: --decisions takes a number from 1 to 10000000\n";
            return kExitUsage;
        }
    }
    auto set = kiosk::loadRuleSet(*args->value("--rules"));
    if (!set) {
        ctx.err << "sentinel bench rules: " << set.error().message << '\n';
        return kExitFail;
    }
    std::string country = args->value("--country").value_or("");
    if (country.empty()) {
        std::map<std::string, int> counts;
        for (const auto& r : (*set)->rules) ++counts[r.country];
        for (const auto& [c, n] : counts)
            if (country.empty() || n > counts[country]) country = c;
    }

    const UtcTime now = SystemClock().now();
    const UtcTime sampled = now - std::chrono::hours{6};
    // A complete EU DCC v1.3 test entry (names are fictitious).
    const json payload = {{"ver", "1.3.0"},
                          {"nam", {{"fn", "Muster"}, {"fnt", "MUSTER"}, {"gn", "Max"}, {"gnt", "MAX"}}},
                          {"dob", "1990-01-01"},
                          {"t",
                           {{{"tg", "840539006"},
                             {"tt", "LP6464-4"},
                             {"nm", "PCR"},
                             {"sc", formatRfc3339(sampled)},
                             {"tr", "260415000"},
                             {"tc", "Test centre"},
                             {"co", country},
                             {"is", "Ministry of Health"},
                             {"ci", "URN:UVCI:01:" + country + ":BENCH0000000001#X"}}}}};
    rules::External external;
    external.issuerCountryCode = country;
    external.iatMs = (now - std::chrono::hours{1}).time_since_epoch().count();
    external.expMs = (now + std::chrono::hours{24 * 14}).time_since_epoch().count();
    external.kid = "AAAAAAAAAAA=";

    const auto selected = rules::selectRules(**set, country, rules::CertificateKind::Test, now.time_since_epoch().count());
    const auto sample = verify::checkRules(**set, country, rules::CertificateKind::Test, now, payload, external);
    const Timing loaded = timePerCall(decisions, [&] {
        const auto r = verify::checkRules(**set, country, rules::CertificateKind::Test, now, payload, external);
        volatile bool sink = r.passed;
        (void)sink;
    });

    policy::PolicyInput input;
    policy::TestEntry t;
    t.type = TestType::Naat;
    t.collectedAt = sampled;
    t.negative = true;
    t.result = "negative";
    input.tests.push_back(t);
    const policy::PolicyConfig config;
    const auto builtinRules = verify::makeBuiltinRules(config, country);
    const Reason builtinSample = verify::decideBuiltin(*builtinRules, input, now);
    const Timing builtin = timePerCall(decisions, [&] {
        volatile int sink = static_cast<int>(verify::decideBuiltin(*builtinRules, input, now));
        (void)sink;
    });
    const Timing reference = timePerCall(decisions, [&] {
        const auto r = policy::evaluate(input, now, config);
        volatile int sink = static_cast<int>(r.reason);
        (void)sink;
    });

    const RiskBench risk = benchRiskRules(decisions, country, now);

    if (args->has("--json")) {
        json j;
        j["decisions"] = decisions;
        j["builtin_risk"] = timingJson(risk.builtin);
        j["builtin_risk"]["areas"] = risk.areas;
        j["builtin_risk"]["stays"] = risk.stays;
        j["builtin_risk"]["reason"] = toString(risk.reason);
        j["builtin_risk_after_wake"] = timingJson(risk.builtinAfterWake);
        j["reference_risk"] = timingJson(risk.reference);
        j["builtin"] = timingJson(builtin);
        j["builtin"]["rules_evaluated"] = builtinRules->set.rules.size();
        j["builtin"]["reason"] = toString(builtinSample);
        j["reference"] = timingJson(reference);
        j["loaded"] = timingJson(loaded);
        j["loaded"]["set"] = (*set)->label();
        j["loaded"]["country"] = country;
        j["loaded"]["rules_in_set"] = (*set)->rules.size();
        j["loaded"]["rules_evaluated"] = selected.size();
        j["loaded"]["failed"] = sample.outcome.failed;
        ctx.out << j.dump() << '\n';
    } else {
        char line[256];
        ctx.out << "rules per decision (" << decisions << " decisions)      p50 µs    p99 µs   mean µs\n";
        std::snprintf(line, sizeof line, "built-in ([policy], %zu rules)        %8.2f  %8.2f  %8.2f\n", builtinRules->set.rules.size(),
                      builtin.p50, builtin.p99, builtin.mean);
        ctx.out << line;
        std::snprintf(line, sizeof line, "reference (policy::evaluate)        %8.2f  %8.2f  %8.2f\n", reference.p50, reference.p99,
                      reference.mean);
        ctx.out << line;
        std::snprintf(line, sizeof line, "built-in + risk (%zu areas, %zu stays) %7.2f  %8.2f  %8.2f\n", risk.areas, risk.stays,
                      risk.builtin.p50, risk.builtin.p99, risk.builtin.mean);
        ctx.out << line;
        std::snprintf(line, sizeof line, "  the same, each after a wake-up    %8.2f  %8.2f  %8.2f\n", risk.builtinAfterWake.p50,
                      risk.builtinAfterWake.p99, risk.builtinAfterWake.mean);
        ctx.out << line;
        std::snprintf(line, sizeof line, "reference + risk                    %8.2f  %8.2f  %8.2f\n", risk.reference.p50,
                      risk.reference.p99, risk.reference.mean);
        ctx.out << line;
        std::snprintf(line, sizeof line, "%-35s %8.2f  %8.2f  %8.2f\n",
                      ((*set)->label() + " " + country + " (" + std::to_string(selected.size()) + " rules)").c_str(), loaded.p50,
                      loaded.p99, loaded.mean);
        ctx.out << line;
        ctx.out << "loaded set: " << (*set)->rules.size() << " rules in the set, " << selected.size() << " evaluated for a test certificate; "
                << (sample.passed ? "all passed" : std::to_string(sample.outcome.failed.size()) + " failed on the sample") << '\n';
    }
    return kExitOk;
}

}  // namespace sentinel::app

// libFuzzer target: risk-area lists (DESIGN §14: they arrive in bundles and over the fleet link, so
// they are hostile input). The input is read as a list; a list that parses is then used as the kiosk
// uses one — matched against regions (fixed ones and ones taken from the input), scheduled, turned
// into the value sets of the built-in rules and applied to an itinerary by policy::evaluate and the
// built-in rules, which must agree. Any crash, hang, unbounded allocation or disagreement is a bug;
// refusals are expected.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "firmware/policy/Policy.h"
#include "firmware/policy/RiskSchedule.h"
#include "firmware/verify/BuiltinRules.h"
#include "firmware/verify/RiskValueSets.h"

namespace {

// Larger than any valid list (kMaxRiskListBytes), so the size bound itself is reached.
constexpr std::size_t kMaxInput = sentinel::policy::kMaxRiskListBytes + 16;

const sentinel::UtcTime kNow = *sentinel::parseRfc3339("2026-12-08T08:00:00Z");

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
    using namespace sentinel;
    if (size > kMaxInput) return 0;
    const std::string_view input(reinterpret_cast<const char*>(bytes), size);
    const auto parsed = policy::parseRiskAreaList(input);
    if (!parsed.list) {
        if (parsed.problems.empty()) std::abort();  // a refusal always says why
        return 0;
    }
    if (!parsed.problems.empty()) std::abort();
    const auto& list = *parsed.list;

    // Regions: fixed ones, and every run of six digits in the input.
    policy::Itinerary travel;
    for (std::string_view region : {"110105", "310115", "420106", "000000", "999999"}) {
        (void)list.levelOf(region, kNow);
        travel.add(region, kNow - std::chrono::hours{72}, kNow - std::chrono::hours{24});
    }
    for (std::size_t i = 0; i + 6 <= input.size() && travel.size() < policy::kMaxStays; ++i) {
        const auto region = input.substr(i, 6);
        if (travel.add(region, kNow - std::chrono::hours{48}, std::nullopt)) (void)list.levelOf(region, kNow);
    }
    for (auto level : {policy::RiskLevel::High, policy::RiskLevel::Medium, policy::RiskLevel::Low}) (void)list.codesAt(level, kNow);
    (void)list.nextChangeAfter(kNow);

    policy::RiskSchedule schedule;
    (void)schedule.add(parsed.list, kNow);
    (void)schedule.at(kNow);
    (void)schedule.at(list.effectiveFrom());

    // The reference and the built-in rules agree on the list (a fresh one: issued "now").
    policy::PolicyConfig config;
    config.riskMaxAgeH = 1e9;  // whatever issued_at says, the list counts as fresh
    policy::PolicyInput in;
    in.statusColour = "green";
    in.tests.push_back({TestType::Naat, kNow - std::chrono::hours{6}, true, "negative"});
    in.travel = travel;
    static const auto builtin = verify::makeBuiltinRules(config, "CN");
    const auto reference = policy::evaluate(in, kNow, config, &list).reason;
    const auto rules = verify::decideBuiltin(*builtin, in, kNow, &list, verify::riskValueSets(&list, kNow));
    if (reference != rules) std::abort();
    return 0;
}

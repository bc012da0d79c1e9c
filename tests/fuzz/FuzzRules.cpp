// libFuzzer target: the CertLogic evaluator and rule-set loader (DESIGN §12: rule sets are hostile
// input). The input is `EXPRESSION \n DATA` (two JSON texts), and the whole input is also read as a
// rule set whose rules are evaluated on a fixed HCERT-shaped data object. Any crash, hang or
// unbounded allocation is a bug; errors are expected.
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "firmware/rules/CertLogic.h"
#include "firmware/rules/RuleSet.h"

namespace {

constexpr std::size_t kMaxInput = 1 << 16;

const nlohmann::json& fixedData() {
    static const nlohmann::json kData = nlohmann::json::parse(R"({
      "payload":{"ver":"1.3.0","dob":"1990-01-01","nam":{"fn":"X","gn":"Y"},
                 "t":[{"tg":"840539006","tt":"LP6464-4","sc":"2021-06-01T10:00:00Z","tr":"260415000","co":"AT","ci":"URN:UVCI:01:AT:X#Y"}]},
      "external":{"validationClock":"2021-06-02T00:00:00Z","valueSets":{"covid-19-lab-test-type":["LP6464-4","LP217198-3"]},
                  "countryCode":"AT","exp":"2022-01-01T00:00:00Z","iat":"2021-06-01T00:00:00Z"}})");
    return kData;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
    if (size > kMaxInput) return 0;
    const std::string_view input(reinterpret_cast<const char*>(bytes), size);
    sentinel::rules::Limits limits;
    limits.maxSteps = 20000;  // keeps each execution short; the bound itself is what is tested

    const auto split = input.find('\n');
    const auto expr = sentinel::rules::parseBounded(input.substr(0, split), kMaxInput, limits.maxDepth);
    if (expr) {
        const auto data = split == std::string_view::npos
                              ? sentinel::Result<nlohmann::json>(fixedData())
                              : sentinel::rules::parseBounded(input.substr(split + 1), kMaxInput, limits.maxDepth);
        if (data) {
            const auto result = sentinel::rules::evaluate(*expr, *data, limits);
            if (result) {
                volatile bool sink = sentinel::rules::isTruthy(*result);
                (void)sink;
            }
        }
    }

    const auto parsed = sentinel::rules::parseRuleSet(input, "fuzz", limits);
    std::vector<const sentinel::rules::Rule*> all;
    for (const auto& r : parsed.set.rules) all.push_back(&r);
    for (const auto& r : sentinel::rules::evaluateRules(all, fixedData(), limits)) {
        volatile bool sink = r.passed;
        (void)sink;
    }
    return 0;
}

#include "firmware/app/bench/BenchOnlineRisk.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>

#include "drivers/net/CurlTransport.h"
#include "firmware/app/HcsimProcess.h"
#include "firmware/verify/online/OnlineVerifier.h"

namespace sentinel::app {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

// Issue 25: "a 3 000-area list and a 30-stay itinerary".
constexpr int kAreas = 3000;
constexpr int kStays = 30;
constexpr auto kBudget = std::chrono::milliseconds{5000};         // budget.decision_ms
constexpr auto kStalledBudget = std::chrono::milliseconds{1000};  // the three travellers that open the breaker
constexpr std::string_view kToday = "HK1:BENCHtodayNoTravel000001";
constexpr std::string_view kTravel = "HK1:BENCHtravel30Stays000001";
constexpr std::string_view kSubjectKey = "bench-device-secret";

json figures(std::vector<double> ms, std::size_t asExpected) {
    auto r2 = [](double x) { return std::round(x * 100.0) / 100.0; };
    if (ms.empty()) return {{"scans", 0}, {"as_expected", asExpected}};
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(std::ceil(q * ms.size())) - 1)]; };
    return {{"scans", ms.size()}, {"as_expected", asExpected}, {"p50_ms", r2(at(0.50))}, {"p95_ms", r2(at(0.95))},
            {"p99_ms", r2(at(0.99))}, {"max_ms", r2(ms.back())}};
}

// The codes file: today's holder (a v1 answer) and a traveller with 30 stays in regions no list names.
std::string codesFile() {
    json travel = json::array();
    for (int i = 0; i < kStays; ++i) travel.push_back({{"region", std::to_string(710100 + i)}, {"ended_h", 11 * i}, {"length_h", 10}});
    const json test = json::array({{{"type", "NAAT"}, {"age_h", 6}, {"result", "negative"}}});
    return json{{"codes", json::array({{{"code", kToday}, {"status", "green"}, {"tests", test}},
                                       {{"code", kTravel}, {"status", "green"}, {"tests", test}, {"travel", travel}}})}}
        .dump();
}

std::shared_ptr<const policy::RiskAreaList> benchList(UtcTime now) {
    json areas = json::array();
    for (int i = 0; i < kAreas; ++i) {
        const int code = (11 + i % 55) * 10000 + 100 + (i / 55) * 7;
        areas.push_back({{"code", std::to_string(code)}, {"level", i % 3 == 0 ? "high" : "medium"}});
    }
    return policy::parseRiskAreaList(json{{"format", "sentinel-risk-areas/1"},
                                          {"version", "bench-3000"},
                                          {"issued_at", formatRfc3339(now - std::chrono::hours{2})},
                                          {"effective_from", formatRfc3339(now - std::chrono::hours{2})},
                                          {"areas", areas}}
                                         .dump())
        .list;
}

struct Client {
    std::unique_ptr<net::CurlTransport> transport;
    std::unique_ptr<verify::OnlineVerifier> verifier;
};

Client clientFor(const HcsimProcess& service, const Clock& clock, verify::BreakerConfig breaker) {
    Client c;
    net::CurlConfig cc;
    cc.caFile = service.caFile().string();
    cc.pins = {service.pin()};
    c.transport = std::make_unique<net::CurlTransport>(cc);
    verify::OnlineConfig oc{service.baseUrl(), "BENCH-01", HcsimProcess::kDeviceToken, 300};
    c.verifier = std::make_unique<verify::OnlineVerifier>(*c.transport, clock, oc, policy::PolicyConfig{}, breaker);
    return c;
}

}  // namespace

Result<json> benchOnlineRisk(const OnlineRiskBenchOptions& options) {
    SystemClock clock;
    const auto list = benchList(clock.now());
    if (!list) return Error{"bench risk list did not parse"};
    const auto codes = options.work / "risk-codes.json";
    std::ofstream(codes) << codesFile();

    json out;
    out["areas"] = list->size();
    out["stays"] = kStays;
    {
        auto service = HcsimProcess::start(options.hcsim, options.work / "pki-risk", {"--codes", codes.string()});
        if (!service) return service.error();
        Client c = clientFor(**service, clock, {});
        const verify::RulesInForce builtin{nullptr, "CN", verify::makeBuiltinRules({}, "CN")};
        auto scan = [&](std::string_view code, std::shared_ptr<const policy::RiskAreaList> riskList, std::vector<double>& ms,
                        std::size_t& ok) {
            const auto t0 = Steady::now();
            const auto r = c.verifier->verify(code, t0 + kBudget, kSubjectKey, builtin.builtin->policy, builtin, riskList);
            ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
            if (r.record.reason == Reason::Ok) ++ok;
        };
        std::vector<double> today, travel;
        std::size_t todayOk = 0, travelOk = 0;
        for (int i = 0; i < 10; ++i) scan(kToday, nullptr, today, todayOk);  // warm-up: connection, caches
        today.clear();
        todayOk = 0;
        for (int i = 0; i < options.pairs; ++i) {  // A/B, alternated scan by scan
            scan(kToday, nullptr, today, todayOk);
            scan(kTravel, list, travel, travelOk);
        }
        out["today"] = figures(today, todayOk);
        out["travel"] = figures(travel, travelOk);
    }
    {
        auto stalled = HcsimProcess::start(options.hcsim, options.work / "pki-stalled", {"--stall"});
        if (!stalled) return stalled.error();
        Client c = clientFor(**stalled, clock, verify::BreakerConfig{3, std::chrono::seconds{3600}});
        for (int i = 0; i < 3; ++i) c.verifier->verify(kToday, Steady::now() + kStalledBudget, kSubjectKey);  // opens it
        std::vector<double> refer;
        std::size_t referOk = 0;
        for (int i = 0; i < options.refusals; ++i) {
            const auto t0 = Steady::now();
            const auto r = c.verifier->verify(kToday, t0 + kBudget, kSubjectKey);
            refer.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
            if (r.record.reason == Reason::BackendUnavailable) ++referOk;
        }
        out["breaker_open"] = figures(refer, referOk);
    }
    return out;
}

}  // namespace sentinel::app

// online_latency_bench: decision latency of the online path (OnlineVerifier → CurlTransport → TLS
// with pins → in-process sentinel-hcsim on loopback) under backend delays, for issue 4 item 5 and
// docs/PERFORMANCE.md. Not a test: it measures. One JSON line per delay:
//   {"delay_ms":50,"scans":100,"budget_ms":5000,"p50_ms":…,"p95_ms":…,"p99_ms":…,"max_ms":…,
//    "reasons":{"OK":100},"connections_opened":1}
// usage: online_latency_bench [--delays 0,50,500,4000,10000] [--scans N] [--slow-scans N] [--budget-ms MS]
// (--slow-scans applies to delays ≥ 1000 ms, which take a whole budget each).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "drivers/net/CurlTransport.h"
#include "firmware/verify/online/OnlineVerifier.h"
#include "tests/hcsim/HcSim.h"

namespace {

using namespace sentinel;
using Steady = std::chrono::steady_clock;

constexpr long kSlowDelayMs = 1000;

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    // nearest-rank
    auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<long> delays{0, 50, 500, 4000, 10000};
    int scans = 100, slowScans = 10;
    long budgetMs = 5000;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i], v = argv[i + 1];
        if (a == "--delays") {
            delays.clear();
            std::stringstream ss(v);
            for (std::string item; std::getline(ss, item, ',');) delays.push_back(std::stol(item));
        } else if (a == "--scans") {
            scans = std::stoi(v);
        } else if (a == "--slow-scans") {
            slowScans = std::stoi(v);
        } else if (a == "--budget-ms") {
            budgetMs = std::stol(v);
        } else {
            std::fprintf(stderr, "unknown argument %s\n", a.c_str());
            return 2;
        }
    }
    auto sim = hcsim::HcSim::start({});
    if (!sim) {
        std::fprintf(stderr, "hcsim: %s\n", sim.error().message.c_str());
        return 1;
    }
    net::CurlConfig cc;
    cc.caPem = (*sim)->caPem();
    cc.pins = {(*sim)->pin(), (*sim)->backupPin()};
    SystemClock clock;
    for (long delay : delays) {
        // A fresh transport per delay, warmed once, as a kiosk is after start-up.
        net::CurlTransport transport(cc);
        verify::OnlineVerifier verifier(transport, clock,
                                        {(*sim)->baseUrl(), "BENCH-01", std::string(hcsim::kDefaultDeviceToken), 300},
                                        policy::PolicyConfig{});
        hcsim::SimFault fault;
        fault.delay = std::chrono::milliseconds{delay};
        (*sim)->setFault(fault);
        (void)transport.warmUp((*sim)->baseUrl() + "/", Steady::now() + std::chrono::milliseconds{budgetMs});
        const int n = delay >= kSlowDelayMs ? slowScans : scans;
        std::vector<double> ms;
        std::map<std::string, int> reasons;
        for (int i = 0; i < n; ++i) {
            const auto t0 = Steady::now();
            auto r = verifier.verify(hcsim::codes::kGreen, t0 + std::chrono::milliseconds{budgetMs}, "bench-key");
            ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
            ++reasons[std::string(toString(r.record.reason))];
        }
        nlohmann::json line = {{"delay_ms", delay},
                               {"scans", n},
                               {"budget_ms", budgetMs},
                               {"p50_ms", percentile(ms, 50)},
                               {"p95_ms", percentile(ms, 95)},
                               {"p99_ms", percentile(ms, 99)},
                               {"max_ms", percentile(ms, 100)},
                               {"reasons", reasons},
                               {"connections_opened", transport.stats().connectionsOpened}};
        std::printf("%s\n", line.dump().c_str());
        std::fflush(stdout);
    }
    return 0;
}

#pragma once
// `sentinel bench latency --risk`: the online figures of issue 25 (DESIGN §14), measured on the
// online client itself (OnlineVerifier over pinned HTTPS to sentinel-hcsim on loopback), the decision
// latency from the read to the record:
//   today    a v1 answer (no travel), no risk list — the online decision as it was before §14
//   travel   a v1.1 answer with 30 stays (none at risk: every stay checked) against a 3 000-area
//            list in force — alternated with `today` scan by scan in the same session (A/B)
//   refer    REFER BACKEND_UNAVAILABLE while the circuit breaker is open (the service stalled)

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "firmware/base/Result.h"

namespace sentinel::app {

struct OnlineRiskBenchOptions {
    std::string hcsim;              // the sentinel-hcsim binary
    std::filesystem::path work;     // a scratch folder (PKI, codes file)
    int pairs = 200;                // A/B pairs (today, travel)
    int refusals = 200;             // scans while the breaker is open
};

// {"today":{scans,as_expected,p50_ms,p95_ms,p99_ms,max_ms},"travel":{…},"breaker_open":{…},
//  "areas":3000,"stays":30}
Result<nlohmann::json> benchOnlineRisk(const OnlineRiskBenchOptions& options);

}  // namespace sentinel::app

#pragma once
// Health-code service check (DESIGN §5, §7): DNS, TCP, TLS + pin, round-trip time, each step named
// so the technician knows which one broke. The steps are injected (tests script them); the real
// resolver and TCP connect are systemServiceProbes(), TLS + pin is the kiosk's own transport.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "drivers/hal/HttpTransport.h"
#include "firmware/base/Result.h"
#include "firmware/base/Time.h"
#include "firmware/diag/Check.h"

namespace sentinel::diag {

struct HttpsEndpoint {
    std::string host;
    int port = 443;
};
// `https://host[:port][/…]`; IPv6 literals in brackets. Errors for anything else.
Result<HttpsEndpoint> parseHttpsUrl(std::string_view url);

struct ServiceProbes {
    // Host → addresses (text). An error names what failed.
    std::function<Result<std::vector<std::string>>(const std::string& host)> resolve;
    // TCP connect to one address, bounded by `timeout`.
    std::function<sentinel::Status(const std::string& address, int port, std::chrono::milliseconds timeout)> connect;
    // TLS handshake + pin + one HTTP exchange (HEAD) through the kiosk's transport.
    std::function<hal::HttpResponse(const std::string& url)> probe;
};

// getaddrinfo and a non-blocking connect; `probe` is the caller's (CurlTransport::probe).
ServiceProbes systemServiceProbes(std::function<hal::HttpResponse(const std::string& url)> probe);

struct ServiceCheckOptions {
    std::chrono::milliseconds connectTimeout{3000};
    // A warm round trip over this eats a noticeable part of budget.decision_ms (5 s): warn.
    double slowRoundTripMs = 1000.0;
};

// base_url empty → warn (online codes will be REFERred). Each failed step → fail naming the step.
Outcome checkService(const std::string& baseUrl, const ServiceProbes& probes, const ServiceCheckOptions& options = {});

}  // namespace sentinel::diag

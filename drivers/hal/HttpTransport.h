#pragma once
// HTTP transport interface for the health-code service and the fleet collector. The production
// backend is libcurl (drivers/net/CurlTransport): HTTPS only, pinned, no redirects, body capped,
// deadline enforced by our own code.

#include <chrono>
#include <map>
#include <string>

#include "firmware/base/Time.h"

namespace sentinel::hal {

struct HttpRequest {
    std::string url;
    std::string body;
    std::string contentType = "application/json";
    std::map<std::string, std::string> headers;  // extra headers, e.g. Authorization, Idempotency-Key
};

enum class HttpOutcome {
    Response,   // a complete response arrived (any status)
    Timeout,    // no complete response before the deadline
    TooLarge,   // body over the cap
    Redirect,   // 3xx: never followed
    TlsError,   // handshake, certificate or pin failure
    NetError,   // DNS, connect, reset, closed mid-body
};

struct HttpResponse {
    HttpOutcome outcome = HttpOutcome::NetError;
    long status = 0;
    std::string body;
    std::string detail;  // for logs and diag; never personal data
    double elapsedMs = 0.0;
};

class HttpTransport {
public:
    virtual ~HttpTransport() = default;
    // Returns by `deadline` at the latest, whatever the network or resolver does.
    virtual HttpResponse post(const HttpRequest& request, MonoTime deadline) = 0;
    // GET `request.url` (body and content type unused), with the same guarantees. The health-code
    // service's health probe (DESIGN §5 v1.1 GET /v1/health). A transport that cannot GET (a fake
    // that scripts POSTs) answers NetError.
    virtual HttpResponse get(const HttpRequest& request, MonoTime deadline) {
        (void)request;
        (void)deadline;
        HttpResponse r;
        r.outcome = HttpOutcome::NetError;
        r.detail = "this transport does not GET";
        return r;
    }
};

}  // namespace sentinel::hal

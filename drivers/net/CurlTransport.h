#pragma once
// The production HTTP transport (DESIGN §5): libcurl with OpenSSL, HTTPS only, CA file + public
// key pins, no redirects, keep-alive with a warm connection reused across requests, response body
// capped in the write callback, and the caller's deadline enforced by our own code.
//
// How the deadline holds whatever the network does:
//   - one persistent worker thread drives every transfer through a curl multi handle; it never
//     blocks (poll with a bounded wait) and drops a transfer the moment its deadline passes;
//   - the caller of post() waits on a condition variable until its deadline, never on curl;
//   - host names are resolved by our HostResolver (one persistent lookup thread, coalesced and
//     cached) and handed to curl via CURLOPT_RESOLVE, so curl never starts its threaded resolver
//     and never joins a hung getaddrinfo() on cancellation.
// Threads owned: exactly two (worker + lookup), for the transport's whole life.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "drivers/hal/HttpTransport.h"
#include "drivers/net/HostResolver.h"
#include "firmware/base/Result.h"

namespace sentinel::net {

// Where these defaults come from: DESIGN §5 (64 KiB body cap) and the behaviour of a kiosk that
// scans every few seconds (a connection idle for a minute is still worth keeping).
struct CurlConfig {
    std::string caFile;             // PEM bundle that anchors the service certificate ([online] ca_file)
    std::string caPem;              // alternative to caFile: PEM text in memory (demo, tests)
                                    // both empty: the system CA store
    std::vector<std::string> pins;  // "sha256//<base64>", primary + backup; empty = no pinning
    std::size_t maxBodyBytes = 64 * 1024;          // response body cap → HttpOutcome::TooLarge
    std::chrono::milliseconds dnsTtl{60'000};      // how long a lookup answer is fresh
    std::chrono::milliseconds dnsStaleLimit{3'600'000};  // serve a stale answer this long past ttl
    std::chrono::seconds maxIdle{110};  // drop a pooled connection idle longer (servers close ~120 s)
    // post() aims to return this much before the caller's deadline: waking a thread at a set time
    // took up to 9 ms longer on a loaded, shared 2-core host (online_latency_bench, 10 s backend).
    std::chrono::milliseconds returnMargin{25};
    HostLookup lookup;              // empty = getaddrinfo(); tests may point it at their own resolver
    std::string userAgent = "sentinel-kiosk/0.1";
};

struct TransportStats {
    std::uint64_t requests = 0;        // post()/probe() calls that reached the worker
    std::uint64_t connectionsOpened = 0;  // new TCP+TLS connections (CURLINFO_NUM_CONNECTS)
    std::uint64_t timeouts = 0;        // transfers dropped at their deadline
};

class CurlTransport final : public hal::HttpTransport {
public:
    explicit CurlTransport(CurlConfig config);
    ~CurlTransport() override;
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    // POST; returns by `deadline` (aiming at deadline − returnMargin) whatever the
    // resolver, the network or the server does. Outcomes: Response (any status other than 3xx),
    // Redirect (3xx, never followed), TooLarge, TlsError (handshake, CA, pin), NetError (URL not
    // https, lookup failure, connect, reset, closed mid-body), Timeout. Thread-safe.
    hal::HttpResponse post(const hal::HttpRequest& request, MonoTime deadline) override;
    // GET, with the same outcomes and guarantees as post() (body capped as for post()).
    hal::HttpResponse get(const hal::HttpRequest& request, MonoTime deadline) override;

    // HEAD `url`: checks lookup, TCP, TLS and the pin and leaves a warm connection in the pool for
    // the next post(). Any HTTP status counts as reachable. For diag and the kiosk's start-up.
    hal::HttpResponse probe(const std::string& url, MonoTime deadline);
    Status warmUp(const std::string& url, MonoTime deadline);

    TransportStats stats() const;

private:
    struct Engine;
    enum class Method { Post, Head, Get };
    hal::HttpResponse perform(const hal::HttpRequest& request, Method method, MonoTime deadline);
    std::shared_ptr<Engine> engine_;
};

}  // namespace sentinel::net

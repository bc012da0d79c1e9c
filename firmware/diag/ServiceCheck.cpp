#include "firmware/diag/ServiceCheck.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sentinel::diag {
namespace {

std::string fmt1(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

double msSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

Result<std::vector<std::string>> resolveHost(const std::string& host) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0) return Error{gai_strerror(rc)};
    std::vector<std::string> out;
    for (addrinfo* a = res; a; a = a->ai_next) {
        char buf[INET6_ADDRSTRLEN] = {};
        // getaddrinfo's ai_addr is suitably aligned for its family; go through void* (no -Wcast-align on armhf).
        const void* addr = a->ai_addr;
        const void* src = a->ai_family == AF_INET ? static_cast<const void*>(&static_cast<const sockaddr_in*>(addr)->sin_addr)
                                                  : static_cast<const void*>(&static_cast<const sockaddr_in6*>(addr)->sin6_addr);
        if (::inet_ntop(a->ai_family, src, buf, sizeof buf)) out.emplace_back(buf);
    }
    ::freeaddrinfo(res);
    if (out.empty()) return Error{"no address"};
    return out;
}

sentinel::Status connectTcp(const std::string& address, int port, std::chrono::milliseconds timeout) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(port));
        len = sizeof(sockaddr_in);
    } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(port));
        len = sizeof(sockaddr_in6);
    } else {
        return Error{"not an address: " + address};
    }
    const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return Error{std::string("socket: ") + std::strerror(errno)};
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
    if (rc != 0 && errno != EINPROGRESS) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        return Error{why};
    }
    if (rc != 0) {
        pollfd p{fd, POLLOUT, 0};
        rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
        if (rc <= 0) {
            ::close(fd);
            return Error{rc == 0 ? "connect timed out" : std::string("poll: ") + std::strerror(errno)};
        }
        int err = 0;
        socklen_t el = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err != 0) {
            ::close(fd);
            return Error{std::strerror(err)};
        }
    }
    ::close(fd);
    return Ok{};
}

const char* outcomeName(hal::HttpOutcome o) {
    switch (o) {
        case hal::HttpOutcome::Response: return "response";
        case hal::HttpOutcome::Timeout: return "timeout";
        case hal::HttpOutcome::TooLarge: return "body too large";
        case hal::HttpOutcome::Redirect: return "redirect";
        case hal::HttpOutcome::TlsError: return "TLS/pin failure";
        case hal::HttpOutcome::NetError: return "network error";
    }
    return "?";
}

}  // namespace

Result<HttpsEndpoint> parseHttpsUrl(std::string_view url) {
    constexpr std::string_view kScheme = "https://";
    if (url.substr(0, kScheme.size()) != kScheme) return Error{"not an https:// URL"};
    std::string_view rest = url.substr(kScheme.size());
    rest = rest.substr(0, rest.find_first_of("/?#"));
    HttpsEndpoint ep;
    std::string_view portText;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) return Error{"unclosed [ in host"};
        ep.host = std::string(rest.substr(1, close - 1));
        rest = rest.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return Error{"junk after ]"};
            portText = rest.substr(1);
        }
    } else {
        const auto colon = rest.rfind(':');
        ep.host = std::string(rest.substr(0, colon));
        if (colon != std::string_view::npos) portText = rest.substr(colon + 1);
    }
    if (ep.host.empty()) return Error{"no host"};
    if (!portText.empty()) {
        int port = 0;
        for (char c : portText) {
            if (c < '0' || c > '9' || port > 65535) return Error{"bad port"};
            port = port * 10 + (c - '0');
        }
        if (port < 1 || port > 65535) return Error{"bad port"};
        ep.port = port;
    }
    return ep;
}

ServiceProbes systemServiceProbes(std::function<hal::HttpResponse(const std::string& url)> probe) {
    return ServiceProbes{resolveHost, connectTcp, std::move(probe)};
}

Outcome checkService(const std::string& baseUrl, const ServiceProbes& probes, const ServiceCheckOptions& options) {
    if (baseUrl.empty())
        return Outcome::warn("online.base_url is empty: online (HK1) codes will be REFERred",
                             "set online.base_url, ca_file, pins and token_file if this station accepts online codes");
    auto ep = parseHttpsUrl(baseUrl);
    if (!ep) return Outcome::fail("online.base_url: " + ep.error().message, "fix online.base_url (https://host[:port])");

    auto t0 = std::chrono::steady_clock::now();
    auto addrs = probes.resolve(ep->host);
    const double dnsMs = msSince(t0);
    if (!addrs) return Outcome::fail("DNS: " + ep->host + ": " + addrs.error().message,
                                     "check the network and the DNS server (resolvectl status); or the host name in online.base_url");
    std::string detail = "DNS " + ep->host + " → " + addrs->front() + " (" + fmt1(dnsMs) + " ms)";

    t0 = std::chrono::steady_clock::now();
    std::string connected, connectErr;
    for (const auto& a : *addrs) {
        auto c = probes.connect(a, ep->port, options.connectTimeout);
        if (c) {
            connected = a;
            break;
        }
        connectErr = a + ": " + c.error().message;
    }
    if (connected.empty())
        return Outcome::fail(detail + "; TCP " + std::to_string(ep->port) + ": " + connectErr,
                             "a firewall or the service is down: check the route to port " + std::to_string(ep->port));
    detail += "; TCP " + fmt1(msSince(t0)) + " ms";

    auto first = probes.probe(baseUrl);
    if (first.outcome == hal::HttpOutcome::TlsError)
        return Outcome::fail(detail + "; TLS: " + first.detail,
                             "check online.ca_file and online.pins against the service certificate, and the kiosk clock");
    if (first.outcome != hal::HttpOutcome::Response && first.outcome != hal::HttpOutcome::Redirect)
        return Outcome::fail(detail + "; HTTPS: " + outcomeName(first.outcome) + (first.detail.empty() ? "" : ": " + first.detail),
                             "the service did not answer: check the proxy/firewall and the service status");
    detail += "; TLS + pin ok (" + fmt1(first.elapsedMs) + " ms cold)";
    // Second exchange on the warm connection: what a decision pays.
    auto warm = probes.probe(baseUrl);
    if (warm.outcome != hal::HttpOutcome::Response && warm.outcome != hal::HttpOutcome::Redirect)
        return Outcome::warn(detail + "; second exchange: " + outcomeName(warm.outcome),
                             "the connection is unstable: check the network link quality");
    detail += "; round trip " + fmt1(warm.elapsedMs) + " ms";
    if (warm.elapsedMs > options.slowRoundTripMs)
        return Outcome::warn(detail + " (slow)", "online decisions will be slow: check the uplink (mobile signal, congestion)");
    return Outcome::ok(detail);
}

}  // namespace sentinel::diag

// online_dns_probe: a real, unanswered DNS lookup, honestly.
//
// The kiosk resolves the service name with the system resolver (getaddrinfo: /etc/hosts, then the
// DNS servers of /etc/resolv.conf). To make that lookup hang without touching the host's network
// or files, this probe moves itself into fresh mount + network namespaces (a user namespace too
// when not root), brings up loopback, binds a UDP socket on 127.0.0.1:53 that reads nothing and
// answers nothing, and bind-mounts its own resolv.conf ("nameserver 127.0.0.1") and hosts file over
// /etc inside its namespace only. Then it runs the production path — OnlineVerifier over
// CurlTransport with the default getaddrinfo lookup — against:
//   1. hc.ok.sentinel.test   (listed in the probe's hosts file → an in-process sentinel-hcsim): PASS
//   2. hc.hang.sentinel.test (not listed → DNS query to the silent server): must REFER
//      BACKEND_TIMEOUT within the budget, every time, with the thread count flat.
// Prints one JSON line; exit 0 = ran (the test judges the figures), 77 = namespaces unavailable.

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include <limits>

#include "drivers/net/CurlTransport.h"
#include "firmware/verify/online/OnlineVerifier.h"
#include "tests/hcsim/HcSim.h"
#include "tests/online/ProcessCounts.h"

namespace {

using namespace sentinel;
using Steady = std::chrono::steady_clock;

constexpr int kExitSkip = 77;
constexpr int kDnsPort = 53;
constexpr const char* kOkHost = "hc.ok.sentinel.test";
constexpr const char* kHangHost = "hc.hang.sentinel.test";
// glibc resolver: 5 s per try, 2 tries (its defaults, written out so the hang length is known).
constexpr const char* kResolvConf = "nameserver 127.0.0.1\noptions timeout:5 attempts:2\n";

int skip(const std::string& why) {
    std::printf("{\"skip\":\"%s: %s\"}\n", why.c_str(), std::strerror(errno));
    return kExitSkip;
}

bool writeText(const char* path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    return static_cast<bool>(out);
}

bool enterNamespaces() {
    const uid_t uid = ::getuid();
    const gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWNS | CLONE_NEWNET) == 0) return true;
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) != 0) return false;
    return writeText("/proc/self/setgroups", "deny") &&
           writeText("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n") &&
           writeText("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n");
}

bool loopbackUp() {
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    bool ok = s >= 0 && ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    ok = ok && ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
    if (s >= 0) ::close(s);
    return ok;
}

bool bindOver(const std::string& text, const char* target, std::string& tmpPath) {
    char path[] = "/tmp/sentinel-dnsprobe-XXXXXX";
    int fd = ::mkstemp(path);
    if (fd < 0) return false;
    ::close(fd);
    tmpPath = path;
    return writeText(path, text) && ::mount(path, target, nullptr, MS_BIND, nullptr) == 0;
}

int drainQueries(int udp) {
    int n = 0;
    char buf[1500];
    while (::recv(udp, buf, sizeof buf, MSG_DONTWAIT) > 0) ++n;
    return n;
}

}  // namespace

int main(int argc, char** argv) {
    long budgetMs = 5000;
    int scans = 2;
    long quickBudgetMs = 200;
    int quickScans = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--budget-ms") budgetMs = std::strtol(argv[i + 1], nullptr, 10);
        if (a == "--scans") scans = static_cast<int>(std::strtol(argv[i + 1], nullptr, 10));
        if (a == "--quick-budget-ms") quickBudgetMs = std::strtol(argv[i + 1], nullptr, 10);
        if (a == "--quick-scans") quickScans = static_cast<int>(std::strtol(argv[i + 1], nullptr, 10));
    }
    if (!enterNamespaces()) return skip("cannot enter mount+network namespaces");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return skip("cannot make / private");
    if (!loopbackUp()) return skip("cannot bring up loopback");
    int udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in dns{};
    dns.sin_family = AF_INET;
    dns.sin_port = htons(kDnsPort);
    dns.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (udp < 0 || ::bind(udp, reinterpret_cast<sockaddr*>(&dns), sizeof dns) != 0)
        return skip("cannot bind the silent DNS server on 127.0.0.1:53");
    std::string resolvTmp, hostsTmp;
    if (!bindOver(kResolvConf, "/etc/resolv.conf", resolvTmp)) return skip("cannot bind-mount /etc/resolv.conf");
    if (!bindOver(std::string("127.0.0.1 localhost\n127.0.0.1 ") + kOkHost + "\n", "/etc/hosts", hostsTmp))
        return skip("cannot bind-mount /etc/hosts");

    auto pki = hcsim::generateTestPki({kOkHost, kHangHost});
    if (!pki) return skip("test PKI: " + pki.error().message);
    hcsim::HcSimOptions so;
    so.pki = *pki;
    auto sim = hcsim::HcSim::start(so);
    if (!sim) return skip("hcsim: " + sim.error().message);
    const std::string port = std::to_string((*sim)->port());

    net::CurlConfig cc;
    cc.caPem = pki->caCertPem;
    cc.pins = {pki->serverPin};
    net::CurlTransport transport(cc);
    SystemClock clock;
    auto verifierFor = [&](const char* host) {
        verify::OnlineConfig oc{std::string("https://") + host + ":" + port, "PROBE-01",
                                std::string(hcsim::kDefaultDeviceToken), 300};
        // The probe measures the transport over many consecutive failures: without the circuit
        // breaker (§14), which would answer them itself.
        return verify::OnlineVerifier(transport, clock, oc, policy::PolicyConfig{},
                                      verify::BreakerConfig{std::numeric_limits<int>::max(), std::chrono::seconds{3600}});
    };
    auto okVerifier = verifierFor(kOkHost);
    auto hangVerifier = verifierFor(kHangHost);

    nlohmann::json out;
    auto t0 = Steady::now();
    auto ok = okVerifier.verify(hcsim::codes::kGreen, t0 + std::chrono::milliseconds{budgetMs}, "k");
    out["ok_reason"] = std::string(toString(ok.record.reason));
    out["ok_ms"] = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
    out["dns_queries_before"] = drainQueries(udp);  // the OK name came from the hosts file

    const int threadsBefore = testing::threadCount();
    const int fdsBefore = testing::fdCount();
    double maxMs = 0;
    for (int i = 0; i < scans; ++i) {
        t0 = Steady::now();
        auto r = hangVerifier.verify(hcsim::codes::kGreen, t0 + std::chrono::milliseconds{budgetMs}, "k");
        const double ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
        maxMs = std::max(maxMs, ms);
        out["hang_reasons"].push_back(std::string(toString(r.record.reason)));
        out["hang_ms"].push_back(ms);
    }
    // Many short scans while the lookup keeps hanging: still one lookup thread, one lookup socket.
    int maxThreads = testing::threadCount(), maxFds = testing::fdCount();
    double quickMaxMs = 0;
    int quickTimeouts = 0, quickErrors = 0;
    for (int i = 0; i < quickScans; ++i) {
        t0 = Steady::now();
        auto r = hangVerifier.verify(hcsim::codes::kGreen, t0 + std::chrono::milliseconds{quickBudgetMs}, "k");
        quickMaxMs = std::max(quickMaxMs, std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
        quickTimeouts += r.record.reason == Reason::BackendTimeout ? 1 : 0;
        // glibc gives up after timeout × attempts (10 s) with EAI_AGAIN: the scan waiting then
        // gets that answer within its budget, a lookup failure → BACKEND_ERROR.
        quickErrors += r.record.reason == Reason::BackendError ? 1 : 0;
        maxThreads = std::max(maxThreads, testing::threadCount());
        maxFds = std::max(maxFds, testing::fdCount());
    }
    out["quick_scans"] = quickScans;
    out["quick_budget_ms"] = quickBudgetMs;
    out["quick_timeouts"] = quickTimeouts;
    out["quick_lookup_errors"] = quickErrors;
    out["quick_max_ms"] = quickMaxMs;
    out["threads_max"] = maxThreads;
    out["fds_max"] = maxFds;
    out["budget_ms"] = budgetMs;
    out["hang_max_ms"] = maxMs;
    out["dns_queries"] = drainQueries(udp);
    out["threads_before"] = threadsBefore;
    out["threads_after"] = testing::threadCount();
    out["fds_before"] = fdsBefore;
    out["fds_after"] = testing::fdCount();
    out["sim_requests"] = (*sim)->stats().requests;
    std::printf("%s\n", out.dump().c_str());
    std::fflush(stdout);
    ::unlink(resolvTmp.c_str());
    ::unlink(hostsTmp.c_str());
    // A lookup still waiting on the silent server is a `getent` helper process: the transport's
    // destructor kills and reaps it and joins the lookup thread, so the probe ends normally.
    return 0;
}

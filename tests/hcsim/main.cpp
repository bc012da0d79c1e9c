// sentinel-hcsim: the reference health-code service on a bench or under tests (see README.md).

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "tests/hcsim/HcSim.h"

namespace {

using namespace sentinel;
using namespace sentinel::hcsim;

constexpr int kExitUsage = 2;  // DESIGN §4: usage or configuration error

int usage(const std::string& message) {
    if (!message.empty()) std::fprintf(stderr, "sentinel-hcsim: %s\n", message.c_str());
    std::fprintf(stderr,
                 "usage: sentinel-hcsim --listen HOST:PORT (--gen-pki DIR | --cert CERT --key KEY [--ca CA])\n"
                 "                      [--codes FILE.json] [--token TOKEN] [--fault SPEC]... [--skew-s N]\n"
                 "                      [--backup-key] [--wrong-cert] [--stall] [--risk-list FILE]\n"
                 "  --listen HOST:PORT  address to serve on (PORT 0: any free port, printed on stdout)\n"
                 "  --gen-pki DIR       generate a test CA, server and backup keys into DIR and serve them\n"
                 "  --cert/--key        serve this PEM certificate and key instead (--ca: the CA to report)\n"
                 "  --codes FILE        code table (JSON, see HcSim.h); default: the built-in table\n"
                 "  --token TOKEN       device token the kiosk must send as Bearer (default %s)\n"
                 "  --fault SPEC        every request: delay=MS status=N redirect garbage oversize\n"
                 "                      oversize-chunked close-mid-body drip\n"
                 "  --skew-s N          server_time = now + N seconds\n"
                 "  --backup-key        serve the backup key's certificate (pin rotation)\n"
                 "  --wrong-cert        serve a certificate from an unrelated CA\n"
                 "  --stall             start stalled: requests are held unanswered (breaker tests);\n"
                 "                      SIGUSR1 stalls, SIGUSR2 un-stalls (held requests are then answered)\n"
                 "  --risk-list FILE    write a sentinel-risk-areas/1 list that gives the built-in travel\n"
                 "                      codes their decisions (issued and effective now) and go on\n",
                 std::string(kDefaultDeviceToken).c_str());
    return kExitUsage;
}

bool readFile(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    HcSimOptions options;
    std::string listen, pkiDir, certPath, keyPath, caPath, codesPath, riskListPath;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto next = [&](std::string& into) {
            if (i + 1 >= argc) return false;
            into = argv[++i];
            return true;
        };
        std::string v;
        if (a == "--listen" && next(listen)) {
        } else if (a == "--gen-pki" && next(pkiDir)) {
        } else if (a == "--cert" && next(certPath)) {
        } else if (a == "--key" && next(keyPath)) {
        } else if (a == "--ca" && next(caPath)) {
        } else if (a == "--codes" && next(codesPath)) {
        } else if (a == "--token" && next(v)) {
            options.deviceToken = v;
        } else if (a == "--fault" && next(v)) {
            auto st = parseFaultSpec(v, options.fault);
            if (!st) return usage(st.error().message);
        } else if (a == "--skew-s" && next(v)) {
            options.serverTimeOffset = std::chrono::seconds{std::strtoll(v.c_str(), nullptr, 10)};
        } else if (a == "--backup-key") {
            options.serveBackupKey = true;
        } else if (a == "--wrong-cert") {
            options.wrongCertificate = true;
        } else if (a == "--stall") {
            options.stalled = true;
        } else if (a == "--risk-list" && next(riskListPath)) {
        } else if (a == "--help" || a == "-h") {
            usage("");
            return 0;
        } else {
            return usage("unknown or incomplete argument '" + std::string(a) + "'");
        }
    }
    auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) return usage("--listen HOST:PORT is required");
    options.host = listen.substr(0, colon);
    if (options.host.size() > 2 && options.host.front() == '[') options.host = options.host.substr(1, options.host.size() - 2);
    char* end = nullptr;
    long port = std::strtol(listen.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) return usage("bad port in --listen");
    options.port = static_cast<int>(port);

    if (!certPath.empty() || !keyPath.empty()) {
        TestPki pki;
        if (certPath.empty() || keyPath.empty()) return usage("--cert and --key go together");
        if (!readFile(certPath, pki.serverCertPem)) return usage("cannot read " + certPath);
        if (!readFile(keyPath, pki.serverKeyPem)) return usage("cannot read " + keyPath);
        if (!caPath.empty() && !readFile(caPath, pki.caCertPem)) return usage("cannot read " + caPath);
        auto pin = pinOfCertificate(pki.serverCertPem);
        if (!pin) return usage(certPath + ": " + pin.error().message);
        pki.serverPin = *pin;
        if (options.serveBackupKey) return usage("--backup-key needs --gen-pki");
        options.pki = pki;
    } else if (!pkiDir.empty()) {
        auto pki = generateTestPki();
        if (!pki) return usage(pki.error().message);
        auto st = writePki(*pki, pkiDir);
        if (!st) return usage(st.error().message);
        options.pki = *pki;
    } else {
        return usage("give --gen-pki DIR or --cert/--key");
    }
    if (!codesPath.empty()) {
        std::string text;
        if (!readFile(codesPath, text)) return usage("cannot read " + codesPath);
        auto table = parseCodeTable(text);
        if (!table) return usage(codesPath + ": " + table.error().message);
        options.codes = table->codes;
        if (table->deviceToken) options.deviceToken = *table->deviceToken;
    }

    if (!riskListPath.empty()) {
        const auto now = SystemClock().now();
        std::ofstream out(riskListPath, std::ios::binary | std::ios::trunc);
        out << sampleRiskList(now, now) << '\n';
        if (!out) return usage("cannot write " + riskListPath);
    }

    // Block the stop and stall signals before any thread starts, then wait for them.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGTERM);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGUSR1);
    sigaddset(&stopSignals, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

    auto sim = HcSim::start(options);
    if (!sim) {
        std::fprintf(stderr, "sentinel-hcsim: %s\n", sim.error().message.c_str());
        return 1;
    }
    auto& s = **sim;
    // One line, parsed by tests (HcSimProcess): keep the field order.
    std::printf("listening %s port %d pin %s backup-pin %s\n", s.baseUrl().c_str(), s.port(), s.pin().c_str(),
                s.backupPin().empty() ? "-" : s.backupPin().c_str());
    std::fflush(stdout);
    for (;;) {
        int sig = 0;
        sigwait(&stopSignals, &sig);
        if (sig == SIGUSR1 || sig == SIGUSR2) {
            s.setStalled(sig == SIGUSR1);
            continue;
        }
        break;
    }
    s.stop();
    return 0;
}

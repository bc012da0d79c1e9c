// `sentinel verify [--json] [--trust PATH] [--revocation FILE] [--at TIME] [--config FILE] PAYLOAD|-`
#include <iostream>
#include <iterator>

#include "firmware/app/Backends.h"
#include "firmware/app/CliUtil.h"
#include "firmware/app/Output.h"
#include "firmware/kiosk/Runtime.h"
#include "firmware/base/QrLimits.h"
#include "firmware/trust/RevocationIndex.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel verify [--json] [--trust PATH] [--revocation FILE] [--at TIME] [--config FILE] PAYLOAD|-

Verifies one payload (the text of a QR code; `-` reads it from standard input) and prints the
decision record: decision, reason, every verification stage, the test, latency.

Options:
  --trust PATH    signer certificates: a PEM/DER/base64-DER certificate, a directory of them, or a
                  trust-list JSON file (default: trust.path from the configuration)
  --revocation FILE
                  a revocation index (`sentinel fleet revocation build`): a revoked certificate is
                  DENY REVOKED; membership only, no freshness rule (DESIGN §17)
  --at TIME       validation clock, RFC 3339 (default: now)
  --config FILE   configuration (policy, online service); default /etc/sentinel/sentinel.toml if present
  --json          the decision record as one JSON object (DESIGN §3)
  --help          this text

Exit status: 0 PASS, 1 DENY or REFER, 2 usage or configuration error.
)HELP";

}  // namespace

int cmdVerify(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--trust", "--revocation", "--at", "--config"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    if (args->positionals.size() != 1) {
        ctx.err << "sentinel verify: give exactly one PAYLOAD (or - for standard input)\n\n" << kHelp;
        return kExitUsage;
    }
    std::string payload = args->positionals[0];
    if (payload == "-") {
        // Bounded: a little more than a QR code can carry (room for a trailing newline). A longer
        // input is not read further; the router refuses it as MALFORMED.
        constexpr std::size_t kStdinLimit = kMaxQrPayloadChars + 2;
        payload.resize(kStdinLimit + 1);
        std::cin.read(payload.data(), static_cast<std::streamsize>(payload.size()));
        payload.resize(static_cast<std::size_t>(std::cin.gcount()));
    }
    while (!payload.empty() && (payload.back() == '\n' || payload.back() == '\r' || payload.back() == ' ')) payload.pop_back();

    kiosk::RuntimeOptions ro;

    ro.httpsTransport = httpsTransport();
    ro.trustPath = args->value("--trust");
    ro.evaluateAllStages = true;  // the record shows every stage, as the conformance vectors expect
    if (auto at = args->value("--at")) {
        auto t = parseRfc3339(*at);
        if (!t) {
            ctx.err << "sentinel verify: --at: not an RFC 3339 time: " << *at << '\n';
            return kExitUsage;
        }
        ro.validationTime = *t;
    }
    if (auto path = args->value("--revocation")) {
        auto index = trust::RevocationIndex::load(*path);
        if (!index) {
            ctx.err << "sentinel verify: --revocation: " << index.error().message << '\n';
            return kExitUsage;
        }
        ro.revocation = std::make_shared<trust::RevocationHolder>(*index);
    }
    auto cfg = loadConfigOrReport(*args, ctx);
    if (!cfg) return kExitUsage;
    SystemClock clock;
    auto rt = kiosk::Runtime::create(*cfg, clock, ro);
    if (!rt) {
        ctx.err << "sentinel verify: " << rt.error().message << '\n';
        return kExitUsage;
    }
    const MonoTime deadline = clock.monotonic() + std::chrono::milliseconds{cfg->budget.decisionMs};
    kiosk::Verdict v = (*rt)->router().verify(payload, deadline);
    v.record.latency.totalMs = v.record.latency.verifyMs;
    printRecord(ctx.out, v.record, args->has("--json"));
    return v.record.decision == Decision::Pass ? kExitOk : kExitFail;
}

}  // namespace sentinel::app

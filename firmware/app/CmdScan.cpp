// `sentinel scan [--json] [--config FILE] IMAGE…`
#include <nlohmann/json.hpp>

#include "drivers/camera/ImageFile.h"
#include "firmware/app/Backends.h"
#include "firmware/app/CliUtil.h"
#include "firmware/app/Output.h"
#include "firmware/kiosk/Runtime.h"
#include "firmware/decode/DecodeEngine.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel scan [--json] [--config FILE] IMAGE…

Decodes, verifies and decides each image as if it were a camera frame, with the kiosk's
configuration (trust list, online service, policy). Prints one decision record per code found
(with "file"); an image without a readable code prints {"file":…,"error":"no code found"}.

Options:
  --config FILE   configuration; default /etc/sentinel/sentinel.toml if present
  --json          one JSON object per line
  --help          this text

Exit status: 0 every code PASSed, 1 any DENY/REFER or image without a code, 2 usage or configuration error.
)HELP";

}  // namespace

int cmdScan(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--config"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    if (args->positionals.empty()) {
        ctx.err << "sentinel scan: no IMAGE given\n\n" << kHelp;
        return kExitUsage;
    }
    auto cfg = loadConfigOrReport(*args, ctx);
    if (!cfg) return kExitUsage;
    SystemClock clock;
    kiosk::RuntimeOptions ro;
    ro.httpsTransport = httpsTransport();
    auto rt = kiosk::Runtime::create(*cfg, clock, ro);
    if (!rt) {
        ctx.err << "sentinel scan: " << rt.error().message << '\n';
        return kExitUsage;
    }
    const bool json = args->has("--json");
    decode::DecodeEngine engine;
    int status = kExitOk;
    for (const auto& file : args->positionals) {
        auto frame = camera::loadGrayImage(file);
        if (!frame) {
            ctx.err << "sentinel scan: " << frame.error().message << '\n';
            if (json) ctx.out << nlohmann::json{{"file", file}, {"error", frame.error().message}}.dump() << '\n';
            status = kExitFail;
            continue;
        }
        const MonoTime seen = clock.monotonic();
        auto payloads = engine.decodeStill(frame->gray);
        const double decodeMs = std::chrono::duration<double, std::milli>(clock.monotonic() - seen).count();
        if (payloads.empty()) {
            status = kExitFail;
            if (json) {
                ctx.out << nlohmann::json{{"file", file}, {"error", "no code found"}}.dump() << '\n';
            } else {
                ctx.out << file << ": no code found\n";
            }
            continue;
        }
        for (const auto& payload : payloads) {
            kiosk::Verdict v = (*rt)->router().verify(payload, seen + std::chrono::milliseconds{cfg->budget.decisionMs});
            v.record.file = file;
            v.record.latency.decodeMs = decodeMs;
            v.record.latency.totalMs = std::chrono::duration<double, std::milli>(clock.monotonic() - seen).count();
            if (v.record.decision != Decision::Pass) status = kExitFail;
            printRecord(ctx.out, v.record, json);
        }
    }
    return status;
}

}  // namespace sentinel::app

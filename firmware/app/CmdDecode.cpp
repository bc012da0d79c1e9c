// `sentinel decode [--json] IMAGE…`
#include <chrono>
#include <cmath>

#include <nlohmann/json.hpp>

#include "drivers/camera/ImageFile.h"
#include "firmware/app/CliUtil.h"
#include "firmware/decode/DecodeEngine.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel decode [--json] IMAGE…

Decodes the QR codes in each image with the full decode cascade (as a still image).
Prints, per image, the decoded payloads one per line (or "(no code)"); with --json one object
per image: {"file":"a.png","payloads":["HC1:…"],"ms":2.4}.

Options:
  --json     one JSON object per line
  --help     this text

Exit status: 0 every image held a code, 1 some image held none or could not be read, 2 usage.
)HELP";

}  // namespace

int cmdDecode(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    if (args->positionals.empty()) {
        ctx.err << "sentinel decode: no IMAGE given\n\n" << kHelp;
        return kExitUsage;
    }
    const bool json = args->has("--json");
    decode::DecodeEngine engine;
    int status = kExitOk;
    for (const auto& file : args->positionals) {
        auto frame = camera::loadGrayImage(file);
        if (!frame) {
            ctx.err << "sentinel decode: " << frame.error().message << '\n';
            if (json) ctx.out << nlohmann::json{{"file", file}, {"payloads", nlohmann::json::array()}, {"error", frame.error().message}}.dump() << '\n';
            status = kExitFail;
            continue;
        }
        const auto t0 = std::chrono::steady_clock::now();
        auto payloads = engine.decodeStill(frame->gray);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (payloads.empty()) status = kExitFail;
        if (json) {
            ctx.out << nlohmann::json{{"file", file}, {"payloads", payloads}, {"ms", std::round(ms * 100) / 100}}.dump(
                           -1, ' ', false, nlohmann::json::error_handler_t::replace)
                    << '\n';
        } else {
            ctx.out << file << ":\n";
            if (payloads.empty()) ctx.out << "  (no code)\n";
            for (const auto& p : payloads) ctx.out << "  " << p << '\n';
        }
    }
    return status;
}

}  // namespace sentinel::app

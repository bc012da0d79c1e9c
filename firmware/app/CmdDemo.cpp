// `sentinel demo [--dir DIR] [--screenshots DIR]`
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "firmware/app/CliUtil.h"
#include "firmware/app/Demo.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel demo [--dir DIR] [--screenshots DIR]

A self-contained demonstration. A demo-only test issuer signs HC1 credentials with sample times
relative to now (fresh, 47 h 59 min, 48 h 01 min, positive, antigen, vaccination only, tampered,
unknown issuer, expired, future sample) plus a non-health QR; each is rendered into a 1280x720
camera-like frame and played through the real kiosk loop by the replay camera. Prints one line
per decision (decision, reason, latency) and a summary.

Options:
  --dir DIR           working folder for frames, trust list and journal (default: a fresh folder
                      under /tmp)
  --screenshots DIR   also write the kiosk screen after each decision as DIR/NN-DECISION-REASON.png
                      (NN = 01, 02, … in demo order; 1280x720)
  --help              this text

Exit status: 0 every decision is the expected one, 1 otherwise.
)HELP";

}  // namespace

int cmdDemo(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{}, {"--dir", "--screenshots"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    DemoOptions o;
    if (auto d = args->value("--dir")) {
        o.workDir = *d;
    } else {
        std::string tmpl = (std::filesystem::temp_directory_path() / "sentinel-demo-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) {
            ctx.err << "sentinel demo: cannot create a working folder under /tmp\n";
            return kExitFail;
        }
        o.workDir = tmpl;
    }
    if (auto d = args->value("--screenshots")) o.screenshots = *d;
    o.colour = &ctx.out == &std::cout && ::isatty(STDOUT_FILENO) == 1;
    return runDemo(o, ctx.out, ctx.err);
}

}  // namespace sentinel::app

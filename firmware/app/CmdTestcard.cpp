// `sentinel testcard [--out DIR] [--count N] [--config FILE]`
#include <cstdio>
#include <filesystem>

#include "firmware/app/CliUtil.h"
#include "firmware/kiosk/Runtime.h"
#include "firmware/issuer/TestCard.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/issuer/TestIssuer.h"
#include "firmware/render/LabelledQr.h"
#include "firmware/ui/Composer.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel testcard [--out DIR] [--count N] [--config FILE]
       sentinel testcard --export-issuer FILE [--config FILE]

Writes printable test-card PNGs (and the payload beside each as .txt) signed by this device's TEST
issuer, for aiming the camera and for the decode self-test; each card carries "TEST / 测试" printed
under the code. The test issuer is kept in <kiosk.state_dir>/test-issuer and created on first use;
it is never part of the trust list. `sentinel run` accepts test cards only when
kiosk.diagnostics_mode = true, and then shows "TEST CARD" (green lamp, gate relay stays shut). In
service a test card is DENY UNKNOWN_ISSUER.

A station's kiosks share one set of cards: --export-issuer writes this device's test-issuer
certificate (public; created first if needed) to FILE. Copy FILE to every kiosk of the station
and set kiosk.test_issuer to it there: cards printed here then work on all of them.

Options:
  --out DIR             where to write testcard-N.png (default: the current folder)
  --count N             how many cards (1–20, default 1)
  --export-issuer FILE  write the test issuer's certificate (PEM) to FILE instead of cards
  --config FILE         configuration (default /etc/sentinel/sentinel.toml)
  --help                this text

Exit status: 0 written, 1 could not write, 2 usage or configuration error.
)HELP";

constexpr int kMaxCards = 20;

}  // namespace

int cmdTestcard(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{}, {"--out", "--count", "--config", "--export-issuer"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    if (!args->positionals.empty()) {
        ctx.err << "sentinel testcard: unexpected argument '" << args->positionals[0] << "'\n\n" << kHelp;
        return kExitUsage;
    }
    int count = 1;
    if (auto c = args->value("--count")) {
        try {
            count = std::stoi(*c);
        } catch (...) {
            count = 0;
        }
        if (count < 1 || count > kMaxCards) {
            ctx.err << "sentinel testcard: --count must be 1–" << kMaxCards << "\n";
            return kExitUsage;
        }
    }
    const auto exportTo = args->value("--export-issuer");
    if (exportTo && (args->value("--out") || args->value("--count"))) {
        ctx.err << "sentinel testcard: --export-issuer writes no cards (drop --out and --count)\n";
        return kExitUsage;
    }
    auto cfg = loadConfigOrReport(*args, ctx, false);
    if (!cfg) return kExitUsage;

    SystemClock clock;
    bool created = false;
    auto issuer = issuer::loadOrCreateTestIssuer(cfg->kiosk.stateDir / kiosk::kTestIssuerDir, created);
    if (!issuer) {
        ctx.err << "sentinel testcard: " << issuer.error().message << '\n';
        return kExitFail;
    }
    if (created) ctx.out << "created the device test issuer in " << (cfg->kiosk.stateDir / kiosk::kTestIssuerDir).string() << '\n';
    if (exportTo) {
        if (auto w = kiosk::writeFileAtomically(*exportTo, issuer->certificatePem()); !w) {
            ctx.err << "sentinel testcard: " << w.error().message << '\n';
            return kExitFail;
        }
        ctx.out << "wrote the test issuer's certificate to " << *exportTo
                << "\non every kiosk of the station: copy it to /etc/sentinel/station-test-issuer.pem and set\n"
                   "  [kiosk]\n  test_issuer = \"/etc/sentinel/station-test-issuer.pem\"\n"
                   "(`sentinel config check` confirms it loads); cards printed here then work there in diagnostics mode\n";
        return kExitOk;
    }
    const std::filesystem::path out = args->value("--out").value_or(".");
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    render::LabelOptions label;
    label.fontPath = ui::kDefaultFontPath;
    label.fontFace = ui::kDefaultFontFace;
    for (int i = 1; i <= count; ++i) {
        const std::string payload = issuer::issueTestCard(*issuer, clock.now(), i);
        auto qr = render::renderLabelledQr(payload, {issuer::kTestCardLabel, issuer::kTestCardNote}, label, render::EcLevel::M,
                                           issuer::kTestCardModulePx, issuer::kTestCardQuietModules);
        if (!qr) {
            ctx.err << "sentinel testcard: " << qr.error().message << '\n';
            return kExitFail;
        }
        const auto png = out / ("testcard-" + std::to_string(i) + ".png");
        if (auto w = render::writePng(*qr, png); !w) {
            ctx.err << "sentinel testcard: " << w.error().message << '\n';
            return kExitFail;
        }
        if (auto w = kiosk::writeFileAtomically(out / ("testcard-" + std::to_string(i) + ".txt"), payload + "\n"); !w) {
            ctx.err << "sentinel testcard: " << w.error().message << '\n';
            return kExitFail;
        }
        ctx.out << png.string() << " (" << qr->widthPx << "x" << qr->heightPx << " px; print at 100%, about "
                << qr->widthPx * 254 / (issuer::kTestCardPrintDpi * 10) << " mm wide at " << issuer::kTestCardPrintDpi << " dpi)\n";
    }
    if (!cfg->kiosk.diagnosticsMode) {
        ctx.out << "note: kiosk.diagnostics_mode is false in " << (cfg->file.empty() ? "the defaults" : cfg->file.string())
                << ": `run` will DENY these cards (UNKNOWN_ISSUER)\n";
    }
    return kExitOk;
}

}  // namespace sentinel::app

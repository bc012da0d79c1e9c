// `sentinel bench screen [--display png:DIR|sdl] [--decisions N] [--width W] [--height H] [--json]`
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "drivers/display/PngDisplay.h"
#include "drivers/display/SdlDisplay.h"
#include "firmware/app/CliUtil.h"
#include "firmware/ui/KioskScreen.h"
#include "firmware/decode/DecodeEngine.h"
#include "firmware/render/QrRender.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel bench screen [--display png:DIR|sdl] [--decisions N] [--width W] [--height H] [--json]

The kiosk screen under load (DESIGN §10), in one run:
  1. idle: 3 s of 1280x720 camera frames at 30 fps with the mirrored preview; CPU of the screen
     thread (its own CPU clock) per wall-clock second;
  2. decisions: N decisions (default 100), one every 250 ms, while frames keep coming; latency
     from the loop handing a decision over (kiosk::KioskObserver::decided) to the result card presented
     by the display (p50, p95, p99, max);
  3. decode: the live decode engine on the same QR frame, 300 frames without and 300 frames with
     the screen thread running (preview at 30 fps), per-frame ms median and p95 of both.

Options:
  --display B   png:DIR (default: a fresh folder under /tmp; only new screens are written) or sdl
  --decisions N decisions in phase 2 (default 100)
  --width W, --height H   screen size (default 1280x720)
  --json        one JSON object instead of the table
  --help        this text
)HELP";

using Steady = std::chrono::steady_clock;
constexpr auto kFramePeriod = std::chrono::microseconds{33333};  // 30 fps camera
constexpr auto kIdlePhase = std::chrono::seconds{3};
constexpr auto kDecisionGap = std::chrono::milliseconds{250};
constexpr int kDecodeFrames = 300;

double pct(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1)];
}

// Camera-like frames at 30 fps into the screen, from their own thread (the loop's role).
class FrameFeeder {
public:
    FrameFeeder(ui::KioskScreen& screen, const render::Image& image) {
        auto pixels = std::make_shared<render::Image>(image);
        thread_ = std::jthread([&screen, pixels](std::stop_token st) {
            std::uint64_t i = 0;
            auto next = Steady::now();
            while (!st.stop_requested()) {
                hal::Frame f;
                f.owner = pixels;
                f.gray = pixels->view();
                f.index = i++;
                screen.frameProcessed(f, {2.0, false, false});
                next += kFramePeriod;
                std::this_thread::sleep_until(next);
            }
        });
    }

private:
    std::jthread thread_;
};

std::vector<double> decodeTimes(const render::Image& frame) {
    decode::DecodeEngine engine;
    std::vector<double> ms;
    for (int i = 0; i < kDecodeFrames; ++i) {
        if (i % 15 == 0) engine.reset();  // a fresh scene, as a new code held up
        const auto t0 = Steady::now();
        (void)engine.decodeFrame(frame.view());
        ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
    }
    return ms;
}

}  // namespace

int cmdBenchScreen(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--display", "--decisions", "--width", "--height"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    const int decisions = std::stoi(args->value("--decisions").value_or("100"));
    const int w = std::stoi(args->value("--width").value_or("1280"));
    const int h = std::stoi(args->value("--height").value_or("720"));
    std::string backend = args->value("--display").value_or("");
    if (backend.empty()) {
        std::string tmpl = (std::filesystem::temp_directory_path() / "sentinel-bench-screen-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) {
            ctx.err << "sentinel bench screen: cannot create a folder under /tmp\n";
            return kExitFail;
        }
        backend = "png:" + tmpl;
    }
    std::unique_ptr<hal::Display> display;
    if (backend.rfind("png:", 0) == 0) {
        display = std::make_unique<display::PngDisplay>(display::PngOptions{backend.substr(4), w, h, false});
    } else if (backend == "sdl") {
        display = std::make_unique<display::SdlDisplay>(display::SdlOptions{w, h, false, std::chrono::milliseconds{500}});
    } else {
        ctx.err << "sentinel bench screen: --display must be png:DIR or sdl\n\n" << kHelp;
        return kExitUsage;
    }
    auto composer = ui::Composer::create({w, h, ui::kDefaultFontPath, ui::kDefaultFontFace});
    if (!composer) {
        ctx.err << "sentinel bench screen: " << composer.error().message << '\n';
        return kExitFail;
    }
    render::SceneOptions so;
    so.modulePx = 4.5;
    auto scene = render::composeScene("HC1:BENCH-SCREEN-0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ", so);
    if (!scene) {
        ctx.err << "sentinel bench screen: " << scene.error().message << '\n';
        return kExitFail;
    }

    // Phase 3a first: decode without any screen thread.
    const std::vector<double> decodeAlone = decodeTimes(*scene);

    ui::KioskScreenOptions o;
    o.resultDuration = std::chrono::milliseconds{200};  // back to the live preview between decisions
    ui::KioskScreen screen(*display, std::move(composer).value(), o);
    double idleCpuPct = 0;
    std::vector<double> decodeWithScreen;
    {
        FrameFeeder feeder(screen, *scene);
        // Phase 1: idle with the preview.
        std::this_thread::sleep_for(std::chrono::milliseconds{500});  // warm-up: font cache, first screens
        const double cpu0 = screen.stats().threadCpuS;
        const auto t0 = Steady::now();
        std::this_thread::sleep_for(kIdlePhase);
        const double cpu1 = screen.stats().threadCpuS;
        idleCpuPct = 100.0 * (cpu1 - cpu0) / std::chrono::duration<double>(Steady::now() - t0).count();
        // Phase 3b: decode while the screen composes and presents the preview.
        decodeWithScreen = decodeTimes(*scene);
        // Phase 2: decisions.
        const Reason reasons[] = {Reason::Ok, Reason::TestTooOld, Reason::BackendTimeout, Reason::ClockUntrusted};
        for (int i = 0; i < decisions; ++i) {
            DecisionRecord r;
            r.decide(reasons[i % 4]);
            r.test = TestSummary{TestType::Naat, "", 6.0, "negative"};
            kiosk::Verdict v;
            v.holderMasked = "张*";
            screen.decided(r, v, i + 1);
            std::this_thread::sleep_for(kDecisionGap);
        }
        screen.waitResultsShown(std::chrono::seconds{30});
    }
    const ui::ScreenStats st = screen.stats();
    const auto& lat = st.resultLatencyMs;
    nlohmann::json j{{"display", display->describe()},
                     {"size", std::to_string(w) + "x" + std::to_string(h)},
                     {"idle_preview_cpu_pct", std::round(idleCpuPct * 10) / 10},
                     {"result_latency_ms",
                      {{"n", lat.size()}, {"p50", pct(lat, 0.5)}, {"p95", pct(lat, 0.95)}, {"p99", pct(lat, 0.99)},
                       {"max", pct(lat, 1.0)}}},
                     {"decode_ms",
                      {{"alone", {{"median", pct(decodeAlone, 0.5)}, {"p95", pct(decodeAlone, 0.95)}}},
                       {"with_screen", {{"median", pct(decodeWithScreen, 0.5)}, {"p95", pct(decodeWithScreen, 0.95)}}}}},
                     {"present_errors", st.presentErrors},
                     {"dropped_results", st.droppedResults}};
    if (args->has("--json")) {
        ctx.out << j.dump() << '\n';
    } else {
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      "screen %s %dx%d\n"
                      "  idle with preview (30 fps frames): screen thread CPU %.1f %% of one core\n"
                      "  decision → result on screen: n=%zu p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms\n"
                      "  decode per frame: alone median %.2f ms p95 %.2f ms; with screen median %.2f ms p95 %.2f ms\n"
                      "  present errors %llu, dropped results %llu\n",
                      display->describe().c_str(), w, h, idleCpuPct, lat.size(), pct(lat, 0.5), pct(lat, 0.95),
                      pct(lat, 0.99), pct(lat, 1.0), pct(decodeAlone, 0.5), pct(decodeAlone, 0.95),
                      pct(decodeWithScreen, 0.5), pct(decodeWithScreen, 0.95),
                      static_cast<unsigned long long>(st.presentErrors), static_cast<unsigned long long>(st.droppedResults));
        ctx.out << buf;
    }
    return st.presentErrors == 0 && lat.size() == static_cast<std::size_t>(decisions) ? kExitOk : kExitFail;
}

}  // namespace sentinel::app

#include "firmware/app/Demo.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "drivers/camera/ReplayCamera.h"
#include "drivers/display/PngDisplay.h"
#include "drivers/indicator/ConsoleIndicator.h"
#include "firmware/app/Backends.h"
#include "firmware/app/EngineDecoder.h"
#include "firmware/app/HcsimProcess.h"
#include "firmware/kiosk/Kiosk.h"
#include "firmware/ui/KioskScreen.h"
#include "firmware/kiosk/Runtime.h"
#include "firmware/base/Log.h"
#include "firmware/issuer/TestIssuer.h"
#include "firmware/journal/Checkpointer.h"
#include "firmware/journal/Journal.h"

namespace sentinel::app {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

// Frames per still in the replay: a code is held in view this long (the decode engine reads a
// code within 15 frames); then empty stills, longer than the re-arm count, separate the codes.
// A code the decoder loses for a few frames while it is still in view must not decide twice.
constexpr int kFramesPerStill = 15;
constexpr int kEmptyStillsBetweenCodes = 2;
constexpr int kDemoRearmFrames = 15;
constexpr int kDemoFps = 120;  // replay pace; the loop's work per frame is what is measured
// How long the demo waits, after the last frame, for the screen to show the last decisions.
constexpr std::chrono::seconds kScreenDrain{20};

render::SceneOptions scene(double modulePx, double rotateDeg = 0, double tiltDeg = 0, bool dark = false,
                           std::uint32_t seed = 1) {
    render::SceneOptions s;
    s.modulePx = modulePx;
    s.rotateDeg = rotateDeg;
    s.tiltDeg = tiltDeg;
    s.darkMode = dark;
    s.seed = seed;
    return s;
}

std::vector<DemoCase> offlineCases(const issuer::TestIssuer& trusted, const issuer::TestIssuer& unknown, UtcTime now) {
    using issuer::testCredential;
    std::vector<DemoCase> cases;
    auto add = [&](std::string name, std::string payload, Reason reason, render::SceneOptions s) {
        cases.push_back({std::move(name), std::move(payload), decisionFor(reason), reason, s});
    };
    add("fresh negative NAAT (2 h)", trusted.issue(testCredential(TestType::Naat, now - hours{2}, false, now)), Reason::Ok,
        scene(4.5));
    add("negative NAAT 47 h 59 min old", trusted.issue(testCredential(TestType::Naat, now - hours{47} - minutes{59}, false, now)),
        Reason::Ok, scene(4.8, 0, 30));
    add("negative NAAT 48 h 01 min old", trusted.issue(testCredential(TestType::Naat, now - hours{48} - minutes{1}, false, now)),
        Reason::TestTooOld, scene(3.0));
    add("positive NAAT", trusted.issue(testCredential(TestType::Naat, now - hours{5}, true, now)), Reason::TestPositive,
        scene(4.5, 25));
    add("negative antigen test (RAT)", trusted.issue(testCredential(TestType::Rat, now - hours{3}, false, now)),
        Reason::TestTypeNotAccepted, scene(5.0, -12, 20));
    {
        auto spec = testCredential(TestType::Naat, now - hours{2}, false, now);
        spec.vaccinationOnly = true;
        add("vaccination certificate only", trusted.issue(spec), Reason::NoTestResult, scene(4.5, 0, 0, true));
    }
    {
        auto spec = testCredential(TestType::Naat, now - hours{2}, false, now);
        spec.tamperSignature = true;
        add("tampered signature", trusted.issue(spec), Reason::SignatureInvalid, scene(4.2, 8));
    }
    add("issuer not on the trust list", unknown.issue(testCredential(TestType::Naat, now - hours{2}, false, now)),
        Reason::UnknownIssuer, scene(4.5, 0, 0, false, 7));
    {
        auto spec = testCredential(TestType::Naat, now - hours{2}, false, now);
        spec.issuedAt = now - hours{24 * 20};
        spec.expiresAt = now - hours{24};
        add("expired credential", trusted.issue(spec), Reason::CredentialExpired, scene(3.2, 0, 35));
    }
    add("sample time 3 h in the future", trusted.issue(testCredential(TestType::Naat, now + hours{3}, false, now)),
        Reason::TestInFuture, scene(4.5, -30));
    add("not a health code (a web link)", "https://example.org/menu?table=7", Reason::UnsupportedFormat, scene(6.0));
    return cases;
}

// Online codes, answered by the reference health-code service (its built-in code table).
std::vector<DemoCase> onlineCases() {
    std::vector<DemoCase> cases;
    auto add = [&](std::string name, std::string token, Reason reason, render::SceneOptions s) {
        cases.push_back({std::move(name), std::move(token), decisionFor(reason), reason, s});
    };
    add("online code: green, negative NAAT 6 h", "HK1:SIMgreenNaat6hNegative01", Reason::Ok, scene(5.5, 10));
    add("online code: yellow", "HK1:SIMyellowNaat5hNegative1", Reason::CodeNotGreen, scene(5.0, 0, 25));
    add("online code: green, NAAT 50 h old", "HK1:SIMgreenNaat50hNegative1", Reason::TestTooOld, scene(4.0));
    add("online code: unknown to the service", "HK1:SIMnotInTheTableAtAll001", Reason::UnknownCode, scene(5.0, -20));
    add("online code: service answers 503", "HK1:SIMserverError503000001", Reason::BackendError, scene(5.0));
    add("online code: service takes 10 s (budget 5 s)", "HK1:SIMgreenButDelayed10s001", Reason::BackendTimeout,
        scene(5.0, 0, 0, true));
    return cases;
}

// Remembers which demo case each payload is, and what the kiosk decided for it.
class RecordingVerifier final : public kiosk::CredentialVerifier {
public:
    RecordingVerifier(kiosk::CredentialVerifier& inner, const std::vector<DemoCase>& cases) : inner_(inner) {
        for (std::size_t i = 0; i < cases.size(); ++i) index_[cases[i].payload] = i;
    }
    kiosk::Verdict verify(std::string_view payload, MonoTime deadline) override {
        auto it = index_.find(std::string(payload));
        lastCase = it == index_.end() ? -1 : static_cast<int>(it->second);
        return inner_.verify(payload, deadline);
    }
    int lastCase = -1;

private:
    kiosk::CredentialVerifier& inner_;
    std::map<std::string, std::size_t> index_;
};

}  // namespace

int runDemo(const DemoOptions& options, std::ostream& out, std::ostream& err) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path frames = options.workDir / "frames";
    const fs::path trustDir = options.workDir / "trust";
    fs::remove_all(frames, ec);
    fs::create_directories(frames, ec);
    fs::create_directories(trustDir, ec);
    if (ec) {
        err << "sentinel demo: cannot create " << options.workDir.string() << ": " << ec.message() << '\n';
        return 1;
    }
    SystemClock clock;
    const UtcTime now = clock.now();
    log::configure("*:Error");  // the demo's own lines tell the story; SENTINEL_LOG_LEVELS still wins

    // The demo issuer (country XX) is trusted; a second one (YY) is not.
    const auto trusted = issuer::TestIssuer::generate("XX");
    const auto unknown = issuer::TestIssuer::generate("YY");
    fs::remove(trustDir / "demo-issuer.pem", ec);
    if (auto s = trusted.save(options.workDir / "issuer"); !s) {
        err << "sentinel demo: " << s.error().message << '\n';
        return 1;
    }
    {
        std::FILE* f = std::fopen((trustDir / "demo-issuer.pem").c_str(), "w");
        if (!f) {
            err << "sentinel demo: cannot write the demo trust list\n";
            return 1;
        }
        const std::string pem = trusted.certificatePem();
        std::fwrite(pem.data(), 1, pem.size(), f);
        std::fclose(f);
    }

    std::vector<DemoCase> cases = offlineCases(trusted, unknown, now);
    std::unique_ptr<HcsimProcess> service;
    const std::string hcsim = options.hcsimBinary.empty() ? HcsimProcess::locate() : options.hcsimBinary;
    if (!hcsim.empty()) {
        auto started = HcsimProcess::start(hcsim, options.workDir / "hcsim-pki", {});
        if (started) {
            service = std::move(started).value();
            auto online = onlineCases();
            cases.insert(cases.end(), online.begin(), online.end());
        } else {
            out << "(online codes skipped: " << started.error().message << ")\n";
        }
    } else {
        out << "(online codes skipped: sentinel-hcsim, the reference health-code service, was not found; "
               "build it with `cmake --build build --target sentinel-hcsim` or set SENTINEL_HCSIM)\n";
    }
    for (std::size_t i = 0; i < cases.size(); ++i) {
        cases[i].scene.seed = static_cast<std::uint32_t>(i + 1) * 7919u;
        auto img = render::composeScene(cases[i].payload, cases[i].scene);
        if (!img) {
            err << "sentinel demo: " << img.error().message << '\n';
            return 1;
        }
        char name[64];
        std::snprintf(name, sizeof name, "%02zu-a-code.png", i + 1);
        if (auto s = render::writePng(*img, frames / name); !s) {
            err << "sentinel demo: " << s.error().message << '\n';
            return 1;
        }
        for (int e = 0; e < kEmptyStillsBetweenCodes; ++e) {
            std::snprintf(name, sizeof name, "%02zu-b-empty-%d.png", i + 1, e);
            auto empty = render::emptyScene(1280, 720, static_cast<std::uint32_t>(i * 10 + e + 100));
            if (auto s = render::writePng(empty, frames / name); !s) {
                err << "sentinel demo: " << s.error().message << '\n';
                return 1;
            }
        }
    }

    kiosk::Config cfg;
    cfg.kiosk.id = "DEMO-01";
    cfg.kiosk.stateDir = options.workDir / "state";
    cfg.camera.source = "replay:" + frames.string();
    cfg.camera.fps = kDemoFps;
    cfg.camera.rearmFrames = kDemoRearmFrames;
    cfg.trust.path = trustDir.string();
    cfg.journal.path = (options.workDir / "state" / "journal.db").string();
    if (service) {
        cfg.online.baseUrl = service->baseUrl();
        cfg.online.caFile = service->caFile().string();
        cfg.online.pins = {service->pin()};
    }
    fs::remove(cfg.journal.path, ec);
    fs::remove(cfg.journal.path + "-wal", ec);
    fs::remove(cfg.journal.path + "-shm", ec);

    kiosk::RuntimeOptions ro;

    ro.httpsTransport = httpsTransport();
    ro.openJournal = true;
    ro.onlineToken = HcsimProcess::kDeviceToken;
    auto rt = kiosk::Runtime::create(cfg, clock, ro);
    if (!rt) {
        err << "sentinel demo: " << rt.error().message << '\n';
        return 1;
    }
    // Signed checkpoints as `run` makes them (§16): the demo's journal passes `sentinel journal verify`.
    std::unique_ptr<journal::Checkpointer> checkpointer;
    if (auto* j = (*rt)->journal()) {
        auto signer = journal::loadOrCreateJournalKey(cfg.kiosk.stateDir, cfg.kiosk.id);
        if (!signer) {
            err << "sentinel demo: journal key: " << signer.error().message << '\n';
            return 1;
        }
        journal::CheckpointOptions co;
        co.everyRecords = static_cast<std::uint64_t>(cfg.journal.checkpointRecords);
        co.interval = std::chrono::seconds{cfg.journal.checkpointIntervalS};
        checkpointer = std::make_unique<journal::Checkpointer>(*j, std::move(signer).value(), cfg.kiosk.id, co, clock, nullptr);
    }
    camera::ReplayOptions replay;
    replay.fps = kDemoFps;
    replay.repeatEach = kFramesPerStill;
    auto cam = camera::ReplayCamera::open(frames, replay);
    if (!cam) {
        err << "sentinel demo: " << cam.error().message << '\n';
        return 1;
    }
    indicator::ConsoleIndicator console(out, options.colour);
    EngineDecoder decoder;
    RecordingVerifier recorder((*rt)->router(), cases);
    kiosk::Kiosk kiosk(**cam, decoder, recorder, console, (*rt)->sink(), clock, (*rt)->kioskOptions());

    out << "Sentinel demo: " << cases.size() << " codes on a replay camera (1280x720, " << kDemoFps
        << " fps): HC1 signed by a demo-only test issuer"
        << (service ? ", HK1 answered by the reference health-code service at " + service->baseUrl() : std::string())
        << "\n\n";
    std::unique_ptr<display::PngDisplay> shots;
    std::unique_ptr<ui::KioskScreen> screen;
    if (!options.screenshots.empty()) {
        display::PngOptions po;
        po.dir = options.screenshots;
        po.widthPx = options.screenWidthPx;
        po.heightPx = options.screenHeightPx;
        po.resultsOnly = true;
        fs::create_directories(po.dir, ec);
        auto composer = ui::Composer::create({po.widthPx, po.heightPx, ui::kDefaultFontPath, ui::kDefaultFontFace});
        if (ec || !composer) {
            err << "sentinel demo: --screenshots: " << (ec ? ec.message() : composer.error().message) << '\n';
            return 1;
        }
        shots = std::make_unique<display::PngDisplay>(po);
        ui::KioskScreenOptions so;
        so.preview = false;  // only result cards are written
        screen = std::make_unique<ui::KioskScreen>(*shots, std::move(composer).value(), so);
        kiosk.addObserver(screen.get());
    }
    std::vector<int> decided(cases.size(), 0);
    std::vector<double> latencies;
    int unexpected = 0;
    kiosk.onDecision = [&](const DecisionRecord& r, const kiosk::Verdict&) {
        const int i = recorder.lastCase;
        if (r.latency.totalMs) latencies.push_back(*r.latency.totalMs);
        if (i < 0) {
            ++unexpected;
            out << "          ✗ a code that is not part of the demo\n";
            return;
        }
        const DemoCase& c = cases[static_cast<std::size_t>(i)];
        ++decided[static_cast<std::size_t>(i)];
        const bool ok = r.decision == c.expectedDecision && r.reason == c.expectedReason;
        if (!ok) ++unexpected;
        out << "          " << (ok ? "✓ " : "✗ ") << c.name;
        if (!ok) out << "  — expected " << toString(c.expectedDecision) << ' ' << toString(c.expectedReason);
        out << '\n';
    };
    std::atomic<bool> stop{false};
    kiosk.run(stop);
    if (checkpointer) checkpointer->stop();  // the stop checkpoint covers every record
    if (screen) {
        if (!screen->waitResultsShown(kScreenDrain)) err << "sentinel demo: the screen did not show every decision in time\n";
        const ui::ScreenStats st = screen->stats();
        if (!st.lastError.empty()) err << "sentinel demo: --screenshots: " << st.lastError << '\n';
        screen.reset();
        out << "Screens: " << shots->written() << " written to " << options.screenshots.string() << '\n';
    }

    int missing = 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        if (decided[i] == 0) {
            ++missing;
            out << "          ✗ never decided: " << cases[i].name << '\n';
        } else if (decided[i] > 1) {
            ++unexpected;
            out << "          ✗ decided " << decided[i] << " times: " << cases[i].name << '\n';
        }
    }
    std::sort(latencies.begin(), latencies.end());
    const double median = latencies.empty() ? 0.0 : latencies[latencies.size() / 2];
    const double worst = latencies.empty() ? 0.0 : latencies.back();
    const int asExpected = static_cast<int>(cases.size()) - missing - unexpected;
    char summary[256];
    std::snprintf(summary, sizeof summary,
                  "\nSummary: %d/%zu decisions as expected; latency (frame in → indicator) median %.1f ms, max %.1f ms; "
                  "%llu frames\n",
                  std::max(asExpected, 0), cases.size(), median, worst,
                  static_cast<unsigned long long>(kiosk.counters().frames));
    out << summary;
    if (auto* j = (*rt)->journal()) {
        if (auto st = j->stats(std::nullopt)) {
            out << "Journal: " << st->records << " records in " << cfg.journal.path << " (signed checkpoints: `sentinel journal verify "
                << cfg.journal.path << "`)\n";
        }
    }
    const bool pass = missing == 0 && unexpected == 0;
    out << (pass ? "DEMO OK\n" : "DEMO FAILED\n");
    return pass ? 0 : 1;
}

}  // namespace sentinel::app

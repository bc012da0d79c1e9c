// `sentinel bench latency [--json] [--scans N] [--online-delays MS,…] [--hcsim PATH]`
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "firmware/app/CliUtil.h"
#include "firmware/app/EngineDecoder.h"
#include "firmware/app/Kiosk.h"
#include "firmware/app/Runtime.h"
#include "firmware/issuer/TestIssuer.h"
#include "firmware/render/QrRender.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel bench latency [--json] [--scans N]

End-to-end decision latency through the real kiosk loop: a 1280x720 frame with a code enters the
loop (decode → verify → policy → journal → indicator) and the time until the indicator shows the
decision is measured, for N presentations (each a fresh code, separated by empty frames).
Offline: HC1 credentials signed by a generated test issuer, journal on a real SQLite file.

Options:
  --scans N   presentations per scenario (default 200)
  --json      one JSON object: {"offline":{"scans":…,"p50_ms":…,"p95_ms":…,"p99_ms":…,"max_ms":…}}
  --help      this text
)HELP";

// Delivers a prepared sequence of frames as fast as the loop asks.
class SequenceCamera final : public hal::Camera {
public:
    void add(std::shared_ptr<const render::Image> img) { frames_.push_back(std::move(img)); }
    hal::GrabResult grab(std::chrono::milliseconds) override {
        hal::GrabResult r;
        if (next_ >= frames_.size()) {
            r.status = hal::GrabStatus::EndOfStream;
            return r;
        }
        const auto& img = frames_[next_];
        r.status = hal::GrabStatus::Frame;
        r.frame.owner = img;
        r.frame.gray = img->view();
        r.frame.capturedAt = std::chrono::steady_clock::now();
        r.frame.index = next_++;
        return r;
    }
    std::string describe() const override { return "bench sequence"; }

private:
    std::vector<std::shared_ptr<const render::Image>> frames_;
    std::size_t next_ = 0;
};

class NullIndicator final : public hal::Indicator {
public:
    void show(const hal::Indication&) override {}
    void shut() override {}
    void alarm(std::string_view) override {}
};

struct Percentiles {
    std::size_t n = 0;
    double p50 = 0, p95 = 0, p99 = 0, max = 0;
};

Percentiles percentiles(std::vector<double> v) {
    Percentiles p;
    if (v.empty()) return p;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(std::ceil(q * v.size())) - 1)]; };
    p.n = v.size();
    p.p50 = at(0.50);
    p.p95 = at(0.95);
    p.p99 = at(0.99);
    p.max = v.back();
    return p;
}

nlohmann::json toJson(const Percentiles& p, std::size_t asExpected) {
    auto r2 = [](double x) { return std::round(x * 100.0) / 100.0; };
    return {{"scans", p.n}, {"as_expected", asExpected}, {"p50_ms", r2(p.p50)}, {"p95_ms", r2(p.p95)},
            {"p99_ms", r2(p.p99)}, {"max_ms", r2(p.max)}};
}

}  // namespace

int cmdBenchLatency(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--scans"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    int scans = 200;
    if (auto s = args->value("--scans")) {
        try {
            scans = std::stoi(*s);
        } catch (const std::exception&) {
            scans = 0;
        }
        if (scans < 1 || scans > 100000) {
            ctx.err << "sentinel bench latency: --scans takes a number from 1 to 100000\n";
            return kExitUsage;
        }
    }
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "sentinel-bench-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
        ctx.err << "sentinel bench latency: cannot create a working folder\n";
        return kExitFail;
    }
    const fs::path work = tmpl;
    SystemClock clock;
    const UtcTime now = clock.now();
    const auto issuer = issuer::TestIssuer::generate("XX");
    fs::create_directories(work / "trust");
    std::ofstream(work / "trust" / "bench.pem") << issuer.certificatePem();

    Config cfg;
    cfg.kiosk.id = "BENCH-01";
    cfg.kiosk.stateDir = work / "state";
    cfg.trust.path = (work / "trust").string();
    cfg.journal.path = (work / "state" / "journal.db").string();
    cfg.camera.rearmFrames = 1;
    RuntimeOptions ro;
    ro.openJournal = true;
    auto rt = Runtime::create(cfg, clock, ro);
    if (!rt) {
        ctx.err << "sentinel bench latency: " << rt.error().message << '\n';
        return kExitFail;
    }

    // Distinct codes (so every presentation is a new decision), each followed by empty frames.
    constexpr int kDistinctCodes = 20;
    std::vector<std::shared_ptr<const render::Image>> codes;
    for (int i = 0; i < kDistinctCodes; ++i) {
        auto spec = issuer::testCredential(TestType::Naat, now - std::chrono::hours{2} - std::chrono::minutes{i}, false, now);
        spec.certificateIdentifier = "URN:UVCI:01:XX:BENCH" + std::to_string(i) + "#X";
        render::SceneOptions so;
        so.modulePx = 4.5;
        so.seed = static_cast<std::uint32_t>(i + 1);
        auto img = render::composeScene(issuer.issue(spec), so);
        if (!img) {
            ctx.err << "sentinel bench latency: " << img.error().message << '\n';
            return kExitFail;
        }
        codes.push_back(std::make_shared<const render::Image>(std::move(img).value()));
    }
    auto empty = std::make_shared<const render::Image>(render::emptyScene(1280, 720, 99));
    SequenceCamera camera;
    for (int i = 0; i < scans; ++i) {
        camera.add(codes[static_cast<std::size_t>(i % kDistinctCodes)]);
        camera.add(empty);
        camera.add(empty);
    }
    NullIndicator indicator;
    EngineDecoder decoder;
    Kiosk kiosk(camera, decoder, (*rt)->router(), indicator, (*rt)->sink(), clock, (*rt)->kioskOptions());
    std::vector<double> latencies;
    std::size_t asExpected = 0;
    kiosk.onDecision = [&](const DecisionRecord& r, const Verdict&) {
        if (r.latency.totalMs) latencies.push_back(*r.latency.totalMs);
        if (r.decision == Decision::Pass) ++asExpected;
    };
    std::atomic<bool> stop{false};
    kiosk.run(stop);
    const Percentiles offline = percentiles(latencies);

    std::error_code ec;
    fs::remove_all(work, ec);
    if (args->has("--json")) {
        ctx.out << nlohmann::json{{"offline", toJson(offline, asExpected)}}.dump() << '\n';
    } else {
        char line[256];
        ctx.out << "scenario          scans  as expected   p50 ms   p95 ms   p99 ms   max ms\n";
        std::snprintf(line, sizeof line, "offline HC1      %6zu  %11zu  %7.2f  %7.2f  %7.2f  %7.2f\n", offline.n, asExpected,
                      offline.p50, offline.p95, offline.p99, offline.max);
        ctx.out << line;
    }
    return offline.n == static_cast<std::size_t>(scans) && asExpected == offline.n ? kExitOk : kExitFail;
}

}  // namespace sentinel::app

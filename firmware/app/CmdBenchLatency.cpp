// `sentinel bench latency [--json] [--scans N] [--online-delays MS,…] [--hcsim PATH] [--rules PATH]`
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "firmware/app/CliUtil.h"
#include "firmware/app/EngineDecoder.h"
#include "firmware/app/HcsimProcess.h"
#include "firmware/app/Kiosk.h"
#include "firmware/app/Runtime.h"
#include "firmware/base/Log.h"
#include "firmware/issuer/TestIssuer.h"
#include "firmware/render/QrRender.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel bench latency [--json] [--scans N] [--online-delays MS,MS,…] [--online-scans N] [--hcsim PATH]

End-to-end decision latency through the real kiosk loop: a 1280x720 frame with a code enters the
loop (decode → verify → policy → journal → indicator) and the time until the indicator shows the
decision is measured, over N presentations (codes separated by empty frames).

Scenarios:
  offline           HC1 credentials signed by a generated test issuer; journal on a real SQLite file
  online delay=MS   an HK1 code answered by the reference health-code service (sentinel-hcsim, on
                    loopback over pinned HTTPS) that waits MS before answering; the decision budget
                    (5000 ms) turns answers that come too late into REFER BACKEND_TIMEOUT

Options:
  --scans N            offline presentations (default 200)
  --online-delays LIST backend delays in ms (default 0,50,500,4000,10000; "none" skips online)
  --online-scans N     presentations per online delay (default 200 for delays under 100 ms, 20 under
                       1 s, 5 above)
  --hcsim PATH         the reference service binary (default: found beside sentinel or on PATH)
  --rules PATH         also run the offline scenario with this rule set as rules.path (same run, same
                       codes: the "offline HC1 + rules" row against the "offline HC1" baseline); its
                       expected reason is whatever the rule set decides for the bench's codes
  --rules-country CC   rules.country for --rules (default CN)
  --json               one JSON object: {"offline":{…},"online":{"0":{…},"50":{…},…}} with
                       scans, as_expected, p50_ms, p95_ms, p99_ms, max_ms per scenario
  --help               this text

Exit status: 0 every decision as expected, 1 otherwise, 2 usage.
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


// Plays `presentations` of the given code frames (each followed by two empty frames) through a
// kiosk loop built on `rt`, and collects frame-in → indicator latencies.
Percentiles runScenario(Runtime& rt, const Clock& clock, const std::vector<std::shared_ptr<const render::Image>>& codes,
                        int presentations, Reason expected, std::size_t& asExpected) {
    auto empty = std::make_shared<const render::Image>(render::emptyScene(1280, 720, 99));
    SequenceCamera camera;
    for (int i = 0; i < presentations; ++i) {
        camera.add(codes[static_cast<std::size_t>(i) % codes.size()]);
        camera.add(empty);
        camera.add(empty);
    }
    NullIndicator indicator;
    EngineDecoder decoder;
    KioskOptions ko = rt.kioskOptions();
    ko.rearmFrames = 1;
    Kiosk kiosk(camera, decoder, rt.router(), indicator, rt.sink(), clock, ko);
    std::vector<double> latencies;
    asExpected = 0;
    kiosk.onDecision = [&](const DecisionRecord& r, const Verdict&) {
        if (r.latency.totalMs) latencies.push_back(*r.latency.totalMs);
        if (r.reason == expected) ++asExpected;
    };
    std::atomic<bool> stop{false};
    kiosk.run(stop);
    return percentiles(latencies);
}

Result<std::vector<int>> parseDelays(const std::string& text) {
    std::vector<int> out;
    if (text == "none") return out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        try {
            const int v = std::stoi(item);
            if (v < 0 || v > 60000) throw std::out_of_range("delay");
            out.push_back(v);
        } catch (const std::exception&) {
            return Error{"--online-delays: '" + item + "' is not a delay in ms (0–60000)"};
        }
    }
    return out;
}

int positiveInt(const std::optional<std::string>& v, int fallback, bool& ok) {
    if (!v) return fallback;
    try {
        const int n = std::stoi(*v);
        if (n >= 1 && n <= 100000) return n;
    } catch (const std::exception&) {
    }
    ok = false;
    return fallback;
}

}  // namespace

int cmdBenchLatency(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--scans", "--online-delays", "--online-scans", "--hcsim", "--rules", "--rules-country"}}, kHelp, ctx,
                            exitCode);
    if (!args) return exitCode;
    bool ok = true;
    const int scans = positiveInt(args->value("--scans"), 200, ok);
    const int onlineScans = positiveInt(args->value("--online-scans"), 0, ok);  // 0: by delay
    if (!ok) {
        ctx.err << "sentinel bench latency: --scans and --online-scans take a number from 1 to 100000\n";
        return kExitUsage;
    }
    auto delays = parseDelays(args->value("--online-delays").value_or("0,50,500,4000,10000"));
    if (!delays) {
        ctx.err << "sentinel bench latency: " << delays.error().message << '\n';
        return kExitUsage;
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
    log::configure("*:Error");  // expected timeouts would otherwise log a warning each
    const auto issuer = issuer::TestIssuer::generate("XX");
    fs::create_directories(work / "trust");
    std::ofstream(work / "trust" / "bench.pem") << issuer.certificatePem();

    Config cfg;
    cfg.kiosk.id = "BENCH-01";
    cfg.kiosk.stateDir = work / "state";
    cfg.trust.path = (work / "trust").string();
    cfg.journal.path = (work / "state" / "journal.db").string();

    auto render = [&](const std::string& payload, std::uint32_t seed) -> Result<std::shared_ptr<const render::Image>> {
        render::SceneOptions so;
        so.modulePx = 4.5;
        so.seed = seed;
        auto img = render::composeScene(payload, so);
        if (!img) return img.error();
        return std::make_shared<const render::Image>(std::move(img).value());
    };

    struct Row {
        std::string name;
        std::string key;
        Percentiles p;
        std::size_t asExpected;
        int scans;
    };
    std::vector<Row> rows;
    bool allExpected = true;
    // Distinct codes, so consecutive presentations are different credentials.
    constexpr int kDistinctCodes = 20;
    std::vector<std::shared_ptr<const render::Image>> codes;
    std::string firstPayload;
    for (int i = 0; i < kDistinctCodes; ++i) {
        auto spec = issuer::testCredential(TestType::Naat, now - std::chrono::hours{2} - std::chrono::minutes{i}, false, now);
        spec.certificateIdentifier = "URN:UVCI:01:XX:BENCH" + std::to_string(i) + "#X";
        const std::string payload = issuer.issue(spec);
        if (i == 0) firstPayload = payload;
        auto img = render(payload, static_cast<std::uint32_t>(i + 1));
        if (!img) {
            ctx.err << "sentinel bench latency: " << img.error().message << '\n';
            return kExitFail;
        }
        codes.push_back(*img);
    }
    std::vector<std::pair<std::string, Config>> offline{{"offline HC1", cfg}};
    if (auto rulesPath = args->value("--rules")) {
        Config withRules = cfg;
        withRules.rules.path = *rulesPath;
        withRules.rules.country = args->value("--rules-country").value_or("CN");
        withRules.journal.path = (work / "state" / "journal-rules.db").string();
        offline.emplace_back("offline HC1 + rules", withRules);
    }
    for (const auto& [name, config] : offline) {
        RuntimeOptions ro;
        ro.openJournal = true;
        auto rt = Runtime::create(config, clock, ro);
        if (!rt) {
            ctx.err << "sentinel bench latency: " << rt.error().message << '\n';
            return kExitFail;
        }
        // The built-in rules PASS the bench's codes; a loaded rule set decides as it does.
        const Reason expectedReason = config.rules.path.empty()
                                          ? Reason::Ok
                                          : (*rt)->router().verify(firstPayload, clock.monotonic() + std::chrono::seconds{5}).record.reason;
        std::size_t expected = 0;
        Percentiles p = runScenario(**rt, clock, codes, scans, expectedReason, expected);
        allExpected = allExpected && expected == static_cast<std::size_t>(scans) && p.n == expected;
        rows.push_back({name, config.rules.path.empty() ? "offline" : "offline_rules", p, expected, scans});
    }
    if (!delays->empty()) {
        const std::string hcsim = args->value("--hcsim").value_or(HcsimProcess::locate());
        if (hcsim.empty()) {
            ctx.err << "sentinel bench latency: sentinel-hcsim not found (build it, or --hcsim PATH, or --online-delays none)\n";
            return kExitFail;
        }
        auto code = render("HK1:SIMgreenNaat6hNegative01", 5);
        if (!code) {
            ctx.err << "sentinel bench latency: " << code.error().message << '\n';
            return kExitFail;
        }
        for (int delay : *delays) {
            auto service = HcsimProcess::start(hcsim, work / ("pki-" + std::to_string(delay)),
                                               {"--fault", "delay=" + std::to_string(delay)});
            if (!service) {
                ctx.err << "sentinel bench latency: " << service.error().message << '\n';
                return kExitFail;
            }
            Config online = cfg;
            online.online.baseUrl = (*service)->baseUrl();
            online.online.caFile = (*service)->caFile().string();
            online.online.pins = {(*service)->pin()};
            online.journal.path = (work / ("journal-" + std::to_string(delay) + ".db")).string();
            RuntimeOptions ro;
            ro.openJournal = true;
            ro.onlineToken = HcsimProcess::kDeviceToken;
            auto rt = Runtime::create(online, clock, ro);
            if (!rt) {
                ctx.err << "sentinel bench latency: " << rt.error().message << '\n';
                return kExitFail;
            }
            const int n = onlineScans > 0 ? onlineScans : delay < 100 ? 200 : delay < 1000 ? 20 : 5;
            const Reason expectedReason = delay >= online.budget.decisionMs ? Reason::BackendTimeout : Reason::Ok;
            std::size_t expected = 0;
            Percentiles p = runScenario(**rt, clock, {*code}, n, expectedReason, expected);
            allExpected = allExpected && expected == static_cast<std::size_t>(n) && p.n == expected;
            rows.push_back({"online delay " + std::to_string(delay) + " ms", std::to_string(delay), p, expected, n});
        }
    }
    std::error_code ec;
    fs::remove_all(work, ec);

    if (args->has("--json")) {
        nlohmann::json j;
        for (const auto& r : rows) {
            if (r.key == "offline" || r.key == "offline_rules") {
                j[r.key] = toJson(r.p, r.asExpected);
            } else {
                j["online"][r.key] = toJson(r.p, r.asExpected);
            }
        }
        ctx.out << j.dump() << '\n';
    } else {
        ctx.out << "scenario                 scans  as expected   p50 ms   p95 ms   p99 ms   max ms\n";
        for (const auto& r : rows) {
            char line[256];
            std::snprintf(line, sizeof line, "%-22s %7zu  %11zu  %7.2f  %7.2f  %7.2f  %7.2f\n", r.name.c_str(), r.p.n,
                          r.asExpected, r.p.p50, r.p.p95, r.p.p99, r.p.max);
            ctx.out << line;
        }
    }
    return allExpected ? kExitOk : kExitFail;
}

}  // namespace sentinel::app

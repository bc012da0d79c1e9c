// `sentinel bench latency [--json] [--scans N] [--online-delays MS,…] [--hcsim PATH] [--rules PATH]`
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "firmware/app/Backends.h"
#include "firmware/app/bench/BenchOnlineRisk.h"
#include "firmware/app/CliUtil.h"
#include "firmware/app/EngineDecoder.h"
#include "firmware/app/HcsimProcess.h"
#include "firmware/app/bench/BenchUtil.h"
#include "firmware/kiosk/Kiosk.h"
#include "firmware/kiosk/Runtime.h"
#include "firmware/base/Log.h"
#include "firmware/fleet/MqttLink.h"
#include "firmware/issuer/TestIssuer.h"
#include "firmware/render/QrRender.h"

namespace sentinel::app {
namespace {

// A runtime with a journal, as `run` builds it (`token`: the service's device token in memory).
Result<std::unique_ptr<kiosk::Runtime>> journaledRuntime(const kiosk::Config& config, const Clock& clock,
                                                         std::string token = {}) {
    kiosk::RuntimeOptions ro;
    ro.httpsTransport = httpsTransport();
    ro.openJournal = true;
    ro.onlineToken = std::move(token);
    return kiosk::Runtime::create(config, clock, ro);
}

constexpr const char* kHelp = R"HELP(Usage: sentinel bench latency [--json] [--scans N] [--online-delays MS,MS,…] [--online-scans N] [--hcsim PATH]
                             [--fleet] [--mosquitto PATH]

End-to-end decision latency through the real kiosk loop: a 1280x720 frame with a code enters the
loop (decode → verify → policy → journal → indicator) and the time until the indicator shows the
decision is measured, over N presentations (codes separated by empty frames).

Scenarios:
  offline           HC1 credentials signed by a generated test issuer; journal on a real SQLite file
  online delay=MS   an HK1 code answered by the reference health-code service (sentinel-hcsim, on
                    loopback over pinned HTTPS) that waits MS before answering; the decision budget
                    (5000 ms) turns answers that come too late into REFER BACKEND_TIMEOUT
  fleet up|down|blackholed   (--fleet) the offline scenario again with the MQTT fleet link
                    observing the loop: a local Mosquitto broker up; nothing listening; a socket
                    that accepts connections and never answers. Then the broker is started where
                    nothing listened and the backlog drain rate and bytes per record are printed.

Options:
  --scans N            offline presentations (default 200)
  --online-delays LIST backend delays in ms (default 0,50,500,4000,10000; "none" skips online)
  --online-scans N     presentations per online delay (default 200 for delays under 100 ms, 20 under
                       1 s, 5 above)
  --hcsim PATH         the reference service binary (default: found beside sentinel or on PATH)
  --fleet              add the fleet scenarios (needs the mosquitto broker)
  --mosquitto PATH     the broker binary (default /usr/sbin/mosquitto)
  --rules PATH         also run the offline scenario with this rule set as rules.path (same run, same
                       codes: the "offline HC1 + rules" row against the "offline HC1" baseline); its
                       expected reason is whatever the rule set decides for the bench's codes
  --rules-country CC   rules.country for --rules (default CN)
  --risk               add the §14 online figures (BenchOnlineRisk.h): today's online decision and
                       one with 30 stays against a 3 000-area list, alternated scan by scan (A/B) in
                       one session, and REFER latency while the circuit breaker is open
  --risk-pairs N       A/B pairs and breaker-open scans for --risk (default 200)
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

struct Percentiles {
    std::size_t n = 0;
    double p50 = 0, p95 = 0, p99 = 0, max = 0;
};

Percentiles percentiles(std::vector<double> v) {
    Percentiles p;
    if (v.empty()) return p;
    p.n = v.size();
    p.p50 = nearestRank(v, 0.50);
    p.p95 = nearestRank(v, 0.95);
    p.p99 = nearestRank(v, 0.99);
    p.max = *std::max_element(v.begin(), v.end());
    return p;
}

nlohmann::json toJson(const Percentiles& p, std::size_t asExpected) {
    auto r2 = [](double x) { return std::round(x * 100.0) / 100.0; };
    return {{"scans", p.n}, {"as_expected", asExpected}, {"p50_ms", r2(p.p50)}, {"p95_ms", r2(p.p95)},
            {"p99_ms", r2(p.p99)}, {"max_ms", r2(p.max)}};
}


// Plays `presentations` of the given code frames (each followed by two empty frames) through a
// kiosk loop built on `rt`, and collects frame-in → indicator latencies.
Percentiles runScenario(kiosk::Runtime& rt, const Clock& clock, const std::vector<std::shared_ptr<const render::Image>>& codes,
                        int presentations, Reason expected, std::size_t& asExpected,
                        const std::vector<kiosk::KioskObserver*>& observers = {}) {
    auto empty = std::make_shared<const render::Image>(render::emptyScene(1280, 720, 99));
    SequenceCamera camera;
    for (int i = 0; i < presentations; ++i) {
        camera.add(codes[static_cast<std::size_t>(i) % codes.size()]);
        camera.add(empty);
        camera.add(empty);
    }
    NullIndicator indicator;
    EngineDecoder decoder;
    kiosk::KioskOptions ko = rt.kioskOptions();
    ko.rearmFrames = 1;
    kiosk::Kiosk kiosk(camera, decoder, rt.router(), indicator, rt.sink(), clock, ko);
    for (auto* o : observers) kiosk.addObserver(o);
    std::vector<double> latencies;
    asExpected = 0;
    kiosk.onDecision = [&](const DecisionRecord& r, const kiosk::Verdict&) {
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

// A loopback TCP port: bound (and listening, never accepting, when `listen`) or just reserved.
struct LoopbackSocket {
    int fd = -1;
    int port = 0;
    explicit LoopbackSocket(bool listen) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        if (listen) ::listen(fd, 1);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~LoopbackSocket() { close(); }
    void close() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
};

// A throw-away Mosquitto on a loopback port (anonymous, no persistence); killed and reaped on exit.
class BenchBroker {
public:
    BenchBroker(const std::string& binary, const std::filesystem::path& dir, int port) {
        const auto conf = dir / "mosquitto.conf";
        std::ofstream(conf) << "listener " << port << " 127.0.0.1\nallow_anonymous true\npersistence false\n"
                            << (::geteuid() == 0 ? "user root\n" : "");
        pid_ = ::fork();
        if (pid_ == 0) {
            std::FILE* devnull = std::fopen("/dev/null", "w");
            if (devnull) {
                ::dup2(fileno(devnull), STDOUT_FILENO);
                ::dup2(fileno(devnull), STDERR_FILENO);
            }
            ::execl(binary.c_str(), binary.c_str(), "-c", conf.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
    }
    ~BenchBroker() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
        }
    }

private:
    pid_t pid_ = -1;
};

fleet::LinkOptions benchLink(const kiosk::Config& cfg, int port) {
    fleet::LinkOptions o;
    o.brokerUrl = "mqtt://127.0.0.1:" + std::to_string(port);
    o.kioskId = cfg.kiosk.id;
    o.stateDir = cfg.kiosk.stateDir;
    o.journalPath = cfg.journal.path;
    o.backoffInitial = std::chrono::milliseconds{200};
    o.backoffMax = std::chrono::milliseconds{1000};
    return o;
}

bool waitFor(const std::function<bool()>& done, std::chrono::seconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    return true;
}

// ---- §14 (issue 25): the online client with travel data and the breaker (BenchOnlineRisk.h) ----

Result<nlohmann::json> benchRisk(const Args& args, const std::filesystem::path& work) {
    OnlineRiskBenchOptions o;
    o.hcsim = args.value("--hcsim").value_or(HcsimProcess::locate());
    if (o.hcsim.empty()) return Error{"sentinel-hcsim not found (build it, or --hcsim PATH)"};
    o.work = work;
    bool ok = true;
    o.pairs = o.refusals = positiveInt(args.value("--risk-pairs"), 200, ok);
    if (!ok) return Error{"--risk-pairs takes a number from 1 to 100000"};
    return benchOnlineRisk(o);
}

void printRisk(const nlohmann::json& risk, CliContext& ctx) {
    ctx.out << "online client (read → record), " << risk["areas"] << "-area list, " << risk["stays"] << " stays:\n";
    for (const auto& [key, name] : {std::pair{"today", "today (v1, no list)"}, std::pair{"travel", "travel (A/B with today)"},
                                    std::pair{"breaker_open", "breaker open (REFER)"}}) {
        const auto& f = risk[key];
        char line[256];
        std::snprintf(line, sizeof line, "%-22s %7d  %11d  %7.2f  %7.2f  %7.2f  %7.2f\n", name, f.value("scans", 0), f.value("as_expected", 0),
                      f.value("p50_ms", 0.0), f.value("p95_ms", 0.0), f.value("p99_ms", 0.0), f.value("max_ms", 0.0));
        ctx.out << line;
    }
}

}  // namespace

int cmdBenchLatency(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json", "--fleet", "--risk"}, {"--scans", "--online-delays", "--online-scans", "--hcsim", "--mosquitto", "--rules", "--rules-country", "--risk-pairs"}},
                            kHelp, ctx,
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

    kiosk::Config cfg;
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
    std::vector<std::pair<std::string, kiosk::Config>> offline{{"offline HC1", cfg}};
    if (auto rulesPath = args->value("--rules")) {
        kiosk::Config withRules = cfg;
        withRules.rules.path = *rulesPath;
        withRules.rules.country = args->value("--rules-country").value_or("CN");
        withRules.journal.path = (work / "state" / "journal-rules.db").string();
        offline.emplace_back("offline HC1 + rules", withRules);
    }
    for (const auto& [name, config] : offline) {
        auto rt = journaledRuntime(config, clock);
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
    nlohmann::json fleetFigures;
    if (args->has("--fleet")) {
        const std::string mosquitto = args->value("--mosquitto").value_or("/usr/sbin/mosquitto");
        // Codes of their own: the fleet scenarios' journals must not see the offline ones' subjects.
        constexpr int kFleetCodes = 20;
        std::vector<std::shared_ptr<const render::Image>> fleetCodes;
        for (int i = 0; i < kFleetCodes; ++i) {
            auto spec = issuer::testCredential(TestType::Naat, now - std::chrono::hours{2} - std::chrono::minutes{i}, false, now);
            spec.certificateIdentifier = "URN:UVCI:01:XX:FLEET" + std::to_string(i) + "#X";
            auto img = render(issuer.issue(spec), static_cast<std::uint32_t>(i + 101));
            if (!img) {
                ctx.err << "sentinel bench latency: " << img.error().message << '\n';
                return kExitFail;
            }
            fleetCodes.push_back(*img);
        }
        LoopbackSocket upPort(false), downPort(false), blackhole(true);
        upPort.close();  // the broker binds it
        downPort.close();  // nothing listens here (until the drain measurement)
        BenchBroker broker(mosquitto, work, upPort.port);
        const struct {
            const char* key;
            int port;
        } scenarios[] = {{"up", upPort.port}, {"down", downPort.port}, {"blackholed", blackhole.port}};
        std::unique_ptr<fleet::MqttLink> downLink;
        kiosk::Config downCfg;
        for (const auto& sc : scenarios) {
            kiosk::Config fc = cfg;
            fc.kiosk.stateDir = work / (std::string("state-") + sc.key);
            fc.journal.path = (fc.kiosk.stateDir / "journal.db").string();
            auto rt = journaledRuntime(fc, clock);
            if (!rt) {
                ctx.err << "sentinel bench latency: " << rt.error().message << '\n';
                return kExitFail;
            }
            if (std::string(sc.key) == "up" && !waitFor([&] { return fleet::probeBroker(benchLink(fc, sc.port), std::chrono::seconds{2}).ok(); },
                                                        std::chrono::seconds{20})) {
                ctx.err << "sentinel bench latency: " << mosquitto << " did not start\n";
                return kExitFail;
            }
            auto link = fleet::MqttLink::start(benchLink(fc, sc.port), {}, clock);
            if (!link) {
                ctx.err << "sentinel bench latency: " << link.error().message << '\n';
                return kExitFail;
            }
            std::size_t expected = 0;
            Percentiles p = runScenario(**rt, clock, fleetCodes, scans, Reason::Ok, expected, {link->get()});
            allExpected = allExpected && expected == static_cast<std::size_t>(scans) && p.n == expected;
            rows.push_back({std::string("fleet broker ") + sc.key, std::string("fleet_") + sc.key, p, expected, scans});
            if (std::string(sc.key) == "up") {
                waitFor([&] { return (*link)->status().ackedSeq >= static_cast<std::int64_t>(scans); }, std::chrono::seconds{30});
                const auto st = (*link)->status();
                if (st.batches > 0) fleetFigures["live_bytes_per_record"] = static_cast<double>(st.bytes) / static_cast<double>(st.ackedSeq);
                (*link)->stop(std::chrono::milliseconds{1000});
            } else if (std::string(sc.key) == "down") {
                downLink = std::move(link).value();
                downCfg = fc;
            } else {
                (*link)->stop(std::chrono::milliseconds{0});
            }
        }
        // The backlog the "down" scenario left: a broker appears where nothing listened.
        const auto t0 = std::chrono::steady_clock::now();
        BenchBroker late(mosquitto, downCfg.kiosk.stateDir, downPort.port);
        const bool drained = waitFor([&] { return downLink->status().ackedSeq >= static_cast<std::int64_t>(scans); },
                                     std::chrono::seconds{60});
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const auto st = downLink->status();
        downLink->stop(std::chrono::milliseconds{1000});
        fleetFigures["backlog_records"] = scans;
        fleetFigures["backlog_drained"] = drained;
        fleetFigures["backlog_drain_s"] = std::round(s * 1000.0) / 1000.0;  // includes the broker's start and a reconnect
        fleetFigures["batches"] = st.batches;
        fleetFigures["bytes_per_record"] = st.ackedSeq > 0 ? static_cast<double>(st.bytes) / static_cast<double>(st.ackedSeq) : 0.0;
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
            kiosk::Config online = cfg;
            online.online.baseUrl = (*service)->baseUrl();
            online.online.caFile = (*service)->caFile().string();
            online.online.pins = {(*service)->pin()};
            online.journal.path = (work / ("journal-" + std::to_string(delay) + ".db")).string();
            auto rt = journaledRuntime(online, clock, HcsimProcess::kDeviceToken);
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
    nlohmann::json riskFigures;
    if (args->has("--risk")) {
        auto risk = benchRisk(*args, work);
        if (!risk) {
            ctx.err << "sentinel bench latency: " << risk.error().message << '\n';
            return kExitFail;
        }
        riskFigures = std::move(risk).value();
        for (const char* key : {"today", "travel", "breaker_open"}) {
            allExpected = allExpected && riskFigures[key]["as_expected"] == riskFigures[key]["scans"];
        }
    }
    std::error_code ec;
    fs::remove_all(work, ec);

    if (args->has("--json")) {
        nlohmann::json j;
        for (const auto& r : rows) {
            if (r.key == "offline" || r.key == "offline_rules") {
                j[r.key] = toJson(r.p, r.asExpected);
            } else if (r.key.rfind("fleet_", 0) == 0) {
                j["fleet"][r.key.substr(6)] = toJson(r.p, r.asExpected);
            } else {
                j["online"][r.key] = toJson(r.p, r.asExpected);
            }
        }
        if (!fleetFigures.empty()) j["fleet"]["link"] = fleetFigures;
        if (!riskFigures.empty()) j["risk"] = riskFigures;
        ctx.out << j.dump() << '\n';
    } else {
        ctx.out << "scenario                 scans  as expected   p50 ms   p95 ms   p99 ms   max ms\n";
        for (const auto& r : rows) {
            char line[256];
            std::snprintf(line, sizeof line, "%-22s %7zu  %11zu  %7.2f  %7.2f  %7.2f  %7.2f\n", r.name.c_str(), r.p.n,
                          r.asExpected, r.p.p50, r.p.p95, r.p.p99, r.p.max);
            ctx.out << line;
        }
        if (!fleetFigures.empty()) ctx.out << "fleet link: " << fleetFigures.dump() << '\n';
        if (!riskFigures.empty()) printRisk(riskFigures, ctx);
    }
    return allExpected ? kExitOk : kExitFail;
}

}  // namespace sentinel::app

// `sentinel bench staff [--json] [--presentations N] [--hostile N]`: what staff at the gate cost
// (DESIGN §11) — override round trip, status round trip, and the decision latency with a quiet
// and with a hostile control socket, in the same run.
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "firmware/app/Backends.h"
#include "firmware/app/CliUtil.h"
#include "firmware/control/ControlServer.h"
#include "firmware/control/KioskControl.h"
#include "firmware/app/EngineDecoder.h"
#include "firmware/kiosk/Kiosk.h"
#include "firmware/control/KioskStatus.h"
#include "firmware/kiosk/Runtime.h"
#include "firmware/base/Log.h"
#include "firmware/render/QrRender.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel bench staff [--json] [--presentations N] [--hostile N]

Staff at the gate, measured through the real kiosk loop, journal (SQLite, fsync) and control
socket, with a camera paced at 30 fps (1280x720 frames). Each presentation is an online code with
no health-code service configured (REFER BACKEND_ERROR) followed by 11 empty frames; after each
REFER a client sends `staff override` over the socket.

Two phases in the same run, the same frames:
  quiet     nothing else on the socket
  hostile   N clients that connect, send half a request and stall (reconnecting when closed), and
            one that sends a status request and an oversized line 200 times a second

Prints per phase: decision latency (frame in → indicator, the REFERs), override round trip
(request sent → answer read, includes the journal commit and the relay), and status round trip.

Options:
  --presentations N   REFERs per phase (default 40)
  --hostile N         stalling clients in the hostile phase (default 8; the socket admits 4)
  --json              one JSON object {"quiet":{…},"hostile":{…}} with p50/p99/max per figure
  --help              this text

Exit status: 0 every override opened once, 1 otherwise, 2 usage.
)HELP";

constexpr int kFps = 30;                  // a typical kiosk camera
constexpr int kEmptyFramesBetween = 11;   // 0.4 s between presentations: each override completes first
constexpr auto kWaitBound = std::chrono::seconds{30};  // only reached when something is wrong

using Steady = std::chrono::steady_clock;

double msSince(Steady::time_point t) { return std::chrono::duration<double, std::milli>(Steady::now() - t).count(); }

// A camera paced like a live one: frame i is due at start + i/fps.
class PacedCamera final : public hal::Camera {
public:
    void add(std::shared_ptr<const render::Image> img) { frames_.push_back(std::move(img)); }
    hal::GrabResult grab(std::chrono::milliseconds) override {
        hal::GrabResult r;
        if (next_ >= frames_.size()) {
            r.status = hal::GrabStatus::EndOfStream;
            return r;
        }
        if (next_ == 0) start_ = Steady::now();
        std::this_thread::sleep_until(start_ + next_ * std::chrono::microseconds{1'000'000 / kFps});
        const auto& img = frames_[next_];
        r.status = hal::GrabStatus::Frame;
        r.frame.owner = img;
        r.frame.gray = img->view();
        r.frame.capturedAt = Steady::now();
        r.frame.index = next_++;
        std::lock_guard lock(mutex_);
        lastCapturedAt_ = r.frame.capturedAt;
        return r;
    }
    std::string describe() const override { return "bench paced 30 fps"; }
    MonoTime lastCapturedAt() {
        std::lock_guard lock(mutex_);
        return lastCapturedAt_;
    }

private:
    std::vector<std::shared_ptr<const render::Image>> frames_;
    std::size_t next_ = 0;
    Steady::time_point start_;
    std::mutex mutex_;
    MonoTime lastCapturedAt_{};
};

// Records frame-in → indicator for REFERs, and signals each decision.
class TimingIndicator final : public hal::Indicator {
public:
    explicit TimingIndicator(PacedCamera& camera) : camera_(camera) {}
    void show(const hal::Indication& i) override {
        std::lock_guard lock(mutex);
        if (i.reason == Reason::StaffOverride) {
            ++overridesShown;
        } else {
            decisionMs.push_back(std::chrono::duration<double, std::milli>(Steady::now() - camera_.lastCapturedAt()).count());
            ++refers;
        }
        cv.notify_all();
    }
    void shut() override {}
    void alarm(std::string_view) override {}
    bool waitRefers(std::size_t n) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, kWaitBound, [&] { return refers >= n; });
    }

    std::mutex mutex;
    std::condition_variable cv;
    std::vector<double> decisionMs;
    std::size_t refers = 0, overridesShown = 0;

private:
    PacedCamera& camera_;
};

nlohmann::json summary(std::vector<double> v) {
    if (v.empty()) return nullptr;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) {
        return v[std::min(v.size() - 1, static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1)];
    };
    auto r2 = [](double x) { return std::round(x * 100.0) / 100.0; };
    return {{"n", v.size()}, {"p50_ms", r2(at(0.5))}, {"p99_ms", r2(at(0.99))}, {"max_ms", r2(v.back())}};
}

int rawConnect(const std::filesystem::path& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Stalling clients and a flooder on the socket until stopped.
class HostileClients {
public:
    HostileClients(std::filesystem::path path, int stallers) : path_(std::move(path)) {
        for (int i = 0; i < stallers; ++i) {
            threads_.emplace_back([this](std::stop_token stop) {
                while (!stop.stop_requested()) {
                    const int fd = rawConnect(path_);
                    if (fd < 0) continue;
                    const char half[] = "{\"v\":1,\"cmd\":";
                    [[maybe_unused]] auto n = ::send(fd, half, sizeof half - 1, MSG_NOSIGNAL);
                    char b[256];
                    // Until the server closes us (client timeout) or we are stopped.
                    timeval tv{0, 100'000};
                    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
                    while (!stop.stop_requested()) {
                        const ssize_t r = ::recv(fd, b, sizeof b, 0);
                        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) break;
                    }
                    ::close(fd);
                }
            });
        }
        threads_.emplace_back([this](std::stop_token stop) {
            const std::string oversized(8192, 'x');
            // 200 rounds/s: a hostile peer, not a CPU hog (any local process can burn CPU; what is
            // measured is what the socket does to the loop).
            constexpr auto kRound = std::chrono::milliseconds{5};
            while (!stop.stop_requested()) {
                std::this_thread::sleep_for(kRound);
                (void)control::controlRequest(path_, {{"cmd", "status"}}, std::chrono::milliseconds{2000});
                const int fd = rawConnect(path_);
                if (fd >= 0) {
                    [[maybe_unused]] auto n = ::send(fd, oversized.data(), oversized.size(), MSG_NOSIGNAL);
                    ::close(fd);
                }
            }
        });
    }

private:
    std::filesystem::path path_;
    std::vector<std::jthread> threads_;  // stopped and joined on destruction
};

struct PhaseResult {
    nlohmann::json json;
    bool ok = false;
};

PhaseResult runPhase(kiosk::Runtime& rt, const Clock& clock, const std::filesystem::path& socketPath,
                     const std::vector<std::shared_ptr<const render::Image>>& codes, int presentations, int hostile) {
    auto empty = std::make_shared<const render::Image>(render::emptyScene(1280, 720, 99));
    PacedCamera camera;
    for (int i = 0; i < presentations; ++i) {
        camera.add(codes[static_cast<std::size_t>(i) % codes.size()]);
        for (int e = 0; e < kEmptyFramesBetween; ++e) camera.add(empty);
    }
    TimingIndicator indicator(camera);
    EngineDecoder decoder;
    kiosk::KioskOptions ko = rt.kioskOptions();
    ko.rearmFrames = 1;
    control::StatusSources ss;
    ss.kioskId = "BENCH-01";
    control::KioskStatus status(clock, ss);
    kiosk::Kiosk kiosk(camera, decoder, rt.router(), indicator, rt.sink(), clock, ko);
    kiosk.addObserver(&status);
    control::ControlServerOptions co;
    co.path = socketPath;
    co.clientTimeout = std::chrono::milliseconds{500};  // stalling clients are cut off quickly
    auto server = control::ControlServer::start(co, control::kioskControlHandler(status, kiosk));
    if (!server) return {{{"error", server.error().message}}, false};

    std::optional<HostileClients> hostileClients;
    if (hostile > 0) hostileClients.emplace(socketPath, hostile);
    std::atomic<bool> stop{false};
    std::jthread loop([&] { kiosk.run(stop); });

    std::vector<double> overrideMs, statusMs;
    int opened = 0;
    for (int i = 1; i <= presentations; ++i) {
        if (!indicator.waitRefers(static_cast<std::size_t>(i))) break;
        auto t0 = Steady::now();
        auto answer = control::controlRequest(socketPath, {{"cmd", "override"}}, std::chrono::seconds{10});
        if (answer && answer->value("opened", false)) {
            overrideMs.push_back(msSince(t0));
            ++opened;
        } else {
            SLOG("Bench", Warn) << "override " << i << ": " << (answer ? answer->dump() : answer.error().message);
        }
        t0 = Steady::now();
        if (control::controlRequest(socketPath, {{"cmd", "status"}}, std::chrono::seconds{10})) statusMs.push_back(msSince(t0));
    }
    loop.join();  // the stream ends after the last presentation
    hostileClients.reset();
    nlohmann::json j;
    {
        std::lock_guard lock(indicator.mutex);
        j["decision"] = summary(indicator.decisionMs);
        j["overrides_shown"] = indicator.overridesShown;
    }
    j["override_round_trip"] = summary(overrideMs);
    j["status_round_trip"] = summary(statusMs);
    j["overrides_opened"] = opened;
    j["hostile_clients"] = hostile;
    return {j, opened == presentations};
}

}  // namespace

int cmdBenchStaff(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--presentations", "--hostile"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    int presentations = 40, hostile = 8;
    try {
        if (auto v = args->value("--presentations")) presentations = std::stoi(*v);
        if (auto v = args->value("--hostile")) hostile = std::stoi(*v);
    } catch (const std::exception&) {
        ctx.err << "sentinel bench staff: --presentations and --hostile take numbers\n\n" << kHelp;
        return kExitUsage;
    }
    if (presentations < 1 || presentations > 10000 || hostile < 0 || hostile > 64) {
        ctx.err << "sentinel bench staff: --presentations 1–10000, --hostile 0–64\n";
        return kExitUsage;
    }
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "sentinel-bench-staff-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
        ctx.err << "sentinel bench staff: cannot create a temporary directory\n";
        return kExitFail;
    }
    const fs::path work = tmpl;
    struct Cleanup {
        fs::path p;
        ~Cleanup() {
            std::error_code ec;
            fs::remove_all(p, ec);
        }
    } cleanup{work};

    kiosk::Config cfg;
    cfg.kiosk.id = "BENCH-01";
    cfg.kiosk.stateDir = work / "state";
    cfg.trust.path = (work / "trust").string();
    cfg.journal.path = (work / "state" / "journal.db").string();
    cfg.staff.overrideWindowS = 30;
    SystemClock clock;
    kiosk::RuntimeOptions ro;
    ro.httpsTransport = httpsTransport();
    ro.openJournal = true;
    auto rt = kiosk::Runtime::create(cfg, clock, ro);
    if (!rt) {
        ctx.err << "sentinel bench staff: " << rt.error().message << '\n';
        return kExitFail;
    }
    // Four online codes, no service configured: each decides REFER BACKEND_ERROR.
    std::vector<std::shared_ptr<const render::Image>> codes;
    for (int i = 0; i < 4; ++i) {
        render::SceneOptions so;
        so.seed = static_cast<std::uint32_t>(i + 1);
        auto img = render::composeScene("HK1:YmVuY2gtc3RhZmYtb3ZlcnJpZGUt" + std::to_string(i), so);
        if (!img) {
            ctx.err << "sentinel bench staff: " << img.error().message << '\n';
            return kExitFail;
        }
        codes.push_back(std::make_shared<const render::Image>(std::move(img).value()));
    }
    auto quiet = runPhase(**rt, clock, work / "control.sock", codes, presentations, 0);
    auto noisy = runPhase(**rt, clock, work / "control.sock", codes, presentations, hostile);
    nlohmann::json out{{"quiet", quiet.json}, {"hostile", noisy.json}};
    if (args->has("--json")) {
        ctx.out << out.dump() << '\n';
    } else {
        auto line = [&](const char* name, const nlohmann::json& p) {
            ctx.out << "  " << name << ": ";
            for (const char* k : {"decision", "override_round_trip", "status_round_trip"}) {
                const auto& s = p[k];
                if (s.is_null()) {
                    ctx.out << k << " -  ";
                    continue;
                }
                ctx.out << k << " p50 " << s["p50_ms"].dump() << " / p99 " << s["p99_ms"].dump() << " / max "
                        << s["max_ms"].dump() << " ms (n=" << s["n"].dump() << ")  ";
            }
            ctx.out << "opened " << p.value("overrides_opened", 0) << '\n';
        };
        ctx.out << "bench staff: " << presentations << " REFERs per phase, camera 30 fps\n";
        line("quiet  ", quiet.json);
        line("hostile", noisy.json);
    }
    return quiet.ok && noisy.ok ? kExitOk : kExitFail;
}

}  // namespace sentinel::app

// `sentinel bench documents [--cards N] [--delays MS,…] [--json] [--hcsim PATH]` (issue 26
// "Measure"): card placed on the reader → decision shown, through the real path — the simulated
// reader on a pseudo-terminal speaking the SAM protocol, the SAM serial driver, the kiosk loop
// polling it beside a 30 fps camera, the GB 11643 check, the §5 v1.1 document lookup at the
// reference service over pinned HTTPS on loopback, the journal and the indicator.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "drivers/docreader/SamReader.h"
#include "drivers/docreader/SamSimulator.h"
#include "firmware/app/Backends.h"
#include "firmware/app/CliUtil.h"
#include "firmware/app/EngineDecoder.h"
#include "firmware/app/HcsimProcess.h"
#include "firmware/app/bench/BenchUtil.h"
#include "firmware/base/Log.h"
#include "firmware/credential/ResidentId.h"
#include "firmware/kiosk/DocumentSource.h"
#include "firmware/kiosk/Kiosk.h"

namespace sentinel::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kHelp = R"HELP(Usage: sentinel bench documents [--cards N] [--delays MS,MS,…] [--json] [--hcsim PATH]

Card placed → decision, through the real path: the simulated ID-card reader (sentinel-samsim's
device) on a pseudo-terminal, the SAM serial driver (115200 8N1), the kiosk loop polling it while
a camera delivers empty 1280x720 frames at 30 fps (each decoded, as live), the GB 11643 check, the
document lookup (§5 v1.1) at the reference service (sentinel-hcsim on loopback, pinned HTTPS) that
waits MS before answering, the journal (a real SQLite file) and the indicator. The time runs from
the card entering the simulated field to the indicator showing the decision; it includes the
reader's polling for a card (the driver's find-card cadence) and the loop's wait for its next step.

Options:
  --cards N          cards per delay (default 40; each a different resident ID, all PASS)
  --delays MS,MS,…   service delays (default 0,50)
  --json             one JSON object with every figure
  --hcsim PATH       the reference service (default: found beside this binary or in the build tree)
  --help             this text

Exit status: 0 every card decided PASS, 1 otherwise, 2 usage.
)HELP";

constexpr int kCameraFps = 30;
constexpr int kFrameWidthPx = 1280, kFrameHeightPx = 720;
constexpr std::uint8_t kEmptyGrey = 128;
constexpr auto kStepTimeout = std::chrono::seconds{20};

// An empty scene at the camera's rate, until stopped.
class PacedEmptyCamera final : public hal::Camera {
public:
    PacedEmptyCamera() : pixels_(std::make_shared<std::vector<std::uint8_t>>(kFrameWidthPx * kFrameHeightPx, kEmptyGrey)) {}
    hal::GrabResult grab(std::chrono::milliseconds) override {
        next_ = std::max(next_ + std::chrono::microseconds{1'000'000 / kCameraFps}, std::chrono::steady_clock::now());
        std::this_thread::sleep_until(next_);
        hal::GrabResult r;
        r.status = hal::GrabStatus::Frame;
        r.frame.owner = pixels_;
        r.frame.gray = GrayView{pixels_->data(), kFrameWidthPx, kFrameHeightPx, kFrameWidthPx};
        r.frame.capturedAt = std::chrono::steady_clock::now();
        r.frame.index = index_++;
        return r;
    }
    std::string describe() const override { return "bench empty scene"; }

private:
    std::shared_ptr<std::vector<std::uint8_t>> pixels_;
    std::chrono::steady_clock::time_point next_ = std::chrono::steady_clock::now();
    std::uint64_t index_ = 0;
};

// Resident ID numbers that pass GB 11643: region 110105, born 1980-01-01 plus `i` days' worth of
// sequence numbers, with the right check character.
std::string residentNumber(int i) {
    const std::string stem = "11010519800101" + std::to_string(100 + i % 900);
    for (char c : std::string("0123456789X")) {
        const std::string n = stem + c;
        if (credential::checkResidentId(n, "") == credential::ResidentIdCheck::Valid) return n;
    }
    return {};
}

struct Figures {
    std::vector<double> ms;
    int asExpected = 0;
};

Result<Figures> runDelay(const std::string& hcsim, const fs::path& work, int delayMs, const std::vector<std::string>& numbers) {
    auto service = HcsimProcess::start(hcsim, work / ("pki-" + std::to_string(delayMs)),
                                       {"--fault", "delay=" + std::to_string(delayMs), "--codes", (work / "codes.json").string()});
    if (!service) return service.error();
    auto sim = docreader::SamSimulator::start();
    if (!sim) return sim.error();

    SystemClock clock;
    kiosk::Config cfg;
    cfg.kiosk.id = "BENCH-DOC";
    cfg.kiosk.stateDir = work / ("state-" + std::to_string(delayMs));
    cfg.trust.path = "";
    cfg.journal.path = (cfg.kiosk.stateDir / "journal.db").string();
    cfg.online.baseUrl = (*service)->baseUrl();
    cfg.online.caFile = (*service)->caFile().string();
    cfg.online.pins = {(*service)->pin()};
    cfg.documents.reader = "sam:" + (*sim)->path();
    kiosk::RuntimeOptions ro;
    ro.httpsTransport = httpsTransport();
    ro.openJournal = true;
    ro.onlineToken = HcsimProcess::kDeviceToken;
    auto rt = kiosk::Runtime::create(cfg, clock, ro);
    if (!rt) return rt.error();
    auto reader = makeDocumentReader(cfg);
    if (!reader) return reader.error();

    PacedEmptyCamera camera;
    NullIndicator indicator;
    EngineDecoder decoder;
    kiosk::KioskOptions ko = (*rt)->kioskOptions();
    ko.rearmWindow = std::chrono::milliseconds{1};  // every card is another presentation
    kiosk::Kiosk loop(camera, decoder, (*rt)->router(), indicator, (*rt)->sink(), clock, ko);
    kiosk::DocumentSource source(**reader, {});
    loop.addSource(&source);

    std::mutex m;
    std::condition_variable cv;
    std::optional<DecisionRecord> last;
    std::chrono::steady_clock::time_point decidedAt;
    loop.onDecision = [&](const DecisionRecord& r, const kiosk::Verdict&) {
        std::lock_guard lk(m);
        last = r;
        decidedAt = std::chrono::steady_clock::now();
        cv.notify_all();
    };
    std::atomic<bool> stop{false};
    std::thread thread([&] { loop.run(stop); });
    // The reader has opened the line and polls for a card.
    const bool ready = (*sim)->waitUntil([](const docreader::SamDevice& d) { return d.finds() > 0; }, kStepTimeout);

    Figures f;
    std::string failure = ready ? "" : "the reader never polled the simulated device";
    for (std::size_t i = 0; failure.empty() && i < numbers.size(); ++i) {
        auto card = docreader::makeSimCard(docreader::SimCardKind::CnId, {{"number", numbers[i]}, {"birth", "19800101"}});
        if (!card) {
            failure = card.error().message;
            break;
        }
        {
            std::lock_guard lk(m);
            last.reset();
        }
        const auto placed = std::chrono::steady_clock::now();
        (*sim)->withDevice([&](docreader::SamDevice& d) { d.present(*card); });
        std::unique_lock lk(m);
        if (!cv.wait_for(lk, kStepTimeout, [&] { return last.has_value(); })) {
            failure = "no decision within " + std::to_string(kStepTimeout.count()) + " s";
            break;
        }
        f.ms.push_back(std::chrono::duration<double, std::milli>(decidedAt - placed).count());
        if (last->reason == Reason::Ok) ++f.asExpected;
        lk.unlock();
        std::uint64_t finds = 0;
        (*sim)->withDevice([&](docreader::SamDevice& d) {
            d.remove();
            finds = d.finds();
        });
        // The reader has seen the field empty once it asked for a card twice more.
        (*sim)->waitUntil([&](const docreader::SamDevice& d) { return d.finds() > finds + 1; }, kStepTimeout);
    }
    stop = true;
    thread.join();
    if (!failure.empty()) return Error{failure};
    return f;
}

}  // namespace

int cmdBenchDocuments(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--cards", "--delays", "--hcsim"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    int cards = 40;
    if (auto v = args->value("--cards")) {
        try {
            cards = std::stoi(*v);
        } catch (const std::exception&) {
            cards = 0;
        }
        if (cards < 1 || cards > 500) {
            ctx.err << "sentinel bench documents: --cards must be 1–500\n";
            return kExitUsage;
        }
    }
    std::vector<int> delays{0, 50};
    if (auto v = args->value("--delays")) {
        delays.clear();
        std::stringstream ss(*v);
        std::string item;
        while (std::getline(ss, item, ',')) {
            try {
                const int d = std::stoi(item);
                if (d < 0 || d > 4000) throw std::out_of_range("delay");
                delays.push_back(d);
            } catch (const std::exception&) {
                ctx.err << "sentinel bench documents: --delays: '" << item << "' is not a delay in ms (0–4000)\n";
                return kExitUsage;
            }
        }
    }
    const std::string hcsim = args->value("--hcsim").value_or(HcsimProcess::locate());
    if (hcsim.empty()) {
        ctx.err << "sentinel bench documents: sentinel-hcsim not found (build it, or --hcsim PATH)\n";
        return kExitFail;
    }
    std::string tmpl = (fs::temp_directory_path() / "sentinel-bench-documents-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
        ctx.err << "sentinel bench documents: cannot make a scratch folder\n";
        return kExitFail;
    }
    const fs::path work = tmpl;
    log::configure("*:Error");

    // The service's table: one green holder with a negative test 6 h ago per card (no travel).
    std::vector<std::string> numbers;
    json codes = json::array();
    for (int i = 0; i < cards; ++i) {
        numbers.push_back(residentNumber(i));
        codes.push_back({{"code", "HK1:BENCHdocument" + std::to_string(1000 + i)},
                         {"status", "green"},
                         {"tests", json::array({{{"type", "NAAT"}, {"age_h", 6}, {"result", "negative"}}})},
                         {"document", {{"type", "CN-ID"}, {"number", numbers.back()}}}});
    }
    std::ofstream(work / "codes.json") << json{{"codes", codes}}.dump();

    json out = json::object();
    bool allPass = true;
    std::vector<std::string> lines;
    for (int delay : delays) {
        auto f = runDelay(hcsim, work, delay, numbers);
        if (!f) {
            ctx.err << "sentinel bench documents: delay " << delay << " ms: " << f.error().message << '\n';
            std::error_code ec;
            fs::remove_all(work, ec);
            return kExitFail;
        }
        auto r2 = [](double x) { return std::round(x * 100.0) / 100.0; };
        const double p50 = nearestRank(f->ms, 0.50), p99 = nearestRank(f->ms, 0.99), max = nearestRank(f->ms, 1.0);
        out["delay_" + std::to_string(delay)] = {{"delay_ms", delay}, {"cards", f->ms.size()}, {"pass", f->asExpected},
                                                  {"p50_ms", r2(p50)}, {"p99_ms", r2(p99)}, {"max_ms", r2(max)}};
        allPass = allPass && f->asExpected == cards;
        std::ostringstream line;
        line.setf(std::ios::fixed);
        line.precision(1);
        line << "service delay " << delay << " ms: " << f->ms.size() << " cards, " << f->asExpected << " PASS, card placed → decision p50 "
             << p50 << " ms, p99 " << p99 << " ms, max " << max << " ms";
        lines.push_back(line.str());
    }
    std::error_code ec;
    fs::remove_all(work, ec);
    if (args->has("--json")) {
        ctx.out << out.dump() << '\n';
    } else {
        for (const auto& l : lines) ctx.out << l << '\n';
    }
    return allPass ? kExitOk : kExitFail;
}

}  // namespace sentinel::app

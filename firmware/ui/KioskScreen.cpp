#include "firmware/ui/KioskScreen.h"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <optional>

#include "firmware/base/Log.h"
#include "firmware/diag/CodeLocator.h"
#include "firmware/diag/ImageMetrics.h"
#include "firmware/ui/Texts.h"

namespace sentinel::ui {
namespace {

constexpr const char* kLog = "Screen";
using Steady = std::chrono::steady_clock;

double threadCpuSeconds() {
    timespec ts{};
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

ui::MeterLevel level(const diag::Outcome& o, bool bad) {
    if (o.status == diag::Status::Ok) return ui::MeterLevel::Ok;
    return bad ? ui::MeterLevel::Bad : ui::MeterLevel::Warn;
}

std::vector<ui::PointPx> outlinePoints(const diag::CodeOutline& o) {
    std::vector<ui::PointPx> pts;
    for (std::size_t i = 0; i < 4; ++i) pts.push_back({o.corners[2 * i], o.corners[2 * i + 1]});
    return pts;
}

}  // namespace

KioskScreen::KioskScreen(hal::Display& display, std::unique_ptr<ui::Composer> composer, KioskScreenOptions options)
    : display_(display), composer_(std::move(composer)), options_(options) {
    if (options_.maxFps < 1) options_.maxFps = 1;
    thread_ = std::jthread([this](std::stop_token st) { loop(st); });
}

KioskScreen::~KioskScreen() {
    thread_.request_stop();
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void KioskScreen::frameProcessed(const hal::Frame& frame, const kiosk::FrameObservation& what) {
    const MonoTime now = Steady::now();
    std::lock_guard lk(mutex_);
    latest_ = frame;  // a shared reference: no pixels copied
    ++frameSerial_;
    lastDecodeMs_ = what.decodeMs;
    unreadStreak_ = what.symbolSeenUnread && !what.decoded ? unreadStreak_ + 1 : 0;
    documentGlare_ = what.documentGlare;
    frameTimes_.push_back(now);
    while (!frameTimes_.empty() && now - frameTimes_.front() > std::chrono::seconds{1}) frameTimes_.pop_front();
}

void KioskScreen::lookingUp(std::string_view) {
    {
        std::lock_guard lk(mutex_);
        lookingUp_ = true;
    }
    wake_.notify_all();
}

void KioskScreen::awaitingDocument() {
    {
        std::lock_guard lk(mutex_);
        awaitingDocument_ = true;
    }
    wake_.notify_all();
}

void KioskScreen::decided(const DecisionRecord& record, const kiosk::Verdict& verdict, std::int64_t) {
    PendingResult p;
    p.handedAt = Steady::now();
    p.screen.decision = record.decision;
    p.screen.reason = record.reason;
    p.screen.holderMasked = verdict.holderMasked;
    p.screen.test = record.test;
    p.screen.testLimitH = verdict.testLimitH;
    p.screen.testCard = verdict.testCard;
    p.screen.ruleText = verdict.ruleText;
    if (record.route) {
        if (const auto* text = options_.routes.find(*record.route)) {
            p.screen.routeZh = text->zh;
            p.screen.routeEn = text->en;
        }
    }
    p.screen.duration = options_.resultDuration;
    {
        std::lock_guard lk(mutex_);
        ++handedOver_;
        lookingUp_ = false;
        awaitingDocument_ = false;
        if (pending_.size() >= kMaxQueued) {
            pending_.pop_front();
            ++stats_.droppedResults;
            ++shownResults_;  // counted as done: nobody waits on a dropped card
        }
        pending_.push_back(std::move(p));
        resultWaiting_.store(true, std::memory_order_release);
    }
    wake_.notify_all();
}

void KioskScreen::alarm(std::string_view what, std::string_view detail, bool cleared) {
    if (!ui::travellerAlarm(what)) return;  // the technician's, not the traveller's (ui/Texts.h)
    {
        std::lock_guard lk(mutex_);
        if (cleared) {
            alarms_.erase(std::string(what));
        } else {
            alarms_[std::string(what)] = std::string(detail);
        }
        ++alarmSerial_;
    }
    wake_.notify_all();
}

bool KioskScreen::waitResultsShown(std::chrono::milliseconds timeout) {
    std::unique_lock lk(mutex_);
    return shown_.wait_for(lk, timeout, [&] { return shownResults_ >= handedOver_; });
}

ScreenStats KioskScreen::stats() const {
    std::lock_guard lk(mutex_);
    return stats_;
}

void KioskScreen::show(const ui::ScreenState& state, const GrayView& preview, bool newScreen, bool result) {
    ui::Composition c = composer_->compose(state, preview, Steady::now());
    hal::ScreenTag tag{ui::screenName(state), newScreen, result, {}};
    if (!result) tag.superseded = [this] { return resultWaiting_.load(std::memory_order_acquire); };
    Status s = display_.present(c.image, tag);
    std::lock_guard lk(mutex_);
    ++stats_.composed;
    if (s) {
        ++stats_.presented;
        stats_.lastError.clear();
    } else {
        ++stats_.presentErrors;
        if (stats_.lastError != s.error().message) {
            SLOG(kLog, Warn) << s.error().message;
        }
        stats_.lastError = s.error().message;
    }
}

Result<std::unique_ptr<KioskScreen>> makeKioskScreen(const kiosk::Config& config, hal::Display& display) {
    auto composer = ui::Composer::create({display.widthPx(), display.heightPx(), ui::kDefaultFontPath, ui::kDefaultFontFace});
    if (!composer) return Error{"display: " + composer.error().message};
    KioskScreenOptions o;
    o.resultDuration = std::chrono::milliseconds{config.display.resultMs};
    o.preview = config.display.preview;
    o.diagnostics = config.kiosk.diagnosticsMode;
    o.documents = config.documents.reader != "none" || config.documents.mrz;
    o.routes = config.routes;
    return std::make_unique<KioskScreen>(display, std::move(composer).value(), o);
}

void KioskScreen::loop(std::stop_token stop) {
    // Below the decision thread: on a 2-core board the preview yields to decoding, never the
    // reverse (best effort; an unprivileged process may always lower its own threads).
    if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kNiceness) != 0) {
        SLOG(kLog, Debug) << "cannot lower the screen thread's priority";
    }
    const auto period = std::chrono::microseconds{1000000 / options_.maxFps};
    std::optional<ui::ResultScreen> current;
    std::string shownIdentity;  // what is on screen: name + hint, to tell a new screen from a refresh
    std::uint64_t shownFrame = ~0ull;
    long shownCountdown = -1;
    Steady::time_point next = Steady::now();
    while (!stop.stop_requested()) {
        std::unique_lock lk(mutex_);
        wake_.wait_until(lk, stop, next, [&] { return !pending_.empty(); });
        stats_.threadCpuS = threadCpuSeconds();
        if (stop.stop_requested()) break;
        if (!pending_.empty()) {
            PendingResult p = std::move(pending_.front());
            pending_.pop_front();
            resultWaiting_.store(!pending_.empty(), std::memory_order_release);
            lk.unlock();
            p.screen.shownAt = Steady::now();
            current = p.screen;
            show(*current, {}, true, true);
            const double ms = std::chrono::duration<double, std::milli>(Steady::now() - p.handedAt).count();
            shownIdentity = ui::screenName(*current);
            shownCountdown = -1;
            lk.lock();
            stats_.resultLatencyMs.push_back(ms);
            ++shownResults_;
            shown_.notify_all();
            continue;
        }
        const auto now = Steady::now();
        if (now < next) continue;
        next = now + period;

        const bool lookingUp = lookingUp_;
        const bool awaiting = awaitingDocument_;
        if (current && now < current->shownAt + current->duration && !lookingUp && !awaiting) {
            lk.unlock();
            const auto left = current->shownAt + current->duration - now;
            const long seconds = static_cast<long>(std::chrono::ceil<std::chrono::seconds>(left).count());
            if (seconds != shownCountdown) {
                shownCountdown = seconds;
                show(*current, {}, false, true);
            }
            continue;
        }
        current.reset();
        const hal::Frame frame = latest_;  // shared reference, kept for this composition
        const std::uint64_t serial = frameSerial_;
        const int streak = unreadStreak_;
        const bool glare = documentGlare_;
        const double decodeMs = lastDecodeMs_;
        const double fps = frameTimes_.size() < 2 ? 0.0
                                                  : (frameTimes_.size() - 1) /
                                                        std::max(1e-3, std::chrono::duration<double>(frameTimes_.back() -
                                                                                                     frameTimes_.front())
                                                                           .count());
        std::optional<ui::AlarmScreen> alarm;
        if (!alarms_.empty()) {
            const auto& [what, detail] = *alarms_.begin();
            // Without a camera the kiosk cannot decide at all; other alarms still let it REFER.
            alarm = ui::AlarmScreen{what, detail, alarms_.count("camera") > 0};
        }
        lk.unlock();

        const bool newFrame = serial != shownFrame;
        const GrayView preview = options_.preview || options_.diagnostics ? frame.gray : GrayView{};
        if (alarm) {
            const std::string id = ui::screenName(*alarm) + "|" + alarm->detail;
            if (id != shownIdentity) {
                show(*alarm, {}, true, false);
                shownIdentity = id;
            }
            continue;
        }
        if (options_.diagnostics) {
            if (!newFrame && shownIdentity == "diagnostics") continue;
            ui::DiagnosticsScreen d;
            if (!frame.gray.empty()) {
                d.brightness = diag::meanBrightness(frame.gray);
                d.sharpness = diag::laplacianVariance(frame.gray);
                d.brightnessLevel = level(diag::judgeBrightness(d.brightness), false);
                const diag::Outcome sharp = diag::judgeSharpness(d.sharpness);
                d.sharpnessLevel = level(sharp, d.sharpness < diag::ImageThresholds{}.veryBlurredSharpness);
                if (auto o = diag::locateCode(frame.gray)) d.outline = outlinePoints(*o);
            }
            d.fps = fps;
            d.lastDecodeMs = decodeMs;
            show(d, preview, shownIdentity != "diagnostics", false);
            shownIdentity = "diagnostics";
            shownFrame = serial;
            continue;
        }
        ui::IdleScreen idle;
        idle.documents = options_.documents;
        idle.lookingUp = lookingUp;
        idle.awaitingDocument = awaiting;
        if (streak >= kHintAfterFrames && !frame.gray.empty()) {
            idle.hint = ui::Hint::HoldStill;
            if (auto o = diag::locateCode(frame.gray)) {
                const int shortSide = std::min(frame.gray.widthPx, frame.gray.heightPx);
                if (o->sidePx < kSmallCodeFraction * shortSide) idle.hint = ui::Hint::HoldCloser;
            }
        }
        // A passport under a reflection: the one thing the traveller can change (a still page's
        // glare stays where it is, DESIGN §15); the MRZ reader keeps trying meanwhile.
        if (glare) idle.hint = ui::Hint::TiltDocument;
        const std::string id = "idle|" + std::to_string(static_cast<int>(idle.hint)) + (lookingUp ? "|lookup" : "") + (awaiting ? "|document" : "");
        const bool refresh = !preview.empty() && newFrame;
        if (id == shownIdentity && !refresh) continue;
        show(idle, preview, id != shownIdentity, false);
        shownIdentity = id;
        shownFrame = serial;
    }
}

}  // namespace sentinel::ui

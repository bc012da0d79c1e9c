#pragma once
// The kiosk screen (DESIGN §10): a KioskObserver that hands what the loop did to its own thread,
// which composes the screen (firmware/ui) and presents it (hal::Display) at up to `maxFps`.
// The decision thread only copies values under a short lock: the latest frame by shared reference
// (no pixel copy), the decision by value. Every decision handed over is shown (queued in order,
// at most kMaxQueued; older ones are dropped when the screen falls that far behind).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "drivers/hal/Display.h"
#include "firmware/kiosk/Config.h"
#include "firmware/kiosk/Kiosk.h"
#include "firmware/ui/Composer.h"

namespace sentinel::ui {

struct KioskScreenOptions {
    std::chrono::milliseconds resultDuration{3000};  // display.result_ms
    bool preview = true;                             // display.preview
    bool diagnostics = false;                        // kiosk.diagnostics_mode: the technician's screen
    bool documents = false;                          // documents.reader set: invite a swipe too
    int maxFps = 30;
    kiosk::Config::Routes routes;  // [routes]: the route line of a result card (§14)
};

struct ScreenStats {
    std::vector<double> resultLatencyMs;  // decided() → the result card presented, per decision
    std::uint64_t composed = 0, presented = 0, presentErrors = 0, droppedResults = 0;
    double threadCpuS = 0;                // CPU time of the screen thread so far
    std::string lastError;                // the display's last error, empty when the last present worked
};

class KioskScreen final : public kiosk::KioskObserver {
public:
    // `display` outlives the screen. Starts the screen thread.
    KioskScreen(hal::Display& display, std::unique_ptr<ui::Composer> composer, KioskScreenOptions options);
    ~KioskScreen() override;  // stops and joins the thread
    KioskScreen(const KioskScreen&) = delete;
    KioskScreen& operator=(const KioskScreen&) = delete;

    void frameProcessed(const hal::Frame& frame, const kiosk::FrameObservation& what) override;
    void lookingUp(std::string_view source) override;
    void awaitingDocument() override;
    void decided(const DecisionRecord& record, const kiosk::Verdict& verdict, std::int64_t seq) override;
    void alarm(std::string_view what, std::string_view detail, bool cleared) override;

    // Waits until every decision handed over so far has been presented; false after `timeout`.
    bool waitResultsShown(std::chrono::milliseconds timeout);
    ScreenStats stats() const;

    static constexpr std::size_t kMaxQueued = 16;
    // The screen thread's nice value (above the loop's 0): composing the preview must not slow
    // decoding on a board with few cores.
    static constexpr int kNiceness = 5;
    // A symbol seen but unread for this many frames in a row earns a hint (0.1 s at 30 fps: a
    // phone being moved in shows a few such frames before it reads).
    static constexpr int kHintAfterFrames = 3;
    // A located code whose side is under this fraction of the frame's short side is "too small".
    static constexpr double kSmallCodeFraction = 0.18;

private:
    struct PendingResult {
        ui::ResultScreen screen;
        MonoTime handedAt;
    };
    void loop(std::stop_token stop);
    void show(const ui::ScreenState& state, const GrayView& preview, bool newScreen, bool result);

    hal::Display& display_;
    std::unique_ptr<ui::Composer> composer_;
    KioskScreenOptions options_;

    mutable std::mutex mutex_;
    std::condition_variable_any wake_;
    // Shared with the decision thread (under mutex_):
    hal::Frame latest_;
    std::uint64_t frameSerial_ = 0;
    int unreadStreak_ = 0;
    bool documentGlare_ = false;  // FrameObservation::documentGlare of the last frame
    double lastDecodeMs_ = 0;
    std::deque<MonoTime> frameTimes_;  // the last second of frames (fps)
    std::deque<PendingResult> pending_;
    bool lookingUp_ = false;  // a document lookup runs: "checking" until its decision comes
    bool awaitingDocument_ = false;  // §15: a certificate waits for its document until a decision comes
    std::uint64_t handedOver_ = 0, shownResults_ = 0;
    std::map<std::string, std::string> alarms_;  // what → detail
    std::uint64_t alarmSerial_ = 0;
    ScreenStats stats_;
    std::condition_variable_any shown_;
    // A result card waits (pending_ not empty): read by the display while it presents another
    // screen (hal::ScreenTag::superseded), without the lock.
    std::atomic<bool> resultWaiting_{false};

    std::jthread thread_;  // last: started after everything it uses
};

// The screen for `display` as configured ([display], kiosk.diagnostics_mode): the composer at
// the display's size. An error when the font or the size is unusable.
Result<std::unique_ptr<KioskScreen>> makeKioskScreen(const kiosk::Config& config, hal::Display& display);

}  // namespace sentinel::ui

#pragma once
// The kiosk's counters for operators (DESIGN §13): what the `metrics` topic carries and the
// Prometheus textfile (`metrics.textfile`, for node_exporter's textfile collector) shows.
// Metrics observes the loop (KioskObserver): its callbacks take a short uncontended lock and
// return; nothing here does I/O on the decision thread. TextfileWriter owns the thread that
// rewrites the file (atomically: temp file + rename) every interval and once more on stop.

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <nlohmann/json_fwd.hpp>

#include "firmware/kiosk/Kiosk.h"
#include "firmware/base/Time.h"

namespace sentinel::fleet {

// Upper bounds (ms) of the decision latency histogram: the §6 budget is 5000 ms, a decision usually
// takes 5–60 ms (docs/PERFORMANCE.md), so the buckets are dense below 100 ms.
inline constexpr std::array<double, 12> kLatencyBucketsMs{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};

// Values that are not counted from the loop but looked up when a snapshot is taken.
struct Gauges {
    double trustAgeHours = -1;       // -1 = no trust list
    std::uint64_t journalBytes = 0;  // journal file + WAL
    std::uint64_t outboxBacklog = 0; // committed records not yet acknowledged by the broker
    int linkUp = -1;                 // 1 connected, 0 not, -1 no fleet link configured
    double revocationAgeSeconds = -1;  // the revocation index in force (§17); -1 = none
    int clockTrusted = -1;             // 1 trusted, 0 not (CLOCK_UNTRUSTED), -1 not checked
    double riskListAgeHours = -1;    // §14: the risk-area list in force; -1 = none
    int backendBreakerOpen = -1;     // §14: 1 open, 0 closed, -1 no health-code service configured
};

struct MetricsSnapshot {
    UtcTime at;
    // (decision, reason) → count. Test cards (format "TEST", §13.1) are never counted here.
    std::map<std::pair<std::string, std::string>, std::uint64_t> decisions;
    std::uint64_t testCards = 0;  // test cards decided in diagnostics mode, counted apart
    // Total latency of the decisions that have one (as `sentinel stats` samples it): staff
    // overrides (no total latency) and test cards are not in it.
    std::array<std::uint64_t, kLatencyBucketsMs.size() + 1> latencyBuckets{};  // non-cumulative; last = +Inf
    double latencySumMs = 0;
    std::uint64_t latencyCount = 0;
    std::uint64_t frames = 0;
    std::uint64_t decodeFailures = 0;  // frames with a QR symbol seen but not read
    std::uint64_t cameraFaults = 0;
    double cameraFps = 0;              // frames per second since the consumer's previous snapshot (RateWindow)
    Gauges gauges;
};

// Where one consumer of the counters (the metrics topic, the textfile) took its previous snapshot:
// each keeps its own, so the frame rate one of them reports covers its own interval, whoever else
// reads the counters in between (issue 24). Made by Metrics::rateWindow().
class RateWindow {
private:
    friend class Metrics;
    MonoTime since_{};
    std::uint64_t framesAtStart_ = 0;
};

class Metrics : public kiosk::KioskObserver {
public:
    explicit Metrics(const Clock& clock);
    void frameProcessed(const hal::Frame& frame, const kiosk::FrameObservation& what) override;
    void decided(const DecisionRecord& record, const kiosk::Verdict& verdict, std::int64_t seq) override;
    void alarm(std::string_view what, std::string_view detail, bool cleared) override;

    // A consumer's window, starting now.
    RateWindow rateWindow();
    // Counters so far, and frames per second over `window` (since it started or since this
    // consumer's previous snapshot), which then starts again. `gauges` are copied in.
    MetricsSnapshot snapshot(const Gauges& gauges, RateWindow& window);

private:
    const Clock& clock_;
    std::mutex mutex_;
    MetricsSnapshot counts_;
};

// Prometheus text exposition format 0.0.4 (what `promtool check metrics` accepts). Metric names:
// docs/fleet.md "Metrics".
std::string toPrometheusText(const MetricsSnapshot& s, const std::string& kioskId);
// The `metrics` topic payload.
nlohmann::json toMetricsJson(const MetricsSnapshot& s);

// Rewrites `path` every `interval` and once more when stopped (destructor).
class TextfileWriter {
public:
    TextfileWriter(std::filesystem::path path, std::string kioskId, Metrics& metrics, std::function<Gauges()> gauges,
                   std::chrono::milliseconds interval);
    ~TextfileWriter();
    TextfileWriter(const TextfileWriter&) = delete;
    TextfileWriter& operator=(const TextfileWriter&) = delete;
    void stop();  // writes a last time and joins

private:
    void writeOnce();

    std::filesystem::path path_;
    std::string kioskId_;
    Metrics& metrics_;
    std::function<Gauges()> gauges_;
    std::chrono::milliseconds interval_;
    RateWindow window_;  // the textfile's own (only its thread and stop() use it)
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace sentinel::fleet

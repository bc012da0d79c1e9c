#include "firmware/fleet/Metrics.h"

#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "firmware/base/Log.h"
#include "firmware/kiosk/TrustBundle.h"

namespace sentinel::fleet {
namespace {

constexpr const char* kLog = "Metrics";

// Prometheus label values: backslash, double quote and newline are escaped (exposition format).
std::string labelValue(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

}  // namespace

Metrics::Metrics(const Clock& clock) : clock_(clock) {}

void Metrics::frameProcessed(const hal::Frame&, const kiosk::FrameObservation& what) {
    std::lock_guard lock(mutex_);
    ++counts_.frames;
    if (what.symbolSeenUnread && !what.decoded) ++counts_.decodeFailures;
}

void Metrics::decided(const DecisionRecord& record, const kiosk::Verdict&, std::int64_t) {
    std::lock_guard lock(mutex_);
    if (record.format == kTestCardFormat) {
        ++counts_.testCards;  // aiming and self-test, never a traveller's decision (§13.1)
        return;
    }
    ++counts_.decisions[{std::string(toString(record.decision)), std::string(toString(record.reason))}];
    // A staff override has no total latency: it is not a 0 ms decision (`stats` leaves it out too).
    if (!record.latency.totalMs) return;
    const double ms = *record.latency.totalMs;
    std::size_t bucket = 0;
    while (bucket < kLatencyBucketsMs.size() && ms > kLatencyBucketsMs[bucket]) ++bucket;
    ++counts_.latencyBuckets[bucket];
    counts_.latencySumMs += ms;
    ++counts_.latencyCount;
}

void Metrics::alarm(std::string_view what, std::string_view, bool cleared) {
    if (cleared || what != "camera") return;
    std::lock_guard lock(mutex_);
    ++counts_.cameraFaults;
}

RateWindow Metrics::rateWindow() {
    std::lock_guard lock(mutex_);
    RateWindow w;
    w.since_ = clock_.monotonic();
    w.framesAtStart_ = counts_.frames;
    return w;
}

MetricsSnapshot Metrics::snapshot(const Gauges& gauges, RateWindow& window) {
    std::lock_guard lock(mutex_);
    MetricsSnapshot s = counts_;
    const MonoTime now = clock_.monotonic();
    const double seconds = std::chrono::duration<double>(now - window.since_).count();
    s.cameraFps = seconds > 0 ? static_cast<double>(counts_.frames - window.framesAtStart_) / seconds : 0.0;
    window.framesAtStart_ = counts_.frames;
    window.since_ = now;
    s.at = clock_.now();
    s.gauges = gauges;
    return s;
}

std::string toPrometheusText(const MetricsSnapshot& s, const std::string& kioskId) {
    std::ostringstream o;
    const std::string kiosk = "kiosk=\"" + labelValue(kioskId) + "\"";
    o << "# HELP sentinel_decisions_total Decisions since the kiosk started, by decision and reason.\n"
         "# TYPE sentinel_decisions_total counter\n";
    for (const auto& [key, n] : s.decisions) {
        o << "sentinel_decisions_total{" << kiosk << ",decision=\"" << labelValue(key.first) << "\",reason=\""
          << labelValue(key.second) << "\"} " << n << '\n';
    }
    // Prometheus base units: seconds (promtool's lint refuses _ms and _hours).
    o << "# HELP sentinel_decision_latency_seconds Decision latency, first frame with the code to indicator.\n"
         "# TYPE sentinel_decision_latency_seconds histogram\n";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kLatencyBucketsMs.size(); ++i) {
        cumulative += s.latencyBuckets[i];
        o << "sentinel_decision_latency_seconds_bucket{" << kiosk << ",le=\"" << number(kLatencyBucketsMs[i] / 1000.0) << "\"} "
          << cumulative << '\n';
    }
    cumulative += s.latencyBuckets.back();
    o << "sentinel_decision_latency_seconds_bucket{" << kiosk << ",le=\"+Inf\"} " << cumulative << '\n';
    o << "sentinel_decision_latency_seconds_sum{" << kiosk << "} " << number(s.latencySumMs / 1000.0) << '\n';
    o << "sentinel_decision_latency_seconds_count{" << kiosk << "} " << s.latencyCount << '\n';
    auto one = [&](const char* name, const char* type, const char* help, const std::string& value) {
        o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
          << name << '{' << kiosk << "} " << value << '\n';
    };
    one("sentinel_test_cards_total", "counter", "Test cards decided in diagnostics mode (never in sentinel_decisions_total).",
        std::to_string(s.testCards));
    one("sentinel_frames_total", "counter", "Camera frames processed.", std::to_string(s.frames));
    one("sentinel_decode_failures_total", "counter", "Frames with a QR symbol located but not read.",
        std::to_string(s.decodeFailures));
    one("sentinel_camera_faults_total", "counter", "Camera faults (no frames delivered).", std::to_string(s.cameraFaults));
    one("sentinel_camera_fps", "gauge", "Frames processed per second over the last interval.", number(s.cameraFps));
    one("sentinel_trust_list_age_seconds", "gauge", "Age of the trust list in force; -1 = none.",
        number(s.gauges.trustAgeHours < 0 ? -1.0 : s.gauges.trustAgeHours * 3600.0));
    one("sentinel_risk_list_age_seconds", "gauge", "Age (since issued_at) of the risk-area list in force; -1 = none.",
        number(s.gauges.riskListAgeHours < 0 ? -1.0 : s.gauges.riskListAgeHours * 3600.0));
    one("sentinel_backend_breaker_open", "gauge",
        "1 the health-code service's circuit breaker is open (BACKEND_UNAVAILABLE), 0 closed, -1 no service configured.",
        std::to_string(s.gauges.backendBreakerOpen));
    one("sentinel_journal_bytes", "gauge", "Size of the journal file and its WAL.", std::to_string(s.gauges.journalBytes));
    one("sentinel_outbox_backlog_records", "gauge", "Committed decisions not yet acknowledged by the broker.",
        std::to_string(s.gauges.outboxBacklog));
    one("sentinel_fleet_link_up", "gauge", "1 connected to the broker, 0 not, -1 no fleet link configured.",
        std::to_string(s.gauges.linkUp));
    one("sentinel_revocation_age_seconds", "gauge", "Age of the revocation index in force (DESIGN §17); -1 = none.",
        number(s.gauges.revocationAgeSeconds));
    one("sentinel_clock_trusted", "gauge", "1 the wall clock may be used for decisions, 0 not (CLOCK_UNTRUSTED), -1 not checked.",
        std::to_string(s.gauges.clockTrusted));
    one("sentinel_metrics_timestamp_seconds", "gauge", "When these values were taken (UTC epoch).",
        std::to_string(toEpochSeconds(s.at)));
    return o.str();
}

nlohmann::json toMetricsJson(const MetricsSnapshot& s) {
    nlohmann::json decisions = nlohmann::json::object(), reasons = nlohmann::json::object();
    for (const auto& [key, n] : s.decisions) {
        decisions[key.first] = decisions.value(key.first, std::uint64_t{0}) + n;
        reasons[key.second] = reasons.value(key.second, std::uint64_t{0}) + n;
    }
    nlohmann::json buckets = nlohmann::json::object();
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kLatencyBucketsMs.size(); ++i) {
        cumulative += s.latencyBuckets[i];
        buckets[number(kLatencyBucketsMs[i])] = cumulative;
    }
    buckets["+Inf"] = cumulative + s.latencyBuckets.back();
    return {{"at", formatRfc3339(s.at)},
            {"decisions", decisions},
            {"reasons", reasons},
            {"test_cards", s.testCards},
            {"latency_ms", {{"buckets", buckets}, {"sum", s.latencySumMs}, {"count", s.latencyCount}}},
            {"frames", s.frames},
            {"decode_failures", s.decodeFailures},
            {"camera_faults", s.cameraFaults},
            {"camera_fps", s.cameraFps},
            {"trust_age_h", s.gauges.trustAgeHours},
            {"risk_list_age_h", s.gauges.riskListAgeHours},
            {"backend_breaker_open", s.gauges.backendBreakerOpen},
            {"journal_bytes", s.gauges.journalBytes},
            {"outbox_backlog", s.gauges.outboxBacklog},
            {"revocation_age_s", s.gauges.revocationAgeSeconds},
            {"clock_trusted", s.gauges.clockTrusted}};
}

TextfileWriter::TextfileWriter(std::filesystem::path path, std::string kioskId, Metrics& metrics,
                               std::function<Gauges()> gauges, std::chrono::milliseconds interval)
    : path_(std::move(path)), kioskId_(std::move(kioskId)), metrics_(metrics), gauges_(std::move(gauges)),
      interval_(interval), window_(metrics.rateWindow()) {
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        for (;;) {
            lock.unlock();
            writeOnce();
            lock.lock();
            if (stop_) return;
            cv_.wait_for(lock, interval_, [this] { return stop_; });
        }
    });
}

TextfileWriter::~TextfileWriter() { stop(); }

void TextfileWriter::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void TextfileWriter::writeOnce() {
    const std::string text = toPrometheusText(metrics_.snapshot(gauges_(), window_), kioskId_);
    if (auto st = kiosk::writeFileAtomically(path_, text); !st) {
        SLOG(kLog, Warn) << "metrics.textfile: " << st.error().message;
    }
}

}  // namespace sentinel::fleet

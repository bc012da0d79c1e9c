#include "firmware/control/KioskStatus.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace sentinel::control {
namespace {

// Frames kept for the frame rate: 2 s at the fastest configurable rate (camera.fps ≤ 120).
constexpr std::size_t kMaxFrameTimes = 240;

double round2(double v) { return std::round(v * 100.0) / 100.0; }

double secondsBetween(MonoTime a, MonoTime b) { return std::chrono::duration<double>(b - a).count(); }

std::string fixed(double v, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// A value for the table: strings bare, null as "-", numbers as JSON prints them.
std::string text(const nlohmann::json& v) {
    if (v.is_null()) return "-";
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
    if (v.is_number_float()) return fixed(v.get<double>(), 1);
    return v.dump();
}

std::string field(const nlohmann::json& obj, const char* key) {
    if (!obj.is_object()) return "-";
    auto it = obj.find(key);
    return it == obj.end() ? "-" : text(*it);
}

}  // namespace

KioskStatus::KioskStatus(const Clock& clock, StatusSources sources)
    : clock_(clock), sources_(std::move(sources)), startedAt_(clock.now()), startedMono_(clock.monotonic()) {}

void KioskStatus::frameProcessed(const hal::Frame&, const kiosk::FrameObservation& what) {
    const MonoTime now = clock_.monotonic();
    std::lock_guard lock(mutex_);
    ++frames_;
    lastDecodeMs_ = what.decodeMs;
    frameTimes_.push_back(now);
    while (frameTimes_.size() > kMaxFrameTimes || (frameTimes_.size() > 1 && now - frameTimes_.front() > kFpsWindow)) {
        frameTimes_.pop_front();
    }
}

void KioskStatus::decided(const DecisionRecord& r, const kiosk::Verdict& verdict, std::int64_t seq) {
    Recent d{seq, clock_.now(), clock_.monotonic(), r.decision, r.reason, r.format, r.latency.totalMs, r.overrides,
             verdict.testCard};
    std::lock_guard lock(mutex_);
    if (verdict.testCard || r.format == kTestCardFormat) {
        ++testCards_;  // aiming and self-test: never a traveller's decision (§13.1)
    } else {
        ++decisions_;
        ++byDecision_[r.decision];
    }
    if (r.reason == Reason::StaffOverride) {
        ++overrides_;
        if (candidate_ && r.overrides == candidate_->seq) candidateUsed_ = true;
    } else if (r.decision != Decision::Pass) {
        candidate_.reset();
        candidateUsed_ = false;
        if (seq > 0 && !verdict.testCard && !verdict.fromTestIssuer) candidate_ = d;
    }
    recent_.push_front(std::move(d));
    if (recent_.size() > kRecentDecisions) recent_.pop_back();
}

void KioskStatus::alarm(std::string_view what, std::string_view detail, bool cleared) {
    std::lock_guard lock(mutex_);
    if (cleared) {
        if (auto it = alarms_.find(what); it != alarms_.end()) alarms_.erase(it);
    } else {
        alarms_.insert_or_assign(std::string(what), Alarm{std::string(detail), clock_.now()});
    }
}

nlohmann::json KioskStatus::report() const {
    const MonoTime mono = clock_.monotonic();
    nlohmann::json j;
    j["kiosk_id"] = sources_.kioskId;
    j["version"] = sources_.version;
    j["started_at"] = formatRfc3339(std::chrono::time_point_cast<std::chrono::seconds>(startedAt_));
    j["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(mono - startedMono_).count();
    j["diagnostics_mode"] = sources_.diagnosticsMode;
    {
        std::lock_guard lock(mutex_);
        double fps = 0;
        // Frames stop arriving → the rate is 0, not the last rate seen.
        if (frameTimes_.size() > 1 && mono - frameTimes_.back() <= kFpsWindow) {
            const double span = secondsBetween(frameTimes_.front(), frameTimes_.back());
            if (span > 0) fps = static_cast<double>(frameTimes_.size() - 1) / span;
        }
        j["camera"] = {{"source", sources_.camera},
                       {"fps", round2(fps)},
                       {"frames", frames_},
                       {"last_decode_ms", lastDecodeMs_ ? nlohmann::json(round2(*lastDecodeMs_)) : nlohmann::json()}};
        nlohmann::json recent = nlohmann::json::array();
        for (const auto& d : recent_) {
            nlohmann::json e = {{"seq", d.seq},
                                {"at", formatRfc3339(std::chrono::time_point_cast<std::chrono::seconds>(d.at))},
                                {"decision", d.testCard ? "TEST" : std::string(toString(d.decision))},
                                {"reason", toString(d.reason)},
                                {"format", d.format},
                                {"total_ms", d.totalMs ? nlohmann::json(round2(*d.totalMs)) : nlohmann::json()}};
            if (d.overrides) e["overrides"] = *d.overrides;
            recent.push_back(std::move(e));
        }
        j["decisions"] = {{"total", decisions_}, {"test_cards", testCards_}, {"staff_overrides", overrides_}};
        for (const Decision d : {Decision::Pass, Decision::Deny, Decision::Refer}) {
            const auto it = byDecision_.find(d);
            j["decisions"][std::string(toString(d))] = it == byDecision_.end() ? 0 : it->second;
        }
        j["decisions"]["recent"] = std::move(recent);
        nlohmann::json candidate;
        if (candidate_) {
            const auto ageS = std::chrono::duration_cast<std::chrono::seconds>(mono - candidate_->mono).count();
            const bool open = !sources_.diagnosticsMode && !candidateUsed_ && ageS <= sources_.overrideWindowS;
            candidate = {{"seq", candidate_->seq},
                         {"decision", toString(candidate_->decision)},
                         {"reason", toString(candidate_->reason)},
                         {"age_s", ageS},
                         {"overridden", candidateUsed_},
                         {"overridable", open}};
        }
        j["override"] = {{"window_s", sources_.overrideWindowS}, {"candidate", std::move(candidate)}};
        nlohmann::json alarms = nlohmann::json::array();
        for (const auto& [what, a] : alarms_) {
            alarms.push_back({{"alarm", what},
                              {"detail", a.detail},
                              {"since", formatRfc3339(std::chrono::time_point_cast<std::chrono::seconds>(a.since))}});
        }
        j["alarms"] = std::move(alarms);
    }
    j["journal"] = sources_.journal ? sources_.journal() : nlohmann::json();
    j["trust"] = sources_.trust ? sources_.trust() : nlohmann::json();
    j["clock"] = sources_.clock ? sources_.clock() : nlohmann::json();
    j["fleet"] = sources_.fleet ? sources_.fleet() : nlohmann::json{{"state", "none"}};
    j["checkpoint"] = sources_.checkpoint ? sources_.checkpoint() : nlohmann::json();
    j["risk_list"] = sources_.riskList ? sources_.riskList() : nlohmann::json();
    j["backend_breaker"] = sources_.backendBreaker ? sources_.backendBreaker() : nlohmann::json();
    return j;
}

namespace {

// "2026-12-08.1 (issued …, 3.5 h old); next 2026-12-09.1 from …" or "none".
std::string riskListLine(const nlohmann::json& rl) {
    if (!rl.is_object()) return "none";
    std::string line = "none in force";
    if (const auto& in = rl.value("in_force", nlohmann::json()); in.is_object()) {
        line = field(in, "version") + " (issued " + field(in, "issued_at") + ", " + field(in, "age_h") + " h old" +
               (in.value("stale", false) ? ", STALE" : "") + ")";
    }
    if (const auto& next = rl.value("next", nlohmann::json()); next.is_object()) {
        line += "; next " + field(next, "version") + " from " + field(next, "effective_from");
    }
    return line;
}

}  // namespace

std::string renderStatusTable(const nlohmann::json& r) {
    std::ostringstream out;
    auto row = [&](const std::string& label, const std::string& value) {
        out << "  " << label;
        for (std::size_t i = label.size(); i < 18; ++i) out << ' ';
        out << value << '\n';
    };
    const auto& cam = r.value("camera", nlohmann::json::object());
    const auto& dec = r.value("decisions", nlohmann::json::object());
    const auto& jr = r.value("journal", nlohmann::json::object());
    const auto& tr = r.value("trust", nlohmann::json::object());
    const auto& ck = r.value("clock", nlohmann::json::object());
    const auto& fl = r.value("fleet", nlohmann::json::object());
    const auto& ov = r.value("override", nlohmann::json::object());

    out << "Kiosk " << field(r, "kiosk_id") << " (sentinel " << field(r, "version") << ")";
    if (r.value("diagnostics_mode", false)) out << "  DIAGNOSTICS MODE";
    out << '\n';
    row("up since", field(r, "started_at") + " (" + field(r, "uptime_s") + " s)");
    row("camera", field(cam, "source"));
    row("frame rate", field(cam, "fps") + " fps, " + field(cam, "frames") + " frames");
    row("last decode", field(cam, "last_decode_ms") + " ms");
    row("journal", field(jr, "size_bytes") + " bytes, upload backlog " + field(jr, "upload_backlog"));
    std::string trust = field(tr, "certificates") + " certificates, age " + field(tr, "age_h") + " h";
    if (tr.is_object() && tr.value("error", std::string()) != "") trust = "NOT LOADED: " + field(tr, "error");
    row("trust list", trust);
    row("clock", std::string(ck.is_object() && ck.value("trusted", false) ? "trusted" : "NOT TRUSTED") + " (" +
                     field(ck, "detail") + ")");
    row("fleet link", field(fl, "state"));
    if (const auto& cp = r.value("checkpoint", nlohmann::json()); cp.is_object()) {
        row("checkpoint", field(cp, "size") + " records, " + field(cp, "at"));
    }
    row("risk list", riskListLine(r.value("risk_list", nlohmann::json())));
    if (const auto& br = r.value("backend_breaker", nlohmann::json()); br.is_object()) {
        row("backend", br.value("open", false) ? "BREAKER OPEN since " + field(br, "opened_at") + " (" + field(br, "refused") + " refused)"
                                               : "breaker closed (opened " + field(br, "opened") + " times)");
    }
    const auto& alarms = r.value("alarms", nlohmann::json::array());
    if (alarms.empty()) {
        row("alarms", "none");
    } else {
        for (const auto& a : alarms) row("ALARM", field(a, "alarm") + ": " + field(a, "detail") + " (since " + field(a, "since") + ")");
    }
    std::string candidate = "none";
    if (const auto& c = ov.value("candidate", nlohmann::json()); c.is_object()) {
        candidate = field(c, "decision") + " " + field(c, "reason") + " seq " + field(c, "seq") + ", " + field(c, "age_s") +
                    " s ago" + (c.value("overridden", false) ? ", already overridden" : "") +
                    (c.value("overridable", false) ? " — overridable" : "");
    }
    row("staff override", candidate + " (window " + field(ov, "window_s") + " s)");
    out << "Decisions: " << field(dec, "total") << " since start (" << field(dec, "PASS") << " PASS, " << field(dec, "DENY")
        << " DENY, " << field(dec, "REFER") << " REFER), " << field(dec, "staff_overrides") << " staff overrides, "
        << field(dec, "test_cards") << " test cards; most recent first\n";
    for (const auto& d : dec.value("recent", nlohmann::json::array())) {
        std::string s = field(d, "at") + "  seq " + field(d, "seq") + "  " + field(d, "decision") + " " + field(d, "reason");
        if (field(d, "format") != "" && field(d, "format") != "-") s += " [" + field(d, "format") + "]";
        if (d.contains("overrides")) s += " overrides seq " + field(d, "overrides");
        if (!d.value("total_ms", nlohmann::json()).is_null()) s += "  " + field(d, "total_ms") + " ms";
        out << "  " << s << '\n';
    }
    return out.str();
}

}  // namespace sentinel::control

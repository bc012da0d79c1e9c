#pragma once
// The live state of the running kiosk for `sentinel status` (DESIGN §11), gathered as a
// KioskObserver: the decision thread copies a few numbers under a short lock and goes on; the
// control socket's thread builds the report. Holds no personal data: decisions are kept as seq,
// time, decision, reason, format and latency only (never subject, holder or payload).

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "firmware/kiosk/KioskObserver.h"
#include "firmware/base/Time.h"

namespace sentinel::control {

// Where the parts of the report the loop does not see come from. Each is called on the control
// socket's thread, may be empty, and must be thread-safe and quick.
struct StatusSources {
    std::string kioskId;
    std::string version;
    std::string camera;             // the camera's describe()
    bool diagnosticsMode = false;
    int overrideWindowS = 30;
    std::function<nlohmann::json()> trust;    // {"loaded","certificates","age_h","source","error"}
    std::function<nlohmann::json()> clock;    // {"trusted","detail"}
    std::function<nlohmann::json()> journal;  // {"path","size_bytes","upload_backlog"}
    // The fleet link (§13) fills this when it exists: {"state":"connected|connecting|…", …}.
    // Empty = {"state":"none"} (no fleet link configured).
    std::function<nlohmann::json()> fleet;
    // The journal's latest signed checkpoint (§16): {"size","root","at"}; empty or null = none yet.
    std::function<nlohmann::json()> checkpoint;
    // §14: the risk-area list in force and the next one (kiosk::riskListsStatus); empty = null.
    std::function<nlohmann::json()> riskList;
    // §14: the online path's circuit breaker (kiosk::breakerStatusJson); empty = null (no service).
    std::function<nlohmann::json()> backendBreaker;
};

class KioskStatus final : public kiosk::KioskObserver {
public:
    // Decisions kept for the report (the most recent ones).
    static constexpr std::size_t kRecentDecisions = 10;
    // Frame rate over the frames of the last this-long.
    static constexpr std::chrono::seconds kFpsWindow{2};

    KioskStatus(const Clock& clock, StatusSources sources);

    void frameProcessed(const hal::Frame& frame, const kiosk::FrameObservation& what) override;
    void decided(const DecisionRecord& record, const kiosk::Verdict& verdict, std::int64_t seq) override;
    void alarm(std::string_view what, std::string_view detail, bool cleared) override;

    // The report (docs/diagnostics.md): {"kiosk_id","version","started_at","uptime_s",
    // "diagnostics_mode","camera":{"source","fps","frames","last_decode_ms"},
    // "decisions":{"total","PASS","DENY","REFER","test_cards","staff_overrides","recent":[{"seq","at",
    // "decision","reason","format","total_ms","overrides"?}…]},"override":{"window_s","candidate":{…}|null},
    // "journal":{…},"trust":{…},"clock":{…},"fleet":{…},"checkpoint":{"size","root","at"}|null,
    // "alarms":[{"alarm","detail","since"}],"risk_list":{"in_force","next","source"}|null,
    // "backend_breaker":{"open",…}|null}. Test cards (format TEST, §13.1) are counted apart in
    // `test_cards`: never in `total` or the per-decision counts, as `sentinel stats` counts them.
    nlohmann::json report() const;

private:
    struct Recent {
        std::int64_t seq;
        UtcTime at;
        MonoTime mono;
        Decision decision;
        Reason reason;
        std::string format;
        std::optional<double> totalMs;
        std::optional<std::int64_t> overrides;
        bool testCard;
    };
    struct Alarm {
        std::string detail;
        UtcTime since;
    };

    const Clock& clock_;
    StatusSources sources_;
    UtcTime startedAt_;
    MonoTime startedMono_;
    mutable std::mutex mutex_;
    std::uint64_t frames_ = 0, decisions_ = 0, overrides_ = 0, testCards_ = 0;
    std::map<Decision, std::uint64_t> byDecision_;
    std::optional<double> lastDecodeMs_;
    std::deque<MonoTime> frameTimes_;
    std::deque<Recent> recent_;
    std::optional<Recent> candidate_;  // the last REFER/DENY with a seq (what an override would open for)
    bool candidateUsed_ = false;
    std::map<std::string, Alarm, std::less<>> alarms_;
};

// `sentinel status` without --json: the report as a table a technician reads at a glance.
std::string renderStatusTable(const nlohmann::json& report);

}  // namespace sentinel::control

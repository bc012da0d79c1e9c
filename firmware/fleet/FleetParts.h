#pragma once
// `run`'s fleet parts (DESIGN §13), assembled from configuration: the counters (Metrics), the
// Prometheus textfile (metrics.textfile), the MQTT link (fleet.broker_url) and the HTTP journal
// uploader (journal.upload_url). They observe the kiosk loop; stop() gives the link its bounded
// drain (kFleetDrain) and writes the textfile once more.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "drivers/hal/HttpTransport.h"
#include "firmware/base/Result.h"
#include "firmware/kiosk/Config.h"
#include "firmware/kiosk/Kiosk.h"
#include "firmware/kiosk/TrustStore.h"
#include "firmware/fleet/Metrics.h"
#include "firmware/fleet/MqttLink.h"
#include "firmware/journal/Journal.h"

namespace sentinel::verify {
class OnlineVerifier;
}

namespace sentinel::fleet {

class TrustSyncWorker;
class Uploader;

// At the end of a replay source or on SIGTERM, the link gets at most this long to publish what is
// committed (and the offline status). Short: systemd's stop timeout is 90 s, a board's shutdown less.
inline constexpr std::chrono::milliseconds kFleetDrain{3000};

// fleet.* as the link wants it (reads fleet.password_file and trust.update_key).
Result<fleet::LinkOptions> linkOptionsFrom(const kiosk::Config& config);

// The diagnostics a fleet "diag" command runs inside the running kiosk: the checks that touch no
// hardware (config, state_dir, clock, trust, trust_sync, journal, fleet), as the list `sentinel diag
// --json` prints. The app supplies it (the checks are assembled there).
using DiagnosticsReport = std::function<nlohmann::json(const kiosk::Config&)>;

// What the fleet parts report and act on beyond the configuration.
struct FleetContext {
    std::shared_ptr<kiosk::TrustStore> store;  // the trust/policy state in force; bundles replace it
    TrustSyncWorker* syncWorker = nullptr;     // "sync_now"; nullptr = no trust.sync_url
    std::string cameraDescription;
    DiagnosticsReport diagnostics;             // "diag"
    std::function<bool()> clockTrusted;        // the status's clock_trusted; nullptr = not checked
    // §14: the online client, for the status's backend_breaker and the breaker metric; nullptr =
    // no health-code service configured.
    const verify::OnlineVerifier* online = nullptr;
};

// The alarms raised and not cleared, in the order raised (the retained status lists them, §13.1).
// A KioskObserver; thread-safe.
class ActiveAlarms final : public kiosk::KioskObserver {
public:
    void alarm(std::string_view what, std::string_view detail, bool cleared) override;
    nlohmann::json list() const;  // [{"alarm","detail","since"}]
    explicit ActiveAlarms(const Clock& clock) : clock_(clock) {}

private:
    const Clock& clock_;
    mutable std::mutex mutex_;
    std::vector<std::tuple<std::string, std::string, UtcTime>> active_;
};

class FleetParts {
public:
    // Everything passed (and what `context` points at) must outlive the FleetParts.
    static Result<std::unique_ptr<FleetParts>> start(const kiosk::Config& config, const Clock& clock, FleetContext context);
    ~FleetParts();
    // Adds the metrics and the link as observers; the link's alarms (refused credentials) go to
    // `kiosk` (Kiosk::postAlarm) from now until stop().
    void observe(kiosk::Kiosk& kiosk);
    // What observe() adds to the loop, in order: the active alarms, the counters, the link.
    std::vector<kiosk::KioskObserver*> observers();
    void stop();  // drains the link (≤ kFleetDrain), final textfile
    fleet::MqttLink* link() { return link_.get(); }
    // A journal checkpoint was made (journal::Checkpointer's listener, on its thread): the retained
    // status shows it and the link publishes it on …/checkpoints (queued; never waits on the broker).
    void checkpointed(const journal::StoredCheckpoint& checkpoint);

private:
    FleetParts(const kiosk::Config& config, const Clock& clock);
    Status startUploader();  // journal.upload_url
    fleet::Gauges gauges() const;
    nlohmann::json execute(const fleet::Command& command);
    // §13.1: what is in force — policy_version, risk_list, revocation, backend_breaker — for the
    // status and acks.
    nlohmann::json inForce() const;
    nlohmann::json status();  // the retained status's fields (link thread)
    void linkAlarm(const std::string& what, const std::string& detail, bool cleared);  // link thread

    const kiosk::Config& config_;
    const Clock& clock_;
    FleetContext context_;
    ActiveAlarms alarms_;
    UtcTime startedAt_{};
    fleet::Metrics metrics_;
    fleet::RateWindow statusWindow_;   // the retained status's camera_fps (link thread only)
    mutable std::mutex checkpointMutex_;
    nlohmann::json checkpoint_;       // checkpointStatus() of the latest; null before the first
    // The link as its own hooks and the textfile see it: set once the link is started (its thread
    // may call a hook before start() returns), read by gauges() on those threads.
    std::atomic<const fleet::MqttLink*> linkForHooks_{nullptr};
    std::unique_ptr<fleet::MqttLink> link_;
    std::unique_ptr<fleet::TextfileWriter> textfile_;
    std::unique_ptr<hal::HttpTransport> uploadTransport_;  // its own connection: never delays a decision
    std::unique_ptr<Uploader> uploader_;
    struct LinkAlarm {
        std::string what, detail;
        bool cleared = false;
    };
    std::mutex alarmMutex_;               // guards the two below
    kiosk::Kiosk* alarmKiosk_ = nullptr;  // between observe() and stop()
    std::vector<LinkAlarm> earlyAlarms_;  // raised before observe() (the link starts first)
};

}  // namespace sentinel::fleet

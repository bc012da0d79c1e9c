#pragma once
// `run`'s fleet parts (DESIGN §13), assembled from configuration: the counters (Metrics), the
// Prometheus textfile (metrics.textfile) and the MQTT link (fleet.broker_url). They observe the
// kiosk loop; stop() gives the link its bounded drain (kFleetDrain) and writes the textfile once more.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "firmware/app/Config.h"
#include "firmware/app/Kiosk.h"
#include "firmware/app/TrustStore.h"
#include "firmware/base/Result.h"
#include "firmware/fleet/Metrics.h"
#include "firmware/fleet/MqttLink.h"

namespace sentinel::app {

class TrustSyncWorker;

// At the end of a replay source or on SIGTERM, the link gets at most this long to publish what is
// committed (and the offline status). Short: systemd's stop timeout is 90 s, a board's shutdown less.
inline constexpr std::chrono::milliseconds kFleetDrain{3000};

// fleet.* as the link wants it (reads fleet.password_file and trust.update_key).
Result<fleet::LinkOptions> linkOptionsFrom(const Config& config);

// The diagnostics a fleet "diag" command runs inside the running kiosk (CmdDiag.cpp): the checks
// that touch no hardware (config, state_dir, clock, trust, trust_sync, journal, fleet), as the list
// `sentinel diag --json` prints.
nlohmann::json diagnosticsReport(const Config& config);

class FleetParts {
public:
    // `syncWorker` may be null. Everything passed must outlive the FleetParts.
    static Result<std::unique_ptr<FleetParts>> start(const Config& config, const Clock& clock,
                                                     std::shared_ptr<TrustStore> store, TrustSyncWorker* syncWorker,
                                                     std::string cameraDescription);
    ~FleetParts();
    // Adds the metrics and the link as observers; the link's alarms (refused credentials) go to
    // `kiosk` (Kiosk::postAlarm) from now until stop().
    void observe(Kiosk& kiosk);
    void stop();  // drains the link (≤ kFleetDrain), final textfile
    fleet::MqttLink* link() { return link_.get(); }

private:
    FleetParts(const Config& config, const Clock& clock) : config_(config), clock_(clock), metrics_(clock) {}
    fleet::Gauges gauges() const;
    nlohmann::json execute(const fleet::Command& command);
    void linkAlarm(const std::string& what, const std::string& detail, bool cleared);  // link thread

    const Config& config_;
    const Clock& clock_;
    std::shared_ptr<TrustStore> store_;
    TrustSyncWorker* syncWorker_ = nullptr;
    std::string camera_;
    UtcTime startedAt_{};
    fleet::Metrics metrics_;
    // The link as its own hooks and the textfile see it: set once the link is started (its thread
    // may call a hook before start() returns), read by gauges() on those threads.
    std::atomic<const fleet::MqttLink*> linkForHooks_{nullptr};
    std::unique_ptr<fleet::MqttLink> link_;
    std::unique_ptr<fleet::TextfileWriter> textfile_;
    struct LinkAlarm {
        std::string what, detail;
        bool cleared = false;
    };
    std::mutex alarmMutex_;               // guards the two below
    Kiosk* alarmKiosk_ = nullptr;         // between observe() and stop()
    std::vector<LinkAlarm> earlyAlarms_;  // raised before observe() (the link starts first)
};

}  // namespace sentinel::app

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
#include <vector>

#include "drivers/hal/HttpTransport.h"
#include "firmware/base/Result.h"
#include "firmware/kiosk/Config.h"
#include "firmware/kiosk/Kiosk.h"
#include "firmware/kiosk/TrustStore.h"
#include "firmware/fleet/Metrics.h"
#include "firmware/fleet/MqttLink.h"

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

class FleetParts {
public:
    // `syncWorker` may be null. Everything passed must outlive the FleetParts.
    static Result<std::unique_ptr<FleetParts>> start(const kiosk::Config& config, const Clock& clock,
                                                     std::shared_ptr<kiosk::TrustStore> store, TrustSyncWorker* syncWorker,
                                                     std::string cameraDescription, DiagnosticsReport diagnostics);
    ~FleetParts();
    // Adds the metrics and the link as observers; the link's alarms (refused credentials) go to
    // `kiosk` (Kiosk::postAlarm) from now until stop().
    void observe(kiosk::Kiosk& kiosk);
    void stop();  // drains the link (≤ kFleetDrain), final textfile
    fleet::MqttLink* link() { return link_.get(); }

private:
    FleetParts(const kiosk::Config& config, const Clock& clock);
    Status startUploader();  // journal.upload_url
    fleet::Gauges gauges() const;
    nlohmann::json execute(const fleet::Command& command);
    void linkAlarm(const std::string& what, const std::string& detail, bool cleared);  // link thread

    const kiosk::Config& config_;
    const Clock& clock_;
    std::shared_ptr<kiosk::TrustStore> store_;
    DiagnosticsReport diagnostics_;
    TrustSyncWorker* syncWorker_ = nullptr;
    std::string camera_;
    UtcTime startedAt_{};
    fleet::Metrics metrics_;
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

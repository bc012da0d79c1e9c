#pragma once
// The fleet link (DESIGN §13): one MQTT connection to the back-office broker, owned by one thread.
//
//   sentinel/v1/{id}/status     retained, QoS 1: {"state":"online",…} on connect, {"state":"offline"}
//                               on a clean stop and as the last will (kill -9, power cut, cable)
//   sentinel/v1/{id}/decisions  QoS 1: the journal as outbox — committed records in seq order, a
//                               batch of NDJSON lines per publish (≤ kBatchMaxBytes); the highest seq
//                               the broker acknowledged is kept in state_dir/fleet-outbox.json
//                               (written at most once a second, and on stop), so a restart or an
//                               outage resumes there (at-least-once; dedupe by seq)
//   sentinel/v1/{id}/alarms     QoS 1: {"alarm","detail","at","cleared"}
//   sentinel/v1/{id}/metrics    QoS 0: counters every metrics interval
//   sentinel/v1/{id}/cmd, sentinel/v1/all/cmd, sentinel/v1/station/{station}/cmd,
//   sentinel/v1/group/{group}/cmd   in: signed commands (Command.h)
//   sentinel/v1/{id}/acks       QoS 1: the answer to every command (§13.1):
//                               {"command","at","ok","detail","applied"?}
//   sentinel/v1/{id}/diag       QoS 1: the report of a "diag" command
//   sentinel/v1/{id}/checkpoints  retained, QoS 1: the journal's signed checkpoints (DESIGN §16), one
//                               JSON line {"checkpoint","at"} each (journal::checkpointMessage)
//
// The decision thread only ever calls decided()/alarm() (KioskObserver): they copy a few values,
// poke an eventfd and return. Connecting, TLS, publishing, reading the journal (through its own
// read-only SQLite connection: WAL readers never block the writer) and fsyncing the mark all happen
// on the link's thread. Reconnects back off exponentially (1 s … 60 s) with ±25 % jitter.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "firmware/kiosk/Kiosk.h"
#include "firmware/base/Result.h"
#include "firmware/base/Time.h"
#include "firmware/fleet/Command.h"

namespace sentinel::journal::detail {
class Connection;
}

namespace sentinel::fleet {

// One publish carries at most this many bytes of NDJSON (a record is ≈ 0.6 KiB on the wire, see
// docs/PERFORMANCE.md): well under Mosquitto's default message_size_limit and small enough that a
// lost connection resends little.
inline constexpr std::size_t kBatchMaxBytes = 32 * 1024;
// Unacknowledged batches in flight at once (Mosquitto's default max_inflight_messages is 20).
inline constexpr std::size_t kMaxInflightBatches = 16;
// Checkpoints kept while the broker is unreachable (one every journal.checkpoint_records records or
// checkpoint_interval_s: 64 is hours of an outage; an older one adds nothing the newest lacks).
inline constexpr std::size_t kMaxQueuedCheckpoints = 64;

struct BrokerAddress {
    std::string host;
    int port = 0;
    bool tls = false;
};
// "mqtt://host[:1883]" or "mqtts://host[:8883]".
Result<BrokerAddress> parseBrokerUrl(const std::string& url);

struct LinkOptions {
    std::string brokerUrl;               // fleet.broker_url
    std::string caFile, certFile, keyFile;  // fleet.ca_file, cert_file, key_file (mqtts)
    std::string username, password;      // fleet.username, contents of fleet.password_file
    std::chrono::seconds keepalive{30};  // fleet.keepalive_s
    std::chrono::seconds metricsInterval{60};  // fleet.metrics_interval_s
    std::string kioskId;
    std::string station, group;          // kiosk.station, kiosk.group: command targets (§13.1); empty = none
    std::filesystem::path stateDir;      // kiosk.state_dir: fleet-outbox.json, fleet-commands.json
    std::filesystem::path journalPath;   // empty = no decisions outbox
    std::string updateKeyPem;            // trust.update_key: verifies commands; empty = commands refused
    std::chrono::milliseconds backoffInitial{1000};
    std::chrono::milliseconds backoffMax{60'000};
    // A connection attempt that has not been answered (CONNACK) in this long is abandoned: a
    // blackholed broker. Also bounds the TLS handshake.
    std::chrono::milliseconds connectTimeout{10'000};
};

// What the app supplies: status fields, counters, and what commands do. Called on the link thread.
struct LinkHooks {
    std::function<nlohmann::json()> status;   // extra fields of the online status (version, camera, …)
    std::function<nlohmann::json()> metrics;  // the metrics payload
    // Carries out a command and returns its outcome, {"ok":…,"detail":…,"applied":{…}?}, which the
    // link publishes as the command's ack; for "diag", the report (published on …/diag; the ack
    // says it ran). The retained status is republished after every command.
    std::function<nlohmann::json(const Command&)> execute;
    // Raised ("fleet_link", cause and remedy, false) when the broker refuses this kiosk's
    // credentials — password, client certificate, CA, client id — and cleared ("fleet_link",
    // "connected again", true) when the link next connects. Called on the link thread: hand it on
    // (Kiosk::postAlarm). Outages are not alarms.
    std::function<void(const std::string& what, const std::string& detail, bool cleared)> alarm;
};

struct LinkStatus {
    bool connected = false;
    std::int64_t ackedSeq = 0;    // every record ≤ this was acknowledged by the broker
    std::int64_t lastSeq = 0;     // newest committed record seen
    std::uint64_t published = 0;  // records published (including resends)
    std::uint64_t batches = 0;    // batches acknowledged
    std::uint64_t bytes = 0;      // payload bytes of acknowledged decision batches
    std::uint64_t connects = 0;
    std::string lastError;        // the last connection failure, for diag and alarms
};

// One connection attempt with the given options, for `sentinel diag`: ok with the broker's answer,
// or an error that names the cause and the remedy (certificate, password, address). It connects
// with the kiosk's credentials as client id "{kiosk_id}-diag" (a running kiosk stays connected)
// and publishes nothing: no last will, no status, no subscription — never a phantom kiosk.
Result<std::string> probeBroker(const LinkOptions& options, std::chrono::milliseconds timeout);

class MqttLink : public kiosk::KioskObserver {
public:
    // Starts the thread; the first connection attempt happens at once. Errors: bad URL, unreadable
    // journal, libmosquitto failing to initialise.
    static Result<std::unique_ptr<MqttLink>> start(LinkOptions options, LinkHooks hooks, const Clock& clock);
    ~MqttLink() override;  // stop(0)
    MqttLink(const MqttLink&) = delete;
    MqttLink& operator=(const MqttLink&) = delete;

    void decided(const DecisionRecord& record, const kiosk::Verdict& verdict, std::int64_t seq) override;
    void alarm(std::string_view what, std::string_view detail, bool cleared) override;

    // Queues a checkpoint message (journal::checkpointMessage) for …/checkpoints (retained, QoS 1),
    // published in order from the link's thread; kept while the broker is unreachable (the oldest
    // dropped beyond kMaxQueuedCheckpoints: the newest covers every record before it). Never blocks
    // on the broker; a stop drains it like the decisions.
    void publishCheckpoint(std::string message);

    // Gives the link at most `drain` to publish what is committed (only while it is connected or
    // still connecting), then publishes the offline status, disconnects and joins the thread.
    void stop(std::chrono::milliseconds drain);

    LinkStatus status() const;
    void wake();
    // Something the retained status shows has changed (a bundle applied, an alarm): republish it
    // soon. Thread-safe, never blocks.
    void refreshStatus();

private:
    friend Result<std::string> probeBroker(const LinkOptions& options, std::chrono::milliseconds timeout);
    struct Impl;
    explicit MqttLink(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};


}  // namespace sentinel::fleet

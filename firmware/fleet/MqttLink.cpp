#include "firmware/fleet/MqttLink.h"

#include <poll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <utility>

#include <mosquitto.h>

#include "firmware/base/Log.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/journal/Journal.h"
#include "firmware/journal/Schema.h"
#include "firmware/journal/Sqlite.h"

namespace sentinel::fleet {
namespace {

using namespace std::chrono_literals;
using journal::detail::Connection;

constexpr const char* kLog = "Fleet";
constexpr const char* kOutboxFile = "fleet-outbox.json";
constexpr const char* kLedgerFile = "fleet-commands.json";
constexpr const char* kOffline = R"({"state":"offline"})";
constexpr int kQos1 = 1;
constexpr int kQos0 = 0;
constexpr int kDefaultPort = 1883;     // IANA "mqtt"
constexpr int kDefaultTlsPort = 8883;  // IANA "secure-mqtt"
// Records read from the journal per query while building batches.
constexpr std::size_t kReadChunk = 256;
// Alarms kept while the broker is unreachable; older ones are dropped (they are in the log too).
constexpr std::size_t kMaxQueuedAlarms = 256;
// How long the link thread sleeps at most between housekeeping rounds (keepalive, timers).
constexpr auto kMaxPoll = 1000ms;
// Jitter of a reconnect delay: ±25 % so a fleet does not reconnect in lockstep after an outage.
constexpr double kJitter = 0.25;
// The acknowledged mark is written (fsync) at most this often, and on stop: an fsync per PUBACK
// would compete with the journal's own fsync before the gate opens. A crash loses at most this
// much of the mark, i.e. those records are sent again (QoS 1 allows duplicates; seq dedupes).
constexpr auto kMarkEvery = 1000ms;
// The link thread runs at a lower CPU priority than the decision thread (nice +10).
constexpr int kLinkNice = 10;

struct LibraryInit {
    LibraryInit() { mosquitto_lib_init(); }
};
void ensureLibrary() { static LibraryInit init; }

std::string topic(const std::string& kioskId, const char* leaf) { return "sentinel/v1/" + kioskId + "/" + leaf; }

// errno values that say the network or the broker's host failed, not the credentials.
bool networkErrno(int e) {
    return e == ECONNREFUSED || e == ECONNRESET || e == ETIMEDOUT || e == EHOSTUNREACH || e == ENETUNREACH ||
           e == EPIPE || e == ECONNABORTED || e == EHOSTDOWN || e == ENETDOWN;
}

std::string connackText(int rc) {
    switch (rc) {
        case 4: return "broker refused the user name or password (check fleet.username and fleet.password_file)";
        // Mosquitto answers a wrong password with 5 under MQTT 3.1.1.
        case 5: return "broker refused: not authorised — wrong password or user name (check fleet.username and "
                       "fleet.password_file), or the client certificate is not allowed";
        case 2: return "broker refused the client id (kiosk.id)";
        case 3: return "broker unavailable";
        default: return std::string("broker refused the connection: ") + mosquitto_connack_string(rc);
    }
}

}  // namespace

Result<BrokerAddress> parseBrokerUrl(const std::string& url) {
    BrokerAddress a;
    std::string rest;
    if (url.rfind("mqtts://", 0) == 0) {
        a.tls = true;
        rest = url.substr(8);
    } else if (url.rfind("mqtt://", 0) == 0) {
        rest = url.substr(7);
    } else {
        return makeError("fleet.broker_url '" + url + "' must start with mqtt:// or mqtts://");
    }
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    a.port = a.tls ? kDefaultTlsPort : kDefaultPort;
    std::string host = rest;
    if (!rest.empty() && rest.front() == '[') {  // [v6]:port
        const auto close = rest.find(']');
        if (close == std::string::npos) return makeError("fleet.broker_url: unterminated [IPv6] host");
        host = rest.substr(1, close - 1);
        rest = rest.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') return makeError("fleet.broker_url: junk after the host");
        if (!rest.empty()) rest = rest.substr(1);
        else rest.clear();
        if (!rest.empty()) a.port = std::atoi(rest.c_str());
    } else if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
        host = rest.substr(0, colon);
        a.port = std::atoi(rest.c_str() + colon + 1);
    }
    if (host.empty() || host.find('/') != std::string::npos) return makeError("fleet.broker_url: no host in '" + url + "'");
    if (a.port <= 0 || a.port > 65535) return makeError("fleet.broker_url: bad port in '" + url + "'");
    a.host = host;
    return a;
}

struct MqttLink::Impl {
    struct Inflight {
        int mid = 0;
        std::int64_t lastSeq = 0;
        std::size_t bytes = 0;
        bool acked = false;
    };
    struct PendingAlarm {
        std::string what, detail;
        UtcTime at;
        bool cleared = false;
    };

    LinkOptions options;
    LinkHooks hooks;
    const Clock& clock;
    BrokerAddress address;
    std::unique_ptr<Connection> db;  // read-only view of the journal
    std::string journalId;
    CommandLedger ledger;
    int wakeFd = -1;

    // Link thread only.
    mosquitto* client = nullptr;
    bool connecting = false, connected = false, dropClient = false;
    MonoTime connectStarted{}, nextConnect{}, nextMetrics{};
    std::chrono::milliseconds backoff{0};
    std::mt19937 rng;
    std::int64_t sentSeq = 0;
    std::deque<Inflight> inflight;
    std::string lastLogError;
    bool markDirty = false;
    std::string lastLoggedError;
    MonoTime lastMarkSave{};
    // A refusal of this kiosk's credentials (password, client certificate, CA, client id) does not
    // fix itself: it is raised once as the "fleet_link" alarm (LinkHooks::alarm) and cleared when
    // the link connects. Outages (refused, unreachable, blackholed) are not alarms: status shows them.
    bool credentialRefused = false;  // the failure being handled is one (set before dropClient)
    std::string credentialAlarm;     // the raised alarm's detail; empty = none raised
    // probeBroker(): connect as "{kiosk_id}-diag" with the kiosk's credentials, then nothing — no last
    // will, no status, no subscription — so the probe never shows up as a kiosk of its own.
    bool probe = false;

    // Shared with the decision thread and status().
    mutable std::mutex mutex;
    std::deque<PendingAlarm> alarms;
    std::deque<std::string> checkpoints;  // messages for …/checkpoints, oldest first
    LinkStatus st;
    bool stopping = false;
    MonoTime drainDeadline{};
    std::atomic<std::int64_t> newestSeq{0};
    std::atomic<bool> statusDirty{false};

    std::thread thread;

    Impl(LinkOptions o, LinkHooks h, const Clock& c, BrokerAddress a)
        : options(std::move(o)), hooks(std::move(h)), clock(c), address(std::move(a)),
          ledger(options.stateDir / kLedgerFile),
          rng(static_cast<std::uint32_t>(std::hash<std::string>{}(options.kioskId) ^
                                         static_cast<std::size_t>(c.monotonic().time_since_epoch().count()))) {}

    ~Impl() {
        destroyClient();
        if (wakeFd >= 0) ::close(wakeFd);
    }

    void poke() const {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wakeFd, &one, sizeof one);
    }

    // --- the outbox mark ------------------------------------------------------------------------
    std::int64_t loadMark() {
        auto text = kiosk::readFile(options.stateDir / kOutboxFile);
        if (!text) return 0;
        auto j = nlohmann::json::parse(*text, nullptr, false);
        if (!j.is_object() || j.value("journal_id", "") != journalId) return 0;  // a fresh journal starts over
        return j.value("acked_seq", std::int64_t{0});
    }
    void saveMark(std::int64_t seq) {
        const nlohmann::json j{{"journal_id", journalId}, {"acked_seq", seq}};
        if (auto s = kiosk::writeFileAtomically(options.stateDir / kOutboxFile, j.dump()); !s) {
            SLOG(kLog, Warn) << "outbox mark: " << s.error().message;
        }
    }
    std::int64_t journalLastSeq() {
        if (!db) return 0;
        auto q = db->prepare("SELECT coalesce(max(seq), 0) FROM decisions");
        if (q.step() != SQLITE_ROW) return 0;
        return q.columnInt(0);
    }

    // --- connection -----------------------------------------------------------------------------
    void destroyClient() {
        if (!client) return;
        mosquitto_destroy(client);
        client = nullptr;
    }

    // A failure before CONNACK on a TLS link: the handshake or the broker's certificate check (a
    // missing or refused client certificate surfaces as a protocol error or a close, by timing).
    std::string withTlsHint(std::string why) const {
        if (!address.tls || why.find("fleet.cert_file") != std::string::npos) return why;
        return "TLS handshake or certificate refused: " + why +
               " (check fleet.ca_file signs the broker's certificate, fleet.cert_file and fleet.key_file are this "
               "kiosk's pair from the fleet CA)";
    }

    void failed(const std::string& why, bool credential = false) {
        if (credential && credentialAlarm != why && hooks.alarm) hooks.alarm("fleet_link", why, false);
        if (credential) credentialAlarm = why;
        destroyClient();
        const bool wasConnected = connected;
        connecting = connected = false;
        inflight.clear();
        {
            std::lock_guard lock(mutex);
            sentSeq = st.ackedSeq;
            st.connected = false;
            st.lastError = why;
        }
        backoff = backoff.count() == 0 ? options.backoffInitial : std::min(backoff * 2, options.backoffMax);
        std::uniform_real_distribution<double> jitter(1.0 - kJitter, 1.0 + kJitter);
        const auto delay = std::chrono::milliseconds{static_cast<long long>(static_cast<double>(backoff.count()) * jitter(rng))};
        nextConnect = clock.monotonic() + delay;
        // Each distinct cause once at Error (the technician's alarm in the log: a refused password
        // or certificate does not fix itself), repeats at Debug so an outage does not flood the log.
        if (wasConnected) {
            SLOG(kLog, Warn) << "fleet link lost: " << why << "; retry in " << delay.count() << " ms";
        } else if (why != lastLoggedError) {
            SLOG(kLog, Error) << "fleet link not connected: " << why << "; retrying with back-off (now "
                              << delay.count() << " ms)";
        } else {
            SLOG(kLog, Debug) << "fleet link not connected: " << why << "; retry in " << delay.count() << " ms";
        }
        lastLoggedError = why;
    }

    void beginConnect() {
        ensureLibrary();
        client = mosquitto_new((probe ? options.kioskId + "-diag" : options.kioskId).c_str(), true, this);
        if (!client) return failed("libmosquitto: out of memory");
        mosquitto_int_option(client, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
        mosquitto_connect_callback_set(client, [](mosquitto*, void* self, int rc) { static_cast<Impl*>(self)->onConnect(rc); });
        mosquitto_disconnect_callback_set(client, [](mosquitto*, void* self, int rc) {
            static_cast<Impl*>(self)->onDisconnect(rc);
        });
        mosquitto_publish_callback_set(client, [](mosquitto*, void* self, int mid) { static_cast<Impl*>(self)->onPublish(mid); });
        mosquitto_message_callback_set(client, [](mosquitto*, void* self, const mosquitto_message* m) {
            static_cast<Impl*>(self)->onMessage(m);
        });
        mosquitto_log_callback_set(client, [](mosquitto*, void* self, int level, const char* text) {
            if (level & MOSQ_LOG_ERR) static_cast<Impl*>(self)->lastLogError = text;
        });
        const std::string statusTopic = topic(options.kioskId, "status");
        if (!probe) {
            // §13.1: the last will says since when the session that died had been up.
            const std::string will = nlohmann::json{{"state", "offline"}, {"kiosk_id", options.kioskId},
                                                    {"since", formatRfc3339(clock.now())}}.dump();
            mosquitto_will_set(client, statusTopic.c_str(), static_cast<int>(will.size()), will.data(), kQos1, true);
        }
        if (!options.username.empty()) {
            mosquitto_username_pw_set(client, options.username.c_str(), options.password.c_str());
        }
        if (address.tls) {
            int rc = mosquitto_tls_set(client, options.caFile.empty() ? nullptr : options.caFile.c_str(), nullptr,
                                       options.certFile.empty() ? nullptr : options.certFile.c_str(),
                                       options.keyFile.empty() ? nullptr : options.keyFile.c_str(), nullptr);
            if (options.caFile.empty() && rc == MOSQ_ERR_SUCCESS) {
                rc = mosquitto_int_option(client, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
            }
            if (rc != MOSQ_ERR_SUCCESS) {
                return failed(std::string("TLS setup: ") + mosquitto_strerror(rc) +
                                  " (check fleet.ca_file, fleet.cert_file and fleet.key_file)",
                              true);
            }
        }
        lastLogError.clear();
        const int rc = mosquitto_connect_async(client, address.host.c_str(), address.port,
                                               static_cast<int>(options.keepalive.count()));
        if (rc != MOSQ_ERR_SUCCESS) {
            std::string why = "connect to " + address.host + ":" + std::to_string(address.port) + ": " +
                              (rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc));
            // On a TLS link the handshake runs inside the connect: a failure that is not the
            // network's is the broker's certificate, or ours.
            const bool handshake = address.tls && !(rc == MOSQ_ERR_ERRNO && networkErrno(errno));
            if (!lastLogError.empty()) why += " (" + lastLogError + ")";
            return failed(handshake ? withTlsHint(why) : why, handshake);
        }
        connecting = true;
        connectStarted = clock.monotonic();
        std::lock_guard lock(mutex);
        ++st.connects;
    }

    void onConnect(int rc) {
        connecting = false;
        if (rc != 0) {
            dropClient = true;
            credentialRefused = rc == 2 || rc == 4 || rc == 5;  // client id, user name/password, not authorised
            std::lock_guard lock(mutex);
            st.lastError = connackText(rc);
            return;
        }
        connected = true;
        backoff = 0ms;
        if (!credentialAlarm.empty()) {
            if (hooks.alarm) hooks.alarm("fleet_link", "connected again", true);
            credentialAlarm.clear();
        }
        {
            std::lock_guard lock(mutex);
            st.connected = true;
            st.lastError.clear();
            sentSeq = st.ackedSeq;
        }
        if (probe) return;
        SLOG(kLog, Info) << "fleet link up: " << address.host << ":" << address.port;
        publishStatus();
        for (const auto& t : commandTopics()) mosquitto_subscribe(client, nullptr, t.c_str(), kQos1);
        nextMetrics = clock.monotonic();
    }

    void onDisconnect(int rc) {
        if (rc != 0) dropClient = true;
        std::lock_guard lock(mutex);
        if (rc == 0 || !st.lastError.empty()) return;
        if (connecting && address.tls) {
            // TLS 1.3: the broker checks the client certificate after the client's handshake ended,
            // so a refused (or missing) certificate shows up as a close before CONNACK.
            st.lastError = "TLS: the broker closed the connection before answering — client certificate missing or "
                           "refused (check fleet.cert_file and fleet.key_file are this kiosk's pair from the fleet CA)";
            credentialRefused = true;
        } else if (connecting) {
            st.lastError = "the broker closed the connection before answering";
        } else {
            st.lastError = "connection lost";
        }
    }

    void onPublish(int mid) {
        for (auto& f : inflight) {
            if (f.mid == mid) f.acked = true;
        }
        std::int64_t advanced = 0;
        std::uint64_t batches = 0, bytes = 0;
        while (!inflight.empty() && inflight.front().acked) {
            advanced = inflight.front().lastSeq;
            bytes += inflight.front().bytes;
            ++batches;
            inflight.pop_front();
        }
        if (advanced == 0) return;
        {
            std::lock_guard lock(mutex);
            st.ackedSeq = std::max(st.ackedSeq, advanced);
            st.batches += batches;
            st.bytes += bytes;
        }
        markDirty = true;
    }

    void saveMarkIfDue(bool force) {
        if (!markDirty) return;
        const MonoTime now = clock.monotonic();
        if (!force && now - lastMarkSave < kMarkEvery) return;
        std::int64_t acked = 0;
        {
            std::lock_guard lock(mutex);
            acked = st.ackedSeq;
        }
        saveMark(acked);
        markDirty = false;
        lastMarkSave = now;
    }

    std::vector<std::string> commandTopics() const {
        std::vector<std::string> t{topic(options.kioskId, "cmd"), "sentinel/v1/all/cmd"};
        if (!options.station.empty()) t.push_back("sentinel/v1/station/" + options.station + "/cmd");
        if (!options.group.empty()) t.push_back("sentinel/v1/group/" + options.group + "/cmd");
        return t;
    }

    // §13.1: every command is answered on …/acks.
    void publishAck(const std::string& id, bool ok, const std::string& detail, const nlohmann::json& applied = nullptr) {
        nlohmann::json ack{{"command", id}, {"at", formatRfc3339(clock.now())}, {"ok", ok}, {"detail", detail}};
        if (!applied.is_null()) ack["applied"] = applied;
        publish(topic(options.kioskId, "acks"), ack.dump(), kQos1, false);
    }

    void onMessage(const mosquitto_message* m) {
        if (!m || !m->topic) return;
        const std::string_view body(static_cast<const char*>(m->payload), static_cast<std::size_t>(std::max(m->payloadlen, 0)));
        if (body.empty()) return;  // a retained command being cleared
        const CommandIdentity self{options.kioskId, options.station, options.group};
        auto cmd = verifyCommand(body, options.updateKeyPem, self, clock.now());
        if (!cmd) {
            if (cmd.error().message.find(kNotForThisKiosk) != std::string::npos) return;  // someone else's
            if (m->retain && cmd.error().message.find(kCommandExpired) != std::string::npos) {
                SLOG(kLog, Debug) << "retained command on " << m->topic << " has expired: ignored";
                return;  // a bundle pushed (retained) long ago: nothing to answer now
            }
            SLOG(kLog, Warn) << "command on " << m->topic << " refused: " << cmd.error().message;
            queueAlarm("fleet_command", "refused: " + cmd.error().message, false);
            // Answered when it names an id (not trusted: only echoed back, bounded, for the operator).
            if (auto id = peekCommandId(body)) publishAck(*id, false, "refused: " + cmd.error().message);
            return;
        }
        if (!ledger.admit(*cmd, clock.now())) {
            if (m->retain) return;  // the retained copy of a command already executed: not a replay
            SLOG(kLog, Warn) << "command " << cmd->id << " refused: replayed";
            queueAlarm("fleet_command", "refused: command " + cmd->id + " was replayed", false);
            publishAck(cmd->id, false, "refused: replayed (this command id was carried out before)");
            return;
        }
        SLOG(kLog, Info) << "command " << cmd->id << ": " << cmd->action;
        nlohmann::json outcome = hooks.execute ? hooks.execute(*cmd) : nlohmann::json{{"ok", false}, {"detail", "no handler"}};
        if (cmd->action == "diag") {
            nlohmann::json report{{"command", cmd->id}, {"at", formatRfc3339(clock.now())}, {"report", outcome}};
            publish(topic(options.kioskId, "diag"), report.dump(), kQos1, false);
            publishAck(cmd->id, true, "diagnostics ran; the report is on " + topic(options.kioskId, "diag"));
        } else {
            const bool ok = outcome.is_object() && outcome.value("ok", false);
            const std::string detail = outcome.is_object() ? outcome.value("detail", std::string()) : std::string();
            publishAck(cmd->id, ok, detail, outcome.is_object() && outcome.contains("applied") ? outcome["applied"] : nlohmann::json());
        }
        publishStatus();
    }

    // --- publishing -----------------------------------------------------------------------------
    int publish(const std::string& t, const std::string& payload, int qos, bool retain, int* mid = nullptr) {
        if (!client) return MOSQ_ERR_NO_CONN;
        return mosquitto_publish(client, mid, t.c_str(), static_cast<int>(payload.size()), payload.data(), qos, retain);
    }

    void publishStatus() {
        nlohmann::json s = hooks.status ? hooks.status() : nlohmann::json::object();
        if (!s.is_object()) s = nlohmann::json::object();
        s["state"] = "online";
        s["kiosk_id"] = options.kioskId;
        s["at"] = formatRfc3339(clock.now());
        publish(topic(options.kioskId, "status"), s.dump(), kQos1, true);
    }

    void queueAlarm(std::string what, std::string detail, bool cleared) {
        std::lock_guard lock(mutex);
        if (alarms.size() >= kMaxQueuedAlarms) alarms.pop_front();
        alarms.push_back({std::move(what), std::move(detail), clock.now(), cleared});
    }

    void flushAlarms() {
        std::deque<PendingAlarm> out;
        {
            std::lock_guard lock(mutex);
            out.swap(alarms);
        }
        while (!out.empty()) {
            const auto& a = out.front();
            const nlohmann::json j{{"alarm", a.what}, {"detail", a.detail}, {"at", formatRfc3339(a.at)}, {"cleared", a.cleared}};
            if (publish(topic(options.kioskId, "alarms"), j.dump(), kQos1, false) != MOSQ_ERR_SUCCESS) break;
            out.pop_front();
        }
        if (!out.empty()) {  // not sent: keep for the next connection, oldest first
            std::lock_guard lock(mutex);
            while (!out.empty()) {
                alarms.push_front(std::move(out.back()));
                out.pop_back();
            }
        }
    }

    void flushCheckpoints() {
        std::deque<std::string> out;
        {
            std::lock_guard lock(mutex);
            out.swap(checkpoints);
        }
        while (!out.empty() && publish(topic(options.kioskId, "checkpoints"), out.front(), kQos1, true) == MOSQ_ERR_SUCCESS) {
            out.pop_front();
        }
        if (!out.empty()) {  // not sent: keep for the next connection, before anything queued since
            std::lock_guard lock(mutex);
            while (!out.empty()) {
                checkpoints.push_front(std::move(out.back()));
                out.pop_back();
            }
            while (checkpoints.size() > kMaxQueuedCheckpoints) checkpoints.pop_front();
        }
    }

    void pumpOutbox() {
        if (!db) return;
        while (inflight.size() < kMaxInflightBatches) {
            auto entries = journal::detail::readEntries(*db, sentSeq + 1, kReadChunk);
            if (!entries) {
                SLOG(kLog, Warn) << "outbox read: " << entries.error().message;
                return;
            }
            if (entries->empty()) return;
            std::string body;
            std::int64_t last = sentSeq;
            std::size_t count = 0;
            for (const auto& e : *entries) {
                // Exactly the journal's line (it carries `at`, DESIGN §13): it is the record's leaf in
                // the Merkle log, and auditors recompute the roots from these bytes (DESIGN §16).
                std::string line = journal::toUploadLine(e, journalId) + "\n";
                if (count > 0 && body.size() + line.size() > kBatchMaxBytes) break;
                body += line;
                last = e.seq;
                ++count;
            }
            int mid = 0;
            const int rc = publish(topic(options.kioskId, "decisions"), body, kQos1, false, &mid);
            if (rc != MOSQ_ERR_SUCCESS) {
                SLOG(kLog, Warn) << "publish decisions: " << mosquitto_strerror(rc);
                return;
            }
            inflight.push_back({mid, last, body.size(), false});
            sentSeq = last;
            std::lock_guard lock(mutex);
            st.published += count;
        }
    }

    // --- the thread -----------------------------------------------------------------------------
    void run() {
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kLinkNice);  // best effort
        for (;;) {
            saveMarkIfDue(false);
            const MonoTime now = clock.monotonic();
            bool stop = false, alarmsQueued = false;
            MonoTime deadline{};
            {
                std::lock_guard lock(mutex);
                stop = stopping;
                deadline = drainDeadline;
                alarmsQueued = !alarms.empty() || !checkpoints.empty();
            }
            if (stop) {
                const bool drained = connected && inflight.empty() && sentSeq >= newestSeq.load() && !alarmsQueued;
                const bool hopeless = !connected && !connecting;
                if (drained || hopeless || now >= deadline) return finish();
            }
            if (!client && now >= nextConnect) beginConnect();
            if (connecting && now - connectStarted > options.connectTimeout) {
                failed("no answer from " + address.host + ":" + std::to_string(address.port) + " in " +
                       std::to_string(options.connectTimeout.count()) + " ms (broker down or blackholed?)");
            }
            if (connected) {
                flushAlarms();
                if (statusDirty.exchange(false)) publishStatus();
                pumpOutbox();
                flushCheckpoints();
                if (now >= nextMetrics) {
                    if (hooks.metrics) publish(topic(options.kioskId, "metrics"), hooks.metrics().dump(), kQos0, false);
                    publishStatus();  // trust age and the like move; retained status stays current
                    nextMetrics = now + options.metricsInterval;
                }
            }

            // Wait for the socket, a wake-up, or the next timer.
            auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kMaxPoll);
            if (!client) wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(nextConnect - now));
            if (stop) wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
            if (markDirty) wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(kMarkEvery));
            wait = std::max(wait, 0ms);
            pollfd fds[2] = {{wakeFd, POLLIN, 0}, {-1, 0, 0}};
            nfds_t n = 1;
            if (client && mosquitto_socket(client) >= 0) {
                fds[1] = {mosquitto_socket(client), static_cast<short>(POLLIN | (mosquitto_want_write(client) ? POLLOUT : 0)), 0};
                n = 2;
            }
            ::poll(fds, n, static_cast<int>(wait.count()));
            if (fds[0].revents & POLLIN) {
                std::uint64_t v;
                [[maybe_unused]] auto r = ::read(wakeFd, &v, sizeof v);
            }
            if (client) {
                int rc = MOSQ_ERR_SUCCESS;
                if (n == 2 && (fds[1].revents & (POLLIN | POLLERR | POLLHUP))) rc = mosquitto_loop_read(client, 1);
                if (rc <= MOSQ_ERR_SUCCESS && client && mosquitto_want_write(client)) rc = mosquitto_loop_write(client, 1);
                if (rc <= MOSQ_ERR_SUCCESS && client) rc = mosquitto_loop_misc(client);
                if (dropClient) {
                    dropClient = false;
                    std::string why;
                    {
                        std::lock_guard lock(mutex);
                        why = st.lastError;
                    }
                    const bool credential = std::exchange(credentialRefused, false);
                    failed(why.empty() ? "disconnected" : why, credential);
                } else if (rc > MOSQ_ERR_SUCCESS) {
                    // Before CONNACK on a TLS link, a failure that is not the network's is the
                    // handshake: the broker's certificate, or ours.
                    const bool network = rc == MOSQ_ERR_ERRNO && networkErrno(errno);
                    std::string why = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
                    if (!lastLogError.empty()) why += " (" + lastLogError + ")";
                    const bool handshake = connecting && address.tls && !network;
                    failed(handshake ? withTlsHint(why) : why, handshake);
                }
            }
        }
    }

    void finish() {
        saveMarkIfDue(true);
        if (client && connected) {
            publish(topic(options.kioskId, "status"), kOffline, kQos1, true);
            mosquitto_disconnect(client);  // clean: the broker does not send the last will
            for (int i = 0; i < 4 && mosquitto_want_write(client); ++i) mosquitto_loop_write(client, 1);
        }
        destroyClient();
        connected = connecting = false;
        std::lock_guard lock(mutex);
        st.connected = false;
    }
};

MqttLink::MqttLink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<MqttLink>> MqttLink::start(LinkOptions options, LinkHooks hooks, const Clock& clock) {
    auto address = parseBrokerUrl(options.brokerUrl);
    if (!address) return address.error();
    if (options.kioskId.empty()) return makeError("kiosk.id is empty");
    auto impl = std::make_unique<Impl>(std::move(options), std::move(hooks), clock, *address);
    impl->wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (impl->wakeFd < 0) return makeError(std::string("eventfd: ") + std::strerror(errno));
    if (!impl->options.journalPath.empty()) {
        auto db = Connection::open(impl->options.journalPath, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX);
        if (!db) return makeError("fleet outbox: " + db.error().message);
        sqlite3_busy_timeout(db->get(), journal::detail::kBusyTimeoutMs);
        auto id = journal::detail::journalId(*db);
        if (!id) return makeError("fleet outbox: journal not initialised: " + id.error().message);
        impl->db = std::make_unique<Connection>(std::move(*db));
        impl->journalId = *id;
        impl->st.ackedSeq = impl->loadMark();
        impl->sentSeq = impl->st.ackedSeq;
        impl->newestSeq = impl->journalLastSeq();
    }
    std::unique_ptr<MqttLink> link(new MqttLink(std::move(impl)));
    Impl* raw = link->impl_.get();
    raw->thread = std::thread([raw] { raw->run(); });
    return link;
}

MqttLink::~MqttLink() { stop(0ms); }

void MqttLink::decided(const DecisionRecord&, const kiosk::Verdict&, std::int64_t seq) {
    if (seq <= 0) return;
    std::int64_t cur = impl_->newestSeq.load();
    while (seq > cur && !impl_->newestSeq.compare_exchange_weak(cur, seq)) {
    }
    impl_->poke();
}

void MqttLink::alarm(std::string_view what, std::string_view detail, bool cleared) {
    impl_->queueAlarm(std::string(what), std::string(detail), cleared);
    impl_->statusDirty = true;  // the retained status lists the active alarms (§13.1)
    impl_->poke();
}

void MqttLink::publishCheckpoint(std::string message) {
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->checkpoints.size() >= kMaxQueuedCheckpoints) impl_->checkpoints.pop_front();
        impl_->checkpoints.push_back(std::move(message));
    }
    impl_->statusDirty = true;  // the retained status shows the latest checkpoint (§13.1)
    impl_->poke();
}

void MqttLink::wake() { impl_->poke(); }

void MqttLink::refreshStatus() {
    impl_->statusDirty = true;
    impl_->poke();
}

void MqttLink::stop(std::chrono::milliseconds drain) {
    if (!impl_->thread.joinable()) return;
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
        impl_->drainDeadline = impl_->clock.monotonic() + drain;
    }
    impl_->poke();
    impl_->thread.join();
}

LinkStatus MqttLink::status() const {
    std::lock_guard lock(impl_->mutex);
    LinkStatus s = impl_->st;
    s.lastSeq = impl_->newestSeq.load();
    return s;
}

Result<std::string> probeBroker(const LinkOptions& options, std::chrono::milliseconds timeout) {
    LinkOptions o = options;
    o.journalPath.clear();
    o.updateKeyPem.clear();
    o.connectTimeout = timeout;
    o.stateDir = std::filesystem::temp_directory_path();
    SystemClock clock;
    auto address = parseBrokerUrl(o.brokerUrl);
    if (!address) return address.error();
    MqttLink::Impl impl(o, {}, clock, *address);
    impl.probe = true;  // client id {kiosk_id}-diag (a running kiosk is not disconnected); publishes nothing
    impl.wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    const MonoTime deadline = clock.monotonic() + timeout;
    impl.beginConnect();
    while (impl.client && impl.connecting && clock.monotonic() < deadline) {
        pollfd fd{mosquitto_socket(impl.client), static_cast<short>(POLLIN | (mosquitto_want_write(impl.client) ? POLLOUT : 0)), 0};
        ::poll(&fd, 1, 100);
        int rc = MOSQ_ERR_SUCCESS;
        if (fd.revents & (POLLIN | POLLERR | POLLHUP)) rc = mosquitto_loop_read(impl.client, 1);
        if (rc <= MOSQ_ERR_SUCCESS && mosquitto_want_write(impl.client)) rc = mosquitto_loop_write(impl.client, 1);
        if (impl.dropClient) break;
        if (rc > MOSQ_ERR_SUCCESS) {
            std::string why = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
            if (!impl.lastLogError.empty()) why += " (" + impl.lastLogError + ")";
            return makeError(impl.withTlsHint(why));
        }
    }
    if (!impl.client && !impl.st.lastError.empty()) return makeError(impl.st.lastError);
    if (impl.connected) {
        mosquitto_disconnect(impl.client);
        mosquitto_loop_write(impl.client, 1);
        return std::string("connected to ") + address->host + ":" + std::to_string(address->port) +
               (address->tls ? " (TLS)" : "");
    }
    std::string why = impl.st.lastError;
    if (why.empty()) {
        why = "no answer from " + address->host + ":" + std::to_string(address->port) + " in " +
              std::to_string(timeout.count()) + " ms (broker down, firewall, or wrong fleet.broker_url)";
    }
    return makeError(why);
}

}  // namespace sentinel::fleet

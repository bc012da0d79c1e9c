#include "firmware/fleet/OperatorClient.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <random>
#include <set>

#include <mosquitto.h>

#include "firmware/fleet/MqttLink.h"

namespace sentinel::fleet {
namespace {

using namespace std::chrono_literals;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr int kQos1 = 1;
// One round of the network loop waits at most this long (the deadline is checked between rounds).
constexpr auto kLoopSlice = 100ms;
// Random hex digits in a generated client id: unique among the operators on one broker.
constexpr int kClientIdHexDigits = 12;

struct LibraryInit {
    LibraryInit() { mosquitto_lib_init(); }
};

std::string randomClientId() {
    static LibraryInit init;
    std::random_device rd;
    std::string id = "sentinel-op-";
    constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < kClientIdHexDigits; ++i) id += kHex[rd() % 16];
    return id;
}

std::chrono::milliseconds left(SteadyTime deadline) {
    return std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
}

}  // namespace

struct OperatorClient::Impl {
    mosquitto* client = nullptr;
    std::string clientId, markerTopic;
    int connack = -1;  // -1 = not answered yet
    bool lost = false;
    std::set<int> subacks, pubacks;
    std::deque<FleetMessage> inbox;
    std::string lastLogError;

    ~Impl() {
        if (!client) return;
        mosquitto_disconnect(client);
        mosquitto_loop(client, 0, 1);
        mosquitto_destroy(client);
    }

    // One round of network I/O; an error when the connection is gone.
    Status loopOnce(std::chrono::milliseconds wait) {
        const int rc = mosquitto_loop(client, static_cast<int>(std::min(wait, std::chrono::milliseconds(kLoopSlice)).count()), 1);
        if (rc == MOSQ_ERR_SUCCESS && !lost) return Ok{};
        std::string why = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
        if (lost && rc == MOSQ_ERR_SUCCESS) why = "the broker closed the connection";
        if (!lastLogError.empty()) why += " (" + lastLogError + ")";
        return makeError("broker connection: " + why);
    }

    // Runs the loop until `done()` or the deadline; false when the time ran out.
    Result<bool> until(const std::function<bool()>& done, SteadyTime deadline) {
        while (!done()) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            if (auto st = loopOnce(left(deadline)); !st) return st.error();
        }
        return true;
    }
};

OperatorClient::OperatorClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OperatorClient::~OperatorClient() = default;

Result<std::unique_ptr<OperatorClient>> OperatorClient::connect(const OperatorOptions& o, const std::vector<std::string>& patterns,
                                                                std::chrono::milliseconds timeout) {
    auto address = parseBrokerUrl(o.brokerUrl);
    if (!address) return makeError("--broker: " + address.error().message);
    const SteadyTime deadline = std::chrono::steady_clock::now() + timeout;
    auto impl = std::make_unique<Impl>();
    impl->clientId = o.clientId.empty() ? randomClientId() : o.clientId;
    impl->markerTopic = "sentinel/v1/operator/" + impl->clientId + "/sync";
    impl->client = mosquitto_new(impl->clientId.c_str(), true, impl.get());
    if (!impl->client) return makeError("libmosquitto: out of memory");
    mosquitto_int_option(impl->client, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(impl->client, [](mosquitto*, void* self, int rc) { static_cast<Impl*>(self)->connack = rc; });
    mosquitto_disconnect_callback_set(impl->client, [](mosquitto*, void* self, int) { static_cast<Impl*>(self)->lost = true; });
    mosquitto_subscribe_callback_set(impl->client, [](mosquitto*, void* self, int mid, int, const int*) {
        static_cast<Impl*>(self)->subacks.insert(mid);
    });
    mosquitto_publish_callback_set(impl->client, [](mosquitto*, void* self, int mid) { static_cast<Impl*>(self)->pubacks.insert(mid); });
    mosquitto_message_callback_set(impl->client, [](mosquitto*, void* self, const mosquitto_message* m) {
        static_cast<Impl*>(self)->inbox.push_back(
            {m->topic, std::string(static_cast<const char*>(m->payload), static_cast<std::size_t>(std::max(m->payloadlen, 0))),
             m->retain});
    });
    mosquitto_log_callback_set(impl->client, [](mosquitto*, void* self, int level, const char* text) {
        if (level & MOSQ_LOG_ERR) static_cast<Impl*>(self)->lastLogError = text;
    });
    if (!o.username.empty()) mosquitto_username_pw_set(impl->client, o.username.c_str(), o.password.c_str());
    if (address->tls) {
        int rc = mosquitto_tls_set(impl->client, o.caFile.empty() ? nullptr : o.caFile.c_str(), nullptr,
                                   o.certFile.empty() ? nullptr : o.certFile.c_str(), o.keyFile.empty() ? nullptr : o.keyFile.c_str(),
                                   nullptr);
        if (o.caFile.empty() && rc == MOSQ_ERR_SUCCESS) rc = mosquitto_int_option(impl->client, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
        if (rc != MOSQ_ERR_SUCCESS) return makeError(std::string("TLS setup: ") + mosquitto_strerror(rc) + " (check --ca-file, --cert, --key)");
    }
    const int rc = mosquitto_connect(impl->client, address->host.c_str(), address->port, static_cast<int>(o.keepalive.count()));
    if (rc != MOSQ_ERR_SUCCESS) {
        std::string why = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
        if (!impl->lastLogError.empty()) why += " (" + impl->lastLogError + ")";
        return makeError("connect to " + address->host + ":" + std::to_string(address->port) + ": " + why);
    }
    auto answered = impl->until([&] { return impl->connack >= 0; }, deadline);
    if (!answered) return answered.error();
    if (!*answered) return makeError("no answer from " + address->host + ":" + std::to_string(address->port));
    if (impl->connack != 0) return makeError(std::string("broker refused the connection: ") + mosquitto_connack_string(impl->connack));
    std::vector<std::string> all = patterns;
    all.push_back(impl->markerTopic);
    std::set<int> mids;
    for (const auto& p : all) {
        int mid = 0;
        if (const int s = mosquitto_subscribe(impl->client, &mid, p.c_str(), kQos1); s != MOSQ_ERR_SUCCESS)
            return makeError("subscribe " + p + ": " + mosquitto_strerror(s));
        mids.insert(mid);
    }
    auto subscribed = impl->until([&] { return std::includes(impl->subacks.begin(), impl->subacks.end(), mids.begin(), mids.end()); },
                                  deadline);
    if (!subscribed) return subscribed.error();
    if (!*subscribed) return makeError("the broker did not confirm the subscriptions in time");
    return std::unique_ptr<OperatorClient>(new OperatorClient(std::move(impl)));
}

Status OperatorClient::publish(const std::string& topic, const std::string& payload, bool retain, std::chrono::milliseconds timeout) {
    int mid = 0;
    const int rc = mosquitto_publish(impl_->client, &mid, topic.c_str(), static_cast<int>(payload.size()), payload.data(), kQos1, retain);
    if (rc != MOSQ_ERR_SUCCESS) return makeError("publish " + topic + ": " + mosquitto_strerror(rc));
    auto acked = impl_->until([&] { return impl_->pubacks.count(mid) > 0; }, std::chrono::steady_clock::now() + timeout);
    if (!acked) return acked.error();
    if (!*acked) return makeError("publish " + topic + ": the broker did not acknowledge it in time");
    return Ok{};
}

Result<bool> OperatorClient::receive(const std::function<bool(const FleetMessage&)>& onMessage, std::chrono::milliseconds timeout) {
    const SteadyTime deadline = std::chrono::steady_clock::now() + timeout;
    bool more = true;
    auto r = impl_->until(
        [&] {
            while (more && !impl_->inbox.empty()) {
                FleetMessage m = std::move(impl_->inbox.front());
                impl_->inbox.pop_front();
                if (m.topic == impl_->markerTopic) continue;
                more = onMessage(m);
            }
            return !more;
        },
        deadline);
    return r;
}

Result<bool> OperatorClient::receiveRetained(const std::function<void(const FleetMessage&)>& onMessage,
                                             std::chrono::milliseconds timeout) {
    const SteadyTime deadline = std::chrono::steady_clock::now() + timeout;
    if (auto st = publish(impl_->markerTopic, "sync", false, timeout); !st) return st.error();
    bool marker = false;
    return impl_->until(
        [&] {
            while (!marker && !impl_->inbox.empty()) {
                FleetMessage m = std::move(impl_->inbox.front());
                impl_->inbox.pop_front();
                if (m.topic == impl_->markerTopic) {
                    marker = true;
                } else {
                    onMessage(m);
                }
            }
            return marker;
        },
        deadline);
}

}  // namespace sentinel::fleet

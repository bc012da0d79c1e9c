#pragma once
// The operator's MQTT connection (DESIGN §13.1) for `sentinel fleet send|watch`: connect with the
// operator's credentials, subscribe, publish, and read what arrives — all on the calling thread
// (no thread of its own: a command-line tool waits anyway). libmosquitto stays behind this header.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::fleet {

struct OperatorOptions {
    std::string brokerUrl;                  // mqtt://host[:port] or mqtts://host[:port]
    std::string caFile, certFile, keyFile;  // TLS (mqtts): the fleet CA, the operator's client pair
    std::string username, password;         // the broker's password file entry; empty = none
    std::string clientId;                   // empty = a random one (the broker's choice)
    std::chrono::seconds keepalive{30};
};

struct FleetMessage {
    std::string topic, payload;
    bool retained = false;
};

class OperatorClient {
public:
    // Connects (answered CONNACK) and subscribes to `patterns` (answered SUBACK) within `timeout`.
    // Errors name the cause: address, refused credentials, TLS.
    static Result<std::unique_ptr<OperatorClient>> connect(const OperatorOptions& options, const std::vector<std::string>& patterns,
                                                           std::chrono::milliseconds timeout);
    ~OperatorClient();  // disconnects
    OperatorClient(const OperatorClient&) = delete;
    OperatorClient& operator=(const OperatorClient&) = delete;

    // Publishes at QoS 1 and waits for the broker's PUBACK (at most `timeout`).
    Status publish(const std::string& topic, const std::string& payload, bool retain, std::chrono::milliseconds timeout);
    // Hands every message that arrives to `onMessage` until it returns false or `timeout` has passed;
    // false when the time ran out (or the connection was lost: then an error).
    Result<bool> receive(const std::function<bool(const FleetMessage&)>& onMessage, std::chrono::milliseconds timeout);
    // Every retained message of the subscriptions has been handed over once this returns true: a
    // marker published to this client's own topic comes back after them (the broker delivers in order).
    Result<bool> receiveRetained(const std::function<void(const FleetMessage&)>& onMessage, std::chrono::milliseconds timeout);

private:
    struct Impl;
    explicit OperatorClient(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sentinel::fleet

#pragma once
// A fleet collector on loopback for the upload tests (cpp-httplib, test-only). It implements the
// collector side of docs/journal.md: POST NDJSON, dedupe by Idempotency-Key, 200 for a new or a
// repeated key. It also checks what a collector cannot see per request: a seq under two keys (a
// real duplicate), a repeated key with a different body (an unstable batch).

#include <httplib.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "drivers/hal/HttpTransport.h"

namespace sentinel::fleet::testing {

class TestCollector {
public:
    static constexpr const char* kPath = "/v1/journal";

    TestCollector() { start(); }
    // HTTPS with this certificate chain and key (PEM files).
    TestCollector(std::string certPath, std::string keyPath) : certPath_(std::move(certPath)), keyPath_(std::move(keyPath)) {
        start();
    }
    ~TestCollector() { stop(); }

    // start() after stop() listens on the same port again.
    void start() {
        if (certPath_.empty()) {
            server_ = std::make_unique<httplib::Server>();
        } else {
            server_ = std::make_unique<httplib::SSLServer>(certPath_.c_str(), keyPath_.c_str());
            if (!server_->is_valid()) throw std::runtime_error("collector: bad TLS certificate or key");
        }
        server_->Post(kPath, [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
        if (port_ == 0) {
            port_ = server_->bind_to_any_port("127.0.0.1");
        } else if (!server_->bind_to_port("127.0.0.1", port_)) {
            throw std::runtime_error("collector cannot rebind its port");
        }
        thread_ = std::thread([s = server_.get()] { s->listen_after_bind(); });
    }
    // Closes the listening socket: clients get "connection refused", like a collector that is down.
    void stop() {
        if (!server_) return;
        server_->stop();
        thread_.join();
        server_.reset();
    }
    // 0 = healthy; otherwise every request is answered with this status and not stored.
    void failWith(int status) {
        std::lock_guard lock(mutex_);
        failStatus_ = status;
    }

    std::string url() const {
        return (certPath_.empty() ? "http://127.0.0.1:" : "https://127.0.0.1:") + std::to_string(port_) + kPath;
    }
    int port() const { return port_; }

    struct Tally {
        std::size_t requests = 0;        // every POST that reached the handler
        std::size_t batchesStored = 0;   // new keys stored
        std::size_t repeatedKeys = 0;    // a key seen again (deduplicated)
        std::size_t bodyMismatches = 0;  // a repeated key with a different body
        std::size_t seqUnderTwoKeys = 0; // the same record stored under two different keys
        std::size_t malformed = 0;       // missing key, bad JSON, missing fields
        std::map<std::int64_t, int> storedSeq;  // seq → how many times stored (after dedupe)
    };
    Tally tally() const {
        std::lock_guard lock(mutex_);
        return tally_;
    }
    // Waits (on a condition variable, no polling) until `n` distinct records are stored or `timeout`.
    bool waitForRecords(std::size_t n, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return stored_.wait_for(lock, timeout, [&] { return tally_.storedSeq.size() >= n; });
    }
    std::vector<nlohmann::json> records() const {
        std::lock_guard lock(mutex_);
        return records_;
    }
    // Makes the handler block until release(): a collector that takes its time.
    void holdRequests(bool hold) {
        std::lock_guard lock(mutex_);
        hold_ = hold;
        if (!hold) released_.notify_all();
    }
    bool waitForHeldRequest(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return heldArrived_.wait_for(lock, timeout, [&] { return held_ > 0; });
    }

private:
    void handle(const httplib::Request& req, httplib::Response& res) {
        std::unique_lock lock(mutex_);
        ++tally_.requests;
        if (hold_) {
            ++held_;
            heldArrived_.notify_all();
            released_.wait(lock, [&] { return !hold_; });
        }
        if (failStatus_ != 0) {
            res.status = failStatus_;
            return;
        }
        const std::string key = req.get_header_value("Idempotency-Key");
        if (key.empty() || req.get_header_value("Content-Type") != "application/x-ndjson") {
            ++tally_.malformed;
            res.status = 400;
            return;
        }
        if (auto it = bodies_.find(key); it != bodies_.end()) {
            ++tally_.repeatedKeys;
            if (it->second != req.body) ++tally_.bodyMismatches;
            res.status = 200;
            return;
        }
        std::vector<nlohmann::json> lines;
        std::istringstream in(req.body);
        std::string line;
        while (std::getline(in, line)) {
            auto j = nlohmann::json::parse(line, nullptr, false);
            if (j.is_discarded() || !j.contains("seq") || !j.contains("journal_id") || !j.contains("decision")) {
                ++tally_.malformed;
                res.status = 400;
                return;
            }
            lines.push_back(std::move(j));
        }
        bodies_[key] = req.body;
        ++tally_.batchesStored;
        for (auto& j : lines) {
            auto seq = j["seq"].get<std::int64_t>();
            auto [it, fresh] = seqKey_.emplace(seq, key);
            if (!fresh && it->second != key) ++tally_.seqUnderTwoKeys;
            ++tally_.storedSeq[seq];
            records_.push_back(std::move(j));
        }
        stored_.notify_all();
        res.status = 200;
    }

    std::string certPath_, keyPath_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    int port_ = 0;
    mutable std::mutex mutex_;
    std::condition_variable stored_, released_, heldArrived_;
    int failStatus_ = 0;
    bool hold_ = false;
    int held_ = 0;
    Tally tally_;
    std::map<std::string, std::string> bodies_;
    std::map<std::int64_t, std::string> seqKey_;
    std::vector<nlohmann::json> records_;
};

// hal::HttpTransport over cpp-httplib, plain HTTP, for the loopback collector. Tests drive the
// uploader with a ManualClock, whose deadlines are not steady_clock time, so this transport uses
// fixed socket timeouts instead of the deadline.
class HttplibTransport final : public hal::HttpTransport {
public:
    hal::HttpResponse post(const hal::HttpRequest& request, MonoTime) override {
        hal::HttpResponse out;
        const std::string prefix = "http://";
        if (request.url.rfind(prefix, 0) != 0) {
            out.detail = "not an http:// URL";
            return out;
        }
        auto rest = request.url.substr(prefix.size());
        auto slash = rest.find('/');
        std::string hostPort = rest.substr(0, slash), path = slash == std::string::npos ? "/" : rest.substr(slash);
        auto colon = hostPort.rfind(':');
        httplib::Client client(hostPort.substr(0, colon), std::stoi(hostPort.substr(colon + 1)));
        client.set_connection_timeout(std::chrono::seconds{5});
        client.set_read_timeout(std::chrono::seconds{5});
        httplib::Headers headers(request.headers.begin(), request.headers.end());
        auto res = client.Post(path.c_str(), headers, request.body, request.contentType.c_str());
        if (!res) {
            out.outcome = hal::HttpOutcome::NetError;
            out.detail = httplib::to_string(res.error());
            return out;
        }
        out.outcome = hal::HttpOutcome::Response;
        out.status = res->status;
        out.body = res->body;
        return out;
    }
};

}  // namespace sentinel::fleet::testing

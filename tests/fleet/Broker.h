#pragma once
// A real Mosquitto broker for the fleet tests (Debian's /usr/sbin/mosquitto) on a free loopback
// port, with a password file (mosquitto_passwd), an ACL (each kiosk writes only under its own id),
// optionally TLS; and an operator's subscriber (libmosquitto, its own thread, stopped and joined).

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <mosquitto.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace sentinel::fleet::testing {

inline constexpr const char* kMosquitto = "/usr/sbin/mosquitto";
inline constexpr const char* kMosquittoPasswd = "/usr/bin/mosquitto_passwd";

inline int freePort() {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(s);
    return ntohs(a.sin_port);
}

inline bool portAccepts(int port) {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(s);
    return ok;
}

inline pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    pid_t pid = ::fork();
    if (pid == 0) {
        FILE* f = std::fopen(log.c_str(), "a");
        if (f) {
            ::dup2(fileno(f), STDOUT_FILENO);
            ::dup2(fileno(f), STDERR_FILENO);
        }
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

// A file's whole text ("" when it cannot be read): logs and outputs the tests look into.
inline std::string readText(const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

struct BrokerUser {
    std::string name, password;
};

class Broker {
public:
    // `tlsDir`: when set, holds ca.pem, server.pem, server.key (tests/hcsim writePki) and the
    // listener speaks TLS.
    // `extraConf`: more mosquitto.conf lines (e.g. require_certificate for mutual TLS).
    Broker(std::filesystem::path dir, std::vector<BrokerUser> users, std::filesystem::path tlsDir = {},
           const std::string& extraConf = {})
        : dir_(std::move(dir)), port_(freePort()) {
        std::filesystem::create_directories(dir_);
        const auto passwd = dir_ / "passwd";
        std::ofstream(passwd).close();
        for (const auto& u : users) {
            pid_t p = spawn({kMosquittoPasswd, "-b", passwd.string(), u.name, u.password}, dir_ / "passwd.log");
            int st = 0;
            ::waitpid(p, &st, 0);
        }
        std::ofstream acl(dir_ / "acl");
        acl << "# every kiosk: its own topics only (user name = kiosk id)\n"
               "pattern write sentinel/v1/%u/#\n"
               "pattern read sentinel/v1/%u/cmd\n"
               "pattern read sentinel/v1/all/cmd\n"
               "pattern read sentinel/v1/station/+/cmd\n"
               "pattern read sentinel/v1/group/+/cmd\n"
               "user operator\n"
               "topic readwrite sentinel/#\n";
        acl.close();
        std::ofstream conf(dir_ / "mosquitto.conf");
        conf << "listener " << port_ << " 127.0.0.1\n"
             << "allow_anonymous false\n"
             << "password_file " << passwd.string() << "\n"
             << "acl_file " << (dir_ / "acl").string() << "\n"
             << "persistence false\n"
             << (::geteuid() == 0 ? "user root\n" : "")  // root in CI containers: keep access to the test's 0600 keys
             << "log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n";
        if (!tlsDir.empty()) {
            conf << "cafile " << (tlsDir / "ca.pem").string() << "\n"
                 << "certfile " << (tlsDir / "server.pem").string() << "\n"
                 << "keyfile " << (tlsDir / "server.key").string() << "\n";
        }
        conf << extraConf;
        conf.close();
        start();
    }
    ~Broker() { kill(SIGKILL); }

    int port() const { return port_; }
    bool running() const { return pid_ > 0; }

    // Starts (again) on the same port; true once it accepts connections.
    bool start() {
        if (pid_ > 0) return true;
        pid_ = spawn({kMosquitto, "-c", (dir_ / "mosquitto.conf").string()}, dir_ / "broker.log");
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < until) {
            if (portAccepts(port_)) return true;
            int st = 0;
            if (::waitpid(pid_, &st, WNOHANG) == pid_) {
                pid_ = -1;
                return false;
            }
            ::usleep(20'000);  // polling a condition (the port), not racing a thread
        }
        return false;
    }
    void kill(int sig) {
        if (pid_ <= 0) return;
        ::kill(pid_, sig);
        int st = 0;
        ::waitpid(pid_, &st, 0);
        pid_ = -1;
    }
    std::string log() const {
        std::ifstream in(dir_ / "broker.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

private:
    std::filesystem::path dir_;
    int port_;
    pid_t pid_ = -1;
};

struct Message {
    std::string topic, payload;
    bool retained = false;
};

// The operator's client: subscribes to `patterns` and keeps every message.
class Subscriber {
public:
    Subscriber(int port, const std::string& user, const std::string& password, std::vector<std::string> patterns,
               const std::string& caFile = {}, const std::string& certFile = {}, const std::string& keyFile = {})
        : patterns_(std::move(patterns)) {
        mosquitto_lib_init();
        m_ = mosquitto_new(nullptr, true, this);
        if (!user.empty()) mosquitto_username_pw_set(m_, user.c_str(), password.c_str());
        if (!caFile.empty()) {
            mosquitto_tls_set(m_, caFile.c_str(), nullptr, certFile.empty() ? nullptr : certFile.c_str(),
                              keyFile.empty() ? nullptr : keyFile.c_str(), nullptr);
        }
        mosquitto_connect_callback_set(m_, [](mosquitto* m, void* self, int rc) {
            auto* s = static_cast<Subscriber*>(self);
            if (rc != 0) return;
            for (const auto& p : s->patterns_) mosquitto_subscribe(m, nullptr, p.c_str(), 1);
            std::lock_guard lock(s->mutex_);
            ++s->connects_;
            s->cv_.notify_all();
        });
        mosquitto_subscribe_callback_set(m_, [](mosquitto*, void* self, int, int, const int*) {
            auto* s = static_cast<Subscriber*>(self);
            std::lock_guard lock(s->mutex_);
            ++s->subscribed_;
            s->cv_.notify_all();
        });
        mosquitto_message_callback_set(m_, [](mosquitto*, void* self, const mosquitto_message* msg) {
            auto* s = static_cast<Subscriber*>(self);
            std::lock_guard lock(s->mutex_);
            s->messages_.push_back({msg->topic, std::string(static_cast<const char*>(msg->payload),
                                                            static_cast<std::size_t>(msg->payloadlen)),
                                    msg->retain});
            s->cv_.notify_all();
        });
        mosquitto_reconnect_delay_set(m_, 1, 2, false);
        mosquitto_connect_async(m_, "127.0.0.1", port, 10);
        mosquitto_loop_start(m_);
    }
    ~Subscriber() {
        mosquitto_disconnect(m_);
        mosquitto_loop_stop(m_, true);
        mosquitto_destroy(m_);
    }
    // Waits until every pattern is subscribed (on the latest connection).
    bool waitSubscribed(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return subscribed_ >= patterns_.size() * std::max<std::size_t>(connects_, 1) && connects_ > 0; });
    }
    bool waitFor(const std::function<bool(const std::vector<Message>&)>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return done(messages_); });
    }
    std::vector<Message> messages() {
        std::lock_guard lock(mutex_);
        return messages_;
    }
    int publish(const std::string& topic, const std::string& payload, bool retain = false) {
        return mosquitto_publish(m_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, retain);
    }

private:
    mosquitto* m_ = nullptr;
    std::vector<std::string> patterns_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<Message> messages_;
    std::size_t connects_ = 0, subscribed_ = 0;
};

}  // namespace sentinel::fleet::testing

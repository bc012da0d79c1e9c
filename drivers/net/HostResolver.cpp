#include "drivers/net/HostResolver.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <sstream>

#include "firmware/base/Log.h"

namespace sentinel::net {
namespace {

constexpr std::string_view kLog = "Net";

struct Entry {
    std::vector<std::string> addresses;  // last good answer, empty if none yet
    MonoTime fetchedAt{};
    bool pending = false;      // a lookup is queued or running
    std::string lastError;     // of the last finished lookup, empty when it succeeded
    unsigned long generation = 0;  // bumped when a lookup finishes
};

}  // namespace

struct HostResolver::State {
    HostLookup lookup;
    std::chrono::milliseconds ttl;
    std::chrono::milliseconds staleLimit;
    std::mutex mutex;
    std::condition_variable_any work;  // lookup thread: a name was queued (or stop)
    std::condition_variable done;      // callers: a lookup finished
    std::deque<std::string> queue;
    std::map<std::string, Entry> entries;
};

namespace {

// A host name as DNS allows it (letters, digits, '-', '.', and ':' for IPv6 literals); anything else
// never reaches the helper's command line.
bool plausibleHostName(const std::string& host) {
    constexpr std::size_t kMaxHostName = 253;  // RFC 1035 §2.3.4
    if (host.empty() || host.size() > kMaxHostName || host.front() == '-') return false;
    for (unsigned char c : host) {
        if (!(std::isalnum(c) || c == '-' || c == '.' || c == ':' || c == '_')) return false;
    }
    return true;
}

// `getent ahosts` prints "ADDRESS  STREAM|DGRAM|RAW  [NAME]" lines; keep each address once.
std::vector<std::string> parseAhosts(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string addr, type;
        if (!(fields >> addr >> type) || type != "STREAM") continue;
        unsigned char buf[sizeof(in6_addr)];
        if (::inet_pton(AF_INET, addr.c_str(), buf) != 1 && ::inet_pton(AF_INET6, addr.c_str(), buf) != 1) continue;
        if (std::find(out.begin(), out.end(), addr) == out.end()) out.push_back(addr);
    }
    return out;
}

}  // namespace

HostLookup systemHostLookup(std::chrono::milliseconds limit) {
    return [limit](const std::string& host, std::stop_token stop) -> Result<std::vector<std::string>> {
        if (!plausibleHostName(host)) return makeError("not a host name");
        int pipeFds[2];
        if (::pipe2(pipeFds, O_CLOEXEC) != 0) return makeError(std::string("pipe: ") + std::strerror(errno));
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
        std::string name = host;
        char arg0[] = "getent";
        char arg1[] = "ahosts";
        char* argv[] = {arg0, arg1, name.data(), nullptr};
        pid_t pid = -1;
        const int rc = ::posix_spawnp(&pid, "getent", &actions, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(pipeFds[1]);
        if (rc != 0) {
            ::close(pipeFds[0]);
            return makeError(std::string("cannot start getent: ") + std::strerror(rc));
        }
        // Read until EOF, stop, or the limit; the helper is always reaped before returning.
        constexpr int kPollMs = 20;  // how soon a stop request is noticed
        std::string output;
        bool killed = false;
        const auto giveUp = std::chrono::steady_clock::now() + limit;
        constexpr std::size_t kMaxOutput = 64 * 1024;  // far more than any host's address list
        for (;;) {
            if (stop.stop_requested() || std::chrono::steady_clock::now() >= giveUp) {
                ::kill(pid, SIGKILL);
                killed = true;
                break;
            }
            pollfd p{pipeFds[0], POLLIN, 0};
            const int n = ::poll(&p, 1, kPollMs);
            if (n < 0 && errno != EINTR) break;
            if (n <= 0) continue;
            char buf[4096];
            const ssize_t got = ::read(pipeFds[0], buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) break;  // EOF: the helper finished
            if (output.size() < kMaxOutput) output.append(buf, static_cast<std::size_t>(got));
        }
        ::close(pipeFds[0]);
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (killed) return makeError(stop.stop_requested() ? "lookup stopped" : "lookup took longer than its limit");
        // getent: 0 found, 2 not found (RFC 1035 NXDOMAIN or no address).
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return makeError("getent ahosts: host not found");
        auto out = parseAhosts(output);
        if (out.empty()) return makeError("getent ahosts: no IPv4/IPv6 address");
        return out;
    };
}

HostResolver::HostResolver(HostLookup lookup, std::chrono::milliseconds ttl, std::chrono::milliseconds staleLimit)
    : state_(std::make_unique<State>()) {
    state_->lookup = lookup ? std::move(lookup) : systemHostLookup();
    state_->ttl = ttl;
    state_->staleLimit = staleLimit;
    thread_ = std::jthread([this](std::stop_token stop) { lookupLoop(std::move(stop)); });
}

HostResolver::~HostResolver() {
    thread_.request_stop();  // wakes the loop (condition_variable_any) and the lookup in progress
    thread_.join();
}

void HostResolver::lookupLoop(std::stop_token stop) {
    State& st = *state_;
    std::unique_lock lock(st.mutex);
    for (;;) {
        if (!st.work.wait(lock, stop, [&] { return !st.queue.empty(); })) return;  // stop requested
        std::string host = std::move(st.queue.front());
        st.queue.pop_front();
        lock.unlock();
        auto answer = st.lookup(host, stop);
        lock.lock();
        Entry& e = st.entries[host];
        e.pending = false;
        ++e.generation;
        if (answer.ok()) {
            e.addresses = std::move(answer.value());
            e.fetchedAt = std::chrono::steady_clock::now();
            e.lastError.clear();
        } else {
            e.lastError = answer.error().message;
            SLOG(kLog, Warn) << "lookup of the service host failed: " << e.lastError;
        }
        st.done.notify_all();
    }
}

ResolveOutcome HostResolver::resolve(const std::string& host, MonoTime deadline) {
    auto& st = *state_;
    std::unique_lock lock(st.mutex);
    Entry& e = st.entries[host];
    const auto now = std::chrono::steady_clock::now();
    const bool have = !e.addresses.empty();
    const auto age = now - e.fetchedAt;
    if (have && age < st.ttl) return {ResolveOutcome::Kind::Resolved, e.addresses, {}};
    if (!e.pending) {
        e.pending = true;
        st.queue.push_back(host);
        st.work.notify_one();
    }
    if (have && age < st.ttl + st.staleLimit) {
        SLOG(kLog, Debug) << "serving a stale address while the lookup refreshes";
        return {ResolveOutcome::Kind::Resolved, e.addresses, {}};
    }
    const auto generation = e.generation;
    // std::map never moves its nodes, so `e` stays valid across the wait.
    if (!st.done.wait_until(lock, deadline, [&] { return e.generation != generation; })) {
        return {ResolveOutcome::Kind::Timeout, {}, "host lookup did not finish before the deadline"};
    }
    if (!e.lastError.empty()) return {ResolveOutcome::Kind::Failed, {}, e.lastError};
    return {ResolveOutcome::Kind::Resolved, e.addresses, {}};
}

}  // namespace sentinel::net

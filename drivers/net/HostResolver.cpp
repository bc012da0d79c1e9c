#include "drivers/net/HostResolver.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

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
    std::condition_variable work;  // lookup thread: a name was queued or stop
    std::condition_variable done;  // callers: a lookup finished
    std::deque<std::string> queue;
    std::map<std::string, Entry> entries;
    bool stop = false;
};

HostLookup systemHostLookup() {
    return [](const std::string& host) -> Result<std::vector<std::string>> {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_ADDRCONFIG;
        addrinfo* list = nullptr;
        int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
        if (rc != 0) return makeError(std::string("getaddrinfo: ") + ::gai_strerror(rc));
        std::vector<std::string> out;
        for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
            char text[INET6_ADDRSTRLEN] = {};
            const void* raw = nullptr;
            const void* addr = ai->ai_addr;  // aligned for its family by getaddrinfo; void* avoids -Wcast-align
            if (ai->ai_family == AF_INET) {
                raw = &static_cast<const sockaddr_in*>(addr)->sin_addr;
            } else if (ai->ai_family == AF_INET6) {
                raw = &static_cast<const sockaddr_in6*>(addr)->sin6_addr;
            } else {
                continue;
            }
            if (::inet_ntop(ai->ai_family, raw, text, sizeof text) == nullptr) continue;
            std::string a(text);
            bool seen = false;
            for (const auto& b : out) seen = seen || b == a;
            if (!seen) out.push_back(std::move(a));
        }
        ::freeaddrinfo(list);
        if (out.empty()) return makeError("getaddrinfo: no IPv4/IPv6 address");
        return out;
    };
}

HostResolver::HostResolver(HostLookup lookup, std::chrono::milliseconds ttl, std::chrono::milliseconds staleLimit)
    : state_(std::make_shared<State>()) {
    state_->lookup = lookup ? std::move(lookup) : systemHostLookup();
    state_->ttl = ttl;
    state_->staleLimit = staleLimit;
    // The thread owns a reference to the state, so it may outlive this object when a lookup hangs.
    std::thread([st = state_] {
        std::unique_lock lock(st->mutex);
        for (;;) {
            st->work.wait(lock, [&] { return st->stop || !st->queue.empty(); });
            if (st->stop) return;
            std::string host = std::move(st->queue.front());
            st->queue.pop_front();
            lock.unlock();
            auto answer = st->lookup(host);
            lock.lock();
            Entry& e = st->entries[host];
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
            st->done.notify_all();
        }
    }).detach();
}

HostResolver::~HostResolver() {
    std::lock_guard lock(state_->mutex);
    state_->stop = true;
    state_->work.notify_all();
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

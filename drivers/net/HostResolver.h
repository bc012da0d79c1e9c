#pragma once
// Host name lookups that never hold the caller past its deadline.
//
// libcurl's threaded resolver starts one thread per lookup and, in 7.88, joins it when a transfer
// is cancelled: a hung getaddrinfo() would then block whoever cancels. So the net driver resolves
// names itself, on ONE persistent lookup thread, and hands curl the addresses (CURLOPT_RESOLVE):
//   - a caller waits for a lookup only until its deadline, then gets Timeout;
//   - concurrent lookups of the same name share one query (a hung name costs one thread, total);
//   - answers are cached for `ttl`; a stale answer is served at once while a refresh runs in the
//     background, up to `staleLimit` after it was fetched (a dead resolver must not stop the gate
//     when the service's address is already known; the TLS pin still authenticates the peer).

#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <thread>
#include <string>
#include <vector>

#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::net {

// A blocking lookup of one host name → textual addresses ("127.0.0.1", "::1"). Runs on the lookup
// thread only, and must return soon after `stop` is requested (the resolver joins its thread).
using HostLookup = std::function<Result<std::vector<std::string>>(const std::string& host, std::stop_token stop)>;

// The system resolver (/etc/hosts, DNS, nsswitch: getaddrinfo) in a helper process, `getent
// ahosts HOST`, so that a lookup stuck in the C library is a process we can kill, not a thread we
// would have to abandon. The helper is killed when `stop` is requested or after `limit`.
HostLookup systemHostLookup(std::chrono::milliseconds limit = std::chrono::seconds(30));

struct ResolveOutcome {
    enum class Kind { Resolved, Timeout, Failed } kind = Kind::Failed;
    std::vector<std::string> addresses;  // Resolved: at least one
    std::string detail;                  // Timeout/Failed: for logs, never personal data
};

class HostResolver {
public:
    HostResolver(HostLookup lookup, std::chrono::milliseconds ttl, std::chrono::milliseconds staleLimit);
    // Stops the lookup thread (a lookup in progress is asked to stop) and joins it.
    ~HostResolver();
    HostResolver(const HostResolver&) = delete;
    HostResolver& operator=(const HostResolver&) = delete;

    // Returns by `deadline` at the latest.
    ResolveOutcome resolve(const std::string& host, MonoTime deadline);

private:
    struct State;
    void lookupLoop(std::stop_token stop);

    std::unique_ptr<State> state_;
    std::jthread thread_;  // last: started after the state exists, joined before it goes
};

}  // namespace sentinel::net

#pragma once
// The control socket of the running kiosk (DESIGN §11): a Unix stream socket carrying `status` and
// `staff override` between `sentinel run` and the CLI. Protocol (docs/diagnostics.md): one JSON
// object per line each way, `{"v":1,"cmd":"status"|"override"}` → `{"v":1,"ok":true,…}` or
// `{"v":1,"ok":false,"error":"…"}`. One request at a time per connection; a connection may send
// several in turn.
//
// One thread (poll()) owns the listening socket and every client. Hostile or slow clients cost that
// thread nothing but a bounded buffer: requests longer than maxRequestBytes are refused and the
// connection closed, a request must arrive complete (and a reply be read) within clientTimeout;
// beyond maxClients the client idle longest (nothing in progress) is closed to make room, and only
// when every client has a request in progress is the newcomer told "busy" and closed. Handlers are asynchronous: they answer
// through a Reply from any thread (the decision thread hands over a value and goes on), and a
// handler that does not answer within replyTimeout gets the client a timeout error.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "firmware/base/Result.h"

namespace sentinel::control {

inline constexpr int kControlProtocolVersion = 1;
// A kiosk step can take the whole decision budget (budget.decision_ms, at most 5 s by default)
// plus one camera grab (0.5 s) before the loop serves an override: 8 s covers it with margin.
inline constexpr std::chrono::milliseconds kControlReplyTimeout{8000};

struct ControlServerOptions {
    std::filesystem::path path;      // staff.control_socket
    std::string group = "sentinel";  // the socket's group, when that group exists (else the process's)
    // A request is a short JSON object ({"v":1,"cmd":"override"} is 26 bytes): 4 KiB is generous.
    std::size_t maxRequestBytes = 4096;
    // A technician's `status` and a staff member's `override` at once, plus monitoring: a few.
    std::size_t maxClients = 4;
    std::chrono::milliseconds clientTimeout{5000};  // to send a complete request / read a reply
    std::chrono::milliseconds replyTimeout = kControlReplyTimeout;
};

// A handler's answer: the response object (the server adds "v"). Callable from any thread, once;
// never blocks. Answers for a client that has gone are dropped.
using ControlReply = std::function<void(nlohmann::json response)>;
// Called on the server thread with a well-formed request (an object with "v" = 1 and a string
// "cmd"). Must return at once; answer through `reply` now or later.
using ControlHandler = std::function<void(const nlohmann::json& request, ControlReply reply)>;

class ControlServer {
public:
    // Binds the socket: mode 0660, group options.group when it exists, created under a temporary
    // name and renamed into place (no moment with looser permissions). A stale socket left by a
    // crash is replaced; a socket another process still serves, or a path that is not a socket, is
    // an error naming the path, and so is a missing directory (it is never created here).
    static Result<std::unique_ptr<ControlServer>> start(const ControlServerOptions& options, ControlHandler handler);
    ~ControlServer();  // stops and joins the thread, closes every client, removes the socket file
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    const std::filesystem::path& path() const { return options_.path; }

    struct Shared;  // replies in flight (internal)

private:
    ControlServer(ControlServerOptions options, ControlHandler handler, int listenFd, ino_t inode);
    void loop(std::stop_token stop);

    ControlServerOptions options_;
    ControlHandler handler_;
    int listenFd_;
    ino_t inode_;  // of the socket file we bound: only that file is removed on exit
    std::shared_ptr<Shared> shared_;
    std::jthread thread_;  // last: stopped and joined before the members above go
};

// The client side (`sentinel status`, `sentinel staff override`): connects to `path`, sends
// `request` (with "v" added) and waits at most `timeout` for the one-line answer. Errors name the
// path and say what to check (no kiosk running, permissions, a stale socket).
Result<nlohmann::json> controlRequest(const std::filesystem::path& path, nlohmann::json request,
                                      std::chrono::milliseconds timeout);

}  // namespace sentinel::control

#include "firmware/control/ControlServer.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include "firmware/base/Log.h"

namespace sentinel::control {
namespace {

constexpr const char* kLog = "Control";
constexpr mode_t kSocketMode = 0660;  // DESIGN §11: owner and group (`sentinel`) only
constexpr int kListenBacklog = 8;
constexpr std::size_t kReadChunk = 4096;
// getgrnam_r buffer: group entries with a few members fit in far less.
constexpr std::size_t kGroupBufferBytes = 16384;

using Steady = std::chrono::steady_clock;

std::string errnoText(int err) { return std::strerror(err); }

void closeFd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

Result<sockaddr_un> socketAddress(const std::filesystem::path& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string& s = path.native();
    if (s.empty()) return Error{"control socket: empty path (staff.control_socket)"};
    if (s.size() >= sizeof addr.sun_path) {
        return Error{"control socket " + s + ": path longer than " + std::to_string(sizeof addr.sun_path - 1) + " bytes"};
    }
    std::memcpy(addr.sun_path, s.c_str(), s.size() + 1);
    return addr;
}

std::optional<gid_t> groupId(const std::string& name) {
    if (name.empty()) return std::nullopt;
    group gr{};
    group* found = nullptr;
    std::vector<char> buf(kGroupBufferBytes);
    if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found) return std::nullopt;
    return found->gr_gid;
}

// A socket file at `path`: is a process still serving it?
bool socketIsServed(const sockaddr_un& addr) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const bool served = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return served;
}

nlohmann::json errorResponse(const std::string& message) { return {{"ok", false}, {"error", message}}; }

std::string line(nlohmann::json response) {
    response["v"] = kControlProtocolVersion;
    return response.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

struct ControlServer::Shared {
    std::mutex mutex;
    struct Answer {
        std::uint64_t client, request;
        nlohmann::json response;
    };
    std::vector<Answer> answers;
    int wakeFd = -1;  // eventfd: an answer is waiting
    ~Shared() { closeFd(wakeFd); }
    void post(Answer a) {
        {
            std::lock_guard lock(mutex);
            answers.push_back(std::move(a));
        }
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto n = ::write(wakeFd, &one, sizeof one);
    }
};

Result<std::unique_ptr<ControlServer>> ControlServer::start(const ControlServerOptions& options, ControlHandler handler) {
    auto addr = socketAddress(options.path);
    if (!addr) return addr.error();
    const std::string& path = options.path.native();
    std::error_code ec;
    // The directory is not created here: systemd makes /run/sentinel (RuntimeDirectory=) with the
    // right owner and mode, and a kiosk started by hand (a bench, a test) must not litter /run.
    if (auto parent = options.path.parent_path(); !parent.empty() && !std::filesystem::is_directory(parent, ec)) {
        return Error{"control socket " + path + ": directory " + parent.string() +
                     " does not exist (the systemd unit creates /run/sentinel; else set staff.control_socket)"};
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) return Error{"control socket " + path + ": exists and is not a socket; remove it"};
        if (socketIsServed(*addr)) return Error{"control socket " + path + ": another process is serving it"};
        SLOG(kLog, Info) << "replacing stale control socket " << path;
    }

    // Bound under a temporary name, given its mode and group, then renamed over the final path:
    // there is no moment the socket exists with the umask's permissions, and a stale one is
    // replaced atomically.
    const std::filesystem::path tmpPath = path + ".new-" + std::to_string(::getpid());
    auto tmpAddr = socketAddress(tmpPath);
    if (!tmpAddr) return tmpAddr.error();
    ::unlink(tmpPath.c_str());
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return Error{"control socket: socket(): " + errnoText(errno)};
    auto fail = [&](const std::string& what) -> Error {
        const int err = errno;
        closeFd(fd);
        ::unlink(tmpPath.c_str());
        return Error{"control socket " + path + ": " + what + ": " + errnoText(err)};
    };
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&*tmpAddr), sizeof *tmpAddr) != 0) return fail("bind");
    if (::chmod(tmpPath.c_str(), kSocketMode) != 0) return fail("chmod");
    if (auto gid = groupId(options.group)) {
        if (::chown(tmpPath.c_str(), static_cast<uid_t>(-1), *gid) != 0) {
            SLOG(kLog, Warn) << "control socket " << path << ": cannot give it group " << options.group << ": "
                             << errnoText(errno);
        }
    }
    if (::listen(fd, kListenBacklog) != 0) return fail("listen");
    if (::rename(tmpPath.c_str(), path.c_str()) != 0) return fail("rename into place");
    if (::lstat(path.c_str(), &st) != 0) return fail("stat");

    auto shared = std::make_shared<Shared>();
    shared->wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (shared->wakeFd < 0) {
        const int err = errno;
        closeFd(fd);
        ::unlink(path.c_str());
        return Error{"control socket: eventfd: " + errnoText(err)};
    }
    std::unique_ptr<ControlServer> server(new ControlServer(options, std::move(handler), fd, st.st_ino));
    server->shared_ = std::move(shared);
    server->thread_ = std::jthread([s = server.get()](std::stop_token stop) { s->loop(stop); });
    SLOG(kLog, Info) << "control socket " << path << " (mode 0660)";
    return server;
}

ControlServer::ControlServer(ControlServerOptions options, ControlHandler handler, int listenFd, ino_t inode)
    : options_(std::move(options)), handler_(std::move(handler)), listenFd_(listenFd), inode_(inode) {}

ControlServer::~ControlServer() {
    if (thread_.joinable()) {
        thread_.request_stop();
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto n = ::write(shared_->wakeFd, &one, sizeof one);
        thread_.join();
    }
    closeFd(listenFd_);
    // Only the file we bound: a newer kiosk may have replaced it meanwhile.
    struct stat st {};
    if (::lstat(options_.path.c_str(), &st) == 0 && st.st_ino == inode_) ::unlink(options_.path.c_str());
}

namespace {

struct Client {
    int fd = -1;
    std::uint64_t id = 0;
    std::uint64_t request = 0;  // the request being answered (answers for older ones are dropped)
    std::string in, out;
    Steady::time_point deadline;
    Steady::time_point idleSince;  // when it last had nothing in progress (connected, or answered)
    bool awaiting = false;         // a handler has the request; nothing is read meanwhile
    bool closeAfterWrite = false;  // framing lost or the peer closed: close once `out` is sent
};

}  // namespace

void ControlServer::loop(std::stop_token stop) {
    std::vector<Client> clients;
    std::uint64_t nextId = 1;
    const std::size_t maxLine = options_.maxRequestBytes;

    auto answer = [](Client& c, nlohmann::json response, Steady::time_point now, std::chrono::milliseconds timeout) {
        c.out += line(std::move(response));
        c.awaiting = false;
        c.deadline = now + timeout;
    };
    // Takes one complete request line out of c.in, if there is one, and hands it to the handler.
    auto serveNext = [&](Client& c, Steady::time_point now) {
        if (c.awaiting || c.closeAfterWrite || !c.out.empty()) return;
        const auto nl = c.in.find('\n');
        if (nl == std::string::npos) {
            if (c.in.size() > maxLine) {
                answer(c, errorResponse("request longer than " + std::to_string(maxLine) + " bytes"), now,
                       options_.clientTimeout);
                c.closeAfterWrite = true;
                c.in.clear();
            }
            return;
        }
        if (nl > maxLine) {
            answer(c, errorResponse("request longer than " + std::to_string(maxLine) + " bytes"), now, options_.clientTimeout);
            c.closeAfterWrite = true;
            c.in.clear();
            return;
        }
        std::string text = c.in.substr(0, nl);
        c.in.erase(0, nl + 1);
        auto req = nlohmann::json::parse(text, nullptr, false);
        if (req.is_discarded()) return answer(c, errorResponse("bad request: not JSON"), now, options_.clientTimeout);
        if (!req.is_object()) return answer(c, errorResponse("bad request: not a JSON object"), now, options_.clientTimeout);
        auto v = req.find("v");
        if (v == req.end() || !v->is_number_integer()) {
            return answer(c, errorResponse("bad request: no protocol version \"v\""), now, options_.clientTimeout);
        }
        if (*v != kControlProtocolVersion) {
            return answer(c,
                          errorResponse("unsupported protocol version " + v->dump() + " (this kiosk speaks " +
                                        std::to_string(kControlProtocolVersion) + ")"),
                          now, options_.clientTimeout);
        }
        auto cmd = req.find("cmd");
        if (cmd == req.end() || !cmd->is_string()) {
            return answer(c, errorResponse("bad request: no \"cmd\""), now, options_.clientTimeout);
        }
        c.awaiting = true;
        c.request += 1;
        c.deadline = now + options_.replyTimeout;
        std::weak_ptr<Shared> weak = shared_;
        ControlReply reply = [weak, client = c.id, request = c.request](nlohmann::json response) {
            if (auto s = weak.lock()) s->post({client, request, std::move(response)});
        };
        try {
            handler_(req, reply);
        } catch (const std::exception& e) {
            SLOG(kLog, Error) << "control handler threw: " << e.what();
            reply(errorResponse("internal error"));
        }
    };

    std::vector<pollfd> fds;
    while (!stop.stop_requested()) {
        Steady::time_point now = Steady::now();
        fds.clear();
        fds.push_back({listenFd_, POLLIN, 0});
        fds.push_back({shared_->wakeFd, POLLIN, 0});
        Steady::time_point next = Steady::time_point::max();
        for (auto& c : clients) {
            short events = 0;
            if (!c.out.empty()) {
                events = POLLOUT;
            } else if (!c.awaiting && !c.closeAfterWrite) {
                events = POLLIN;
            }
            fds.push_back({c.fd, events, 0});
            next = std::min(next, c.deadline);
        }
        int timeoutMs = -1;
        if (next != Steady::time_point::max()) {
            timeoutMs = static_cast<int>(std::max<long long>(
                0, std::chrono::ceil<std::chrono::milliseconds>(next - now).count()));
        }
        if (::poll(fds.data(), fds.size(), timeoutMs) < 0 && errno != EINTR) {
            SLOG(kLog, Error) << "control socket: poll: " << errnoText(errno);
            return;
        }
        if (stop.stop_requested()) break;
        now = Steady::now();

        // Answers from handlers (any thread).
        if (fds[1].revents & POLLIN) {
            std::uint64_t count = 0;
            [[maybe_unused]] const auto n = ::read(shared_->wakeFd, &count, sizeof count);
            std::vector<Shared::Answer> answers;
            {
                std::lock_guard lock(shared_->mutex);
                answers.swap(shared_->answers);
            }
            for (auto& a : answers) {
                auto it = std::find_if(clients.begin(), clients.end(), [&](const Client& c) { return c.id == a.client; });
                if (it != clients.end() && it->awaiting && it->request == a.request) {
                    answer(*it, std::move(a.response), now, options_.clientTimeout);
                }
            }
        }

        // Client I/O. Indices into `fds` match `clients` as they were when polled (offset 2).
        const std::size_t polled = fds.size() - 2;
        for (std::size_t i = 0; i < polled; ++i) {
            Client& c = clients[i];
            const short re = fds[i + 2].revents;
            if (re & (POLLERR | POLLNVAL | POLLHUP)) {
                // Gone both ways (a half-close after a request is only POLLIN): nothing can be delivered.
                closeFd(c.fd);
                continue;
            }
            if (re & POLLOUT) {
                const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno != EAGAIN && errno != EINTR) {
                    closeFd(c.fd);
                    continue;
                }
                if (n > 0) c.out.erase(0, static_cast<std::size_t>(n));
                if (c.out.empty()) {
                    if (c.closeAfterWrite) {
                        closeFd(c.fd);
                        continue;
                    }
                    c.deadline = now + options_.clientTimeout;
                    c.idleSince = now;
                }
            } else if (re & POLLIN) {
                char buf[kReadChunk];
                const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                    // Peer closed (or half-closed after its request): answer what it asked, then close.
                    if (c.awaiting || !c.out.empty()) {
                        c.closeAfterWrite = true;
                    } else {
                        closeFd(c.fd);
                        continue;
                    }
                } else if (n > 0) {
                    c.in.append(buf, static_cast<std::size_t>(n));
                }
            }
            serveNext(c, now);
        }

        // Timeouts: a handler that did not answer, a client that does not send or does not read.
        for (auto& c : clients) {
            if (c.fd < 0 || now < c.deadline) continue;
            if (c.awaiting) {
                answer(c, errorResponse("timeout: the kiosk did not answer within " +
                                        std::to_string(options_.replyTimeout.count()) + " ms"),
                       now, options_.clientTimeout);
            } else {
                closeFd(c.fd);
            }
        }
        std::erase_if(clients, [](const Client& c) { return c.fd < 0; });

        // New connections.
        if (fds[0].revents & POLLIN) {
            for (;;) {
                const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) break;
                if (clients.size() >= options_.maxClients) {
                    // Full. Clients that connect and send nothing must not lock staff out: the one
                    // idle longest (no request being answered) makes room. When every client has a
                    // request in progress, the newcomer is told "busy".
                    auto idle = std::min_element(clients.begin(), clients.end(), [](const Client& a, const Client& b) {
                        const bool ai = !a.awaiting && a.out.empty(), bi = !b.awaiting && b.out.empty();
                        if (ai != bi) return ai;
                        return a.idleSince < b.idleSince;
                    });
                    if (idle != clients.end() && !idle->awaiting && idle->out.empty()) {
                        const std::string busy = line(errorResponse("closed: idle while the kiosk needed the slot"));
                        [[maybe_unused]] const auto n =
                            ::send(idle->fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                        ::close(idle->fd);
                        clients.erase(idle);
                    } else {
                        const std::string busy = line(errorResponse("busy: too many clients"));
                        [[maybe_unused]] const auto n = ::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                        ::close(fd);
                        continue;
                    }
                }
                Client c;
                c.fd = fd;
                c.id = nextId++;
                c.deadline = now + options_.clientTimeout;
                c.idleSince = now;
                // A client that sent its request with the connect is served now, before further
                // connections (which may need a slot) are accepted.
                char buf[kReadChunk];
                const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n > 0) c.in.append(buf, static_cast<std::size_t>(n));
                serveNext(c, now);
                clients.push_back(std::move(c));
            }
        }
    }
    for (auto& c : clients) closeFd(c.fd);
}

Result<nlohmann::json> controlRequest(const std::filesystem::path& path, nlohmann::json request,
                                      std::chrono::milliseconds timeout) {
    auto addr = socketAddress(path);
    if (!addr) return addr.error();
    const std::string& p = path.native();
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Error{"socket(): " + errnoText(errno)};
    struct Closer {
        int& fd;
        ~Closer() { closeFd(fd); }
    } closer{fd};
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) {
        const int err = errno;
        if (err == ENOENT) return Error{"no control socket at " + p + " — is `sentinel run` running? (staff.control_socket)"};
        if (err == EACCES) return Error{"permission denied on " + p + " — run as root or as a member of the group sentinel"};
        if (err == ECONNREFUSED) return Error{"nobody is listening on " + p + " (a stale socket: is `sentinel run` running?)"};
        return Error{"cannot connect to " + p + ": " + errnoText(err)};
    }
    const auto deadline = Steady::now() + timeout;
    auto waitFor = [&](short events) -> bool {
        for (;;) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Steady::now()).count();
            if (left <= 0) return false;
            pollfd pfd{fd, events, 0};
            const int r = ::poll(&pfd, 1, static_cast<int>(left));
            if (r > 0) return true;
            if (r < 0 && errno != EINTR) return false;
        }
    };
    request["v"] = kControlProtocolVersion;
    std::string out = request.dump() + "\n";
    while (!out.empty()) {
        if (!waitFor(POLLOUT)) return Error{"timeout sending to " + p};
        const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN && errno != EINTR) return Error{"send to " + p + ": " + errnoText(errno)};
        if (n > 0) out.erase(0, static_cast<std::size_t>(n));
    }
    std::string in;
    // An answer is a status report at most: 1 MiB bounds a misbehaving peer.
    constexpr std::size_t kMaxAnswerBytes = 1 << 20;
    while (in.find('\n') == std::string::npos) {
        if (!waitFor(POLLIN)) return Error{"timeout: no answer from the kiosk on " + p};
        char buf[kReadChunk];
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0) return Error{"the kiosk closed " + p + " without answering"};
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return Error{"receive from " + p + ": " + errnoText(errno)};
        }
        in.append(buf, static_cast<std::size_t>(n));
        if (in.size() > kMaxAnswerBytes) return Error{"answer on " + p + " is too long"};
    }
    auto j = nlohmann::json::parse(in.substr(0, in.find('\n')), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Error{"the kiosk's answer on " + p + " is not a JSON object"};
    return j;
}

}  // namespace sentinel::control

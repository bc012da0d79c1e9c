#include "tests/hcsim/HcSimProcess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>
#include <thread>

extern char** environ;

namespace sentinel::hcsim {
namespace {

constexpr auto kStopGrace = std::chrono::seconds{1};
constexpr auto kReapPoll = std::chrono::milliseconds{10};

bool reapWithin(pid_t pid, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) return true;
        std::this_thread::sleep_for(kReapPoll);
    }
    return false;
}

}  // namespace

Result<std::unique_ptr<HcSimProcess>> HcSimProcess::spawn(const std::string& executable,
                                                          const std::vector<std::string>& args,
                                                          std::chrono::milliseconds startTimeout) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return makeError("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::vector<std::string> argvText{executable};
    argvText.insert(argvText.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argvText) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, executable.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        return makeError("cannot start " + executable);
    }
    std::unique_ptr<HcSimProcess> p(new HcSimProcess());
    p->pid_ = pid;  // from here the destructor reaps the child on every path
    std::string line;
    const auto until = std::chrono::steady_clock::now() + startTimeout;
    while (line.find('\n') == std::string::npos) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd pfd{fds[0], POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
        char buf[512];
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;
        line.append(buf, static_cast<size_t>(n));
    }
    ::close(fds[0]);
    std::istringstream in(line);
    std::string listening, portWord, pinWord;
    in >> listening >> p->baseUrl_ >> portWord >> p->port_ >> pinWord >> p->pin_;
    if (listening != "listening" || portWord != "port" || pinWord != "pin" || p->port_ <= 0)
        return makeError("sentinel-hcsim did not start (output: '" + line + "')");
    return p;
}

HcSimProcess::~HcSimProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (!reapWithin(pid_, kStopGrace)) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

}  // namespace sentinel::hcsim

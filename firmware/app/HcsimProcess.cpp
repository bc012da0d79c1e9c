#include "firmware/app/HcsimProcess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>

extern char** environ;

namespace sentinel::app {
namespace {

constexpr std::chrono::seconds kStartTimeout{10};

bool executable(const std::filesystem::path& p) { return ::access(p.c_str(), X_OK) == 0; }

}  // namespace

std::string HcsimProcess::locate() {
    if (const char* env = std::getenv("SENTINEL_HCSIM"); env && executable(env)) return env;
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        for (const auto& candidate : {self.parent_path() / "sentinel-hcsim",
                                      self.parent_path() / ".." / ".." / "tests" / "hcsim" / "sentinel-hcsim"}) {
            if (executable(candidate)) return std::filesystem::weakly_canonical(candidate, ec).string();
        }
    }
    if (const char* path = std::getenv("PATH")) {
        std::stringstream ss(path);
        std::string dir;
        while (std::getline(ss, dir, ':')) {
            if (!dir.empty() && executable(std::filesystem::path(dir) / "sentinel-hcsim"))
                return (std::filesystem::path(dir) / "sentinel-hcsim").string();
        }
    }
    return {};
}

Result<std::unique_ptr<HcsimProcess>> HcsimProcess::start(const std::string& exe, const std::filesystem::path& pkiDir,
                                                          const std::vector<std::string>& extraArgs) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return Error{"hcsim: pipe failed"};
    std::vector<std::string> args{exe, "--listen", "127.0.0.1:0", "--gen-pki", pkiDir.string()};
    args.insert(args.end(), extraArgs.begin(), extraArgs.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (rc != 0) {
        ::close(out[0]);
        return Error{"hcsim: cannot start " + exe};
    }
    std::unique_ptr<HcsimProcess> proc(new HcsimProcess());
    proc->pid_ = pid;
    proc->pkiDir_ = pkiDir;

    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (line.find('\n') == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd pfd{out[0], POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
        char buf[512];
        const ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        line.append(buf, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    std::istringstream in(line);
    std::string word, url, portWord, port, pinWord, pin;
    in >> word >> url >> portWord >> port >> pinWord >> pin;
    if (word != "listening" || pinWord != "pin" || pin.empty()) return Error{"hcsim: did not start (no 'listening' line)"};
    proc->baseUrl_ = url;
    proc->pin_ = pin;
    return proc;
}

HcsimProcess::~HcsimProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
        ::usleep(10'000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
}

}  // namespace sentinel::app

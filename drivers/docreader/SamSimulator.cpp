#include "drivers/docreader/SamSimulator.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace sentinel::docreader {
namespace {

// The thread looks at the device at least this often even when no byte moves (faults armed by a
// script take effect on the next request anyway; this only bounds how late a stalled reply goes).
constexpr std::chrono::milliseconds kIdlePoll{50};
constexpr std::size_t kReadChunk = 512;

std::string errnoText() {
    return std::strerror(errno);
}

}  // namespace

Result<std::unique_ptr<SamSimulator>> SamSimulator::start() {
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) return makeError("posix_openpt: " + errnoText());
    auto fail = [&](const std::string& what) {
        const std::string why = what + ": " + errnoText();
        ::close(master);
        return makeError(why);
    };
    if (::grantpt(master) != 0) return fail("grantpt");
    if (::unlockpt(master) != 0) return fail("unlockpt");
    char name[128];
    if (::ptsname_r(master, name, sizeof name) != 0) return fail("ptsname");
    const int slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) return fail(std::string("open ") + name);
    // Raw on our side too: no echo, no line editing, whatever the reader does with its own fd.
    termios tio{};
    if (::tcgetattr(slave, &tio) == 0) {
        ::cfmakeraw(&tio);
        ::tcsetattr(slave, TCSANOW, &tio);
    }
    const int flags = ::fcntl(master, F_GETFL);
    ::fcntl(master, F_SETFL, flags | O_NONBLOCK);
    const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake < 0) {
        ::close(slave);
        return fail("eventfd");
    }
    return std::unique_ptr<SamSimulator>(new SamSimulator(master, slave, wake, name));
}

SamSimulator::SamSimulator(int master, int slave, int wakeFd, std::string path)
    : master_(master), slave_(slave), wake_(wakeFd), path_(std::move(path)) {
    thread_ = std::jthread([this](std::stop_token stop) { serve(std::move(stop)); });
}

SamSimulator::~SamSimulator() {
    thread_.request_stop();
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
    if (thread_.joinable()) thread_.join();
    ::close(wake_);
    ::close(slave_);
    ::close(master_);
}

void SamSimulator::withDevice(const std::function<void(SamDevice&)>& f) {
    {
        std::lock_guard lock(mutex_);
        f(device_);
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
    changed_.notify_all();
}

bool SamSimulator::drain(std::chrono::milliseconds timeout) {
    std::uint64_t since = 0;
    withDevice([&](SamDevice& d) { since = d.requests(); });
    return waitUntil([since](const SamDevice& d) { return d.requests() > since; }, timeout);
}

bool SamSimulator::waitUntil(const std::function<bool(const SamDevice&)>& done,
                             std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(device_); });
}

void SamSimulator::serve(std::stop_token stop) {
    std::array<std::uint8_t, kReadChunk> buf{};
    while (!stop.stop_requested()) {
        std::chrono::milliseconds wait = kIdlePoll;
        {
            std::lock_guard lock(mutex_);
            if (auto due = device_.nextDue()) {
                const auto left = std::chrono::ceil<std::chrono::milliseconds>(
                    *due - std::chrono::steady_clock::now());
                wait = std::clamp(left, std::chrono::milliseconds{0}, kIdlePoll);
            }
        }
        std::array<pollfd, 2> fds{pollfd{master_, POLLIN, 0}, pollfd{wake_, POLLIN, 0}};
        if (::poll(fds.data(), fds.size(), static_cast<int>(wait.count())) < 0 && errno != EINTR)
            break;
        if (fds[1].revents & POLLIN) {
            std::uint64_t v = 0;
            [[maybe_unused]] auto n = ::read(wake_, &v, sizeof v);
        }
        bool answered = false;
        if (fds[0].revents & POLLIN) {
            const ssize_t n = ::read(master_, buf.data(), buf.size());
            if (n > 0) {
                std::lock_guard lock(mutex_);
                device_.receive(
                    std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)),
                    std::chrono::steady_clock::now());
                answered = true;
            }
        }
        // Taken and written under the lock, so that drain() never sees a reply between the two.
        std::lock_guard lock(mutex_);
        const auto out = device_.takeDue(std::chrono::steady_clock::now());
        std::size_t done = 0;
        while (done < out.size()) {
            const ssize_t n = ::write(master_, out.data() + done, out.size() - done);
            if (n > 0) {
                done += static_cast<std::size_t>(n);
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                break;
            } else {
                // Nobody reads the slave (the reader closed it): its queue is full; drop the rest.
                pollfd p{master_, POLLOUT, 0};
                if (::poll(&p, 1, static_cast<int>(kIdlePoll.count())) <= 0 ||
                    stop.stop_requested())
                    break;
            }
        }
        if (answered) changed_.notify_all();
    }
}

}  // namespace sentinel::docreader

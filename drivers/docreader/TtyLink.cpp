#include "drivers/docreader/TtyLink.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace sentinel::docreader {
namespace {

struct BaudRate {
    int baud;
    speed_t speed;
};
constexpr std::array<BaudRate, 5> kBauds{{
    {115200, B115200},
    {57600, B57600},
    {38400, B38400},
    {19200, B19200},
    {9600, B9600},
}};

std::string errnoText(int e) {
    return std::strerror(e);
}

int toPollMs(std::chrono::milliseconds t) {
    return t.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(t.count(), INT32_MAX));
}

class TtyLink final : public ByteLink {
  public:
    TtyLink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    ~TtyLink() override {
        ::flock(fd_, LOCK_UN);
        ::close(fd_);
    }
    TtyLink(const TtyLink&) = delete;
    TtyLink& operator=(const TtyLink&) = delete;

    Status write(std::span<const std::uint8_t> bytes, std::chrono::milliseconds timeout) override {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
            if (n > 0) {
                done += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno != EAGAIN)
                return makeError(path_ + ": write failed: " + errnoText(errno));
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return makeError(path_ + ": write timed out (the line does not drain)");
            pollfd p{fd_, POLLOUT, 0};
            if (::poll(&p, 1, toPollMs(left)) < 0 && errno != EINTR)
                return makeError(path_ + ": poll: " + errnoText(errno));
            if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
                return makeError(path_ + ": line closed");
        }
        return Ok{};
    }

    Result<std::size_t> read(std::span<std::uint8_t> into,
                             std::chrono::milliseconds timeout) override {
        pollfd p{fd_, POLLIN, 0};
        const int r = ::poll(&p, 1, toPollMs(timeout));
        if (r < 0) {
            if (errno == EINTR) return std::size_t{0};
            return makeError(path_ + ": poll: " + errnoText(errno));
        }
        if (r == 0) return std::size_t{0};
        if (p.revents & POLLNVAL) return makeError(path_ + ": line closed");
        const ssize_t n = ::read(fd_, into.data(), into.size());
        if (n > 0) return static_cast<std::size_t>(n);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return std::size_t{0};
        // 0 bytes after readiness, or EIO: the adapter was unplugged or the pseudo-terminal closed.
        return makeError(path_ + ": line closed" +
                         (n < 0 ? ": " + errnoText(errno) : std::string{}));
    }

    void discardInput() override { ::tcflush(fd_, TCIFLUSH); }

  private:
    int fd_;
    std::string path_;
};

}  // namespace

bool isSupportedBaud(int baud) {
    for (const auto& b : kBauds) {
        if (b.baud == baud) return true;
    }
    return false;
}

Result<std::unique_ptr<ByteLink>> openTty(const std::string& path, int baud) {
    const BaudRate* rate = nullptr;
    for (const auto& b : kBauds) {
        if (b.baud == baud) rate = &b;
    }
    if (rate == nullptr) return makeError(path + ": unsupported baud rate " + std::to_string(baud));
    const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return makeError(path + ": cannot open: " + errnoText(errno));
    auto fail = [&](const std::string& why) {
        ::close(fd);
        return makeError(path + ": " + why);
    };
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return fail("in use by another process (is the kiosk service running?)");
        return fail("cannot lock: " + errnoText(errno));
    }
    termios tio{};
    if (::tcgetattr(fd, &tio) != 0) return fail("not a serial line: " + errnoText(errno));
    ::cfmakeraw(&tio);
    tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | CSTOPB | CRTSCTS);
    tio.c_cflag |= CS8 | CLOCAL | CREAD;
    tio.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY);
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    if (::cfsetispeed(&tio, rate->speed) != 0 || ::cfsetospeed(&tio, rate->speed) != 0)
        return fail("cannot set " + std::to_string(baud) + " baud: " + errnoText(errno));
    if (::tcsetattr(fd, TCSANOW, &tio) != 0)
        return fail("cannot configure the line: " + errnoText(errno));
    ::tcflush(fd, TCIOFLUSH);
    return std::unique_ptr<ByteLink>(std::make_unique<TtyLink>(fd, path));
}

}  // namespace sentinel::docreader

// Simulated GPIO lines for benches and tests without hardware: every level change is appended to a
// text file as `<CLOCK_MONOTONIC ns> <line> <0|1>` with one write() per change, so another process
// (a test harness, a technician with `tail -f`) sees exactly what the lines did, even if the kiosk
// is killed right after.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <mutex>
#include <vector>

#include "drivers/indicator/GpioIndicator.h"
#include "drivers/indicator/StaffButton.h"

namespace sentinel::indicator {
namespace {

const char* lineName(Line l) {
    switch (l) {
        case Line::Green: return "green";
        case Line::Red: return "red";
        case Line::Amber: return "amber";
        case Line::Buzzer: return "buzzer";
        case Line::Relay: return "relay";
    }
    return "?";
}

class SimGpioLines final : public GpioLines {
public:
    explicit SimGpioLines(int fd) : fd_(fd) {}
    ~SimGpioLines() override { ::close(fd_); }
    void set(Line line, bool on) override {
        std::lock_guard lock(mutex_);
        state_[static_cast<std::size_t>(line)] = on;
        timespec ts{};
        ::clock_gettime(CLOCK_MONOTONIC, &ts);
        char buf[96];
        const int n = std::snprintf(buf, sizeof buf, "%lld %s %d\n",
                                    static_cast<long long>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec, lineName(line),
                                    on ? 1 : 0);
        if (n > 0) {
            [[maybe_unused]] const auto written = ::write(fd_, buf, static_cast<std::size_t>(n));
        }
    }
    std::optional<bool> get(Line line) override {
        std::lock_guard lock(mutex_);
        return state_[static_cast<std::size_t>(line)];
    }

private:
    int fd_;
    std::mutex mutex_;
    std::array<bool, kLineCount> state_{};
};

}  // namespace

Result<std::unique_ptr<GpioLines>> openSimGpioLines(const std::filesystem::path& logFile) {
    const int fd = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return Error{"gpio sim: cannot open " + logFile.string()};
    return std::unique_ptr<GpioLines>(new SimGpioLines(fd));
}

}  // namespace sentinel::indicator

// The simulated chip's staff-button input: a FIFO. Opened read-write so that it always has a writer
// (no end-of-file storm when a test's writer closes), non-blocking, read with poll().
namespace sentinel::indicator {
namespace {

class SimInputLine final : public InputLine {
public:
    explicit SimInputLine(int fd) : fd_(fd) {}
    ~SimInputLine() override { ::close(fd_); }
    std::optional<InputEdge> waitEdge(std::chrono::milliseconds timeout) override {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto now = std::chrono::steady_clock::now();
            // Edges are delivered when they are due (a `press` releases kSimPressHold later).
            if (!queued_.empty() && queued_.front().at <= now) return pop();
            auto until = deadline;
            if (!queued_.empty()) until = std::min(until, queued_.front().at);
            if (until <= now && queued_.empty()) return std::nullopt;
            if (now >= deadline) return std::nullopt;
            const auto waitMs = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
            pollfd pfd{fd_, POLLIN, 0};
            if (::poll(&pfd, 1, static_cast<int>(std::max<long long>(0, waitMs))) > 0) readCommands();
        }
    }

private:
    static constexpr std::size_t kMaxLine = 16;

    void readCommands() {
        char buf[256];
        const ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n <= 0) return;
        const auto now = std::chrono::steady_clock::now();
        for (ssize_t i = 0; i < n; ++i) {
            if (buf[i] != '\n') {
                // A line longer than any command is garbage: drop it.
                if (partial_.size() < kMaxLine) partial_ += buf[i];
                continue;
            }
            if (partial_ == "1") add({now, true});
            if (partial_ == "0") add({now, false});
            if (partial_ == "press") {
                // Presses follow one another in simulated time: each starts once the previous one
                // has been released for as long as it was held.
                const auto at = std::max(now, nextPress_);
                add({at, true});
                add({at + kSimPressHold, false});
                nextPress_ = at + 2 * kSimPressHold;
            }
            partial_.clear();
        }
    }
    void add(InputEdge e) {
        auto it = std::upper_bound(queued_.begin(), queued_.end(), e.at,
                                   [](MonoTime t, const InputEdge& q) { return t < q.at; });
        queued_.insert(it, e);
    }
    InputEdge pop() {
        InputEdge e = queued_.front();
        queued_.erase(queued_.begin());
        return e;
    }
    int fd_;
    std::string partial_;
    std::vector<InputEdge> queued_;  // by time
    MonoTime nextPress_{};
};

}  // namespace

Result<std::unique_ptr<InputLine>> openSimInput(const std::filesystem::path& fifo) {
    struct stat st {};
    if (::lstat(fifo.c_str(), &st) == 0) {
        if (!S_ISFIFO(st.st_mode)) return Error{"gpio sim: " + fifo.string() + " exists and is not a FIFO"};
    } else if (::mkfifo(fifo.c_str(), 0660) != 0) {
        return Error{"gpio sim: cannot create FIFO " + fifo.string()};
    }
    const int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return Error{"gpio sim: cannot open " + fifo.string()};
    return std::unique_ptr<InputLine>(new SimInputLine(fd));
}

}  // namespace sentinel::indicator

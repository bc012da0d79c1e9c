// Simulated GPIO lines for benches and tests without hardware: every level change is appended to a
// text file as `<CLOCK_MONOTONIC ns> <line> <0|1>` with one write() per change, so another process
// (a test harness, a technician with `tail -f`) sees exactly what the lines did, even if the kiosk
// is killed right after.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <mutex>

#include "drivers/indicator/GpioIndicator.h"

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

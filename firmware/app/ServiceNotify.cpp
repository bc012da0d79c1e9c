#include "firmware/app/ServiceNotify.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>

#include "firmware/base/Log.h"

namespace sentinel::app {
namespace {

constexpr const char* kLog = "Service";
// systemd's own advice (sd_watchdog_enabled(3)): ping at half the period or more often; a quarter
// leaves room for a slow frame.
constexpr int kPingsPerPeriod = 4;

}  // namespace

ServiceNotifier::ServiceNotifier(const Clock& clock) : clock_(clock) {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    underSystemd_ = socket != nullptr && *socket != '\0';
    uint64_t usec = 0;
    if (underSystemd_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) period_ = std::chrono::microseconds{usec};
    if (underSystemd_) {
        SLOG(kLog, Info) << "systemd notify socket found; watchdog "
                         << (period_ ? std::to_string(period_->count() / 1000) + " ms" : std::string("off"));
    }
}

void ServiceNotifier::send(const std::string& message) {
    if (!underSystemd_) return;
    const int rc = sd_notify(0, message.c_str());
    if (rc < 0) {
        SLOG(kLog, Warn) << "sd_notify failed: " << rc;
    }
}

void ServiceNotifier::ready(const std::string& status) { send("READY=1\nSTATUS=" + status); }

void ServiceNotifier::status(const std::string& status) { send("STATUS=" + status); }

void ServiceNotifier::stopping() { send("STOPPING=1"); }

void ServiceNotifier::progress() {
    if (!period_) return;
    const MonoTime now = clock_.monotonic();
    {
        std::lock_guard lock(mutex_);
        if (lastPing_ && now - *lastPing_ < *period_ / kPingsPerPeriod) return;
        lastPing_ = now;
        ++pings_;
    }
    send("WATCHDOG=1");
}

std::uint64_t ServiceNotifier::pingsSent() const {
    std::lock_guard lock(mutex_);
    return pings_;
}

}  // namespace sentinel::app

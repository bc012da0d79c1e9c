#pragma once
// systemd service notifications (sd_notify): READY=1 once the kiosk is up, WATCHDOG=1 only while
// the frame loop makes progress (Kiosk::onProgress calls progress()), STOPPING=1 on the way out.
// A camera grab or a loop that is stuck stops the pings, so systemd (WatchdogSec=) restarts the
// service. Outside systemd (no NOTIFY_SOCKET) every call does nothing.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "firmware/base/Time.h"

namespace sentinel::app {

class ServiceNotifier {
public:
    // Reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID (sd_watchdog_enabled). `clock` paces the
    // pings (monotonic) and must outlive the notifier.
    explicit ServiceNotifier(const Clock& clock);

    bool underSystemd() const { return underSystemd_; }
    // The watchdog period systemd expects pings within; nullopt = watchdog off.
    std::optional<std::chrono::microseconds> watchdogPeriod() const { return period_; }

    void ready(const std::string& status);
    // The frame loop made progress: pings the watchdog, at most every period/4 (the usual margin).
    void progress();
    void status(const std::string& status);
    void stopping();

    std::uint64_t pingsSent() const;

private:
    void send(const std::string& message);

    const Clock& clock_;
    bool underSystemd_ = false;
    std::optional<std::chrono::microseconds> period_;
    mutable std::mutex mutex_;
    std::optional<MonoTime> lastPing_;
    std::uint64_t pings_ = 0;
};

}  // namespace sentinel::app

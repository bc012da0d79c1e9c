#pragma once
// Trusted time (DESIGN §1 step 4, §3 CLOCK_UNTRUSTED). The kiosk's wall clock is trusted when
//   - the kernel says it is NTP-synchronised (adjtimex: STA_UNSYNC clear — what
//     `timedatectl show -p NTPSynchronized` reports) or systemd-timesyncd has flagged
//     /run/systemd/timesync/synchronized; or
//   - a real-time clock is present and the last NTP sync (mtime of /var/lib/systemd/timesync/clock,
//     which timesyncd touches at every sync) is at most clock.max_unsynced_h ago;
// and in every case the time is not earlier than the floor: the build time, the newest journal
// record, and the latest time this process already trusted (a clock that jumps back is wrong).
// Untrusted time → every time-dependent decision is REFER CLOCK_UNTRUSTED (the router).

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "firmware/base/Time.h"

namespace sentinel::kiosk {

// What the system says about its clock. Gathered by probeClockSignals(); tests build it by hand.
struct ClockSignals {
    std::optional<bool> kernelSynced;  // nullopt: adjtimex unavailable
    bool timesyncFlag = false;         // /run/systemd/timesync/synchronized exists
    std::optional<UtcTime> lastSync;   // last NTP sync, if known
    bool rtcPresent = false;           // /dev/rtc0 (battery-backed real-time clock)
};

struct ClockTrustState {
    bool trusted = false;
    std::string detail;  // one line for logs and diag
};

// Time before the floor by more than this is untrusted. NTP may step a clock back by a little;
// anything larger means the clock was reset (flat RTC battery, no sync yet).
inline constexpr std::chrono::seconds kFloorTolerance{60};

// Pure: the rules above.
ClockTrustState evaluateClockTrust(const ClockSignals& signals, UtcTime now, UtcTime floor,
                                   std::chrono::duration<double, std::ratio<3600>> maxUnsynced);

// Reads adjtimex, /run/systemd/timesync/synchronized, /var/lib/systemd/timesync/clock, /dev/rtc0.
ClockSignals probeClockSignals();

// When this firmware was built (UTC; SOURCE_DATE_EPOCH when set at configure time).
UtcTime buildTime();

// The clock-trust state as the router and diag read it. Thread-safe. Re-probes the signals at most
// every `recheck` of the monotonic clock; raises its floor to every time it trusted.
class ClockTrust {
public:
    ClockTrust(const Clock& clock, std::function<ClockSignals()> probe, UtcTime floor, double maxUnsyncedH,
               std::chrono::milliseconds recheck = std::chrono::seconds{10});
    bool trusted() { return state().trusted; }
    ClockTrustState state();
    void raiseFloor(UtcTime t);
    UtcTime floor() const;

private:
    const Clock& clock_;
    std::function<ClockSignals()> probe_;
    double maxUnsyncedH_;
    std::chrono::milliseconds recheck_;
    mutable std::mutex mutex_;
    UtcTime floor_;
    std::optional<MonoTime> probedAt_;
    ClockSignals signals_;
};

}  // namespace sentinel::kiosk

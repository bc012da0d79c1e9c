#include "firmware/kiosk/ClockTrust.h"

#include <sys/stat.h>
#include <sys/timex.h>

#include <cstdio>
#include <filesystem>

namespace sentinel::kiosk {
namespace {

constexpr const char* kTimesyncFlag = "/run/systemd/timesync/synchronized";
constexpr const char* kTimesyncClockFile = "/var/lib/systemd/timesync/clock";
constexpr const char* kRtcDevice = "/dev/rtc0";

std::string fmt1(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

}  // namespace

ClockTrustState evaluateClockTrust(const ClockSignals& s, UtcTime now, UtcTime floor,
                                   std::chrono::duration<double, std::ratio<3600>> maxUnsynced) {
    if (now + kFloorTolerance < floor) {
        return {false, "clock " + formatRfc3339(now) + " is earlier than " + formatRfc3339(floor) +
                           " (build time / last journal record): the clock was reset"};
    }
    if (s.kernelSynced.value_or(false)) return {true, "synchronised (NTP, kernel)"};
    if (s.timesyncFlag) return {true, "synchronised (systemd-timesyncd)"};
    if (s.rtcPresent && s.lastSync) {
        const std::chrono::duration<double, std::ratio<3600>> since = now - *s.lastSync;
        if (since.count() >= 0 && since <= maxUnsynced)
            return {true, "not synchronised now; RTC, last NTP sync " + fmt1(since.count()) + " h ago"};
        return {false, "not synchronised; RTC, last NTP sync " + fmt1(since.count()) + " h ago (limit " +
                           fmt1(maxUnsynced.count()) + " h)"};
    }
    return {false, std::string("not synchronised") + (s.rtcPresent ? "; RTC present, no sync recorded" : "; no RTC")};
}

ClockSignals probeClockSignals() {
    ClockSignals s;
    timex tx{};
    const int state = ::adjtimex(&tx);
    if (state != -1) s.kernelSynced = state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
    std::error_code ec;
    s.timesyncFlag = std::filesystem::exists(kTimesyncFlag, ec);
    struct stat st {};
    if (::stat(kTimesyncClockFile, &st) == 0) {
        s.lastSync = UtcTime{std::chrono::milliseconds{static_cast<long long>(st.st_mtim.tv_sec) * 1000 +
                                                       st.st_mtim.tv_nsec / 1'000'000}};
    }
    s.rtcPresent = std::filesystem::exists(kRtcDevice, ec);
    return s;
}

UtcTime buildTime() {
#ifdef SENTINEL_BUILD_EPOCH
    return UtcTime{std::chrono::seconds{static_cast<long long>(SENTINEL_BUILD_EPOCH)}};
#else
    return UtcTime{};
#endif
}

ClockTrust::ClockTrust(const Clock& clock, std::function<ClockSignals()> probe, UtcTime floor, double maxUnsyncedH,
                       std::chrono::milliseconds recheck)
    : clock_(clock), probe_(std::move(probe)), maxUnsyncedH_(maxUnsyncedH), recheck_(recheck), floor_(floor) {}

ClockTrustState ClockTrust::state() {
    std::lock_guard lock(mutex_);
    const MonoTime mono = clock_.monotonic();
    if (!probedAt_ || mono - *probedAt_ >= recheck_) {
        signals_ = probe_ ? probe_() : ClockSignals{};
        probedAt_ = mono;
    }
    const UtcTime now = clock_.now();
    ClockTrustState st = evaluateClockTrust(signals_, now, floor_, std::chrono::duration<double, std::ratio<3600>>{maxUnsyncedH_});
    if (st.trusted && now > floor_) floor_ = now;
    return st;
}

void ClockTrust::raiseFloor(UtcTime t) {
    std::lock_guard lock(mutex_);
    if (t > floor_) floor_ = t;
}

UtcTime ClockTrust::floor() const {
    std::lock_guard lock(mutex_);
    return floor_;
}

}  // namespace sentinel::kiosk

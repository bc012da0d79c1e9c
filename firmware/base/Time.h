#pragma once
// Time is UTC epoch internally (STYLE rule 6). Parsing and formatting never use mktime or the
// local time zone.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sentinel {

using UtcTime = std::chrono::sys_time<std::chrono::milliseconds>;
using MonoTime = std::chrono::steady_clock::time_point;

// RFC 3339 date-time with any offset form: `Z`, `+hh:mm`, `+hhmm`, `+hh`, missing offset = UTC;
// fractions of any length (truncated to milliseconds); `T`, `t` or space between date and time.
// A date alone (`2026-11-20`) is midnight UTC. Returns nullopt for anything else, including
// out-of-range fields (month 13, hour 24, offset over 23:59).
std::optional<UtcTime> parseRfc3339(std::string_view text);

// `2026-11-20T06:00:00Z`, or with `.123` when the milliseconds are not zero.
std::string formatRfc3339(UtcTime t);

inline UtcTime fromEpochSeconds(double s) {
    return UtcTime{std::chrono::milliseconds{static_cast<long long>(s * 1000.0)}};
}
inline long long toEpochSeconds(UtcTime t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Injected time source (STYLE rule 12: no sleeps in tests, inject the clock).
class Clock {
public:
    virtual ~Clock() = default;
    virtual UtcTime now() const = 0;
    virtual MonoTime monotonic() const = 0;
};

class SystemClock final : public Clock {
public:
    UtcTime now() const override {
        return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    }
    MonoTime monotonic() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace sentinel

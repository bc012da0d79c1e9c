#pragma once
// Checks on facts the caller gathered (clock trust, trust list, state folder). The judge* functions
// are pure; checkStateDir does the small I/O it names.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "firmware/base/Time.h"
#include "firmware/diag/Check.h"

namespace sentinel::diag {

struct ClockFacts {
    bool trusted = false;        // the kiosk's clock-trust state (what the router uses)
    std::string trustDetail;     // why (synchronised by NTP, RTC synced N h ago, before the floor…)
    std::optional<double> skewS; // kiosk − service server_time, when the service reported it
    int maxSkewS = 300;          // clock.max_skew_s
    bool enforced = true;        // false: `run` does not require trusted time (replay bench)
};
// Untrusted → fail (every time-dependent decision is REFER CLOCK_UNTRUSTED; warn when not
// enforced); |skew| > max → fail.
Outcome judgeClock(const ClockFacts& facts);

struct TrustFacts {
    std::optional<std::size_t> count;  // nullopt: the list could not be loaded
    std::string loadError;
    std::optional<UtcTime> issuedAt;
    std::string source;                // where it came from (path or synced bundle)
    UtcTime now;
    double maxAgeH = 72;               // trust.max_age_h
};
// Not loaded or empty → fail; older than max_age_h → fail (HC1 decisions REFER TRUST_LIST_STALE);
// older than 3/4 of it → warn.
Outcome judgeTrustList(const TrustFacts& facts);

// Writable (a file is created, fsynced and removed), holds a device secret, has free space.
Outcome checkStateDir(const std::filesystem::path& stateDir, std::uintmax_t minFreeBytes);

}  // namespace sentinel::diag

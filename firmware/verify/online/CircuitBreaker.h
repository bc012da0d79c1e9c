#pragma once
// The circuit breaker (熔断) of the online path (DESIGN §14), as a state machine: values in, state
// out, no threads, no clock of its own (the caller gives the steady time). OnlineVerifier owns one
// under its lock and drives the health probe from it.
//
//   closed → open   after `failures` consecutive failures (timeouts, transport errors, 5xx);
//                   a success (a valid answer, or any 4xx: the service is there) resets the count;
//                   anything else (a malformed or oversize answer, a redirect) leaves it as it is
//   open            every online presentation is refused at once (REFER BACKEND_UNAVAILABLE);
//                   a health probe is due `openFor` after opening, and `openFor` after each probe
//                   that failed
//   open → closed   a probe that succeeded

#include <chrono>
#include <cstdint>
#include <optional>

#include "firmware/base/Time.h"

namespace sentinel::verify {

struct BreakerConfig {
    int failures = 3;                    // online.breaker_failures (1–100)
    std::chrono::seconds openFor{30};    // online.breaker_open_s (1–3600)
    // §14: "a background GET /v1/health probe (≤ 2 s)".
    std::chrono::milliseconds probeTimeout{2000};
};

enum class CallOutcome { Success, Failure, Neutral };

// What status, metrics and the alarm show.
struct BreakerStatus {
    bool open = false;
    int consecutiveFailures = 0;
    std::uint64_t opened = 0;   // times the breaker opened since start
    std::uint64_t refused = 0;  // presentations refused while open
    std::uint64_t probes = 0;   // health probes made
    std::optional<UtcTime> openedAt;  // when it last opened (wall clock, for status)
};

class CircuitBreaker {
public:
    explicit CircuitBreaker(BreakerConfig config);

    // True while open: the presentation is refused (and counted).
    bool refuse();
    // The outcome of a call made while closed. True when it opened the breaker.
    bool record(CallOutcome outcome, MonoTime now, UtcTime wallNow);
    // When the next health probe is due (nullopt: closed).
    std::optional<MonoTime> probeDue() const;
    // The outcome of a probe. True when a success closed the breaker.
    bool probed(bool success, MonoTime now);

    const BreakerStatus& status() const { return status_; }
    const BreakerConfig& config() const { return config_; }

private:
    BreakerConfig config_;
    BreakerStatus status_;
    MonoTime probeAt_{};
};

}  // namespace sentinel::verify

#include "firmware/verify/online/CircuitBreaker.h"

#include <algorithm>

namespace sentinel::verify {

CircuitBreaker::CircuitBreaker(BreakerConfig config) : config_(config) { config_.failures = std::max(1, config_.failures); }

bool CircuitBreaker::refuse() {
    if (!status_.open) return false;
    ++status_.refused;
    return true;
}

bool CircuitBreaker::record(CallOutcome outcome, MonoTime now, UtcTime wallNow) {
    if (status_.open) return false;  // an answer to a call made before it opened changes nothing
    switch (outcome) {
        case CallOutcome::Success: status_.consecutiveFailures = 0; return false;
        case CallOutcome::Neutral: return false;
        case CallOutcome::Failure: break;
    }
    if (++status_.consecutiveFailures < config_.failures) return false;
    status_.open = true;
    ++status_.opened;
    status_.openedAt = wallNow;
    probeAt_ = now + config_.openFor;
    return true;
}

std::optional<MonoTime> CircuitBreaker::probeDue() const {
    if (!status_.open) return std::nullopt;
    return probeAt_;
}

bool CircuitBreaker::probed(bool success, MonoTime now) {
    if (!status_.open) return false;
    ++status_.probes;
    if (!success) {
        probeAt_ = now + config_.openFor;
        return false;
    }
    status_.open = false;
    status_.consecutiveFailures = 0;
    return true;
}

}  // namespace sentinel::verify

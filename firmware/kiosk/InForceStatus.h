#pragma once
// What is in force beyond the trust list, as `sentinel status`, the fleet's retained status and
// acks, the metrics and the `backend` alarm show it (DESIGN §13.1, §14): the risk-area list in force
// and the next one, and the online path's circuit breaker. Never a region of an itinerary.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "firmware/base/Time.h"
#include "firmware/kiosk/TrustStore.h"
#include "firmware/verify/online/CircuitBreaker.h"

namespace sentinel::kiosk {

// The stable identifier of the circuit breaker's alarm (§14: "Open/closed is an alarm (`backend`)").
inline constexpr const char* kBackendAlarm = "backend";

// verify::riskListStatus of `state`'s schedule at `now` plus "source" (where the lists came from):
// {"in_force":{…}|null,"next":{…}|null,"source"}. `state` nullptr: nothing in force.
nlohmann::json riskListsStatus(const TrustState* state, UtcTime now);

// Hours since the list in force at `now` was issued; nullopt when none is in force.
std::optional<double> riskListAgeHours(const TrustState* state, UtcTime now);

// {"open","consecutive_failures","opened","refused","probes","opened_at"|null}.
nlohmann::json breakerStatusJson(const verify::BreakerStatus& status);

// The `backend` alarm's detail line when the breaker opens (no personal data).
std::string breakerAlarmDetail(const verify::BreakerStatus& status);

}  // namespace sentinel::kiosk

#include "firmware/kiosk/InForceStatus.h"

#include "firmware/verify/RiskStatus.h"

namespace sentinel::kiosk {

nlohmann::json riskListsStatus(const TrustState* state, UtcTime now) {
    if (!state) return {{"in_force", nullptr}, {"next", nullptr}, {"source", ""}};
    nlohmann::json j = verify::riskListStatus(state->risk.at(now), now, state->policy);
    j["source"] = state->riskSource;
    return j;
}

std::optional<double> riskListAgeHours(const TrustState* state, UtcTime now) {
    if (!state) return std::nullopt;
    const auto inForce = state->risk.at(now).inForce;
    if (!inForce) return std::nullopt;
    return std::chrono::duration<double, std::ratio<3600>>(now - inForce->issuedAt()).count();
}

nlohmann::json breakerStatusJson(const verify::BreakerStatus& s) {
    return {{"open", s.open},
            {"consecutive_failures", s.consecutiveFailures},
            {"opened", s.opened},
            {"refused", s.refused},
            {"probes", s.probes},
            {"opened_at", s.openedAt ? nlohmann::json(formatRfc3339(*s.openedAt)) : nlohmann::json(nullptr)}};
}

std::string breakerAlarmDetail(const verify::BreakerStatus& s) {
    return "health-code service unreachable: circuit breaker open after " + std::to_string(s.consecutiveFailures) +
           " consecutive failures; online codes REFER BACKEND_UNAVAILABLE until a health probe succeeds";
}

}  // namespace sentinel::kiosk

#include "firmware/verify/RiskStatus.h"

#include <cmath>

namespace sentinel::verify {
namespace {

constexpr double kMsPerHour = 3600.0 * 1000.0;

nlohmann::json header(const policy::RiskAreaList& list) {
    return {{"version", list.version()},
            {"issued_at", formatRfc3339(list.issuedAt())},
            {"effective_from", formatRfc3339(list.effectiveFrom())},
            {"areas", list.size()}};
}

}  // namespace

nlohmann::json riskListStatus(const policy::RiskListsAt& lists, UtcTime now, const policy::PolicyConfig& policy) {
    nlohmann::json out = {{"in_force", nullptr}, {"next", nullptr}};
    if (lists.inForce) {
        const auto& l = *lists.inForce;
        auto j = header(l);
        j["age_h"] = std::round(static_cast<double>((now - l.issuedAt()).count()) / kMsPerHour * 10.0) / 10.0;
        j["stale"] = policy::riskListStale(l, now, policy);
        j["high"] = l.counts().high;
        j["medium"] = l.counts().medium;
        j["low"] = l.counts().low;
        out["in_force"] = std::move(j);
    }
    if (lists.next) out["next"] = header(*lists.next);
    return out;
}

}  // namespace sentinel::verify

#pragma once
// The §14 value sets of a risk-area list for CertLogic (DESIGN §14): "risk-areas-high" and
// "risk-areas-medium", each the codes of that level still listed at a time (entries whose `until`
// has passed left out), made once as rules::SharedValueSets so that `in` is a hash lookup and a
// decision never copies thousands of codes into its data object.

#include <memory>
#include <mutex>
#include <optional>

#include "firmware/base/Time.h"
#include "firmware/policy/RiskAreaList.h"
#include "firmware/rules/CertLogic.h"

namespace sentinel::verify {

inline constexpr const char* kRiskAreasHighValueSet = "risk-areas-high";
inline constexpr const char* kRiskAreasMediumValueSet = "risk-areas-medium";

// The value sets of `list` at `now`; both empty arrays without a list. Costs O(list size).
std::shared_ptr<const rules::SharedValueSets> riskValueSets(const policy::RiskAreaList* list, UtcTime now);

// riskValueSets, remembered: made again only for another list, or when `now` leaves the span in
// which the sets stay the same (from when they were made to the next entry's `until`). Thread-safe;
// one per verifier.
class RiskValueSetCache {
public:
    std::shared_ptr<const rules::SharedValueSets> get(const std::shared_ptr<const policy::RiskAreaList>& list, UtcTime now);

private:
    std::mutex mutex_;
    std::shared_ptr<const policy::RiskAreaList> list_;
    UtcTime from_{};
    std::optional<UtcTime> until_;  // nullopt: no later change
    std::shared_ptr<const rules::SharedValueSets> sets_;
};

}  // namespace sentinel::verify

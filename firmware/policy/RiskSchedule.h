#pragma once
// Which risk-area list is in force (DESIGN §14): the kiosk holds the list in force and any scheduled
// ones, and switches at a list's `effective_from` on its trusted clock, to the second — not when
// the bundle arrives. Pure: a value that is given lists and asked about a time; the owner (the
// trust/policy store) keeps it under its own lock and asks once per decision.
//
// In force at `now`: of the lists with effective_from ≤ now, the one with the latest effective_from
// (of equal ones, the latest issued_at). Next: the earliest effective_from later than now.

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "firmware/base/Result.h"
#include "firmware/base/Time.h"
#include "firmware/policy/RiskAreaList.h"

namespace sentinel::policy {

// Lists held at once: today's, a few scheduled ones (a bundle may carry several, §14).
inline constexpr std::size_t kMaxHeldRiskLists = 8;

struct RiskListsAt {
    std::shared_ptr<const RiskAreaList> inForce;  // nullptr: none in force yet
    std::shared_ptr<const RiskAreaList> next;     // nullptr: nothing scheduled
};

class RiskSchedule {
public:
    // Holds `list` (from a bundle or the fleet link) as of `now`. Refused (an error saying why, the
    // schedule unchanged): a list already superseded at `now` (effective_from before the one in force),
    // a list for the same effective_from that is not newer (issued_at) than the one held — a newer one
    // replaces it — and a list that would make more than kMaxHeldRiskLists. Lists superseded at `now`
    // are dropped. The same list again (version, issued_at and effective_from equal) is Ok and changes
    // nothing.
    Status add(std::shared_ptr<const RiskAreaList> list, UtcTime now);

    // The list in force and the next one at `now` (to the millisecond: a list becomes the one in force
    // at exactly its effective_from).
    RiskListsAt at(UtcTime now) const;

    // Every list held, by effective_from.
    const std::vector<std::shared_ptr<const RiskAreaList>>& held() const { return lists_; }

private:
    void prune(UtcTime now);
    std::vector<std::shared_ptr<const RiskAreaList>> lists_;  // sorted by (effective_from, issued_at)
};

}  // namespace sentinel::policy

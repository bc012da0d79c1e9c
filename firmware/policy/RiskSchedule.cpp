#include "firmware/policy/RiskSchedule.h"

#include <algorithm>

namespace sentinel::policy {
namespace {

bool earlier(const std::shared_ptr<const RiskAreaList>& a, const std::shared_ptr<const RiskAreaList>& b) {
    if (a->effectiveFrom() != b->effectiveFrom()) return a->effectiveFrom() < b->effectiveFrom();
    return a->issuedAt() < b->issuedAt();
}

}  // namespace

RiskListsAt RiskSchedule::at(UtcTime now) const {
    RiskListsAt out;
    for (const auto& l : lists_) {  // sorted: the last one in effect wins, the first one after is next
        if (l->effectiveFrom() <= now) {
            out.inForce = l;
        } else if (!out.next) {
            out.next = l;
        }
    }
    return out;
}

void RiskSchedule::prune(UtcTime now) {
    const auto inForce = at(now).inForce;
    if (!inForce) return;
    std::erase_if(lists_, [&](const auto& l) { return l != inForce && l->effectiveFrom() <= now; });
}

Status RiskSchedule::add(std::shared_ptr<const RiskAreaList> list, UtcTime now) {
    if (!list) return makeError("no list");
    prune(now);
    const auto inForce = at(now).inForce;
    if (inForce && list->effectiveFrom() <= now && earlier(list, inForce)) {
        return makeError("risk-area list " + list->version() + " is superseded by " + inForce->version() + " (in force since " +
                         formatRfc3339(inForce->effectiveFrom()) + ")");
    }
    const auto same = std::find_if(lists_.begin(), lists_.end(), [&](const auto& l) {
        return l->effectiveFrom() == list->effectiveFrom() || (l->effectiveFrom() <= now && list->effectiveFrom() <= now);
    });
    if (same != lists_.end()) {
        const auto& held = **same;
        if (held.version() == list->version() && held.issuedAt() == list->issuedAt() && held.effectiveFrom() == list->effectiveFrom()) {
            return Ok{};  // the same list again (a bundle re-sent): already held
        }
        if (list->issuedAt() <= (*same)->issuedAt() && list->effectiveFrom() <= (*same)->effectiveFrom()) {
            return makeError("risk-area list " + list->version() + " is not newer than " + (*same)->version() +
                             " (issued_at " + formatRfc3339((*same)->issuedAt()) + ")");
        }
        *same = std::move(list);
    } else {
        if (lists_.size() >= kMaxHeldRiskLists) {
            return makeError("already " + std::to_string(kMaxHeldRiskLists) + " risk-area lists held (one in force and scheduled ones)");
        }
        lists_.push_back(std::move(list));
    }
    std::sort(lists_.begin(), lists_.end(), earlier);
    prune(now);
    return Ok{};
}

}  // namespace sentinel::policy

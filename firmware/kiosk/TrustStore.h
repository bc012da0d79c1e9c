#pragma once
// The trust list, policy and rule set in force (one policy snapshot for HC1 and HK1, DESIGN §12),
// swapped atomically while the kiosk runs (trust sync; later the fleet link). Readers take a
// snapshot (a shared_ptr) per decision and keep using it even if a sync swaps in a new one
// meanwhile: a decision never sees half of one list and half of another.

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "firmware/base/Time.h"
#include "firmware/policy/Policy.h"
#include "firmware/policy/RiskSchedule.h"
#include "firmware/rules/RuleSet.h"
#include "firmware/verify/BuiltinRules.h"

namespace sentinel::trust {
class TrustList;
class RevocationIndex;
}

namespace sentinel::kiosk {

struct TrustState {
    std::shared_ptr<const trust::TrustList> list;  // nullptr: no trust list could be loaded → REFER
    policy::PolicyConfig policy;                   // configuration, with a synced bundle's overrides
    // The rule set in force: a synced bundle's, else rules.path's; nullptr = the built-in rules
    // made from `policy` (§12).
    std::shared_ptr<const rules::RuleSet> rules;
    // The built-in rules made from `policy` (for rules.country), made once per state by TrustStore.
    std::shared_ptr<const verify::BuiltinRules> builtin;
    std::string source;                            // "trust.path /etc/…" or "bundle /var/lib/… (issued …)"
    // §13.1: the newest bundle in force (its issued_at, RFC 3339), or "config" without one. Every
    // decision record carries it.
    std::string policyVersion = "config";
    // §17: the revocation index in force (a bundle's, else trust.revocation_path's); nullptr = none.
    std::shared_ptr<const trust::RevocationIndex> revocation;
    std::string revocationSource;  // where it came from, for status and diag
    // §14: the risk-area lists held (in force and scheduled), from bundles (every installed bundle's
    // lists, composed) or policy.risk_list_path. A decision asks `risk.at(now)` on the trusted clock,
    // so a scheduled list takes effect at its effective_from to the millisecond, with no timer.
    policy::RiskSchedule risk;
    std::string riskSource;  // "bundle …" | "policy.risk_list_path …" | "" (none)
};

class TrustStore {
public:
    // `configuredRules` (rules.path; nullptr = built-in) stands in for any state without a rule set
    // of its own, so a bundle without rules keeps the configured ones. Each state gets the built-in
    // rules of its policy for `rulesCountry` (rules.country), made here rather than per decision.
    explicit TrustStore(std::shared_ptr<const TrustState> initial, std::shared_ptr<const rules::RuleSet> configuredRules = nullptr,
                        std::string rulesCountry = "CN")
        : configuredRules_(std::move(configuredRules)), rulesCountry_(std::move(rulesCountry)), state_(withRules(std::move(initial))) {}
    std::shared_ptr<const TrustState> current() const {
        std::lock_guard lock(mutex_);
        return state_;
    }
    void replace(std::shared_ptr<const TrustState> next) {
        next = withRules(std::move(next));
        std::lock_guard lock(mutex_);
        state_.swap(next);
        // `next` (the old state) is released outside the lock when it goes out of scope.
    }

private:
    std::shared_ptr<const TrustState> withRules(std::shared_ptr<const TrustState> st) const {
        if (!st) return st;
        const bool addRules = !st->rules && configuredRules_;
        const bool addBuiltin = !st->builtin || st->builtin->policy != st->policy || st->builtin->country != rulesCountry_;
        if (!addRules && !addBuiltin) return st;
        auto copy = std::make_shared<TrustState>(*st);
        if (addRules) copy->rules = configuredRules_;
        if (addBuiltin) copy->builtin = verify::makeBuiltinRules(copy->policy, rulesCountry_);
        return copy;
    }

    const std::shared_ptr<const rules::RuleSet> configuredRules_;
    const std::string rulesCountry_;
    mutable std::mutex mutex_;
    std::shared_ptr<const TrustState> state_;
};

}  // namespace sentinel::kiosk

#pragma once
// The trust list and policy in force, swapped atomically while the kiosk runs (trust sync). Readers
// take a snapshot (a shared_ptr) per decision and keep using it even if a sync swaps in a new one
// meanwhile: a decision never sees half of one list and half of another.

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "firmware/base/Time.h"
#include "firmware/policy/Policy.h"

namespace sentinel::trust {
class TrustList;
}

namespace sentinel::app {

struct TrustState {
    std::shared_ptr<const trust::TrustList> list;  // nullptr: no trust list could be loaded → REFER
    policy::PolicyConfig policy;                   // configuration, with a synced bundle's overrides
    std::string source;                            // "trust.path /etc/…" or "bundle /var/lib/… (issued …)"
};

class TrustStore {
public:
    explicit TrustStore(std::shared_ptr<const TrustState> initial) : state_(std::move(initial)) {}
    std::shared_ptr<const TrustState> current() const {
        std::lock_guard lock(mutex_);
        return state_;
    }
    void replace(std::shared_ptr<const TrustState> next) {
        std::lock_guard lock(mutex_);
        state_.swap(next);
        // `next` (the old state) is released outside the lock when it goes out of scope.
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const TrustState> state_;
};

}  // namespace sentinel::app

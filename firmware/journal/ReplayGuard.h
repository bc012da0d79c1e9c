#pragma once
// Replay detection (DESIGN §6 `replay.window_s`): the same `subject` at this kiosk within the
// window → DENY REPLAYED. Memory only (never persisted: a restart forgets, by design), bounded:
// expired entries are evicted on every call and at most `maxEntries` subjects are remembered
// (beyond that the oldest is forgotten first).

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "firmware/base/Time.h"

namespace sentinel::journal {

class ReplayGuard {
public:
    // 65 536 subjects ≈ a busy lane (one traveller per second) over 18 h; about 10 MiB at most.
    static constexpr std::size_t kDefaultMaxEntries = 65536;

    // window ≤ 0 turns the guard off (seenRecently always false, nothing remembered).
    explicit ReplayGuard(std::chrono::seconds window, std::size_t maxEntries = kDefaultMaxEntries);

    // True if `subject` was recorded less than `window` before `now` (a replay). Otherwise records
    // it at `now` and returns false. A replay does not extend the window: it runs from the use
    // that was let through. Call it only for a credential that would otherwise PASS (a denied
    // credential retried must get its real reason, not REPLAYED). An empty subject is never a replay.
    bool seenRecently(std::string_view subject, MonoTime now);

    std::size_t size() const { return lastUse_.size(); }
    std::chrono::seconds window() const { return window_; }

private:
    void evict(MonoTime now);

    std::chrono::seconds window_;
    std::size_t maxEntries_;
    std::unordered_map<std::string, MonoTime> lastUse_;
    std::deque<std::pair<MonoTime, std::string>> order_;  // recording order = time order
};

}  // namespace sentinel::journal

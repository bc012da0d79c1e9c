#include "firmware/journal/ReplayGuard.h"

namespace sentinel::journal {

ReplayGuard::ReplayGuard(std::chrono::seconds window, std::size_t maxEntries)
    : window_(window), maxEntries_(maxEntries == 0 ? 1 : maxEntries) {}

void ReplayGuard::evict(MonoTime now) {
    while (!order_.empty() && now - order_.front().first >= window_) {
        auto it = lastUse_.find(order_.front().second);
        if (it != lastUse_.end() && it->second == order_.front().first) lastUse_.erase(it);
        order_.pop_front();
    }
    while (lastUse_.size() >= maxEntries_ && !order_.empty()) {
        auto it = lastUse_.find(order_.front().second);
        if (it != lastUse_.end() && it->second == order_.front().first) lastUse_.erase(it);
        order_.pop_front();
    }
}

bool ReplayGuard::seenRecently(std::string_view subject, MonoTime now) {
    if (window_ <= std::chrono::seconds::zero() || subject.empty()) return false;
    evict(now);
    std::string key(subject);
    if (auto it = lastUse_.find(key); it != lastUse_.end()) {
        if (now - it->second < window_) return true;
    }
    lastUse_[key] = now;
    order_.emplace_back(now, std::move(key));
    return false;
}

}  // namespace sentinel::journal

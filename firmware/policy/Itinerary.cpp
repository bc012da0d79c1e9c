#include "firmware/policy/Itinerary.h"

#include <algorithm>
#include <type_traits>

#include "firmware/base/Secret.h"

namespace sentinel::policy {

static_assert(std::is_trivially_copyable_v<Stay>, "stays are wiped byte-wise");

bool Itinerary::add(std::string_view region, UtcTime from, std::optional<UtcTime> to) {
    if (count_ >= kMaxStays || region.size() != kRegionDigits) return false;
    if (!std::all_of(region.begin(), region.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    Stay& s = stays_[count_++];
    std::copy(region.begin(), region.end(), s.region.begin());
    s.from = from;
    s.to = to;
    return true;
}

void Itinerary::wipe() noexcept {
    secureZero(stays_.data(), sizeof stays_);
    count_ = 0;
}

}  // namespace sentinel::policy

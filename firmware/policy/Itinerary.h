#pragma once
// A holder's stays of the last days (DESIGN §5 v1.1 `travel`, §14): region codes with times. It is
// personal data: it lives inside one decision and is zeroised when it goes (STYLE 19) — when the
// value is destroyed, wiped, assigned over or moved from. Fixed capacity, no heap: a copy never
// leaves a buffer behind that nobody wipes. Never log, journal, show or send it.

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "firmware/base/Time.h"

namespace sentinel::policy {

// §5 v1.1: 14 days of stays; a service sending more is off-contract (→ BACKEND_ERROR).
inline constexpr std::size_t kMaxStays = 64;
// GB/T 2260 county-level code.
inline constexpr std::size_t kRegionDigits = 6;

struct Stay {
    std::array<char, kRegionDigits> region{};  // six ASCII digits
    UtcTime from{};
    std::optional<UtcTime> to;  // nullopt: still there

    std::string_view regionCode() const { return {region.data(), region.size()}; }
};

class Itinerary {
public:
    Itinerary() = default;
    Itinerary(const Itinerary& o) = default;
    Itinerary(Itinerary&& o) noexcept : stays_(o.stays_), count_(o.count_) { o.wipe(); }
    Itinerary& operator=(const Itinerary& o) {
        if (this != &o) {
            stays_ = o.stays_;
            count_ = o.count_;
        }
        return *this;
    }
    Itinerary& operator=(Itinerary&& o) noexcept {
        if (this != &o) {
            stays_ = o.stays_;
            count_ = o.count_;
            o.wipe();
        }
        return *this;
    }
    ~Itinerary() { wipe(); }

    // Adds a stay; false (nothing added) when the itinerary is full or `region` is not six digits.
    bool add(std::string_view region, UtcTime from, std::optional<UtcTime> to);
    std::span<const Stay> stays() const { return {stays_.data(), count_}; }
    std::size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    // Zeroises every stay and empties the itinerary.
    void wipe() noexcept;

private:
    std::array<Stay, kMaxStays> stays_{};
    std::size_t count_ = 0;
};

}  // namespace sentinel::policy

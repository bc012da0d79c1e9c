#pragma once
// What the benchmark commands share: nearest-rank percentiles and an indicator that shows nothing.

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

#include "drivers/hal/Indicator.h"

namespace sentinel::app {

// Nearest rank of `q` (0–1] in `v`; 0 for no samples.
inline double nearestRank(std::vector<double> v, double q) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

// The loop needs an indicator; a benchmark measures up to it, not the lamps.
class NullIndicator final : public hal::Indicator {
public:
    void show(const hal::Indication&) override {}
    void shut() override {}
    void alarm(std::string_view) override {}
};

}  // namespace sentinel::app

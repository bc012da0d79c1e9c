#pragma once
// A ByteLink to a SamDevice on a ManualClock: the session's waits move the clock to the next byte
// the device sends (or by the whole timeout when none comes), so timeouts, stalls and drips are
// tested in microseconds and exactly.

#include <algorithm>
#include <deque>

#include "drivers/docreader/ByteLink.h"
#include "drivers/docreader/SamDevice.h"
#include "tests/support/TestSupport.h"

namespace sentinel::docreader {

class SimLink final : public ByteLink {
  public:
    SimLink(SamDevice& device, testing::ManualClock& clock) : device_(device), clock_(clock) {}

    Status write(std::span<const std::uint8_t> bytes, std::chrono::milliseconds) override {
        if (lost_) return makeError("line closed");
        device_.receive(bytes, clock_.monotonic());
        return Ok{};
    }

    Result<std::size_t> read(std::span<std::uint8_t> into,
                             std::chrono::milliseconds timeout) override {
        if (lost_) return makeError("line closed");
        take();
        if (pending_.empty()) {
            const auto next = device_.nextDue();
            const auto now = clock_.monotonic();
            if (next && *next <= now + timeout) {
                clock_.advance(std::chrono::ceil<std::chrono::milliseconds>(*next - now));
                take();
            } else {
                clock_.advance(timeout);
                return std::size_t{0};
            }
        }
        const std::size_t n = std::min(into.size(), pending_.size());
        std::copy_n(pending_.begin(), n, into.begin());
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
        return n;
    }

    void discardInput() override {
        take();
        pending_.clear();
    }

    void loseLine() { lost_ = true; }

  private:
    void take() {
        auto due = device_.takeDue(clock_.monotonic());
        pending_.insert(pending_.end(), due.begin(), due.end());
    }

    SamDevice& device_;
    testing::ManualClock& clock_;
    std::deque<std::uint8_t> pending_;
    bool lost_ = false;
};

}  // namespace sentinel::docreader

#pragma once
// Fakes for the hardware interfaces (STYLE rule 1: every interface has a fake in tests/).

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "drivers/hal/Camera.h"
#include "drivers/hal/Indicator.h"
#include "firmware/kiosk/Kiosk.h"
#include "tests/support/TestSupport.h"

namespace sentinel::testing {

// A scripted camera: each frame is a list of payloads "in view" (decoded by FakeDecoder), or a
// fault. Frames carry the manual clock's time.
struct FakeShot {
    std::vector<std::string> payloads;
    hal::GrabStatus status = hal::GrabStatus::Frame;
};

class FakeCamera final : public hal::Camera {
public:
    FakeCamera(ManualClock& clock, std::chrono::milliseconds period = std::chrono::milliseconds{33})
        : clock_(clock), period_(period) {}
    void push(FakeShot s) { shots_.push_back(std::move(s)); }
    void pushFrames(std::vector<std::string> payloads, int count) {
        for (int i = 0; i < count; ++i) push({payloads});
    }
    hal::GrabResult grab(std::chrono::milliseconds) override {
        hal::GrabResult r;
        if (shots_.empty()) {
            r.status = hal::GrabStatus::EndOfStream;
            return r;
        }
        FakeShot s = std::move(shots_.front());
        shots_.pop_front();
        clock_.advance(period_);
        r.status = s.status;
        if (s.status != hal::GrabStatus::Frame) {
            r.detail = "fake fault";
            return r;
        }
        auto payloads = std::make_shared<std::vector<std::string>>(std::move(s.payloads));
        r.frame.owner = payloads;
        // The "image" is the payload list: FakeDecoder reads it back through the data pointer.
        r.frame.gray = GrayView{reinterpret_cast<const std::uint8_t*>(payloads.get()), 1, 1, 1};
        r.frame.capturedAt = clock_.monotonic();
        r.frame.index = index_++;
        return r;
    }
    std::string describe() const override { return "fake"; }

private:
    ManualClock& clock_;
    std::chrono::milliseconds period_;
    std::deque<FakeShot> shots_;
    std::uint64_t index_ = 0;
};

class FakeDecoder final : public kiosk::FrameDecoder {
public:
    std::vector<std::string> decode(const GrayView& frame) override {
        return *static_cast<const std::vector<std::string>*>(static_cast<const void*>(frame.data));
    }
};

class FakeIndicator final : public hal::Indicator {
public:
    void show(const hal::Indication& i) override { shown.push_back(i); }
    void shut() override { ++shuts; }
    void alarm(std::string_view m) override { alarms.emplace_back(m); }
    std::vector<hal::Indication> shown;
    int shuts = 0;
    std::vector<std::string> alarms;
};

}  // namespace sentinel::testing

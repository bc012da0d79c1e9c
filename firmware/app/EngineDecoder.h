#pragma once
// The live decode engine as the kiosk loop's FrameDecoder (the camera's QR codes): the app wires them.

#include "firmware/kiosk/Kiosk.h"
#include "firmware/decode/DecodeEngine.h"

namespace sentinel::app {

class EngineDecoder final : public kiosk::FrameDecoder {
public:
    std::vector<std::string> decode(const GrayView& frame) override { return engine_.decodeFrame(frame); }
    bool symbolSeenUnread() const override { return engine_.lastReport().symbolSeen && engine_.lastReport().readBy.empty(); }
    decode::DecodeEngine& engine() { return engine_; }

private:
    decode::DecodeEngine engine_;
};

}  // namespace sentinel::app

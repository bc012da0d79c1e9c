#pragma once
// Camera interface. Backends: V4L2 (drivers/camera/V4l2Camera), replay of an image folder or a
// video (drivers/camera/ReplayCamera), and fakes in tests/.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "firmware/base/ImageView.h"
#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::hal {

// One frame. `gray` points into storage kept alive by `owner`; no copy is made between the camera
// and the decoder when the backend delivers grayscale (or converts once into its own buffer).
struct Frame {
    std::shared_ptr<const void> owner;
    GrayView gray;
    MonoTime capturedAt{};
    std::uint64_t index = 0;  // frame counter of this camera since open
    std::string name;         // replay: the file the frame came from; empty for live cameras
};

enum class GrabStatus { Frame, Timeout, EndOfStream, Failed };

struct GrabResult {
    GrabStatus status = GrabStatus::Failed;
    Frame frame;
    std::string detail;  // why, for Timeout / Failed (for the technician; no personal data)
};

class Camera {
public:
    virtual ~Camera() = default;
    // Waits at most `timeout` for the next frame. Never blocks longer: a stalled device reports
    // Timeout, an unplugged one Failed (the backend reopens it with backoff on later calls).
    virtual GrabResult grab(std::chrono::milliseconds timeout) = 0;
    // Human-readable description of the source, for logs and diag.
    virtual std::string describe() const = 0;
};

}  // namespace sentinel::hal

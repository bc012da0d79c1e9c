#pragma once
// Decode self-test on a test card: rendered into a camera-like scene (replay sources, or when no
// camera is connected), or presented to the live camera by the technician.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "drivers/hal/Camera.h"
#include "firmware/base/Time.h"
#include "firmware/diag/Check.h"

namespace sentinel::diag {

// Returns true when a payload is signed by the device's test issuer.
using TestCardRecogniser = std::function<bool(std::string_view payload)>;

// Renders `payload` into a 1280×720 scene (slight tilt and rotation, like a card held under the
// camera), decodes it with the live engine, and checks the text read is `payload` and, when
// `isTestCard` is given, that it is recognised as a test card.
Outcome decodeRenderedTestCard(const std::string& payload, const TestCardRecogniser& isTestCard);

// Feeds camera frames to the live engine until a code is read or `budget` passes. A test card read
// → ok; another code → ok with a note; nothing → warn (hold a test card under the camera).
Outcome decodeFromCamera(hal::Camera& camera, const TestCardRecogniser& isTestCard, std::chrono::milliseconds budget,
                         const Clock& clock);

}  // namespace sentinel::diag

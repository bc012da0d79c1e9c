#pragma once
// What the kiosk screen shows (DESIGN §10), as a value: idle, a result card, an alarm, or the
// technician's diagnostics screen. Holds no personal data beyond the masked holder name.

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "firmware/base/DecisionRecord.h"
#include "firmware/base/Reason.h"
#include "firmware/base/Time.h"

namespace sentinel::ui {

// What the decoder (or the MRZ reader) saw in the last frames, as advice to the traveller.
// TiltDocument: a reflection on a passport's laminate kept its MRZ from being read (§15).
enum class Hint { None, HoldCloser, HoldStill, TiltDocument };

// A point in camera-frame pixels.
struct PointPx {
    float x = 0, y = 0;
};

struct IdleScreen {
    Hint hint = Hint::None;
    bool documents = false;  // an ID-card reader is configured: the prompt invites a swipe too
    bool lookingUp = false;  // an identity document is being looked up (§15): "checking"
    bool awaitingDocument = false;  // §15 holder binding: a certificate passed, "now show your passport"
};

struct ResultScreen {
    Decision decision = Decision::Deny;
    Reason reason = Reason::InternalError;
    std::string holderMasked;         // as the service gave it ("张*"); empty = none
    std::optional<TestSummary> test;  // the test the decision rests on
    std::optional<double> testLimitH; // TEST_TOO_OLD: the limit it exceeded (shown as "48 h 01 min > 48 h")
    bool testCard = false;            // a diagnostics test card: never a PASS
    // RULE_NOT_MET: the failed rule's identifier and description, "ID: zh / en" (or one language),
    // as the rule set has it (verify::failedRuleText). No personal data.
    std::string ruleText;
    // §14: where the traveller goes ([routes] text of the record's route), shown under the reason;
    // empty = the decision has no route.
    std::string routeZh, routeEn;
    MonoTime shownAt{};               // when the card appeared (countdown)
    std::chrono::milliseconds duration{3000};  // display.result_ms
};

struct AlarmScreen {
    std::string what;     // stable identifier: "camera", "journal", "clock", or another
    std::string detail;   // for staff (no personal data)
    bool outOfService = true;  // the kiosk cannot decide at all
};

// How a technician's meter reads (from diag's thresholds): green, amber, red.
enum class MeterLevel { Ok, Warn, Bad };

struct DiagnosticsScreen {
    double sharpness = 0;     // Laplacian variance (diag::laplacianVariance)
    double brightness = 0;    // mean gray level 0–255
    MeterLevel sharpnessLevel = MeterLevel::Ok;
    MeterLevel brightnessLevel = MeterLevel::Ok;
    std::vector<PointPx> outline;  // corners of a located code, frame pixels; empty = none
    double fps = 0;           // frames processed per second
    double lastDecodeMs = 0;  // time the last frame's decode took
};

using ScreenState = std::variant<IdleScreen, ResultScreen, AlarmScreen, DiagnosticsScreen>;

// A short stable name of the state, for file names and logs: "idle", "PASS-OK", "alarm-camera",
// "diagnostics".
std::string screenName(const ScreenState& state);

}  // namespace sentinel::ui

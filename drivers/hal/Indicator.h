#pragma once
// Indicator interface: lamps, buzzer, gate relay, and the traveller-facing text. Backends: console,
// GPIO (libgpiod), several at once (MultiIndicator), fakes in tests/.

#include <chrono>
#include <optional>
#include <string>

#include "firmware/base/Reason.h"

namespace sentinel::hal {

struct Indication {
    Decision decision = Decision::Deny;
    Reason reason = Reason::InternalError;
    std::string format;                  // "HC1", "HK1", "" (for the display)
    std::optional<double> latencyMs;     // frame in → decision
    std::string holderMasked;            // masked holder (the service's, or the certificate's with its birth year): screens only, never logged
    bool testCard = false;               // diagnostics mode: show "TEST CARD" instead of PASS
    std::string detail;                  // RULE_NOT_MET: the failed rule's description (no personal data)
};

class Indicator {
public:
    virtual ~Indicator() = default;
    // Shows a decision. For PASS the relay is pulsed (bounded by the backend's pulse length);
    // any other decision keeps it shut. Must not block longer than the relay pulse.
    virtual void show(const Indication& indication) = 0;
    // Drives the relay to its shut state and the lamps off. Called at start-up before anything
    // else and on exit.
    virtual void shut() = 0;
    // An alarm that needs staff (e.g. journal damaged): amber until cleared.
    virtual void alarm(std::string_view message) = 0;
};

}  // namespace sentinel::hal

#pragma once
// What the kiosk loop tells the modules that show or report what it does (DESIGN §8): the screen
// and voice presenters (ui), the live status and the control socket (control), the fleet link and
// the metrics (fleet). They include this header, never the app.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/hal/Camera.h"
#include "firmware/base/DecisionRecord.h"
#include "firmware/base/IdentityDocument.h"

namespace sentinel::kiosk {

// A decision as the loop made it: the record (journaled, no personal data) and what only the
// traveller's screen may see.
struct Verdict {
    DecisionRecord record;
    std::string holderMasked;  // for the display only; never logged or journaled
    bool testCard = false;     // a diagnostics test card: shown as TEST CARD, gate stays shut
    std::string ruleText;      // RULE_NOT_MET: the failed rule's description ("zh / en"), for console and screen
    std::optional<double> testLimitH;  // TEST_TOO_OLD: the age limit of the policy in force for that test type
    // Signed by the device's test issuer (in service: DENY UNKNOWN_ISSUER). Test cards never become
    // something staff can override (§11).
    bool fromTestIssuer = false;
    // §15 holder binding `require`: the holder an HC1 certificate names (signature verified), for
    // the loop to compare with a passport or TD1 card. Personal data: never logged, journaled, shown
    // or sent; zeroised when the last holder lets go.
    std::shared_ptr<const CertificateHolder> holder;
};

// What a processed frame showed, for the screen's hints and the technician's meters.
struct FrameObservation {
    double decodeMs = 0;
    bool decoded = false;           // at least one payload was read from this frame
    bool symbolSeenUnread = false;  // a QR symbol was located but could not be read
    // A passport or TD1 card's MRZ went unread under a reflection on its laminate in the last
    // moments (MrzSource): the screen asks the traveller to tilt it.
    bool documentGlare = false;
};

// Everything that shows or reports what the loop does (screen, voice, control socket, fleet link)
// observes it through this interface. Callbacks run on the decision thread and must return at once:
// take what you need by value (a Frame is a shared reference to its pixels, so keeping one copies
// no pixels) and hand it to your own thread. Never block, never throw.
class KioskObserver {
public:
    virtual ~KioskObserver() = default;
    // After every processed frame.
    virtual void frameProcessed(const hal::Frame& /*frame*/, const FrameObservation& /*what*/) {}
    // An identity document (§15) is about to be looked up: the screen shows "checking" until
    // decided() follows. `source` is "reader" or "mrz"; nothing of the document is passed.
    virtual void lookingUp(std::string_view /*source*/) {}
    // §15 holder binding `require`: an HC1 code passed and waits for the traveller's passport or
    // TD1 card (the screen and voice ask for it) until decided() follows — the pair completed, or
    // HOLDER_NOT_CHECKED when policy.binding_window_s ran out. Nothing of the holder is passed.
    virtual void awaitingDocument() {}
    // After every decision, once the indicator showed it. `seq` is the journal sequence number
    // (0 when there is no journal or the record could not be stored).
    virtual void decided(const DecisionRecord& /*record*/, const Verdict& /*verdict*/, std::int64_t /*seq*/) {}
    // An alarm was raised (`cleared` = false) or has cleared (`cleared` = true). `what` is a short
    // stable identifier ("camera", "journal", "clock"), `detail` text for staff (no personal data).
    virtual void alarm(std::string_view /*what*/, std::string_view /*detail*/, bool /*cleared*/) {}
};

}  // namespace sentinel::kiosk

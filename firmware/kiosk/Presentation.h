#pragma once
// What a traveller presents, from whichever way in (DESIGN §8 "Presentations"): a QR payload read
// from the camera (HC1, HK1), or an identity document from a card reader or from an MRZ in the
// camera picture (§15). Every presentation takes one path through the loop: router → verifier →
// policy → record → indicator → observers. A new way in is a PresentationSource added to the
// kiosk, not a second loop.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drivers/hal/Camera.h"
#include "firmware/base/IdentityDocument.h"
#include "firmware/base/Time.h"
#include "firmware/kiosk/KioskObserver.h"

namespace sentinel::kiosk {

struct Presentation {
    enum class Kind { Code, Document };
    Kind kind = Kind::Code;
    std::string payload;  // Code: the QR payload as read
    // Document: personal data (zeroised when the last holder lets go, STYLE 19).
    std::shared_ptr<const IdentityDocument> document;
    std::string source;  // "camera", "reader", "mrz": for logs and counters, never personal data
    // Dedupe key: one presentation held in view (or swiped twice) decides once. Codes: the payload
    // (empty = the payload). Documents: a value the source derives that is not itself personal data.
    std::string key;
    MonoTime seenAt{};             // first seen: the decision budget runs from here (0 = when handed over)
    std::optional<double> readMs;  // what reading it took (decode time of the frame, card read)

    const std::string& dedupeKey() const { return key.empty() ? payload : key; }

    static Presentation code(std::string payload, std::string source, MonoTime seenAt, std::optional<double> readMs) {
        Presentation p;
        p.payload = std::move(payload);
        p.source = std::move(source);
        p.seenAt = seenAt;
        p.readMs = readMs;
        return p;
    }
};

// A way in. Both calls run on the decision thread and must return at once.
class PresentationSource {
public:
    virtual ~PresentationSource() = default;
    // Frame sources (the MRZ reader) look at every camera frame, within their share of its budget,
    // and add what the frame shows. A presentation still in view on the next frames is handed over
    // again: the loop decides it once until it has been out of view for camera.rearm_frames frames.
    virtual void frame(const hal::Frame& /*frame*/, std::vector<Presentation>& /*out*/) {}
    // Event sources (a card reader on its own thread) add what arrived since the last call. The
    // loop decides a key once per KioskOptions::rearmWindow.
    virtual void poll(std::vector<Presentation>& /*out*/) {}
    // After frame(): what the source saw in the frame that the traveller can act on, added to the
    // frame's observation (the screen's hints; no personal data). Frame sources only.
    virtual void annotate(FrameObservation& /*what*/) const {}
};

}  // namespace sentinel::kiosk

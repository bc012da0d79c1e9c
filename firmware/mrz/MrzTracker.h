#pragma once
// Two-frame agreement (DESIGN §15): an MRZ read is accepted only when two frames within a short
// window read the same text, and a document is accepted once while it stays in view. Pure state,
// no clock: the caller feeds one observation per camera frame.
//
// Reads are held in SecretStrings and zeroised when they leave the window (STYLE 19).

#include <optional>

#include "firmware/mrz/MrzReader.h"

namespace sentinel::mrz {

struct TrackerOptions {
    // Two reads agree when they come at most this many frames apart (0.5 s at 30 fps: the reader
    // alternates its two template sets, and a hand moves the page between reads).
    int agreementWindowFrames = 15;
    // A document accepted is not accepted again until this many frames pass without reading it
    // (1 s at 30 fps: the page has left the camera, or stayed unreadable that long).
    int forgetFrames = 30;
};

class MrzTracker {
public:
    explicit MrzTracker(TrackerOptions options = {});

    // One frame's outcome (nothing read = std::nullopt). Returns the read when it agrees with the
    // last read of an earlier frame within the window and is not the document accepted last (still
    // in view); otherwise nothing. A read that disagrees with the pending one replaces it; a read of
    // the same text by the same template set (MrzRead::templateSet ≥ 0) is no agreement and changes
    // nothing.
    std::optional<MrzRead> observe(std::optional<MrzRead> read);
    // Forget everything (zeroises the held reads).
    void reset();

private:
    TrackerOptions options_;
    std::optional<MrzRead> pending_;
    int pendingAgeFrames_ = 0;
    std::optional<MrzRead> accepted_;
    int acceptedAgeFrames_ = 0;
};

}  // namespace sentinel::mrz

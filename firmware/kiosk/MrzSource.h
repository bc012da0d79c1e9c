#pragma once
// Passports and TD1 cards in the camera picture as a way in (DESIGN §8 "Presentations", §15,
// documents.mrz): a frame source that runs the MRZ reader on every frame within its share of the
// frame's time (documents.mrz_budget_ms) and hands over a document when two frames agree
// (mrz::MrzTracker). The read text lives in zeroised buffers; the presentation carries only the
// IdentityDocument (zeroised when the last holder lets go) and a key that says nothing of it.

#include "firmware/base/Time.h"
#include "firmware/kiosk/DocumentKey.h"
#include "firmware/kiosk/Presentation.h"
#include "firmware/mrz/MrzReader.h"
#include "firmware/mrz/MrzTracker.h"

namespace sentinel::kiosk {

class MrzSource final : public PresentationSource {
public:
    // `clock` (outlives the source) gives the year MRZ dates are read against (their century).
    MrzSource(mrz::MrzReader reader, const Clock& clock);

    void frame(const hal::Frame& frame, std::vector<Presentation>& out) override;
    // documentGlare while a zone read ended unread under a reflection within the last
    // kGlareHintFrames frames and no read has agreed since.
    void annotate(FrameObservation& what) const override;

    // How long the tilt hint stays after the read that a reflection blocked: a failed band is read
    // again after half a second (MrzReader), so 1.5 s at 30 fps spans the next attempts and the
    // hint does not flicker off between them.
    static constexpr std::uint64_t kGlareHintFrames = 45;

    // Frames searched, documents handed over (no personal data).
    std::uint64_t frames() const { return frames_; }
    std::uint64_t accepted() const { return accepted_; }

private:
    mrz::MrzReader reader_;
    mrz::MrzTracker tracker_;
    const Clock& clock_;
    DocumentKeyer keyer_;
    std::uint64_t frames_ = 0, accepted_ = 0;
    std::uint64_t glareAt_ = 0;  // frames_ when a reflection last blocked a read (0 = none)
};

}  // namespace sentinel::kiosk

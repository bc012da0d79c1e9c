#pragma once
// The kiosk voice (DESIGN §10): a KioskObserver that, after each decision, asks the voice backend
// to play the decision's, the reason's and the route's prompts in voice.languages order. decided() only hands
// the file names over; the backend plays them from its own thread and cuts the previous
// announcement short.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "drivers/hal/Voice.h"
#include "firmware/kiosk/KioskObserver.h"

namespace sentinel::ui {

class KioskVoice final : public kiosk::KioskObserver {
public:
    // `voice` outlives this observer; `promptsDir` holds LANG/*.wav (locatePrompts()).
    KioskVoice(hal::Voice& voice, std::filesystem::path promptsDir, std::vector<std::string> languages);
    void decided(const DecisionRecord& record, const kiosk::Verdict& verdict, std::int64_t seq) override;
    // §15 holder binding: "now show your passport or ID card", in voice.languages order.
    void awaitingDocument() override;
    // §15: when a reflection first keeps a passport's MRZ from being read (FrameObservation::
    // documentGlare rises), "tilt it a little away from the glare", once until it clears.
    void frameProcessed(const hal::Frame& frame, const kiosk::FrameObservation& what) override;

    // The prompt files of one announcement, in the order spoken: per language, the decision, the
    // reason and (§14) the route, when the record has one.
    std::vector<std::filesystem::path> promptsFor(Decision d, Reason r, const std::optional<std::string>& route = std::nullopt) const;

private:
    hal::Voice& voice_;
    std::filesystem::path dir_;
    std::vector<std::string> languages_;
    bool glare_ = false;  // the last frame's documentGlare (decision thread only)
};

// Where the prompts are: $SENTINEL_PROMPTS_DIR, else share/sentinel/prompts beside the installed
// binary (/usr/bin → /usr/share/sentinel/prompts), else the build tree's prompts/ folder. Empty
// when none has them.
std::filesystem::path locatePrompts();

}  // namespace sentinel::ui

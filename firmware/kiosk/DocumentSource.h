#pragma once
// The ID-card reader as a way in (DESIGN §8 "Presentations", §15): an event source that turns the
// reader's events into presentations on the decision thread. A card read → a Document presentation
// (the document travels by shared pointer and is zeroised when the last holder lets go); a card
// that could not be read → a Document presentation without a document (REFER DOCUMENT_UNREADABLE,
// "please try again"); a fault of the reader itself → the `reader` alarm for the technician, cleared
// by the next good event. The reader runs on its own thread: poll() never waits.

#include <cstdint>
#include <functional>
#include <string>

#include "drivers/hal/DocumentReader.h"
#include "firmware/kiosk/DocumentKey.h"
#include "firmware/kiosk/Presentation.h"

namespace sentinel::kiosk {

class DocumentSource final : public PresentationSource {
public:
    // `raise(what, detail, cleared)`: the kiosk's postAlarm (thread-safe, never blocks); may be empty.
    using AlarmSink = std::function<void(std::string what, std::string detail, bool cleared)>;
    // `reader` outlives the source.
    DocumentSource(hal::DocumentReader& reader, AlarmSink raise);

    void poll(std::vector<Presentation>& out) override;

    // Events taken per poll() at most: a reader cannot flood one step.
    static constexpr int kMaxEventsPerPoll = 4;
    // The alarm's identifier (KioskObserver::alarm's `what`).
    static constexpr const char* kAlarm = "reader";

private:
    hal::DocumentReader& reader_;
    AlarmSink raise_;
    DocumentKeyer keyer_;  // the same card → the same key in this process; the key says nothing of it
    std::uint64_t unreadable_ = 0;  // each unreadable read decides once
    bool faulted_ = false;          // the reader alarm is raised
};

}  // namespace sentinel::kiosk

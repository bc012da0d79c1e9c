#include "firmware/kiosk/DocumentSource.h"

#include "firmware/base/Log.h"

namespace sentinel::kiosk {
namespace {

constexpr const char* kLog = "DocumentSource";

}  // namespace

DocumentSource::DocumentSource(hal::DocumentReader& reader, AlarmSink raise) : reader_(reader), raise_(std::move(raise)) {}

void DocumentSource::poll(std::vector<Presentation>& out) {
    for (int i = 0; i < kMaxEventsPerPoll; ++i) {
        std::optional<hal::DocumentEvent> event = reader_.poll(std::chrono::milliseconds(0));
        if (!event) return;
        if (event->kind == hal::DocumentEventKind::Fault && event->fault == hal::DocumentFault::Reader) {
            if (!faulted_) {
                faulted_ = true;
                SLOG(kLog, Warn) << reader_.describe() << ": " << event->detail;
                if (raise_) raise_(kAlarm, event->detail, false);
            }
            continue;
        }
        if (faulted_) {
            faulted_ = false;
            if (raise_) raise_(kAlarm, "", true);
        }
        if (event->kind == hal::DocumentEventKind::Removed) continue;

        Presentation p;
        p.kind = Presentation::Kind::Document;
        p.source = "reader";
        p.seenAt = event->at;
        if (event->kind == hal::DocumentEventKind::Presented) {
            p.key = keyer_.keyOf("doc", event->document);
            auto document = std::make_shared<IdentityDocument>(std::move(event->document));
            p.document = std::move(document);
        } else {  // Fault Unreadable: a card in the field that could not be read
            SLOG(kLog, Info) << "a card could not be read: " << event->detail;
            p.key = "unreadable:" + std::to_string(++unreadable_);
        }
        out.push_back(std::move(p));
    }
}

}  // namespace sentinel::kiosk

#include "firmware/kiosk/MrzSource.h"

#include "firmware/base/Log.h"
#include "firmware/mrz/MrzParser.h"

namespace sentinel::kiosk {
namespace {

constexpr const char* kLog = "MrzSource";

int yearOf(UtcTime t) {
    const auto days = std::chrono::floor<std::chrono::days>(t);
    return static_cast<int>(std::chrono::year_month_day(std::chrono::sys_days(days)).year());
}

}  // namespace

MrzSource::MrzSource(mrz::MrzReader reader, const Clock& clock) : reader_(std::move(reader)), clock_(clock) {}

void MrzSource::frame(const hal::Frame& frame, std::vector<Presentation>& out) {
    if (frame.gray.empty()) return;
    ++frames_;
    std::optional<mrz::MrzRead> read = reader_.readFrame(frame.gray);
    if (reader_.lastReport().reflectionBlocked) glareAt_ = frames_;
    std::optional<mrz::MrzRead> agreed = tracker_.observe(std::move(read));
    if (!agreed) return;
    glareAt_ = 0;
    auto document = mrz::toIdentityDocument(agreed->parsed, yearOf(clock_.now()));
    if (!document) {
        // Every check passed but the fields do not make a document (a date that cannot be): the
        // traveller is asked to try again, like a card that could not be read.
        SLOG(kLog, Info) << "an MRZ read agreed but gives no document: " << document.error().message;
    }
    Presentation p;
    p.kind = Presentation::Kind::Document;
    p.source = "mrz";
    p.seenAt = frame.capturedAt;
    p.readMs = std::chrono::duration<double, std::milli>(reader_.lastReport().elapsed).count();
    if (document) {
        p.key = keyer_.keyOf("mrz", *document);
        p.document = std::make_shared<IdentityDocument>(std::move(document).value());
    } else {
        p.key = "mrz-unreadable:" + std::to_string(frames_);
    }
    ++accepted_;
    out.push_back(std::move(p));
}

void MrzSource::annotate(FrameObservation& what) const {
    if (glareAt_ != 0 && frames_ - glareAt_ < kGlareHintFrames) what.documentGlare = true;
}

}  // namespace sentinel::kiosk

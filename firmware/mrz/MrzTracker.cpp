#include "firmware/mrz/MrzTracker.h"

namespace sentinel::mrz {

MrzTracker::MrzTracker(TrackerOptions options) : options_(options) {}

std::optional<MrzRead> MrzTracker::observe(std::optional<MrzRead> read) {
    ++pendingAgeFrames_;
    ++acceptedAgeFrames_;
    if (pending_ && pendingAgeFrames_ > options_.agreementWindowFrames) pending_.reset();
    if (accepted_ && acceptedAgeFrames_ > options_.forgetFrames) accepted_.reset();
    if (!read) return std::nullopt;
    if (accepted_ && accepted_->sameText(*read)) {
        acceptedAgeFrames_ = 0;  // still in view
        return std::nullopt;
    }
    if (pending_ && pending_->sameText(*read) && read->templateSet >= 0 && read->templateSet == pending_->templateSet) {
        return std::nullopt;  // the same classification again: no second opinion (MrzRead::templateSet)
    }
    if (pending_ && pending_->sameText(*read)) {
        pending_.reset();
        accepted_ = *read;
        acceptedAgeFrames_ = 0;
        return read;
    }
    pending_ = std::move(read);
    pendingAgeFrames_ = 0;
    return std::nullopt;
}

void MrzTracker::reset() {
    pending_.reset();
    accepted_.reset();
    pendingAgeFrames_ = 0;
    acceptedAgeFrames_ = 0;
}

}  // namespace sentinel::mrz

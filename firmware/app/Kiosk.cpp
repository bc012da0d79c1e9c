#include "firmware/app/Kiosk.h"

#include <exception>

#include "firmware/base/Log.h"

namespace sentinel::app {
namespace {

constexpr const char* kLog = "Kiosk";


double msBetween(MonoTime a, MonoTime b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

}  // namespace

Kiosk::Kiosk(hal::Camera& camera, FrameDecoder& decoder, CredentialVerifier& verifier, hal::Indicator& indicator,
             DecisionSink* sink, const Clock& clock, KioskOptions options)
    : camera_(camera),
      decoder_(decoder),
      verifier_(verifier),
      indicator_(indicator),
      sink_(sink),
      clock_(clock),
      options_(std::move(options)) {}

Kiosk::Step Kiosk::step() {
    hal::GrabResult grabbed = camera_.grab(options_.grabTimeout);
    switch (grabbed.status) {
        case hal::GrabStatus::EndOfStream: return Step::EndOfStream;
        case hal::GrabStatus::Timeout: return Step::Idle;
        case hal::GrabStatus::Failed:
            ++counters_.cameraFaults;
            if (!cameraFaulted_) {
                SLOG(kLog, Error) << "camera fault: " << grabbed.detail;
                indicator_.alarm("camera: " + grabbed.detail);
                for (auto* o : observers_) o->alarm("camera", grabbed.detail, false);
                cameraFaulted_ = true;
            }
            return Step::CameraFault;
        case hal::GrabStatus::Frame: break;
    }
    if (cameraFaulted_) {
        SLOG(kLog, Info) << "camera delivering frames again";
        for (auto* o : observers_) o->alarm("camera", "delivering frames again", true);
        cameraFaulted_ = false;
    }
    ++frameCount_;
    ++counters_.frames;
    const hal::Frame& frame = grabbed.frame;

    std::vector<std::string> payloads;
    const MonoTime t0 = clock_.monotonic();
    try {
        payloads = decoder_.decode(frame.gray);
    } catch (const std::exception& e) {
        SLOG(kLog, Error) << "decoder threw: " << e.what();
    }
    const double decodeMs = msBetween(t0, clock_.monotonic());
    const bool seenUnread = payloads.empty() && decoder_.symbolSeenUnread();
    if (seenUnread) {
        ++counters_.decodeFailures;
        if (sink_) sink_->noteDecodeFailure();
    }
    if (!observers_.empty()) {
        const FrameObservation what{decodeMs, !payloads.empty(), seenUnread};
        for (auto* o : observers_) o->frameProcessed(frame, what);
    }

    for (const auto& payload : payloads) {
        auto it = lastSeen_.find(payload);
        const bool armed = it == lastSeen_.end() || frameCount_ - it->second > static_cast<std::uint64_t>(options_.rearmFrames);
        lastSeen_[payload] = frameCount_;
        if (armed) decide(payload, frame, decodeMs);
    }
    // Forget codes that left the view long ago (bounded memory).
    for (auto it = lastSeen_.begin(); it != lastSeen_.end();) {
        if (frameCount_ - it->second > static_cast<std::uint64_t>(options_.rearmFrames)) {
            it = lastSeen_.erase(it);
        } else {
            ++it;
        }
    }
    if (onProgress) onProgress();
    return Step::Frame;
}

void Kiosk::decide(const std::string& payload, const hal::Frame& frame, double decodeMs) {
    // The budget runs from the frame in which the code was first seen.
    const MonoTime seenAt = frame.capturedAt != MonoTime{} ? frame.capturedAt : clock_.monotonic();
    const MonoTime deadline = seenAt + options_.budget;
    Verdict verdict;
    const MonoTime v0 = clock_.monotonic();
    try {
        verdict = verifier_.verify(payload, deadline - kDecisionReserve);
    } catch (const std::exception& e) {
        SLOG(kLog, Error) << "verifier threw: " << e.what();
        verdict = Verdict{};
        verdict.record.decide(Reason::InternalError);
    }
    DecisionRecord& rec = verdict.record;
    if (!rec.latency.verifyMs) rec.latency.verifyMs = msBetween(v0, clock_.monotonic());
    rec.latency.decodeMs = decodeMs;

    if (clock_.monotonic() > deadline && rec.decision == Decision::Pass) {
        // Too late to be trusted as a live decision: fail closed.
        rec.decide(rec.format == "HK1" ? Reason::BackendTimeout : Reason::InternalError);
    }
    if (rec.decision == Decision::Pass && !verdict.testCard && options_.seenRecently && !rec.subject.empty() &&
        options_.seenRecently(rec.subject, clock_.monotonic())) {
        rec.decide(Reason::Replayed);
    }
    rec.latency.totalMs = msBetween(seenAt, clock_.monotonic());

    std::int64_t seq = 0;
    if (sink_) {
        auto stored = sink_->record(rec);
        if (stored) seq = *stored;
        if (!stored) {
            ++counters_.journalFaults;
            SLOG(kLog, Error) << "journal: " << stored.error().message << " — failing closed";
            rec.decide(Reason::JournalFault);
        }
    }
    hal::Indication ind;
    ind.decision = rec.decision;
    ind.reason = rec.reason;
    ind.format = rec.format;
    ind.latencyMs = rec.latency.totalMs;
    ind.holderMasked = verdict.holderMasked;
    ind.detail = verdict.ruleText;
    ind.testCard = verdict.testCard;  // indicators show TEST CARD and keep the relay shut
    indicator_.show(ind);
    ++counters_.decisions;
    SLOG(kLog, Info) << toString(rec.decision) << ' ' << toString(rec.reason) << " format=" << rec.format
                     << " total_ms=" << *rec.latency.totalMs;
    if (onDecision) onDecision(rec, verdict);
    for (auto* o : observers_) o->decided(rec, verdict, seq);
}

void Kiosk::run(const std::atomic<bool>& stop) {
    while (!stop.load()) {
        if (step() == Step::EndOfStream) break;
    }
    indicator_.shut();
}

}  // namespace sentinel::app

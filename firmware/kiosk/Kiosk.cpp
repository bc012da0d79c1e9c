#include "firmware/kiosk/Kiosk.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <sstream>

#include "firmware/base/Log.h"
#include "firmware/kiosk/HolderBinding.h"

namespace sentinel::kiosk {
namespace {

constexpr const char* kLog = "Kiosk";


double msBetween(MonoTime a, MonoTime b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

// §15: an HC1 PASS against the document that pairs with it; the holder goes with the comparison.
void bindHolder(Verdict& verdict, const IdentityDocument& document) {
    DecisionRecord& rec = verdict.record;
    const BindingOutcome outcome = verdict.holder ? compareHolder(*verdict.holder, document) : BindingOutcome::Unbindable;
    verdict.holder.reset();
    switch (outcome) {
        case BindingOutcome::Match: rec.binding = "match"; break;
        case BindingOutcome::Mismatch:
            rec.binding = "mismatch";
            rec.decide(Reason::HolderMismatch);
            break;
        case BindingOutcome::Unbindable:
            rec.binding = "none";
            rec.decide(Reason::HolderNotChecked);
            break;
    }
}

}  // namespace

Verdict CredentialVerifier::verifyPresentation(const Presentation& presentation, MonoTime deadline) {
    if (presentation.kind == Presentation::Kind::Code) return verify(presentation.payload, deadline);
    Verdict v;
    if (presentation.document) v.record.format = std::string(recordFormat(presentation.document->type));
    v.record.decide(Reason::BackendNotConfigured);
    return v;
}

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
    serveOverrides();
    deliverPostedAlarms();
    expireBinding(false);
    hal::GrabResult grabbed = camera_.grab(options_.grabTimeout);
    switch (grabbed.status) {
        case hal::GrabStatus::EndOfStream: return Step::EndOfStream;
        case hal::GrabStatus::Timeout: pollSources(); return Step::Idle;
        case hal::GrabStatus::Failed:
            ++counters_.cameraFaults;
            if (!cameraFaulted_) {
                SLOG(kLog, Error) << "camera fault: " << grabbed.detail;
                indicator_.alarm("camera: " + grabbed.detail);
                for (auto* o : observers_) o->alarm("camera", grabbed.detail, false);
                cameraFaulted_ = true;
            }
            pollSources();
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

    // What this frame shows: the camera's codes, then what the frame sources found in it. The
    // budget runs from the frame in which a presentation was first seen.
    const MonoTime seenAt = frame.capturedAt != MonoTime{} ? frame.capturedAt : clock_.monotonic();
    FrameObservation what{decodeMs, !payloads.empty(), seenUnread};
    presented_.clear();
    for (auto& payload : payloads) presented_.push_back(Presentation::code(std::move(payload), "camera", seenAt, decodeMs));
    for (auto* source : sources_) {
        source->frame(frame, presented_);
        source->annotate(what);
    }
    for (auto* o : observers_) o->frameProcessed(frame, what);
    for (auto& p : presented_) {
        if (p.seenAt == MonoTime{}) p.seenAt = seenAt;
        const std::string key = p.dedupeKey();
        auto it = lastSeen_.find(key);
        const bool armed = it == lastSeen_.end() || frameCount_ - it->second > static_cast<std::uint64_t>(options_.rearmFrames);
        lastSeen_[key] = frameCount_;
        if (armed) decide(p);
    }
    presented_.clear();
    // Forget presentations that left the view long ago (bounded memory).
    for (auto it = lastSeen_.begin(); it != lastSeen_.end();) {
        if (frameCount_ - it->second > static_cast<std::uint64_t>(options_.rearmFrames)) {
            it = lastSeen_.erase(it);
        } else {
            ++it;
        }
    }
    pollSources();
    if (onProgress) onProgress();
    return Step::Frame;
}

void Kiosk::pollSources() {
    if (sources_.empty()) return;
    presented_.clear();
    for (auto* source : sources_) source->poll(presented_);
    const MonoTime now = clock_.monotonic();
    for (auto& p : presented_) {
        if (p.seenAt == MonoTime{}) p.seenAt = now;
        const std::string key = p.dedupeKey();
        auto it = lastPresented_.find(key);
        if (it != lastPresented_.end() && now - it->second < options_.rearmWindow) continue;
        lastPresented_[key] = now;
        decide(p);
    }
    presented_.clear();
    for (auto it = lastPresented_.begin(); it != lastPresented_.end();) {
        if (now - it->second >= options_.rearmWindow) {
            it = lastPresented_.erase(it);
        } else {
            ++it;
        }
    }
}

void Kiosk::decide(const Presentation& presentation) {
    const bool bindingDocument = bindingRequired() && presentation.kind == Presentation::Kind::Document &&
                                 presentation.document && canBind(presentation.document->type);
    if (bindingDocument && held_) {
        completePair(presentation);
        return;
    }
    Verdict verdict = verdictFor(presentation);
    const bool needsBinding = bindingRequired() && verdict.record.format == "HC1" && verdict.record.decision == Decision::Pass &&
                              !verdict.testCard && !verdict.fromTestIssuer;
    if (needsBinding) {
        if (remembered_) {
            const auto document = std::move(remembered_->document);
            remembered_.reset();
            bindHolder(verdict, *document);
        } else if (!verdict.holder) {
            verdict.record.binding = "none";  // the certificate names nobody a document could match
            verdict.record.decide(Reason::HolderNotChecked);
        } else {
            hold(std::move(verdict), presentation);
            return;
        }
    }
    conclude(verdict, presentation.seenAt, presentation.readMs);
    if (bindingDocument) remembered_ = RememberedDocument{presentation.document, clock_.monotonic()};
}

Verdict Kiosk::verdictFor(const Presentation& presentation) {
    const MonoTime deadline = presentation.seenAt + options_.budget;
    Verdict verdict;
    if (presentation.kind == Presentation::Kind::Document && presentation.document) {
        for (auto* o : observers_) o->lookingUp(presentation.source);
    }
    const MonoTime v0 = clock_.monotonic();
    try {
        verdict = verifier_.verifyPresentation(presentation, deadline - kDecisionReserve);
    } catch (const std::exception& e) {
        SLOG(kLog, Error) << "verifier threw: " << e.what();
        verdict = Verdict{};
        verdict.record.decide(Reason::InternalError);
    }
    if (!verdict.record.latency.verifyMs) verdict.record.latency.verifyMs = msBetween(v0, clock_.monotonic());
    return verdict;
}

void Kiosk::hold(Verdict verdict, const Presentation& presentation) {
    const std::string& key = presentation.dedupeKey();
    if (held_ && held_->key == key) return;  // the same code again: it keeps its place and its window
    if (held_) expireBinding(true);           // another code: the one waiting had no document
    held_ = HeldCertificate{std::move(verdict), clock_.monotonic(), key};
    SLOG(kLog, Info) << "HC1 PASS waits for a passport or TD1 card (policy.holder_binding = require, "
                     << options_.bindingWindow.count() << " s)";
    for (auto* o : observers_) o->awaitingDocument();
}

void Kiosk::completePair(const Presentation& document) {
    Verdict verdict = std::move(held_->verdict);
    held_.reset();
    bindHolder(verdict, *document.document);
    // No lookup of its own (§15): the budget runs from the document, the second presentation.
    conclude(verdict, document.seenAt, document.readMs);
}

void Kiosk::expireBinding(bool all) {
    if (!bindingRequired()) return;
    const MonoTime now = clock_.monotonic();
    if (remembered_ && (all || now - remembered_->seenAt > options_.bindingWindow)) remembered_.reset();
    if (held_ && (all || now - held_->heldAt >= options_.bindingWindow)) {
        Verdict verdict = std::move(held_->verdict);
        held_.reset();
        verdict.holder.reset();
        verdict.record.binding = "none";
        verdict.record.decide(Reason::HolderNotChecked);
        SLOG(kLog, Info) << "no passport or TD1 card within policy.binding_window_s: REFER HOLDER_NOT_CHECKED";
        conclude(verdict, now, std::nullopt);
    }
}

void Kiosk::conclude(Verdict& verdict, MonoTime seenAt, std::optional<double> readMs) {
    const MonoTime deadline = seenAt + options_.budget;
    DecisionRecord& rec = verdict.record;
    rec.latency.decodeMs = readMs;

    if (clock_.monotonic() > deadline && rec.decision == Decision::Pass) {
        // Too late to be trusted as a live decision: fail closed.
        const bool online = rec.format == "HK1" || rec.format == "ID" || rec.format == "MRZ";
        rec.decide(online ? Reason::BackendTimeout : Reason::InternalError);
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
            rec.route.reset();  // §14: JOURNAL_FAULT sends no one to a desk the record never named
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
    // The most recent REFER/DENY is what staff may override; one that cannot be (a test card, not
    // journaled) still replaces an older one, which is no longer the most recent.
    if (rec.decision != Decision::Pass) {
        candidate_.reset();
        if (seq > 0 && !verdict.testCard && !verdict.fromTestIssuer) {
            candidate_ = OverrideCandidate{seq, rec.decision, rec.reason, clock_.monotonic(), false, rec.policyVersion};
        }
    }
    if (onDecision) onDecision(rec, verdict);
    for (auto* o : observers_) o->decided(rec, verdict, seq);
}

bool validStaffId(std::string_view staff) {
    constexpr std::size_t kMaxStaffIdChars = 32;  // a staff number, not a name
    return !staff.empty() && staff.size() <= kMaxStaffIdChars && std::all_of(staff.begin(), staff.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
}

void Kiosk::requestOverride(StaffOverrideRequest request, OverrideDone done) {
    StaffOverrideOutcome refused;
    {
        std::lock_guard lock(mailboxMutex_);
        if (!stopped_ && mailbox_.size() < kMaxPendingOverrides) {
            mailbox_.emplace_back(std::move(request), std::move(done));
            return;
        }
        refused.detail = stopped_ ? "the kiosk is stopping" : "too many override requests waiting";
    }
    if (done) done(refused);
}

void Kiosk::postAlarm(std::string what, std::string detail, bool cleared) {
    std::lock_guard lock(mailboxMutex_);
    if (postedAlarms_.size() >= kMaxPostedAlarms) postedAlarms_.erase(postedAlarms_.begin());
    postedAlarms_.push_back({std::move(what), std::move(detail), cleared});
}

void Kiosk::deliverPostedAlarms() {
    std::vector<PostedAlarm> alarms;
    {
        std::lock_guard lock(mailboxMutex_);
        if (postedAlarms_.empty()) return;
        alarms.swap(postedAlarms_);
    }
    for (const auto& a : alarms) {
        if (!a.cleared) indicator_.alarm(a.what + ": " + a.detail);
        for (auto* o : observers_) o->alarm(a.what, a.detail, a.cleared);
    }
}

void Kiosk::serveOverrides() {
    std::vector<std::pair<StaffOverrideRequest, OverrideDone>> requests;
    {
        std::lock_guard lock(mailboxMutex_);
        requests.swap(mailbox_);
    }
    for (auto& [request, done] : requests) {
        const StaffOverrideOutcome outcome = performOverride(request);
        if (done) done(outcome);
    }
}

StaffOverrideOutcome Kiosk::performOverride(const StaffOverrideRequest& request) {
    StaffOverrideOutcome out;
    if (!request.staff.empty() && !validStaffId(request.staff)) {
        out.detail = "the staff number must be 1–32 letters, digits, '-', '_' or '.'";
        SLOG(kLog, Info) << "staff override refused: " << out.detail;
        return out;
    }
    if (options_.diagnosticsMode) {
        out.detail = "diagnostics mode: staff override does not open the gate";
        SLOG(kLog, Info) << "staff override refused: " << out.detail;
        return out;
    }
    if (!candidate_) {
        out.detail = request.seq ? "record " + std::to_string(*request.seq) + " cannot be overridden: there is no REFER or DENY to override"
                                 : "no REFER or DENY to override";
        out.overrides = request.seq.value_or(0);
        SLOG(kLog, Info) << "staff override refused: " << out.detail;
        return out;
    }
    OverrideCandidate& c = *candidate_;
    out.overrides = c.seq;
    if (request.seq && *request.seq != c.seq) {
        // §11: bound to what staff saw. A newer REFER/DENY is another traveller.
        out.overrides = *request.seq;
        out.detail = *request.seq < c.seq
                         ? "record " + std::to_string(*request.seq) + " is no longer the one to override: a newer decision (" +
                               std::string(toString(c.decision)) + " seq " + std::to_string(c.seq) + ") replaced it"
                         : "record " + std::to_string(*request.seq) + " is not an overridable REFER or DENY (the candidate is seq " +
                               std::to_string(c.seq) + ")";
        SLOG(kLog, Info) << "staff override refused: " << out.detail;
        return out;
    }
    std::ostringstream what;
    what << toString(c.decision) << ' ' << toString(c.reason) << " (seq " << c.seq << ")";
    if (c.used) {
        out.detail = what.str() + " was already overridden";
        SLOG(kLog, Info) << "staff override refused: " << out.detail;
        return out;
    }
    const auto age = clock_.monotonic() - c.decidedAt;
    if (age > options_.overrideWindow) {
        const auto ageS = std::chrono::duration_cast<std::chrono::seconds>(age).count();
        out.detail = what.str() + " is " + std::to_string(ageS) + " s old; staff.override_window_s is " +
                     std::to_string(options_.overrideWindow.count()) + " s";
        SLOG(kLog, Info) << "staff override refused: " << out.detail;
        return out;
    }

    Verdict verdict;
    DecisionRecord& rec = verdict.record;
    rec.decide(Reason::StaffOverride);
    rec.overrides = c.seq;
    if (!request.staff.empty()) rec.staff = request.staff;
    rec.policyVersion = c.policyVersion;
    std::int64_t seq = 0;
    if (sink_) {
        auto stored = sink_->record(rec);
        if (!stored) {
            // Fail closed: an override that is not on record does not open the gate.
            ++counters_.journalFaults;
            out.detail = "journal: " + stored.error().message + " — gate stays shut";
            SLOG(kLog, Error) << "staff override: " << out.detail;
            return out;
        }
        seq = *stored;
    }
    c.used = true;
    hal::Indication ind;
    ind.decision = rec.decision;
    ind.reason = rec.reason;
    indicator_.show(ind);
    ++counters_.decisions;
    ++counters_.staffOverrides;
    out.opened = true;
    out.seq = seq;
    out.detail = "opened for " + what.str();
    SLOG(kLog, Info) << "PASS STAFF_OVERRIDE seq " << seq << " overrides " << what.str();
    if (onDecision) onDecision(rec, verdict);
    for (auto* o : observers_) o->decided(rec, verdict, seq);
    return out;
}

void Kiosk::run(const std::atomic<bool>& stop) {
    while (!stop.load()) {
        if (step() == Step::EndOfStream) break;
    }
    expireBinding(true);  // a code still waiting for its document ends with a record, as every presentation does
    indicator_.shut();
    std::vector<std::pair<StaffOverrideRequest, OverrideDone>> left;
    {
        std::lock_guard lock(mailboxMutex_);
        stopped_ = true;
        left.swap(mailbox_);
    }
    for (auto& [request, done] : left) {
        StaffOverrideOutcome refused;
        refused.detail = "the kiosk is stopping";
        if (done) done(refused);
    }
}

}  // namespace sentinel::kiosk

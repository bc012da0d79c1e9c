#pragma once
// The kiosk loop (DESIGN §1, §8): presentations → verify → policy → journal → indicator → observers.
// With holder binding required (§15, KioskOptions::bindingWindow), an HC1 PASS and a passport or TD1
// card pair within the window in either order: an HC1 PASS shown first waits (no record, gate shut,
// observers asked to show awaitingDocument()) and the document completes it without a lookup of its
// own; a document shown first is decided by its own lookup and remembered for the window, and an HC1
// code that follows binds to it. One record for the pair, `binding` match (PASS) / mismatch (DENY
// HOLDER_MISMATCH) / none (REFER HOLDER_NOT_CHECKED: no document within the window, or a
// certificate that names nobody comparable), its budget counted from the second presentation.
// The camera drives the loop: each frame is decoded for QR codes and shown to the frame sources
// (an MRZ reader); event sources (a card reader) are polled every step. Every presentation takes
// the same path. A code held under the camera decides once, until it has been out of view for
// `rearmFrames` frames; an event source's key decides once per `rearmWindow`. The decision budget
// runs from when the presentation was first seen; every error path ends with the gate shut and a
// reason on the record.
//
// The loop knows no command line, no configuration file and no backend: the app builds it from a
// Runtime (Runtime.h) and the backends it chose, and adds sources and observers.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "drivers/hal/Camera.h"
#include "drivers/hal/Indicator.h"
#include "firmware/base/DecisionRecord.h"
#include "firmware/base/Result.h"
#include "firmware/base/Time.h"
#include "firmware/kiosk/KioskObserver.h"
#include "firmware/kiosk/Presentation.h"

namespace sentinel::kiosk {

// Frame → payloads. Live decoding is stateful (variants spread across frames).
class FrameDecoder {
public:
    virtual ~FrameDecoder() = default;
    virtual std::vector<std::string> decode(const GrayView& frame) = 0;
    // True when the last decode() located a QR symbol but could not read it (a decode failure
    // worth counting: glare, blur, a damaged code).
    virtual bool symbolSeenUnread() const { return false; }
};

// Presentation → verdict, by `deadline` at the latest.
class CredentialVerifier {
public:
    virtual ~CredentialVerifier() = default;
    // A QR payload.
    virtual Verdict verify(std::string_view payload, MonoTime deadline) = 0;
    // Any presentation (what the loop calls). Default: a code goes to verify(payload); a document,
    // which this verifier cannot look up, is REFER BACKEND_NOT_CONFIGURED.
    virtual Verdict verifyPresentation(const Presentation& presentation, MonoTime deadline);
};

// Where decision records go before the indicator shows them (the journal). A PASS is only shown
// once record() has returned a sequence number (durable).
class DecisionSink {
public:
    virtual ~DecisionSink() = default;
    virtual Result<std::int64_t> record(const DecisionRecord& r) = 0;
    // A frame in which a code was seen but not read (counted in the statistics).
    virtual void noteDecodeFailure() {}
};

struct KioskOptions {
    std::chrono::milliseconds budget{5000};      // budget.decision_ms
    int rearmFrames = 15;                        // camera.rearm_frames
    // An event source's presentation with the same key decides once within this window (a card
    // swiped twice, a reader that reports one card twice).
    std::chrono::milliseconds rearmWindow{3000};
    std::chrono::milliseconds grabTimeout{500};  // one wait for a frame
    // Replay detection (replay.window_s): returns true when `subject` was seen within the window.
    std::function<bool(const std::string& subject, MonoTime now)> seenRecently;
    // Staff override (§11): the last REFER/DENY this recent can be overridden once.
    std::chrono::seconds overrideWindow{30};  // staff.override_window_s
    bool diagnosticsMode = false;              // kiosk.diagnostics_mode: staff overrides never open the gate
    // §15 holder binding `require` (policy.binding_window_s; zero = not required): an HC1 PASS and a
    // passport or TD1 card (an MRZ presentation) pair when presented within this of each other.
    std::chrono::seconds bindingWindow{0};
};

// A staff override (§11): for which record, by whom.
struct StaffOverrideRequest {
    // The record staff looked at (`sentinel staff override --seq N`, the control socket's "seq"):
    // nothing opens unless it is still the overridable one. nullopt = whatever is (the button,
    // which has no number, acts on the candidate the staff screen shows).
    std::optional<std::int64_t> seq;
    std::string staff;  // operator-assigned staff number, kept on the record; empty = none
};
// A staff number fit for the record: 1–32 of letters, digits, '-', '_', '.'.
bool validStaffId(std::string_view staff);

// What a staff override request came to (§11). Never holds personal data.
struct StaffOverrideOutcome {
    bool opened = false;         // a PASS STAFF_OVERRIDE was journaled and the relay pulsed
    std::int64_t seq = 0;        // the STAFF_OVERRIDE record (when opened)
    std::int64_t overrides = 0;  // the record it overrode, or the candidate that was refused (0 = none)
    std::string detail;          // for staff: what happened, or why nothing opened
};

struct KioskCounters {
    std::uint64_t frames = 0, decisions = 0, cameraFaults = 0, journalFaults = 0, decodeFailures = 0, staffOverrides = 0;
};

class Kiosk {
public:
    Kiosk(hal::Camera& camera, FrameDecoder& decoder, CredentialVerifier& verifier, hal::Indicator& indicator,
          DecisionSink* sink, const Clock& clock, KioskOptions options);

    // Time kept back from the verifier's deadline for what follows it: the journal commit (an
    // fsync: a few ms on flash, 20 ms the worst seen here) and the indicator, so the whole decision
    // fits in budget.decision_ms.
    static constexpr std::chrono::milliseconds kDecisionReserve{150};

    enum class Step { Frame, Idle, CameraFault, EndOfStream };
    // One grab and everything that follows from it.
    Step step();
    // Steps until `stop` is set or the stream ends. The relay is shut before returning.
    void run(const std::atomic<bool>& stop);

    // Called with every decision after the indicator showed it (printing, tests).
    std::function<void(const DecisionRecord&, const Verdict&)> onDecision;
    // Called after every processed frame (watchdog: the frame loop is making progress).
    std::function<void()> onProgress;

    // Observers are added before run() and outlive the kiosk; they are called in the order added.
    void addObserver(KioskObserver* observer) { observers_.push_back(observer); }
    // More ways in (DESIGN §8): added before run(), outlive the kiosk. The camera's QR codes come
    // from the FrameDecoder given at construction.
    void addSource(PresentationSource* source) { sources_.push_back(source); }

    // Staff override (the staff button, `sentinel staff override`). Thread-safe and never blocks:
    // the request is queued and performed on the decision thread at the start of the next step(),
    // which then calls `done` there (it must return at once: hand the outcome to your own thread).
    // The most recent REFER or DENY (journaled, not a test card) within options.overrideWindow is
    // overridden once — and, when the request names a seq, only if it is that record: a PASS STAFF_OVERRIDE record with `overrides` = its seq is journaled (durable
    // before the relay pulses), shown, and reported to observers like any decision. Anything else —
    // no such decision, already overridden, too old, diagnostics mode, a journal fault — opens
    // nothing and says why. Requests queued when run() returns, or made after it, are refused.
    using OverrideDone = std::function<void(const StaffOverrideOutcome&)>;
    void requestOverride(StaffOverrideRequest request, OverrideDone done);
    void requestOverride(OverrideDone done) { requestOverride(StaffOverrideRequest{}, std::move(done)); }
    // More queued requests than this are refused at once (a stuck loop cannot pile them up).
    static constexpr std::size_t kMaxPendingOverrides = 8;

    // An alarm raised or cleared by another thread (the fleet link's credential failures).
    // Thread-safe and never blocks: queued, and delivered to the observers (screen, status, fleet,
    // metrics) and, when raised, to the indicator as "WHAT: DETAIL" on the decision thread at the
    // start of the next step(). At most kMaxPostedAlarms wait; beyond that the oldest is dropped.
    void postAlarm(std::string what, std::string detail, bool cleared);
    static constexpr std::size_t kMaxPostedAlarms = 16;

    const KioskCounters& counters() const { return counters_; }

private:
    // Every presentation's one path: verify → policy → journal → indicator → observers.
    void decide(const Presentation& presentation);
    Verdict verdictFor(const Presentation& presentation);
    // What follows the verdict: the deadline, replay, journal, indicator, observers. The budget runs
    // from `seenAt`; `readMs` is what reading the (last) presentation took.
    void conclude(Verdict& verdict, MonoTime seenAt, std::optional<double> readMs);
    // §15 holder binding (options_.bindingWindow > 0).
    bool bindingRequired() const { return options_.bindingWindow.count() > 0; }
    void hold(Verdict verdict, const Presentation& presentation);
    void completePair(const Presentation& document);
    void expireBinding(bool all);
    // Event sources: what arrived since the last step, deduplicated by key within rearmWindow.
    void pollSources();
    void serveOverrides();
    void deliverPostedAlarms();
    StaffOverrideOutcome performOverride(const StaffOverrideRequest& request);

    // The REFER/DENY staff may override: decision thread only.
    struct OverrideCandidate {
        std::int64_t seq = 0;
        Decision decision = Decision::Refer;
        Reason reason = Reason::InternalError;
        MonoTime decidedAt{};
        bool used = false;
        std::string policyVersion;  // the override is made under the policy of what it overrides
    };

    hal::Camera& camera_;
    FrameDecoder& decoder_;
    CredentialVerifier& verifier_;
    hal::Indicator& indicator_;
    DecisionSink* sink_;
    const Clock& clock_;
    KioskOptions options_;
    std::uint64_t frameCount_ = 0;
    std::unordered_map<std::string, std::uint64_t> lastSeen_;  // frame presentation key → frame it was last in view
    std::unordered_map<std::string, MonoTime> lastPresented_;  // event presentation key → when it last decided
    std::vector<PresentationSource*> sources_;
    std::vector<Presentation> presented_;  // reused per step
    KioskCounters counters_;
    bool cameraFaulted_ = false;
    std::vector<KioskObserver*> observers_;
    std::optional<OverrideCandidate> candidate_;
    std::mutex mailboxMutex_;  // guards the two below; held only to push or swap
    std::vector<std::pair<StaffOverrideRequest, OverrideDone>> mailbox_;
    bool stopped_ = false;
    struct PostedAlarm {
        std::string what, detail;
        bool cleared = false;
    };
    std::vector<PostedAlarm> postedAlarms_;  // guarded by mailboxMutex_
    // §15 holder binding, decision thread only: the HC1 PASS waiting for a document, and the last
    // document decided on its own that an HC1 code may still bind to. Both hold personal data
    // (zeroised when released) and live at most options_.bindingWindow.
    struct HeldCertificate {
        Verdict verdict;
        MonoTime heldAt{};
        std::string key;  // the code's dedupe key: shown again, it keeps waiting as it was
    };
    std::optional<HeldCertificate> held_;
    struct RememberedDocument {
        std::shared_ptr<const IdentityDocument> document;
        MonoTime seenAt{};
    };
    std::optional<RememberedDocument> remembered_;
};

}  // namespace sentinel::kiosk

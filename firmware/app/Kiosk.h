#pragma once
// The kiosk loop (DESIGN §1, §8): camera → decode → verify → policy → journal → indicator.
// A frame flows one way. A code held under the camera decides once, until it has been out of view
// for `rearmFrames` frames. The decision budget runs from the first frame the code was seen in;
// every error path ends with the gate shut and a reason on the record.

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

namespace sentinel::app {

// Frame → payloads. Live decoding is stateful (variants spread across frames).
class FrameDecoder {
public:
    virtual ~FrameDecoder() = default;
    virtual std::vector<std::string> decode(const GrayView& frame) = 0;
    // True when the last decode() located a QR symbol but could not read it (a decode failure
    // worth counting: glare, blur, a damaged code).
    virtual bool symbolSeenUnread() const { return false; }
};

struct Verdict {
    DecisionRecord record;
    std::string holderMasked;  // for the display only; never logged or journaled
    bool testCard = false;     // a diagnostics test card: shown as TEST CARD, gate stays shut
    std::string ruleText;      // RULE_NOT_MET: the failed rule's description ("zh / en"), for console and screen
    // Signed by the device's test issuer (in service: DENY UNKNOWN_ISSUER). Test cards never become
    // something staff can override (§11).
    bool fromTestIssuer = false;
};

// Payload → verdict, by `deadline` at the latest.
class CredentialVerifier {
public:
    virtual ~CredentialVerifier() = default;
    virtual Verdict verify(std::string_view payload, MonoTime deadline) = 0;
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

// What a processed frame showed, for the screen's hints and the technician's meters.
struct FrameObservation {
    double decodeMs = 0;
    bool decoded = false;           // at least one payload was read from this frame
    bool symbolSeenUnread = false;  // a QR symbol was located but could not be read
};

// Everything that shows or reports what the loop does (screen, voice, control socket, fleet link)
// observes it through this interface. Callbacks run on the decision thread and must return at once:
// take what you need by value (a Frame is a shared reference to its pixels, so keeping one copies
// no pixels) and hand it to your own thread. Never block, never throw.
class KioskObserver {
public:
    virtual ~KioskObserver() = default;
    // After every processed frame.
    virtual void frameProcessed(const hal::Frame& /*frame*/, const FrameObservation& /*what*/) {}
    // After every decision, once the indicator showed it. `seq` is the journal sequence number
    // (0 when there is no journal or the record could not be stored).
    virtual void decided(const DecisionRecord& /*record*/, const Verdict& /*verdict*/, std::int64_t /*seq*/) {}
    // An alarm was raised (`cleared` = false) or has cleared (`cleared` = true). `what` is a short
    // stable identifier ("camera", "journal", "clock"), `detail` text for staff (no personal data).
    virtual void alarm(std::string_view /*what*/, std::string_view /*detail*/, bool /*cleared*/) {}
};

struct KioskOptions {
    std::chrono::milliseconds budget{5000};      // budget.decision_ms
    int rearmFrames = 15;                        // camera.rearm_frames
    std::chrono::milliseconds grabTimeout{500};  // one wait for a frame
    // Replay detection (replay.window_s): returns true when `subject` was seen within the window.
    std::function<bool(const std::string& subject, MonoTime now)> seenRecently;
    // Staff override (§11): the last REFER/DENY this recent can be overridden once.
    std::chrono::seconds overrideWindow{30};  // staff.override_window_s
    bool diagnosticsMode = false;              // kiosk.diagnostics_mode: staff overrides never open the gate
};

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

    // Staff override (the staff button, `sentinel staff override`). Thread-safe and never blocks:
    // the request is queued and performed on the decision thread at the start of the next step(),
    // which then calls `done` there (it must return at once: hand the outcome to your own thread).
    // The most recent REFER or DENY (journaled, not a test card) within options.overrideWindow is
    // overridden once: a PASS STAFF_OVERRIDE record with `overrides` = its seq is journaled (durable
    // before the relay pulses), shown, and reported to observers like any decision. Anything else —
    // no such decision, already overridden, too old, diagnostics mode, a journal fault — opens
    // nothing and says why. Requests queued when run() returns, or made after it, are refused.
    using OverrideDone = std::function<void(const StaffOverrideOutcome&)>;
    void requestOverride(OverrideDone done);
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
    void decide(const std::string& payload, const hal::Frame& frame, double decodeMs);
    void serveOverrides();
    void deliverPostedAlarms();
    StaffOverrideOutcome performOverride();

    // The REFER/DENY staff may override: decision thread only.
    struct OverrideCandidate {
        std::int64_t seq = 0;
        Decision decision = Decision::Refer;
        Reason reason = Reason::InternalError;
        MonoTime decidedAt{};
        bool used = false;
    };

    hal::Camera& camera_;
    FrameDecoder& decoder_;
    CredentialVerifier& verifier_;
    hal::Indicator& indicator_;
    DecisionSink* sink_;
    const Clock& clock_;
    KioskOptions options_;
    std::uint64_t frameCount_ = 0;
    std::unordered_map<std::string, std::uint64_t> lastSeen_;  // payload → frame it was last in view
    KioskCounters counters_;
    bool cameraFaulted_ = false;
    std::vector<KioskObserver*> observers_;
    std::optional<OverrideCandidate> candidate_;
    std::mutex mailboxMutex_;  // guards the two below; held only to push or swap
    std::vector<OverrideDone> mailbox_;
    bool stopped_ = false;
    struct PostedAlarm {
        std::string what, detail;
        bool cleared = false;
    };
    std::vector<PostedAlarm> postedAlarms_;  // guarded by mailboxMutex_
};

}  // namespace sentinel::app

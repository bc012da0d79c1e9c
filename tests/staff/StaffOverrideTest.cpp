// Staff override rules of the kiosk loop (DESIGN §11): the most recent REFER/DENY within the
// window, once; nothing for a PASS, a test card, diagnostics mode or after a restart; the
// override is a decision of its own, journaled before the relay pulses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "firmware/kiosk/Kiosk.h"
#include "tests/kiosk/Fakes.h"

namespace sentinel::app {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::FakeCamera;
using testing::FakeDecoder;
using testing::FakeIndicator;
using testing::ManualClock;

// "refer…" → REFER BACKEND_ERROR, "deny…" → DENY TEST_TOO_OLD, "card…" → DENY UNKNOWN_ISSUER from
// the test issuer, "diag…" → a test card in diagnostics mode, anything else → PASS.
class ScriptedVerifier final : public kiosk::CredentialVerifier {
public:
    kiosk::Verdict verify(std::string_view payload, MonoTime) override {
        kiosk::Verdict v;
        v.record.format = "HK1";
        if (payload.starts_with("refer")) {
            v.record.decide(Reason::BackendError);
        } else if (payload.starts_with("deny")) {
            v.record.decide(Reason::TestTooOld);
        } else if (payload.starts_with("card")) {
            v.record.decide(Reason::UnknownIssuer);
            v.fromTestIssuer = true;
        } else if (payload.starts_with("diag")) {
            v.record.decide(Reason::Ok);
            v.testCard = v.fromTestIssuer = true;
        } else {
            v.record.decide(Reason::Ok);
        }
        return v;
    }
};

class MemorySink final : public kiosk::DecisionSink {
public:
    Result<std::int64_t> record(const DecisionRecord& r) override {
        if (failing) return Error{"disk full"};
        records.push_back(r);
        return static_cast<std::int64_t>(records.size());
    }
    bool failing = false;
    std::vector<DecisionRecord> records;
};

struct Seen final : kiosk::KioskObserver {
    void decided(const DecisionRecord& r, const kiosk::Verdict&, std::int64_t seq) override { decisions.push_back({r, seq}); }
    std::vector<std::pair<DecisionRecord, std::int64_t>> decisions;
};

struct StaffOverride : ::testing::Test {
    ManualClock clock;
    FakeCamera camera{clock};
    FakeDecoder decoder;
    ScriptedVerifier verifier;
    FakeIndicator indicator;
    MemorySink sink;
    kiosk::KioskOptions options;
    Seen seen;
    std::unique_ptr<kiosk::Kiosk> kiosk;

    StaffOverride() { options.rearmFrames = 1; }
    kiosk::Kiosk& make() {
        kiosk = std::make_unique<kiosk::Kiosk>(camera, decoder, verifier, indicator, &sink, clock, options);
        kiosk->addObserver(&seen);
        return *kiosk;
    }
    // Shows `payload` for one frame and runs the loop over it (and one empty frame after).
    void present(const std::string& payload) {
        camera.pushFrames({payload}, 1);
        camera.pushFrames({}, 2);
        while (kiosk->step() != kiosk::Kiosk::Step::EndOfStream) {
        }
    }
    // Requests an override and runs one step (the loop serves the mailbox at the start of a step).
    kiosk::StaffOverrideOutcome press() {
        std::optional<kiosk::StaffOverrideOutcome> got;
        kiosk->requestOverride([&](const kiosk::StaffOverrideOutcome& o) { got = o; });
        kiosk->step();
        EXPECT_TRUE(got.has_value());
        return got.value_or(kiosk::StaffOverrideOutcome{});
    }
    // The same for a request bound to a record and a staff number (§11).
    kiosk::StaffOverrideOutcome pressFor(std::int64_t seq, std::string staff = {}) {
        std::optional<kiosk::StaffOverrideOutcome> got;
        kiosk->requestOverride(kiosk::StaffOverrideRequest{seq, std::move(staff)},
                               [&](const kiosk::StaffOverrideOutcome& o) { got = o; });
        kiosk->step();
        EXPECT_TRUE(got.has_value());
        return got.value_or(kiosk::StaffOverrideOutcome{});
    }
    std::size_t passesShown() const {
        std::size_t n = 0;
        for (const auto& i : indicator.shown) n += i.decision == Decision::Pass && !i.testCard;
        return n;
    }
};

TEST_F(StaffOverride, ReferWithinTheWindowOpensOnceAndIsJournaledAsItsOwnDecision) {
    options.overrideWindow = 30s;
    make();
    present("refer-1");
    ASSERT_EQ(1u, sink.records.size());
    const std::size_t shownBefore = indicator.shown.size();
    clock.advance(10s);

    const auto o = press();
    EXPECT_TRUE(o.opened) << o.detail;
    EXPECT_EQ(2, o.seq);
    EXPECT_EQ(1, o.overrides);
    ASSERT_EQ(2u, sink.records.size());
    EXPECT_EQ(Decision::Pass, sink.records[1].decision);
    EXPECT_EQ(Reason::StaffOverride, sink.records[1].reason);
    EXPECT_EQ(std::optional<std::int64_t>(1), sink.records[1].overrides);
    ASSERT_EQ(shownBefore + 1, indicator.shown.size());
    EXPECT_EQ(Decision::Pass, indicator.shown.back().decision);  // the relay pulses for a PASS
    EXPECT_EQ(Reason::StaffOverride, indicator.shown.back().reason);
    ASSERT_EQ(2u, seen.decisions.size());  // screen, voice and fleet see it like any decision
    EXPECT_EQ(Reason::StaffOverride, seen.decisions[1].first.reason);
    EXPECT_EQ(2, seen.decisions[1].second);
    EXPECT_EQ(1u, kiosk->counters().staffOverrides);
}

TEST_F(StaffOverride, ASecondPressDoesNothing) {
    make();
    present("refer-1");
    ASSERT_TRUE(press().opened);
    const auto again = press();
    EXPECT_FALSE(again.opened);
    EXPECT_THAT(again.detail, HasSubstr("already overridden"));
    EXPECT_EQ(2u, sink.records.size());
    EXPECT_EQ(1u, passesShown());
}

TEST_F(StaffOverride, DenyIsOverridableLikeRefer) {
    make();
    present("deny-1");
    const auto o = press();
    EXPECT_TRUE(o.opened) << o.detail;
    EXPECT_EQ(1, o.overrides);
}

TEST_F(StaffOverride, OutsideTheWindowNothingOpens) {
    options.overrideWindow = 30s;
    make();
    present("refer-1");
    clock.advance(31s);
    const auto o = press();
    EXPECT_FALSE(o.opened);
    EXPECT_THAT(o.detail, HasSubstr("staff.override_window_s is 30 s"));
    EXPECT_EQ(1u, sink.records.size());
    EXPECT_EQ(0u, passesShown());
}

TEST_F(StaffOverride, ExactlyAtTheEndOfTheWindowStillOpens) {
    options.overrideWindow = 30s;
    make();
    present("refer-1");
    // present() ran two frames after the decision (33 ms each); the window counts from the decision.
    clock.advance(30s - 2 * 33ms);
    EXPECT_TRUE(press().opened);
}

TEST_F(StaffOverride, NothingToOverrideWithoutAReferOrDeny) {
    make();
    EXPECT_THAT(press().detail, HasSubstr("no REFER or DENY"));
    present("pass-1");
    const auto o = press();
    EXPECT_FALSE(o.opened);
    EXPECT_THAT(o.detail, HasSubstr("no REFER or DENY"));
    EXPECT_EQ(1u, passesShown());  // only the traveller's own PASS
}

TEST_F(StaffOverride, TheMostRecentReferOrDenyIsTheOneOverridden) {
    make();
    present("deny-1");
    present("refer-2");
    present("pass-3");  // a PASS in between does not hide the REFER
    const auto o = press();
    EXPECT_TRUE(o.opened);
    EXPECT_EQ(2, o.overrides);
    EXPECT_FALSE(press().opened);  // and deny-1 does not become overridable after it
}

TEST_F(StaffOverride, ATestCardNeverOpensTheGate) {
    make();
    present("refer-1");
    present("card-2");  // in service: DENY UNKNOWN_ISSUER, from the test issuer
    auto o = press();
    EXPECT_FALSE(o.opened);
    EXPECT_EQ(0u, passesShown());
}

TEST_F(StaffOverride, DiagnosticsModeNeverOpensTheGate) {
    options.diagnosticsMode = true;
    make();
    present("refer-1");
    present("diag-2");
    const auto o = press();
    EXPECT_FALSE(o.opened);
    EXPECT_THAT(o.detail, HasSubstr("diagnostics mode"));
    EXPECT_EQ(0u, passesShown());
}

TEST_F(StaffOverride, AfterARestartNothingIsOverridable) {
    make();
    present("refer-1");
    // The same journal (sink) and a new kiosk process: the candidate lived only in memory.
    make();
    const auto o = press();
    EXPECT_FALSE(o.opened);
    EXPECT_THAT(o.detail, HasSubstr("no REFER or DENY"));
    EXPECT_EQ(1u, sink.records.size());
}

TEST_F(StaffOverride, AJournalFaultKeepsTheGateShutAndTheOverrideAvailable) {
    make();
    present("refer-1");
    sink.failing = true;
    const auto o = press();
    EXPECT_FALSE(o.opened);
    EXPECT_THAT(o.detail, HasSubstr("gate stays shut"));
    EXPECT_EQ(0u, passesShown());
    sink.failing = false;
    EXPECT_TRUE(press().opened);
}

TEST_F(StaffOverride, AReferThatWasNotJournaledIsNotOverridable) {
    make();
    present("deny-1");
    sink.failing = true;
    present("refer-2");  // REFER JOURNAL_FAULT, seq 0: the most recent, and not overridable
    sink.failing = false;
    EXPECT_FALSE(press().opened);
}

TEST_F(StaffOverride, RequestsLeftWhenTheLoopStopsAreRefusedAndLaterOnesAtOnce) {
    make();
    present("refer-1");
    std::optional<kiosk::StaffOverrideOutcome> queued, late;
    kiosk->requestOverride([&](const kiosk::StaffOverrideOutcome& o) { queued = o; });
    std::atomic<bool> stop{true};
    kiosk->run(stop);
    ASSERT_TRUE(queued.has_value());
    EXPECT_FALSE(queued->opened);
    EXPECT_THAT(queued->detail, HasSubstr("stopping"));
    kiosk->requestOverride([&](const kiosk::StaffOverrideOutcome& o) { late = o; });
    ASSERT_TRUE(late.has_value());
    EXPECT_FALSE(late->opened);
}

TEST_F(StaffOverride, TheMailboxIsBounded) {
    make();
    int refusedAtOnce = 0;
    for (std::size_t i = 0; i < kiosk::Kiosk::kMaxPendingOverrides + 3; ++i) {
        kiosk->requestOverride([&](const kiosk::StaffOverrideOutcome& o) {
            if (o.detail.find("too many") != std::string::npos) ++refusedAtOnce;
        });
    }
    EXPECT_EQ(3, refusedAtOnce);
    kiosk->step();
}

// §11, bound to what staff saw: `status` shows DENY seq 1 overridable; before staff act, another
// traveller is refused (seq 2). The override for seq 1 must not open the gate for seq 2's traveller.
TEST_F(StaffOverride, AnOverrideForASeqThatANewerDecisionReplacedOpensNothing) {
    make();
    present("deny-1");
    present("refer-2");  // another traveller, between `status` and the override
    ASSERT_EQ(2u, sink.records.size());
    const auto o = pressFor(1, "S042");
    EXPECT_FALSE(o.opened);
    EXPECT_EQ(1, o.overrides);
    EXPECT_THAT(o.detail, HasSubstr("no longer"));
    EXPECT_THAT(o.detail, HasSubstr("seq 2"));
    EXPECT_EQ(2u, sink.records.size());  // nothing journaled
    EXPECT_EQ(0u, passesShown());        // and the relay did not pulse
}

TEST_F(StaffOverride, AnOverrideForTheCandidateOpensAndKeepsTheStaffNumber) {
    make();
    present("deny-1");
    const auto o = pressFor(1, "S042");
    ASSERT_TRUE(o.opened) << o.detail;
    ASSERT_EQ(2u, sink.records.size());
    EXPECT_EQ(std::optional<std::int64_t>(1), sink.records[1].overrides);
    EXPECT_EQ(std::optional<std::string>("S042"), sink.records[1].staff);
    EXPECT_EQ(1u, passesShown());
}

TEST_F(StaffOverride, AnOverrideForASeqThatIsNotTheCandidateSaysWhich) {
    make();
    present("deny-1");
    const auto o = pressFor(7);
    EXPECT_FALSE(o.opened);
    EXPECT_THAT(o.detail, HasSubstr("candidate is seq 1"));
    EXPECT_EQ(1u, sink.records.size());
}

TEST_F(StaffOverride, AStaffNumberThatIsNotOneOpensNothing) {
    make();
    present("deny-1");
    const auto o = pressFor(1, "Zhang San");  // a name, not a number
    EXPECT_FALSE(o.opened);
    EXPECT_EQ(1u, sink.records.size());
}

}  // namespace
}  // namespace sentinel::app

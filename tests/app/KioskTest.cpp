#include "firmware/app/Kiosk.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "tests/app/Fakes.h"

namespace sentinel::app {
namespace {

using namespace std::chrono_literals;
using testing::FakeCamera;
using testing::FakeDecoder;
using testing::FakeIndicator;
using testing::ManualClock;

class ScriptedVerifier final : public CredentialVerifier {
public:
    explicit ScriptedVerifier(ManualClock& clock) : clock_(clock) {}
    Verdict verify(std::string_view payload, MonoTime deadline) override {
        calls.emplace_back(payload);
        deadlines.push_back(deadline);
        if (throwNext) throw std::runtime_error("boom");
        clock_.advance(cost);
        Verdict v;
        v.record.format = payload.substr(0, 3) == "HC1" ? "HC1" : "HK1";
        v.record.decide(payload.find("deny") != std::string_view::npos ? Reason::TestTooOld : Reason::Ok);
        v.record.subject = "subject-" + std::string(payload);
        return v;
    }
    ManualClock& clock_;
    std::chrono::milliseconds cost{2};
    bool throwNext = false;
    std::vector<std::string> calls;
    std::vector<MonoTime> deadlines;
};

class MemorySink final : public DecisionSink {
public:
    void noteDecodeFailure() override { ++decodeFailures; }
    int decodeFailures = 0;
    Result<std::int64_t> record(const DecisionRecord& r) override {
        if (failing) return Error{"disk full"};
        records.push_back(r);
        return static_cast<std::int64_t>(records.size());
    }
    bool failing = false;
    std::vector<DecisionRecord> records;
};

struct KioskFixture : ::testing::Test {
    ManualClock clock;
    FakeCamera camera{clock};
    FakeDecoder decoder;
    ScriptedVerifier verifier{clock};
    FakeIndicator indicator;
    MemorySink sink;
    KioskOptions options;

    std::unique_ptr<Kiosk> make() {
        return std::make_unique<Kiosk>(camera, decoder, verifier, indicator, &sink, clock, options);
    }
    void runAll(Kiosk& k) {
        std::atomic<bool> stop{false};
        k.run(stop);
    }
};

TEST_F(KioskFixture, CodeHeldInViewDecidesOnce) {
    options.rearmFrames = 5;
    camera.pushFrames({"HC1:A"}, 30);
    auto k = make();
    runAll(*k);
    ASSERT_EQ(1u, indicator.shown.size());
    EXPECT_EQ(Decision::Pass, indicator.shown[0].decision);
    EXPECT_EQ(1u, sink.records.size());
}

TEST_F(KioskFixture, CodeDecidesAgainOnlyAfterLeavingViewForRearmFrames) {
    options.rearmFrames = 5;
    camera.pushFrames({"HC1:A"}, 3);
    camera.pushFrames({}, 4);  // absent fewer than rearmFrames: still the same presentation
    camera.pushFrames({"HC1:A"}, 3);
    camera.pushFrames({}, 5);  // absent rearmFrames: re-armed
    camera.pushFrames({"HC1:A"}, 3);
    auto k = make();
    runAll(*k);
    EXPECT_EQ(2u, indicator.shown.size());
}

TEST_F(KioskFixture, TwoCodesInOneFrameEachDecide) {
    camera.pushFrames({"HC1:A", "HK1:deny"}, 2);
    auto k = make();
    runAll(*k);
    ASSERT_EQ(2u, indicator.shown.size());
    EXPECT_EQ(Decision::Pass, indicator.shown[0].decision);
    EXPECT_EQ(Decision::Deny, indicator.shown[1].decision);
}

TEST_F(KioskFixture, BudgetRunsFromFirstFrameTheCodeWasSeen) {
    options.budget = 5000ms;
    camera.pushFrames({}, 2);
    camera.pushFrames({"HC1:A"}, 1);
    auto k = make();
    runAll(*k);
    ASSERT_EQ(1u, verifier.deadlines.size());
    // The code was captured in the third frame; the verifier gets the budget from then, less the
    // reserve for the journal commit and the indicator.
    EXPECT_EQ(clock.monotonic() - verifier.cost + options.budget - Kiosk::kDecisionReserve, verifier.deadlines[0]);
}

TEST_F(KioskFixture, VerdictArrivingAfterTheBudgetFailsClosed) {
    options.budget = 100ms;
    verifier.cost = 150ms;
    camera.pushFrames({"HK1:slow"}, 1);
    auto k = make();
    runAll(*k);
    ASSERT_EQ(1u, indicator.shown.size());
    EXPECT_EQ(Decision::Refer, indicator.shown[0].decision);
    EXPECT_EQ(Reason::BackendTimeout, indicator.shown[0].reason);
    ASSERT_EQ(1u, sink.records.size());
    EXPECT_EQ(Reason::BackendTimeout, sink.records[0].reason);
}

TEST_F(KioskFixture, VerifierExceptionFailsClosedAsInternalError) {
    verifier.throwNext = true;
    camera.pushFrames({"HC1:A"}, 1);
    auto k = make();
    runAll(*k);
    ASSERT_EQ(1u, indicator.shown.size());
    EXPECT_EQ(Decision::Refer, indicator.shown[0].decision);
    EXPECT_EQ(Reason::InternalError, indicator.shown[0].reason);
}

TEST_F(KioskFixture, JournalFailureFailsClosedAndNeverShowsPass) {
    sink.failing = true;
    camera.pushFrames({"HC1:A"}, 1);
    auto k = make();
    runAll(*k);
    ASSERT_EQ(1u, indicator.shown.size());
    EXPECT_EQ(Decision::Refer, indicator.shown[0].decision);
    EXPECT_EQ(Reason::JournalFault, indicator.shown[0].reason);
    EXPECT_EQ(1u, k->counters().journalFaults);
}

TEST_F(KioskFixture, JournalRecordIsWrittenBeforeTheIndicatorShowsIt) {
    camera.pushFrames({"HC1:A"}, 1);
    auto k = make();
    std::size_t recordsWhenShown = 0;
    k->onDecision = [&](const DecisionRecord&, const Verdict&) { recordsWhenShown = sink.records.size(); };
    runAll(*k);
    EXPECT_EQ(1u, recordsWhenShown);
    EXPECT_EQ(Decision::Pass, sink.records[0].decision);
}

TEST_F(KioskFixture, CameraFaultRaisesOneAlarmAndTheLoopGoesOn) {
    camera.push({{}, hal::GrabStatus::Failed});
    camera.push({{}, hal::GrabStatus::Failed});
    camera.pushFrames({"HC1:A"}, 1);
    auto k = make();
    runAll(*k);
    EXPECT_EQ(1u, indicator.alarms.size());
    EXPECT_EQ(1u, indicator.shown.size());
    EXPECT_EQ(2u, k->counters().cameraFaults);
}

TEST_F(KioskFixture, ReplayedSubjectIsDenied) {
    options.rearmFrames = 1;
    std::set<std::string> seen;
    options.seenRecently = [&](const std::string& s, MonoTime) { return !seen.insert(s).second; };
    camera.pushFrames({"HC1:A"}, 1);
    camera.pushFrames({}, 3);
    camera.pushFrames({"HC1:A"}, 1);
    auto k = make();
    runAll(*k);
    ASSERT_EQ(2u, indicator.shown.size());
    EXPECT_EQ(Reason::Ok, indicator.shown[0].reason);
    EXPECT_EQ(Reason::Replayed, indicator.shown[1].reason);
    EXPECT_EQ(Decision::Deny, indicator.shown[1].decision);
}

TEST_F(KioskFixture, FramesWithASymbolThatDoesNotReadAreCountedAsDecodeFailures) {
    class HalfBlindDecoder final : public FrameDecoder {
    public:
        std::vector<std::string> decode(const GrayView&) override { return {}; }
        bool symbolSeenUnread() const override { return true; }
    } blind;
    camera.pushFrames({}, 3);
    Kiosk k(camera, blind, verifier, indicator, &sink, clock, options);
    runAll(k);
    EXPECT_EQ(3, sink.decodeFailures);
    EXPECT_EQ(3u, k.counters().decodeFailures);
    EXPECT_TRUE(indicator.shown.empty());
}

TEST_F(KioskFixture, RunShutsTheRelayWhenItEnds) {
    camera.pushFrames({}, 2);
    auto k = make();
    runAll(*k);
    EXPECT_EQ(1, indicator.shuts);
}

TEST_F(KioskFixture, StopFlagEndsTheLoop) {
    camera.pushFrames({}, 1000);
    auto k = make();
    std::atomic<bool> stop{false};
    int frames = 0;
    k->onProgress = [&] {
        if (++frames == 10) stop = true;
    };
    k->run(stop);
    EXPECT_EQ(10, frames);
    EXPECT_EQ(1, indicator.shuts);
}

}  // namespace
}  // namespace sentinel::app

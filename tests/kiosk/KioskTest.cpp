#include "firmware/kiosk/Kiosk.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "tests/kiosk/Fakes.h"

namespace sentinel::kiosk {
namespace {

using namespace std::chrono_literals;
using testing::FakeCamera;
using testing::FakeDecoder;
using testing::FakeIndicator;
using testing::ManualClock;

class ScriptedVerifier final : public kiosk::CredentialVerifier {
public:
    explicit ScriptedVerifier(ManualClock& clock) : clock_(clock) {}
    kiosk::Verdict verify(std::string_view payload, MonoTime deadline) override {
        calls.emplace_back(payload);
        deadlines.push_back(deadline);
        if (throwNext) throw std::runtime_error("boom");
        clock_.advance(cost);
        kiosk::Verdict v;
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

class MemorySink final : public kiosk::DecisionSink {
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
    kiosk::KioskOptions options;

    std::unique_ptr<kiosk::Kiosk> make() {
        return std::make_unique<kiosk::Kiosk>(camera, decoder, verifier, indicator, &sink, clock, options);
    }
    void runAll(kiosk::Kiosk& k) {
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
    EXPECT_EQ(clock.monotonic() - verifier.cost + options.budget - kiosk::Kiosk::kDecisionReserve, verifier.deadlines[0]);
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
    k->onDecision = [&](const DecisionRecord&, const kiosk::Verdict&) { recordsWhenShown = sink.records.size(); };
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
    class HalfBlindDecoder final : public kiosk::FrameDecoder {
    public:
        std::vector<std::string> decode(const GrayView&) override { return {}; }
        bool symbolSeenUnread() const override { return true; }
    } blind;
    camera.pushFrames({}, 3);
    kiosk::Kiosk k(camera, blind, verifier, indicator, &sink, clock, options);
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

// Presentations from other sources (DESIGN §8): a card reader polled every step, an MRZ reader
// looking at every frame. They take the one path: verifier → journal → indicator → observers.

// An event source: hands over what it was told to, once, at the next poll.
class QueuedSource final : public PresentationSource {
public:
    void poll(std::vector<Presentation>& out) override {
        for (auto& p : queued) out.push_back(std::move(p));
        queued.clear();
    }
    std::vector<Presentation> queued;
};

// A frame source: adds one document presentation on every frame while `inView`.
class FrameDocumentSource final : public PresentationSource {
public:
    void frame(const hal::Frame&, std::vector<Presentation>& out) override {
        if (inView) out.push_back(document("mrz", "mrz-key"));
    }
    bool inView = false;

    static Presentation document(std::string source, std::string key) {
        Presentation p;
        p.kind = Presentation::Kind::Document;
        auto doc = std::make_shared<IdentityDocument>();
        doc->type = DocumentType::Passport;
        doc->number.assign("CANARY0001");
        p.document = std::move(doc);
        p.source = std::move(source);
        p.key = std::move(key);
        return p;
    }
};

// Looks documents up (records what it was asked), codes as ScriptedVerifier.
class DocumentVerifier final : public CredentialVerifier {
public:
    Verdict verify(std::string_view, MonoTime) override {
        Verdict v;
        v.record.format = "HC1";
        v.record.decide(Reason::Ok);
        return v;
    }
    Verdict verifyPresentation(const Presentation& p, MonoTime deadline) override {
        if (p.kind == Presentation::Kind::Code) return verify(p.payload, deadline);
        sources.push_back(p.source);
        deadlines.push_back(deadline);
        Verdict v;
        v.record.format = std::string(recordFormat(p.document->type));
        v.record.decide(Reason::CodeNotGreen);
        return v;
    }
    std::vector<std::string> sources;
    std::vector<MonoTime> deadlines;
};

TEST_F(KioskFixture, AnEventSourcePresentationTakesTheSamePathAsACode) {
    DocumentVerifier docs;
    QueuedSource reader;
    Kiosk k(camera, decoder, docs, indicator, &sink, clock, options);
    k.addSource(&reader);
    reader.queued.push_back(FrameDocumentSource::document("reader", "card-1"));
    camera.pushFrames({}, 2);
    runAll(k);
    ASSERT_EQ(1u, docs.sources.size());
    EXPECT_EQ("reader", docs.sources[0]);
    ASSERT_EQ(1u, sink.records.size());
    EXPECT_EQ("MRZ", sink.records[0].format);
    ASSERT_EQ(1u, indicator.shown.size());
    EXPECT_EQ(Reason::CodeNotGreen, indicator.shown[0].reason);
}

TEST_F(KioskFixture, AVerifierWithoutDocumentLookupsRefersADocument) {
    QueuedSource reader;
    auto k = make();
    k->addSource(&reader);
    reader.queued.push_back(FrameDocumentSource::document("reader", "card-1"));
    camera.pushFrames({}, 1);
    runAll(*k);
    ASSERT_EQ(1u, indicator.shown.size());
    EXPECT_EQ(Reason::BackendNotConfigured, indicator.shown[0].reason);
    EXPECT_EQ(Decision::Refer, indicator.shown[0].decision);
    EXPECT_TRUE(verifier.calls.empty());
}

TEST_F(KioskFixture, TheSameKeyFromAnEventSourceDecidesOncePerRearmWindow) {
    options.rearmWindow = 1000ms;
    DocumentVerifier docs;
    QueuedSource reader;
    Kiosk k(camera, decoder, docs, indicator, &sink, clock, options);
    k.addSource(&reader);
    camera.pushFrames({}, 3);
    reader.queued.push_back(FrameDocumentSource::document("reader", "card-1"));
    k.step();
    reader.queued.push_back(FrameDocumentSource::document("reader", "card-1"));  // swiped again a frame later
    k.step();
    EXPECT_EQ(1u, docs.sources.size());
    clock.advance(1000ms);
    reader.queued.push_back(FrameDocumentSource::document("reader", "card-1"));
    k.step();
    EXPECT_EQ(2u, docs.sources.size());
}

TEST_F(KioskFixture, AnEventPresentationsBudgetRunsFromWhenItWasSeen) {
    options.budget = 5000ms;
    DocumentVerifier docs;
    QueuedSource reader;
    Kiosk k(camera, decoder, docs, indicator, &sink, clock, options);
    k.addSource(&reader);
    Presentation p = FrameDocumentSource::document("reader", "card-1");
    p.seenAt = clock.monotonic();  // the card was placed now; the lookup starts a frame later
    reader.queued.push_back(p);
    camera.pushFrames({}, 1);
    k.step();
    ASSERT_EQ(1u, docs.deadlines.size());
    EXPECT_EQ(p.seenAt + options.budget - Kiosk::kDecisionReserve, docs.deadlines[0]);
}

TEST_F(KioskFixture, AFrameSourcesPresentationInViewDecidesOnceUntilRearmed) {
    options.rearmFrames = 3;
    DocumentVerifier docs;
    FrameDocumentSource mrz;
    Kiosk k(camera, decoder, docs, indicator, &sink, clock, options);
    k.addSource(&mrz);
    mrz.inView = true;
    camera.pushFrames({"HC1:A"}, 5);  // a code and a document in the same frames
    for (int i = 0; i < 5; ++i) k.step();
    EXPECT_EQ(1u, docs.sources.size());
    EXPECT_EQ(2u, sink.records.size());  // the code and the document, once each
    mrz.inView = false;
    camera.pushFrames({}, 4);
    for (int i = 0; i < 4; ++i) k.step();
    mrz.inView = true;
    camera.pushFrames({}, 1);
    k.step();
    EXPECT_EQ(2u, docs.sources.size());
}

}  // namespace
}  // namespace sentinel::kiosk

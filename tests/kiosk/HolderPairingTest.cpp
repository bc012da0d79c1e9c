// §15 holder binding `require` in the loop, end to end but for the hardware: a real HC1 signed by
// a test issuer that the trust list holds, decided by the real router; passports rendered in OCR-B
// (tests/mrzsim) and read by the real MRZ reader as a frame source. The camera is the one fake: it
// shows a blank scene while the traveller's phone is in view (its QR payload handed to the loop as
// the decoder would) and then the passport's data page.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include <opencv2/imgproc.hpp>

#include "firmware/issuer/TestIssuer.h"
#include "firmware/kiosk/Kiosk.h"
#include "firmware/kiosk/MrzSource.h"
#include "firmware/kiosk/Router.h"
#include "firmware/kiosk/Runtime.h"
#include "firmware/mrz/MrzReader.h"
#include "firmware/trust/TrustList.h"
#include "tests/kiosk/Fakes.h"
#include "tests/mrzsim/PassportSimulator.h"

namespace sentinel::kiosk {
namespace {

using namespace std::chrono_literals;
using testing::FakeIndicator;
using testing::ManualClock;

constexpr std::chrono::seconds kWindow{30};
constexpr int kMaxPassportFrames = 60;  // the reader needs ~4–8 frames of a still page; sanitizers slow it

// Frames of real pixels; the QR payloads "in view" of each frame are handed to the decoder below.
class SceneCamera final : public hal::Camera {
public:
    explicit SceneCamera(ManualClock& clock) : clock_(clock) {}
    void push(std::shared_ptr<cv::Mat> scene, std::vector<std::string> payloads, int count) {
        for (int i = 0; i < count; ++i) shots_.push_back({scene, payloads});
    }
    hal::GrabResult grab(std::chrono::milliseconds) override {
        hal::GrabResult r;
        if (shots_.empty()) {
            r.status = hal::GrabStatus::EndOfStream;
            return r;
        }
        auto shot = std::move(shots_.front());
        shots_.pop_front();
        clock_.advance(kFramePeriod);
        inView = std::move(shot.payloads);
        r.status = hal::GrabStatus::Frame;
        r.frame.owner = shot.scene;
        r.frame.gray = GrayView{shot.scene->data, shot.scene->cols, shot.scene->rows, static_cast<int>(shot.scene->step)};
        r.frame.capturedAt = clock_.monotonic();
        r.frame.index = index_++;
        return r;
    }
    std::string describe() const override { return "scenes"; }
    bool empty() const { return shots_.empty(); }

    std::vector<std::string> inView;  // the last frame's payloads
    static constexpr std::chrono::milliseconds kFramePeriod{33};

private:
    struct Shot {
        std::shared_ptr<cv::Mat> scene;
        std::vector<std::string> payloads;
    };
    ManualClock& clock_;
    std::deque<Shot> shots_;
    std::uint64_t index_ = 0;
};

class InViewDecoder final : public FrameDecoder {
public:
    explicit InViewDecoder(const SceneCamera& camera) : camera_(camera) {}
    std::vector<std::string> decode(const GrayView&) override { return camera_.inView; }

private:
    const SceneCamera& camera_;
};

class MemorySink final : public DecisionSink {
public:
    Result<std::int64_t> record(const DecisionRecord& r) override {
        records.push_back(r);
        return static_cast<std::int64_t>(records.size());
    }
    std::vector<DecisionRecord> records;
};

class AwaitingCounter final : public KioskObserver {
public:
    void awaitingDocument() override { ++prompts; }
    void frameProcessed(const hal::Frame&, const FrameObservation& what) override {
        glareFrames += what.documentGlare ? 1 : 0;
        lastGlare = what.documentGlare;
    }
    int prompts = 0;
    int glareFrames = 0;     // frames the screen was asked to show "tilt it away from the glare"
    bool lastGlare = false;  // … of the last frame
};

class HolderPairing : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::filesystem::exists(mrz::kDefaultOcrBFontPath)) GTEST_SKIP() << "fonts-ocr-b is not installed";
        auto list = trust::TrustList::fromCertificates({{issuer_.certificateDer(), "XX", std::nullopt}}, clock_.now());
        ASSERT_TRUE(list.ok()) << list.error().message;
        trust_ = std::make_unique<trust::TrustList>(std::move(*list));
        RouterOptions ro;
        ro.trust = trust_.get();
        ro.subjectKey = std::string(32, 'k');
        ro.holderBinding = HolderBinding::Require;
        router_ = std::make_unique<CredentialRouter>(clock_, ro);
        // The pairing is under test, not the time slicing: a budget no sanitizer build outruns, so
        // the page is read within a few frames however slow the build.
        mrz::ReaderOptions mo;
        mo.frameBudget = std::chrono::seconds{2};
        auto reader = mrz::MrzReader::create(mo);
        ASSERT_TRUE(reader.ok()) << reader.error().message;
        passports_ = std::make_unique<MrzSource>(std::move(*reader), clock_);
        KioskOptions ko;
        ko.bindingWindow = kWindow;
        kiosk_ = std::make_unique<Kiosk>(camera_, decoder_, *router_, indicator_, &sink_, clock_, ko);
        kiosk_->addSource(passports_.get());
        kiosk_->addObserver(&awaiting_);
        blank_ = std::make_shared<cv::Mat>(720, 1280, CV_8UC1, cv::Scalar(170));
    }

    // A negative NAAT sampled 6 h ago, for the certificate's holder MUSTERFRAU GOESSINGER, GABRIELE, 1998-02-26.
    std::string certificate(std::string dob = "1998-02-26") const {
        issuer::Hc1Spec spec = issuer::testCredential(TestType::Naat, clock_.now() - 6h, false, clock_.now());
        spec.holder.birthDate = std::move(dob);
        return issuer_.issue(spec);
    }

    // A TD3 data page in view, nominal impairments.
    std::shared_ptr<cv::Mat> passport(std::string_view primary, std::string_view given, std::string_view bornYymmdd) {
        auto scene = passportScene(primary, given, bornYymmdd);
        EXPECT_TRUE(scene.ok()) << scene.error().message;
        return std::make_shared<cv::Mat>(scene.ok() ? scene->gray : *blank_);
    }
    static Result<mrzsim::Scene> passportScene(std::string_view primary, std::string_view given, std::string_view bornYymmdd) {
        const auto lines = mrzsim::td3Mrz("D", primary, given, "C01X00T47", "D", bornYymmdd, 'F', "310101", "");
        mrzsim::RenderOptions o;
        o.pitchPx = 18;
        o.rollDeg = 0;
        return mrzsim::renderMrz(1, lines, o);
    }

    void showCode(const std::string& payload) { camera_.push(blank_, {payload}, 3); }
    void showPassport(const std::shared_ptr<cv::Mat>& page) { camera_.push(page, {}, kMaxPassportFrames); }
    void wait(std::chrono::seconds s) { camera_.push(blank_, {}, static_cast<int>(s / SceneCamera::kFramePeriod) + 1); }
    void runAll() {
        while (!camera_.empty()) kiosk_->step();
    }

    ManualClock clock_{SystemClock{}.now()};  // the test issuer's certificate is valid from now − 30 days
    issuer::TestIssuer issuer_ = issuer::TestIssuer::generate("XX");
    std::unique_ptr<trust::TrustList> trust_;
    std::unique_ptr<CredentialRouter> router_;
    std::unique_ptr<MrzSource> passports_;
    SceneCamera camera_{clock_};
    InViewDecoder decoder_{camera_};
    FakeIndicator indicator_;
    MemorySink sink_;
    AwaitingCounter awaiting_;
    std::unique_ptr<Kiosk> kiosk_;
    std::shared_ptr<cv::Mat> blank_;
};

TEST_F(HolderPairing, ACertificateFollowedByItsHoldersPassportPasses) {
    showCode(certificate());
    runAll();
    EXPECT_TRUE(sink_.records.empty()) << "the certificate waits for the document: no record yet";
    EXPECT_EQ(1, awaiting_.prompts);
    EXPECT_TRUE(indicator_.shown.empty()) << "the gate stays shut while it waits";

    showPassport(passport("MUSTERFRAU<GOESSINGER", "GABRIELE", "980226"));
    runAll();
    ASSERT_EQ(1u, sink_.records.size());
    const DecisionRecord& r = sink_.records[0];
    EXPECT_EQ("HC1", r.format);
    EXPECT_EQ(Decision::Pass, r.decision) << toString(r.reason);
    EXPECT_EQ("match", r.binding.value_or(""));
    EXPECT_EQ("match", toJson(r).value("binding", ""));
    ASSERT_TRUE(r.latency.totalMs);
    EXPECT_LT(*r.latency.totalMs, kMaxPassportFrames * 33.0) << "counted from the passport, not the certificate";
    ASSERT_EQ(1u, indicator_.shown.size());
    EXPECT_EQ(Decision::Pass, indicator_.shown[0].decision);
}

TEST_F(HolderPairing, ACertificateFollowedBySomeoneElsesPassportIsDenied) {
    showCode(certificate());
    showPassport(passport("ERIKSSON", "ANNA<MARIA", "740812"));
    runAll();
    ASSERT_EQ(1u, sink_.records.size());
    const DecisionRecord& r = sink_.records[0];
    EXPECT_EQ("HC1", r.format);
    EXPECT_EQ(Decision::Deny, r.decision);
    EXPECT_EQ(Reason::HolderMismatch, r.reason);
    EXPECT_EQ("mismatch", r.binding.value_or(""));
}

TEST_F(HolderPairing, ACertificateWithoutADocumentWithinTheWindowIsReferred) {
    showCode(certificate());
    wait(kWindow - 1s);
    runAll();
    EXPECT_TRUE(sink_.records.empty()) << "still within the window";
    wait(2s);
    runAll();
    ASSERT_EQ(1u, sink_.records.size());
    const DecisionRecord& r = sink_.records[0];
    EXPECT_EQ(Decision::Refer, r.decision);
    EXPECT_EQ(Reason::HolderNotChecked, r.reason);
    EXPECT_EQ("none", r.binding.value_or(""));
    // A passport after the window pairs with nothing: it is decided on its own (no service here).
    showPassport(passport("MUSTERFRAU<GOESSINGER", "GABRIELE", "980226"));
    runAll();
    ASSERT_EQ(2u, sink_.records.size());
    EXPECT_EQ("MRZ", sink_.records[1].format);
    EXPECT_FALSE(sink_.records[1].binding);
}

TEST_F(HolderPairing, APassportShownFirstIsDecidedOnItsOwnAndTheCertificateBindsToIt) {
    showPassport(passport("MUSTERFRAU<GOESSINGER", "GABRIELE", "980226"));
    runAll();
    ASSERT_EQ(1u, sink_.records.size());
    EXPECT_EQ("MRZ", sink_.records[0].format);
    EXPECT_EQ(Reason::BackendNotConfigured, sink_.records[0].reason) << "its own lookup, as usual";

    showCode(certificate());
    runAll();
    ASSERT_EQ(2u, sink_.records.size());
    EXPECT_EQ("HC1", sink_.records[1].format);
    EXPECT_EQ(Decision::Pass, sink_.records[1].decision) << toString(sink_.records[1].reason);
    EXPECT_EQ("match", sink_.records[1].binding.value_or(""));
    EXPECT_EQ(0, awaiting_.prompts) << "nothing to wait for";
}

TEST_F(HolderPairing, APartialBirthDateInTheCertificateComparesAsFarAsGiven) {
    showCode(certificate("1998-02"));
    showPassport(passport("MUSTERFRAU<GOESSINGER", "GABRIELE", "980226"));
    runAll();
    ASSERT_EQ(1u, sink_.records.size());
    EXPECT_EQ("match", sink_.records[0].binding.value_or(""));

    showCode(certificate("1998-03"));
    wait(1s);
    showPassport(passport("MUSTERFRAU<GOESSINGER", "GABRIELE", "980226"));  // the same page: out of view long enough to re-arm
    runAll();
    ASSERT_EQ(2u, sink_.records.size());
    EXPECT_EQ(Reason::HolderMismatch, sink_.records[1].reason);
}

TEST_F(HolderPairing, ACertificateThatFailsIsDecidedAtOnceWithoutWaiting) {
    issuer::Hc1Spec spec = issuer::testCredential(TestType::Naat, clock_.now() - 6h, true, clock_.now());  // positive
    showCode(issuer_.issue(spec));
    runAll();
    ASSERT_EQ(1u, sink_.records.size());
    EXPECT_EQ(Decision::Deny, sink_.records[0].decision);
    EXPECT_FALSE(sink_.records[0].binding);
    EXPECT_EQ(0, awaiting_.prompts);
}

// A reflection on the laminate over the name: no read, and the observers (the screen) are told to
// ask the traveller to tilt the page; tilted (the page without the reflection), it reads and the
// hint goes.
TEST_F(HolderPairing, APassportUnderAReflectionAsksForATiltAndReadsOnceTilted) {
    auto scene = passportScene("MUSTERFRAU<GOESSINGER", "GABRIELE", "980226");
    ASSERT_TRUE(scene.ok()) << scene.error().message;
    const auto page = std::make_shared<cv::Mat>(scene->gray);
    // A reflection's saturated core 1.6 pitches across on the name's 3rd letter (MU[S]TERFRAU).
    ASSERT_EQ(88u, scene->charCentres.size());
    auto glared = std::make_shared<cv::Mat>(page->clone());
    cv::circle(*glared, cv::Point(scene->charCentres[7]), 14, cv::Scalar(255), cv::FILLED, cv::LINE_AA);

    showPassport(glared);
    runAll();
    EXPECT_TRUE(sink_.records.empty()) << "nothing read under the reflection";
    EXPECT_GT(awaiting_.glareFrames, 0) << "the screen asks for a tilt";
    EXPECT_TRUE(awaiting_.lastGlare) << "and keeps asking while the reflection stays";

    showPassport(page);
    runAll();
    ASSERT_EQ(1u, sink_.records.size());
    EXPECT_EQ("MRZ", sink_.records[0].format);
    EXPECT_FALSE(awaiting_.lastGlare) << "read: the hint goes";
}

TEST_F(HolderPairing, ACodeStillWaitingWhenTheKioskStopsEndsWithARecord) {
    showCode(certificate());
    std::atomic<bool> stop{false};
    kiosk_->run(stop);  // runs to the end of the stream
    ASSERT_EQ(1u, sink_.records.size());
    EXPECT_EQ(Reason::HolderNotChecked, sink_.records[0].reason);
}

// The configuration reaches the loop and the router: `run` and `demo` build both from the Runtime.
TEST(HolderBindingConfig, RequireSetsTheWindowOfTheLoopAndTheRouterMode) {
    ManualClock clock;
    testing::TempDir dir;
    Config c;
    c.kiosk.stateDir = dir.path();  // the device secret goes here, not to /var/lib/sentinel
    c.trust.path = "";              // no trust list on purpose: nothing to load
    c.documents.mrz = true;
    c.binding.holderBinding = "require";
    c.binding.bindingWindowS = 45;
    auto rt = Runtime::create(c, clock, {});
    ASSERT_TRUE(rt) << rt.error().message;
    EXPECT_EQ(std::chrono::seconds{45}, (*rt)->kioskOptions().bindingWindow);
    EXPECT_EQ(HolderBinding::Require, (*rt)->router().options().holderBinding);

    c.binding.holderBinding = "show";
    auto shown = Runtime::create(c, clock, {});
    ASSERT_TRUE(shown) << shown.error().message;
    EXPECT_EQ(std::chrono::seconds{0}, (*shown)->kioskOptions().bindingWindow) << "show never holds a code back";
    EXPECT_EQ(HolderBinding::Show, (*shown)->router().options().holderBinding);
}

}  // namespace
}  // namespace sentinel::kiosk

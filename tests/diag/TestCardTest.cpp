// Test cards (issue 6 item 2): signed by the device's test issuer in state_dir, never in the trust
// list; DENY in service, TEST CARD (gate shut) in diagnostics mode.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "drivers/indicator/ConsoleIndicator.h"
#include "drivers/indicator/GpioIndicator.h"
#include "drivers/indicator/MultiIndicator.h"
#include "firmware/kiosk/Runtime.h"
#include "firmware/issuer/TestCard.h"
#include "firmware/issuer/TestIssuer.h"
#include "firmware/render/LabelledQr.h"
#include "firmware/ui/Composer.h"
#include "tests/kiosk/Fakes.h"
#include "tests/support/TestSupport.h"

namespace sentinel::app {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;
using sentinel::testing::ManualClock;
using sentinel::testing::TempDir;

class RecordingLines final : public indicator::GpioLines {
public:
    void set(indicator::Line l, bool on) override {
        std::lock_guard lock(mutex);
        if (l == indicator::Line::Relay && on) ++relayOpened;
        if (l == indicator::Line::Green && on) ++greenOn;
    }
    std::optional<bool> get(indicator::Line) override { return std::nullopt; }
    std::mutex mutex;
    int relayOpened = 0;
    int greenOn = 0;
};

class TestCards : public ::testing::Test {
protected:
    void SetUp() override {
        std::filesystem::create_directories(dir / "trust");
        std::ofstream(dir / "trust" / "dsc.pem") << realIssuer.certificatePem();
        bool created = false;
        auto ti = issuer::loadOrCreateTestIssuer(dir / "state" / kiosk::kTestIssuerDir, created);
        ASSERT_TRUE(ti.ok()) << ti.error().message;
        ASSERT_TRUE(created);
        card = issuer::issueTestCard(*ti, clock.now(), 1);
        cfg.kiosk.stateDir = dir / "state";
        cfg.trust.path = (dir / "trust").string();
    }
    std::unique_ptr<kiosk::Runtime> runtime(bool diagnostics) {
        cfg.kiosk.diagnosticsMode = diagnostics;
        auto rt = kiosk::Runtime::create(cfg, clock, {});
        EXPECT_TRUE(rt.ok()) << rt.error().message;
        return std::move(rt).value();
    }

    // What the GPIO lines and the console showed after a kiosk loop played `frames` of the card.
    struct Shown {
        std::uint64_t decisions = 0;
        std::string console;
        int relayOpened = 0;
        int greenOn = 0;
    };
    Shown playCard(bool diagnostics, int frames) {
        auto rt = runtime(diagnostics);
        testing::FakeCamera camera(clock);
        camera.pushFrames({card}, frames);
        testing::FakeDecoder decoder;
        auto lines = std::make_unique<RecordingLines>();
        RecordingLines* raw = lines.get();
        std::ostringstream console;
        indicator::MultiIndicator indicators;
        indicators.add(std::make_unique<indicator::GpioIndicator>(std::move(lines), indicator::GpioOptions{}));
        indicators.add(std::make_unique<indicator::ConsoleIndicator>(console, false));
        kiosk::Kiosk kiosk(camera, decoder, rt->router(), indicators, nullptr, clock, rt->kioskOptions());
        std::atomic<bool> stop{false};
        kiosk.run(stop);
        std::lock_guard lock(raw->mutex);
        return {kiosk.counters().decisions, console.str(), raw->relayOpened, raw->greenOn};
    }

    TempDir dir;
    ManualClock clock{UtcTime{std::chrono::seconds{1795000000}}};
    issuer::TestIssuer realIssuer = issuer::TestIssuer::generate("AT");
    kiosk::Config cfg;
    std::string card;
};

TEST_F(TestCards, TheTestIssuerIsKeptInStateDirAndReloaded) {
    bool created = true;
    auto again = issuer::loadOrCreateTestIssuer(dir / "state" / kiosk::kTestIssuerDir, created);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(created);
    EXPECT_TRUE(std::filesystem::exists(dir / "state" / kiosk::kTestIssuerDir / "test-issuer-key.pem"));
}

TEST_F(TestCards, InServiceATestCardIsNotAPass) {
    auto rt = runtime(false);
    ASSERT_TRUE(rt->hasTestIssuer());
    auto v = rt->router().verify(card, clock.monotonic() + 5s);
    EXPECT_NE(Decision::Pass, v.record.decision);
    EXPECT_EQ(Reason::UnknownIssuer, v.record.reason);
    EXPECT_FALSE(v.testCard);
}

TEST_F(TestCards, InDiagnosticsModeATestCardIsRecognisedAsSuch) {
    auto rt = runtime(true);
    auto v = rt->router().verify(card, clock.monotonic() + 5s);
    EXPECT_TRUE(v.testCard);
    EXPECT_EQ("TEST", v.record.format);
    EXPECT_EQ(Reason::Ok, v.record.reason);
}

TEST_F(TestCards, ACardFromAnotherDevicesTestIssuerIsNotATestCard) {
    auto rt = runtime(true);
    auto other = issuer::TestIssuer::generate("XX");
    auto v = rt->router().verify(issuer::issueTestCard(other, clock.now(), 1), clock.monotonic() + 5s);
    EXPECT_FALSE(v.testCard);
    EXPECT_EQ(Reason::UnknownIssuer, v.record.reason);
}

TEST_F(TestCards, RealCredentialsStillDecideNormallyInDiagnosticsMode) {
    auto rt = runtime(true);
    auto good = realIssuer.issue(issuer::testCredential(TestType::Naat, clock.now() - 2h, false, clock.now()));
    auto v = rt->router().verify(good, clock.monotonic() + 5s);
    EXPECT_EQ(Decision::Pass, v.record.decision);
    EXPECT_FALSE(v.testCard);
}

TEST_F(TestCards, InDiagnosticsModeTheKioskShowsTestCardAndTheRelayStaysShut) {
    const Shown shown = playCard(true, 3);
    EXPECT_EQ(1u, shown.decisions);
    EXPECT_THAT(shown.console, StartsWith("TEST CARD"));
    EXPECT_EQ(0, shown.relayOpened) << "a test card must never open the gate";
    EXPECT_EQ(1, shown.greenOn);
}

TEST_F(TestCards, InServiceTheKioskDeniesATestCardAndTheRelayStaysShut) {
    const Shown shown = playCard(false, 2);
    EXPECT_THAT(shown.console, StartsWith("DENY"));
    EXPECT_THAT(shown.console, HasSubstr("UNKNOWN_ISSUER"));
    EXPECT_EQ(0, shown.relayOpened);
}

// The label band under a test card's code: drawn with the CJK font, or — the font missing — with
// the built-in Latin one, so "TEST" is still printed. The code itself is renderQr()'s, untouched.
std::size_t labelInk(const render::Image& img, int labelTop) {
    std::size_t ink = 0;
    for (int y = labelTop; y < img.heightPx; ++y) {
        for (int x = 0; x < img.widthPx; ++x) ink += img.pixels[static_cast<std::size_t>(y) * img.widthPx + x] < 128 ? 1 : 0;
    }
    return ink;
}

TEST(TestCardLabel, IsPrintedUnderAnUntouchedCodeEvenWithoutTheCjkFont) {
    const std::string payload = "HC1:TEST-CARD-LABEL";
    auto plain = render::renderQr(payload, render::EcLevel::M, issuer::kTestCardModulePx, issuer::kTestCardQuietModules);
    ASSERT_TRUE(plain);
    for (const std::string& font : {std::string(ui::kDefaultFontPath), std::string("/nonexistent/font.ttc")}) {
        render::LabelOptions o;
        o.fontPath = font;
        o.fontFace = ui::kDefaultFontFace;
        int labelTop = 0;
        auto card = render::renderLabelledQr(payload, {issuer::kTestCardLabel, issuer::kTestCardNote}, o, render::EcLevel::M,
                                             issuer::kTestCardModulePx, issuer::kTestCardQuietModules, &labelTop);
        ASSERT_TRUE(card) << font;
        EXPECT_EQ(plain->heightPx, labelTop);
        EXPECT_TRUE(std::equal(plain->pixels.begin(), plain->pixels.end(), card->pixels.begin())) << "the code is untouched";
        EXPECT_GT(labelInk(*card, labelTop), static_cast<std::size_t>(card->widthPx)) << font << ": the label is not blank";
    }
}

}  // namespace
}  // namespace sentinel::app

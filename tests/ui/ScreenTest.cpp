// The screen thread (firmware/ui/KioskScreen) with a fake display, and the png backend.
#include "firmware/ui/KioskScreen.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "drivers/display/PngDisplay.h"
#include "tests/support/TestSupport.h"

namespace sentinel::app {
namespace {

using namespace std::chrono_literals;
constexpr auto kWait = 20s;  // generous: the suite also runs under sanitizers on 2 loaded cores

// Records every presented screen; can be told to hang (a stuck display driver).
class FakeDisplay final : public hal::Display {
public:
    Status present(const RgbImage& image, const hal::ScreenTag& tag) override {
        std::unique_lock lk(m_);
        cv_.wait(lk, [&] { return !hang_; });
        tags_.push_back(tag);
        last_ = image;
        cv_.notify_all();
        return Ok{};
    }
    int widthPx() const override { return 800; }
    int heightPx() const override { return 480; }
    std::string describe() const override { return "fake"; }

    void hang(bool h) {
        std::lock_guard lk(m_);
        hang_ = h;
        cv_.notify_all();
    }
    // Waits until a presented screen satisfies `pred`.
    template <class P>
    bool waitFor(P pred) {
        std::unique_lock lk(m_);
        return cv_.wait_for(lk, kWait, [&] {
            for (const auto& t : tags_) {
                if (pred(t)) return true;
            }
            return false;
        });
    }
    std::vector<hal::ScreenTag> tags() {
        std::lock_guard lk(m_);
        return tags_;
    }
    // Waits until a screen after the first `count` is a new screen (not a refresh of the one
    // before it: the live picture's next frame may refresh the screen at any time).
    bool waitForNewScreenAfter(std::size_t count) {
        std::unique_lock lk(m_);
        return cv_.wait_for(lk, kWait, [&] {
            for (std::size_t i = count; i < tags_.size(); ++i) {
                if (tags_[i].newScreen) return true;
            }
            return false;
        });
    }
    RgbImage last() {
        std::lock_guard lk(m_);
        return last_;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool hang_ = false;
    std::vector<hal::ScreenTag> tags_;
    RgbImage last_;
};

std::unique_ptr<ui::KioskScreen> screenOn(hal::Display& d, ui::KioskScreenOptions o = {}) {
    auto c = ui::Composer::create({d.widthPx(), d.heightPx(), ui::kDefaultFontPath, ui::kDefaultFontFace});
    EXPECT_TRUE(c);
    return std::make_unique<ui::KioskScreen>(d, std::move(c).value(), o);
}

DecisionRecord record(Reason r) {
    DecisionRecord rec;
    rec.decide(r);
    rec.subject = "a3f1c0ffee";
    return rec;
}

struct GrayFrame {
    std::shared_ptr<std::vector<std::uint8_t>> pixels = std::make_shared<std::vector<std::uint8_t>>(320 * 240, 90);
    hal::Frame frame() const {
        hal::Frame f;
        f.owner = pixels;
        f.gray = {pixels->data(), 320, 240, 320};
        return f;
    }
};

TEST(KioskScreen, EveryDecisionIsShownInOrderAsANewResultScreen) {
    FakeDisplay display;
    auto screen = screenOn(display);
    screen->decided(record(Reason::Ok), {}, 1);
    screen->decided(record(Reason::TestTooOld), {}, 2);
    screen->decided(record(Reason::BackendTimeout), {}, 3);
    ASSERT_TRUE(screen->waitResultsShown(kWait));
    std::vector<std::string> results;
    for (const auto& t : display.tags()) {
        if (t.result && t.newScreen) results.push_back(t.name);
    }
    EXPECT_EQ(results, (std::vector<std::string>{"PASS-OK", "DENY-TEST_TOO_OLD", "REFER-BACKEND_TIMEOUT"}));
    EXPECT_EQ(screen->stats().resultLatencyMs.size(), 3u);
}

TEST(KioskScreen, TheDecisionThreadNeverWaitsForAStuckDisplay) {
    FakeDisplay display;
    display.hang(true);
    auto screen = screenOn(display);
    GrayFrame g;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 200; ++i) {
        screen->frameProcessed(g.frame(), {});
        screen->decided(record(Reason::Ok), {}, i);
    }
    // 200 frames and decisions handed over while the display hangs: only copies under a short lock.
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_FALSE(screen->waitResultsShown(10ms));
    display.hang(false);
    EXPECT_TRUE(screen->waitResultsShown(kWait));
    EXPECT_GT(screen->stats().droppedResults, 0u);  // the queue is bounded
}

TEST(KioskScreen, IdleShowsTheLivePictureAndAHintWhenACodeIsSeenButNotRead) {
    FakeDisplay display;
    auto screen = screenOn(display);
    GrayFrame g;
    screen->frameProcessed(g.frame(), {});
    EXPECT_TRUE(display.waitFor([](const hal::ScreenTag& t) { return t.name == "idle"; }));
    const auto idleBefore = display.tags().size();
    for (int i = 0; i < ui::KioskScreen::kHintAfterFrames + 2; ++i) screen->frameProcessed(g.frame(), {1.0, false, true});
    // A hint changes the screen (a new idle screen, not a refresh).
    EXPECT_TRUE(display.waitFor([&](const hal::ScreenTag& t) { return t.name == "idle" && t.newScreen; }));
    EXPECT_GE(display.tags().size(), idleBefore);
}

// §15: the MRZ reader saw a reflection block a passport's read: the idle screen gets the amber
// hint band (Composer test: "Tilt it a little away from the glare") until the frames say otherwise.
TEST(KioskScreen, APassportUnderAReflectionGetsTheTiltHint) {
    FakeDisplay display;
    auto screen = screenOn(display);
    GrayFrame g;
    const auto hintBand = [&] {
        const RgbImage img = display.last();
        const std::uint8_t* p = img.at(img.widthPx / 2, img.heightPx - 3);
        return p[0] == ui::Composer::kReferRgb[0] && p[1] == ui::Composer::kReferRgb[1] && p[2] == ui::Composer::kReferRgb[2];
    };
    screen->frameProcessed(g.frame(), {});
    ASSERT_TRUE(display.waitFor([](const hal::ScreenTag& t) { return t.name == "idle"; }));
    EXPECT_FALSE(hintBand());
    const auto before = display.tags().size();
    kiosk::FrameObservation glare;
    glare.documentGlare = true;
    screen->frameProcessed(g.frame(), glare);
    // The first frame's screen may still be refreshed with its picture after `before` was taken:
    // wait for the hint's own screen, which is a new screen, not a refresh.
    ASSERT_TRUE(display.waitForNewScreenAfter(before)) << "a hint is a new screen, not a refresh";
    EXPECT_EQ("idle", display.tags().back().name);
    EXPECT_TRUE(hintBand());
}

TEST(KioskScreen, AnAlarmReplacesIdleAndClears) {
    FakeDisplay display;
    auto screen = screenOn(display);
    screen->alarm("camera", "no frames for 5 s", false);
    EXPECT_TRUE(display.waitFor([](const hal::ScreenTag& t) { return t.name == "alarm-camera"; }));
    screen->alarm("camera", "delivering frames again", true);
    GrayFrame g;
    screen->frameProcessed(g.frame(), {});
    EXPECT_TRUE(display.waitFor([&](const hal::ScreenTag& t) { return t.name == "idle"; }));
}

TEST(KioskScreen, ResultCardsReturnToIdleAfterResultMs) {
    FakeDisplay display;
    ui::KioskScreenOptions o;
    o.resultDuration = 300ms;
    auto screen = screenOn(display, o);
    screen->decided(record(Reason::TestPositive), {}, 1);
    ASSERT_TRUE(screen->waitResultsShown(kWait));
    EXPECT_TRUE(display.waitFor([](const hal::ScreenTag& t) { return t.name == "idle" && t.newScreen; }));
}

TEST(PngDisplay, WritesEachNewScreenOnceAsNumberedFiles) {
    testing::TempDir dir;
    display::PngDisplay png({dir.path(), 800, 480, false});
    RgbImage img{800, 480, std::vector<std::uint8_t>(800 * 480 * 3, 0x80)};
    ASSERT_TRUE(png.present(img, {"idle", true, false, {}}));
    ASSERT_TRUE(png.present(img, {"idle", false, false, {}}));  // a refresh: not written
    ASSERT_TRUE(png.present(img, {"DENY-TEST_TOO_OLD", true, true, {}}));
    EXPECT_TRUE(std::filesystem::exists(dir / "01-idle.png"));
    EXPECT_TRUE(std::filesystem::exists(dir / "02-DENY-TEST_TOO_OLD.png"));
    EXPECT_EQ(png.written(), 2);
    auto back = display::readRgbImage(dir / "02-DENY-TEST_TOO_OLD.png");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->pixels, img.pixels);
}

TEST(PngDisplay, OurEncoderRoundTripsEveryPixelThroughADecoderOfItsOwn) {
    // Distinct values in every channel, row and column: a swapped channel, a shifted row or a
    // wrong filter byte would show. Read back by OpenCV's libpng decoder (not ours).
    testing::TempDir dir;
    RgbImage img{801, 479, std::vector<std::uint8_t>(801 * 479 * 3)};
    for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>((i * 7919u) >> 3);
    ASSERT_TRUE(display::writeRgbPng(img, dir / "x.png"));
    auto back = display::readRgbImage(dir / "x.png");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->widthPx, 801);
    EXPECT_EQ(back->heightPx, 479);
    EXPECT_EQ(back->pixels, img.pixels);
    EXPECT_FALSE(std::filesystem::exists(dir / "x.png.tmp.png"));
    EXPECT_FALSE(display::encodeRgbPng(RgbImage{}));
}

TEST(PngDisplay, AScreenSupersededByAWaitingResultIsDroppedButAResultNever) {
    testing::TempDir dir;
    display::PngDisplay png({dir.path(), 800, 480, false});
    RgbImage img{800, 480, std::vector<std::uint8_t>(800 * 480 * 3)};
    for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>((i * 7919u) >> 3);
    int asked = 0;
    hal::ScreenTag idle{"idle", true, false, [&] { return ++asked > 2; }};  // a result arrives mid-file
    ASSERT_TRUE(png.present(img, idle));
    EXPECT_GT(asked, 2);
    EXPECT_EQ(png.written(), 0);
    EXPECT_EQ(png.dropped(), 1);
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
    // A result card is written whatever `superseded` says, and takes the next number.
    hal::ScreenTag card{"DENY-TEST_TOO_OLD", true, true, [] { return true; }};
    ASSERT_TRUE(png.present(img, card));
    EXPECT_TRUE(std::filesystem::exists(dir / "01-DENY-TEST_TOO_OLD.png"));
    auto back = display::readRgbImage(dir / "01-DENY-TEST_TOO_OLD.png");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->pixels, img.pixels);
}

TEST(PngDisplay, ResultsOnlySkipsEverythingButResultCards) {
    testing::TempDir dir;
    display::PngDisplay png({dir.path(), 800, 480, true});
    RgbImage img{800, 480, std::vector<std::uint8_t>(800 * 480 * 3, 0x10)};
    ASSERT_TRUE(png.present(img, {"idle", true, false, {}}));
    ASSERT_TRUE(png.present(img, {"PASS-OK", true, true, {}}));
    EXPECT_TRUE(std::filesystem::exists(dir / "01-PASS-OK.png"));
    EXPECT_EQ(png.written(), 1);
}

TEST(PngDisplay, AnUnwritableFolderIsAnErrorNotACrash) {
    display::PngDisplay png({"/proc/sentinel-no-such-dir", 800, 480, false});
    RgbImage img{800, 480, std::vector<std::uint8_t>(800 * 480 * 3, 0x10)};
    EXPECT_FALSE(png.present(img, {"idle", true, false, {}}));
}

}  // namespace
}  // namespace sentinel::app

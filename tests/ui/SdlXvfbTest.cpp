// A real SDL2 window on a private Xvfb server, captured from the X server and compared with the
// png backend's output of the same screen; and a display that is not there is an error, retried.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "drivers/display/PngDisplay.h"
#include "drivers/display/SdlDisplay.h"
#include "firmware/ui/Composer.h"
#include "tests/support/TestSupport.h"
#include "tests/ui/XCapture.h"

extern char** environ;

namespace sentinel {
namespace {

using namespace std::chrono_literals;
constexpr int kW = 800, kH = 480;

bool displayFree(int n) {
    return !std::filesystem::exists("/tmp/.X11-unix/X" + std::to_string(n)) &&
           !std::filesystem::exists("/tmp/.X" + std::to_string(n) + "-lock");
}

// Xvfb on the first free display number from 120; killed and reaped by the destructor.
class Xvfb {
public:
    Xvfb() {
        for (int n = 120; n < 220; ++n) {
            if (!displayFree(n)) continue;
            display_ = n;
            break;
        }
        const std::string name = ":" + std::to_string(display_);
        const std::string screen = std::to_string(kW) + "x" + std::to_string(kH) + "x24";
        std::vector<std::string> args{"Xvfb", name, "-screen", "0", screen, "-nolisten", "tcp"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (posix_spawnp(&pid_, "Xvfb", nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
        const auto until = std::chrono::steady_clock::now() + 30s;
        while (pid_ > 0 && std::chrono::steady_clock::now() < until) {
            if (testing::xServerAccepts(name)) {
                up_ = true;
                break;
            }
            std::this_thread::sleep_for(50ms);  // polling a condition (the server accepting), bounded
        }
    }
    ~Xvfb() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            int status = 0;
            waitpid(pid_, &status, 0);
        }
    }
    bool up() const { return up_; }
    std::string name() const { return ":" + std::to_string(display_); }

private:
    int display_ = -1;
    pid_t pid_ = -1;
    bool up_ = false;
};

double meanAbsDiff(const RgbImage& a, const RgbImage& b) {
    if (a.pixels.size() != b.pixels.size() || a.pixels.empty()) return 255;
    double sum = 0;
    for (std::size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
    return sum / static_cast<double>(a.pixels.size());
}

TEST(SdlOnXvfb, TheWindowShowsExactlyWhatThePngBackendWrites) {
    Xvfb x;
    ASSERT_TRUE(x.up()) << "Xvfb did not start";
    ::setenv("DISPLAY", x.name().c_str(), 1);
    ::unsetenv("WAYLAND_DISPLAY");
    auto composer = ui::Composer::create({kW, kH, ui::kDefaultFontPath, ui::kDefaultFontFace});
    ASSERT_TRUE(composer);
    ui::ResultScreen card;
    card.decision = Decision::Deny;
    card.reason = Reason::TestTooOld;
    card.test = TestSummary{TestType::Naat, "", 49.0, "negative"};
    const auto shot = (*composer)->compose(card, {}, MonoTime{});

    testing::TempDir dir;
    display::PngDisplay png({dir.path(), kW, kH, false});
    ASSERT_TRUE(png.present(shot.image, {"DENY-TEST_TOO_OLD", true, true, {}}));
    auto written = display::readRgbImage(dir / "01-DENY-TEST_TOO_OLD.png");
    ASSERT_TRUE(written);

    double diff = 255;
    {
        display::SdlDisplay sdl({kW, kH, false, 100ms});
        // The window maps asynchronously: present until the server shows the picture (bounded).
        const auto until = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < until) {
            ASSERT_TRUE(sdl.present(shot.image, {"DENY-TEST_TOO_OLD", true, true, {}}));
            diff = meanAbsDiff(testing::captureRoot(x.name(), kW, kH), *written);
            if (diff < 0.5) break;
            std::this_thread::sleep_for(50ms);
        }
        EXPECT_NE(sdl.describe().find("x11"), std::string::npos) << sdl.describe();
    }
    EXPECT_LT(diff, 0.5) << "the SDL window differs from the png output";
}

TEST(SdlOnXvfb, AMissingDisplayIsAnErrorAndIsRetriedLaterWithoutBlocking) {
    int n = 120;
    while (!displayFree(n)) ++n;
    ::setenv("DISPLAY", (":" + std::to_string(n)).c_str(), 1);
    ::unsetenv("WAYLAND_DISPLAY");
    display::SdlDisplay sdl({kW, kH, false, 60000ms});
    RgbImage img{kW, kH, std::vector<std::uint8_t>(kW * kH * 3, 0)};
    auto first = sdl.present(img, {"idle", true, false, {}});
    EXPECT_FALSE(first);
    const auto t0 = std::chrono::steady_clock::now();
    auto second = sdl.present(img, {"idle", false, false, {}});
    EXPECT_FALSE(second);
    EXPECT_NE(second.error().message.find("waiting to retry"), std::string::npos) << second.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms);
}

}  // namespace
}  // namespace sentinel

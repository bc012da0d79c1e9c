#include "drivers/camera/ReplayCamera.h"

#include <gtest/gtest.h>

#include <fstream>

#include "drivers/camera/V4l2Camera.h"
#include "firmware/render/QrRender.h"
#include "tests/support/TestSupport.h"

namespace sentinel::camera {
namespace {

using namespace std::chrono_literals;

// Real image files, each a different flat grey level, so the order of play can be read back.
void writeGrey(const std::filesystem::path& p, std::uint8_t level, int w = 64, int h = 48) {
    render::Image img;
    img.widthPx = w;
    img.heightPx = h;
    img.pixels.assign(static_cast<std::size_t>(w) * h, level);
    ASSERT_TRUE(render::writePng(img, p).ok());
}

std::uint8_t levelOf(const hal::Frame& f) { return f.gray.data[0]; }

TEST(ReplayCamera, PlaysImagesSortedByNameAsGrayscaleThenEnds) {
    testing::TempDir dir;
    writeGrey(dir / "b.png", 20);
    writeGrey(dir / "a.png", 10);
    writeGrey(dir / "c.jpg", 200);
    std::ofstream(dir / "notes.txt") << "not an image";
    auto cam = ReplayCamera::open(dir.path(), {0, 1, false});
    ASSERT_TRUE(cam.ok()) << cam.error().message;
    EXPECT_EQ(3u, (*cam)->imageCount());
    std::vector<int> levels;
    std::vector<std::string> names;
    for (;;) {
        auto g = (*cam)->grab(100ms);
        if (g.status == hal::GrabStatus::EndOfStream) break;
        ASSERT_EQ(hal::GrabStatus::Frame, g.status);
        EXPECT_EQ(64, g.frame.gray.widthPx);
        EXPECT_EQ(48, g.frame.gray.heightPx);
        EXPECT_GE(g.frame.gray.strideBytes, 64);
        levels.push_back(levelOf(g.frame));
        names.push_back(g.frame.name);
    }
    ASSERT_EQ(3u, levels.size());
    EXPECT_EQ(10, levels[0]);
    EXPECT_EQ(20, levels[1]);
    EXPECT_NEAR(200, levels[2], 3);  // JPEG
    EXPECT_EQ((std::vector<std::string>{"a.png", "b.png", "c.jpg"}), names);
}

TEST(ReplayCamera, RepeatEachHoldsAnImageForSeveralFrames) {
    testing::TempDir dir;
    writeGrey(dir / "1.png", 10);
    writeGrey(dir / "2.png", 20);
    auto cam = ReplayCamera::open(dir.path(), {0, 3, false});
    ASSERT_TRUE(cam.ok());
    std::vector<int> levels;
    for (auto g = (*cam)->grab(10ms); g.status == hal::GrabStatus::Frame; g = (*cam)->grab(10ms)) levels.push_back(levelOf(g.frame));
    EXPECT_EQ((std::vector<int>{10, 10, 10, 20, 20, 20}), levels);
}

TEST(ReplayCamera, PacesFramesAtTheConfiguredRate) {
    testing::TempDir dir;
    for (int i = 0; i < 6; ++i) writeGrey(dir / ("f" + std::to_string(i) + ".png"), static_cast<std::uint8_t>(i));
    auto cam = ReplayCamera::open(dir.path(), {50, 1, false});  // 20 ms period
    ASSERT_TRUE(cam.ok());
    const auto t0 = std::chrono::steady_clock::now();
    int frames = 0;
    while ((*cam)->grab(1000ms).status == hal::GrabStatus::Frame) ++frames;
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(6, frames);
    EXPECT_GE(elapsed, 5 * 20ms - 2ms);  // 6 frames = 5 periods after the first
}

TEST(ReplayCamera, LoopStartsAgain) {
    testing::TempDir dir;
    writeGrey(dir / "a.png", 1);
    auto cam = ReplayCamera::open(dir.path(), {0, 1, true});
    ASSERT_TRUE(cam.ok());
    for (int i = 0; i < 5; ++i) EXPECT_EQ(hal::GrabStatus::Frame, (*cam)->grab(10ms).status);
}

TEST(ReplayCamera, MissingOrEmptySourceIsAnError) {
    testing::TempDir dir;
    EXPECT_FALSE(ReplayCamera::open(dir.path(), {}).ok());
    EXPECT_FALSE(ReplayCamera::open(dir / "nope", {}).ok());
}

TEST(ReplayCamera, CorruptImageIsReportedAndSkipped) {
    testing::TempDir dir;
    std::ofstream(dir / "a.png") << "this is not a png";
    writeGrey(dir / "b.png", 42);
    auto cam = ReplayCamera::open(dir.path(), {0, 1, false});
    ASSERT_TRUE(cam.ok());
    auto first = (*cam)->grab(10ms);
    EXPECT_EQ(hal::GrabStatus::Failed, first.status);
    EXPECT_NE(std::string::npos, first.detail.find("a.png"));
    auto second = (*cam)->grab(10ms);
    ASSERT_EQ(hal::GrabStatus::Frame, second.status);
    EXPECT_EQ(42, levelOf(second.frame));
}

TEST(V4l2Camera, AbsentDeviceIsReportedWithinThreeSecondsAndNeverHangs) {
    V4l2Options o;
    o.device = "/dev/sentinel-no-such-camera";
    o.stallTimeout = 3000ms;
    V4l2Camera cam(o);
    const auto t0 = std::chrono::steady_clock::now();
    hal::GrabResult g;
    do {
        g = cam.grab(200ms);
    } while (g.status == hal::GrabStatus::Timeout && std::chrono::steady_clock::now() - t0 < 3s);
    EXPECT_EQ(hal::GrabStatus::Failed, g.status);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
    EXPECT_NE(std::string::npos, g.detail.find("/dev/sentinel-no-such-camera"));
}

TEST(V4l2Camera, RealDeviceDeliversFramesWhenPresent) {
    if (!std::filesystem::exists("/dev/video0")) GTEST_SKIP() << "no /dev/video0 on this machine (hardware test)";
    V4l2Camera cam({});
    auto g = cam.grab(3000ms);
    ASSERT_EQ(hal::GrabStatus::Frame, g.status) << g.detail;
    EXPECT_GT(g.frame.gray.widthPx, 0);
}

}  // namespace
}  // namespace sentinel::camera

// Issue 24: the documented way to run a kiosk on a folder of photos
// (assets/config/replay-bench.toml, docs/configuration.md "Running on recorded frames") works as
// written: each photo held 10 frames, 10 frames without a code after it, the file's camera.fps and
// camera.rearm_frames — one decision per presentation, a hard (tilted) code included, the same code
// shown twice decided twice.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "firmware/app/Cli.h"
#include "firmware/issuer/TestIssuer.h"
#include "firmware/kiosk/Config.h"
#include "firmware/render/QrRender.h"
#include "tests/support/TestSupport.h"

namespace sentinel::app {
namespace {

using namespace std::chrono_literals;

// The recipe of assets/config/replay-bench.toml.
constexpr int kHoldFrames = 10;
constexpr int kGapFrames = 10;

TEST(ReplayExample, TheDocumentedBenchDecidesOncePerPresentation) {
    auto bench =
        kiosk::loadConfig(std::string(SENTINEL_SOURCE_DIR) + "/assets/config/replay-bench.toml");
    ASSERT_TRUE(bench) << bench.error().message;
    testing::TempDir dir;
    const auto issuer = issuer::TestIssuer::generate("XX");
    std::filesystem::create_directories(dir / "trust");
    std::ofstream(dir / "trust" / "dsc.pem") << issuer.certificatePem();
    const UtcTime now = SystemClock{}.now();
    auto credential = [&](std::chrono::hours age, const std::string& id) {
        auto spec = issuer::testCredential(TestType::Naat, now - age, false, now);
        spec.certificateIdentifier = id;
        return issuer.issue(spec);
    };
    // The photos: a fresh test, a stale one photographed at an angle, the fresh one again, a web
    // link.
    std::vector<std::pair<std::string, render::SceneOptions>> photos;
    render::SceneOptions straight, tilted;
    tilted.tiltDeg = 35;
    tilted.rotateDeg = 20;
    tilted.seed = 7;
    const std::string fresh = credential(2h, "URN:UVCI:01:XX:BENCH#1");
    photos.push_back({fresh, straight});
    photos.push_back({credential(50h, "URN:UVCI:01:XX:BENCH#2"), tilted});
    photos.push_back({fresh, straight});
    photos.push_back({"https://example.org/menu", straight});

    std::filesystem::create_directories(dir / "photos");
    std::filesystem::create_directories(dir / "frames");
    ASSERT_TRUE(render::writePng(render::emptyScene(1280, 720, 5), dir / "empty.png").ok());
    int frame = 0;
    auto link = [&](const std::filesystem::path& target) {
        char name[32];
        std::snprintf(name, sizeof name, "%05d.png", ++frame);
        std::filesystem::create_symlink(target, dir / "frames" / name);
    };
    for (std::size_t i = 0; i < photos.size(); ++i) {
        const auto photo = dir / "photos" / (std::to_string(i) + ".png");
        auto img = render::composeScene(photos[i].first, photos[i].second);
        ASSERT_TRUE(img.ok());
        ASSERT_TRUE(render::writePng(*img, photo).ok());
        for (int k = 0; k < kHoldFrames; ++k) link(photo);
        for (int k = 0; k < kGapFrames; ++k) link(dir / "empty.png");
    }
    const auto config = dir / "bench.toml";
    std::ofstream(config) << "[kiosk]\nid = \"BENCH-01\"\nstate_dir = \""
                          << (dir / "state").string() << "\"\n"
                          << "[camera]\nsource = \"replay:" << (dir / "frames").string()
                          << "\"\nfps = " << bench->camera.fps
                          << "\nrearm_frames = " << bench->camera.rearmFrames << "\n"
                          << "[trust]\npath = \"" << (dir / "trust").string()
                          << "\"\n[log]\nlevels = \"*:Warn\"\n";

    std::ostringstream out, err;
    CliContext ctx{out, err};
    ASSERT_EQ(kExitOk, runCli({"sentinel", "run", "--json", "--config", config.string()}, ctx))
        << err.str();
    std::vector<std::string> reasons;
    std::istringstream lines(out.str());
    for (std::string line; std::getline(lines, line);)
        reasons.push_back(nlohmann::json::parse(line)["reason"]);
    EXPECT_EQ((std::vector<std::string>{"OK", "TEST_TOO_OLD", "OK", "UNSUPPORTED_FORMAT"}), reasons)
        << err.str();
    EXPECT_TRUE(std::filesystem::exists(dir / "state" / "journal.db"))
        << "the journal lives in state_dir";
}

}  // namespace
}  // namespace sentinel::app

#include "firmware/decode/bench/BenchDecode.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "tests/camsim/CameraSimulator.h"
#include "tests/support/TestSupport.h"

namespace sentinel::decode {
namespace {

namespace fs = std::filesystem;

struct BenchRun {
    int status;
    std::string out, err;
};

BenchRun bench(std::vector<std::string> args) {
    std::ostringstream out, err;
    const int status = runBenchDecode(args, out, err);
    return {status, out.str(), err.str()};
}

// Writes the frame under DIR/<category>/<name>.png and returns the path relative to DIR.
std::string writeFrame(const fs::path& dir, const std::string& category, const std::string& name, const cv::Mat& img) {
    fs::create_directories(dir / category);
    const std::string rel = category + "/" + name + ".png";
    EXPECT_TRUE(cv::imwrite((dir / rel).string(), img));
    return rel;
}

TEST(BenchDecode, StillModeCallsDecodeStillOncePerImageAndNamesTheVariant) {
    testing::TempDir dir;
    auto nominal = camsim::renderFrame(11, camsim::Level::Realistic, "nominal", 2);
    ASSERT_TRUE(nominal.ok());
    const cv::Mat flat(720, 1280, CV_8UC1, cv::Scalar(100));
    {
        std::ofstream m(dir / "manifest.tsv");
        m << writeFrame(dir.path(), "nominal", "a", nominal->gray) << "\t@" << nominal->payload << "\n";
        m << writeFrame(dir.path(), "empty", "b", flat) << "\t@\n";
    }
    const BenchRun r = bench({"--manifest", (dir / "manifest.tsv").string(), "--json", "--still"});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["decoded"], 1);
    EXPECT_EQ(j["empty"]["frames"], 1);  // one call per image, not 15 frames
    ASSERT_TRUE(j["read_by"].is_object());
    int named = 0;
    for (const auto& [variant, count] : j["read_by"].items()) {
        EXPECT_FALSE(variant.empty());
        named += count.get<int>();
    }
    EXPECT_EQ(named, 1);
}

TEST(BenchDecode, UsageErrorsExitTwo) {
    EXPECT_EQ(bench({}).status, 2);
    EXPECT_EQ(bench({"--manifest"}).status, 2);
    EXPECT_EQ(bench({"--frobnicate"}).status, 2);
    EXPECT_EQ(bench({"--manifest", "/nonexistent/manifest.tsv"}).status, 2);
}

TEST(BenchDecode, ReportsCountsPerCategoryMisreadsAndEmptyScenesInJson) {
    testing::TempDir dir;
    auto nominal = camsim::renderFrame(11, camsim::Level::Realistic, "nominal", 0);
    auto inverted = camsim::renderFrame(11, camsim::Level::Realistic, "inverted", 1);
    ASSERT_TRUE(nominal.ok() && inverted.ok());
    const cv::Mat flat(720, 1280, CV_8UC1, cv::Scalar(100));
    std::ofstream(dir / "inverted.txt", std::ios::binary) << inverted->payload;
    {
        std::ofstream m(dir / "manifest.tsv");
        m << "# comment line\n";
        m << writeFrame(dir.path(), "nominal", "a", nominal->gray) << "\t@" << nominal->payload << "\n";
        m << writeFrame(dir.path(), "inverted", "b", inverted->gray) << "\tinverted.txt\n";
        // Expecting another text than the code holds: the engine's read counts as a misread.
        m << writeFrame(dir.path(), "nominal", "c", nominal->gray) << "\t@HK1:notwhatthecodeholds\n";
        m << writeFrame(dir.path(), "empty", "d", flat) << "\t@\n";
    }
    const BenchRun r = bench({"--manifest", (dir / "manifest.tsv").string(), "--json", "--peers"});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["total"], 3);
    EXPECT_EQ(j["decoded"], 2);
    EXPECT_EQ(j["misreads"], 1);
    EXPECT_EQ(j["categories"]["nominal"]["total"], 2);
    EXPECT_EQ(j["categories"]["nominal"]["decoded"], 1);
    EXPECT_EQ(j["categories"]["inverted"]["decoded"], 1);
    for (const char* key : {"median_ms", "p95_ms", "p99_ms", "max_ms"}) EXPECT_TRUE(j[key].is_number()) << key;
    EXPECT_EQ(j["frames_to_read"]["median"], 1);
    EXPECT_EQ(j["empty"]["frames"], kFramesPerScene);
    EXPECT_EQ(j["empty"]["misreads"], 0);
    // Plain ZXing-cpp 1.4 has no inverted pass: it reads the nominal code and not the dark-mode one.
    EXPECT_EQ(j["peers"]["zxing"]["decoded"], 1);
    EXPECT_TRUE(j["peers"].contains("wechat_qrcode"));
    EXPECT_EQ(j["categories"]["inverted"]["peers"]["zxing"]["decoded"], 0);
}

TEST(BenchDecode, PrintsAReadableTableWithoutJson) {
    testing::TempDir dir;
    auto f = camsim::renderFrame(12, camsim::Level::Realistic, "tilt", 0);
    ASSERT_TRUE(f.ok());
    std::ofstream(dir / "manifest.tsv") << writeFrame(dir.path(), "tilt", "a", f->gray) << "\t@" << f->payload << "\n";
    const BenchRun r = bench({"--manifest", (dir / "manifest.tsv").string()});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("tilt"), std::string::npos);
    EXPECT_NE(r.out.find("ALL"), std::string::npos);
}

TEST(BenchDecode, AMissingImageIsAnError) {
    testing::TempDir dir;
    std::ofstream(dir / "manifest.tsv") << "nowhere/missing.png\t@x\n";
    const BenchRun r = bench({"--manifest", (dir / "manifest.tsv").string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("missing.png"), std::string::npos);
}

}  // namespace
}  // namespace sentinel::decode

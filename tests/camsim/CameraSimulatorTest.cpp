#include "tests/camsim/CameraSimulator.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <opencv2/core.hpp>

#include "tests/support/TestSupport.h"

namespace sentinel::camsim {
namespace {

bool allIn(std::string_view text, std::string_view alphabet) {
    return text.find_first_not_of(alphabet) == std::string_view::npos;
}

TEST(CameraSimulator, SameSeedGivesIdenticalFrames) {
    auto a = renderFrame(42, Level::Realistic, "glare", 3);
    auto b = renderFrame(42, Level::Realistic, "glare", 3);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->payload, b->payload);
    EXPECT_EQ(cv::norm(a->gray, b->gray, cv::NORM_INF), 0.0);
}

TEST(CameraSimulator, DifferentSeedsGiveDifferentFrames) {
    auto a = renderFrame(1, Level::Realistic, "nominal", 0);
    auto b = renderFrame(2, Level::Realistic, "nominal", 0);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(a->payload, b->payload);
    EXPECT_GT(cv::norm(a->gray, b->gray, cv::NORM_L1), 0.0);
}

TEST(CameraSimulator, FramesAreCameraSizedGrayscale) {
    for (const auto& category : categories()) {
        auto f = renderFrame(5, Level::Hard, category, 1);
        ASSERT_TRUE(f.ok()) << category;
        EXPECT_EQ(f->gray.type(), CV_8UC1);
        EXPECT_EQ(f->gray.cols, kFrameWidthPx);
        EXPECT_EQ(f->gray.rows, kFrameHeightPx);
    }
}

TEST(CameraSimulator, RealisticModuleSizesFollowTheIssue) {
    for (int i = 0; i < 3; ++i) {
        auto nominal = renderFrame(9, Level::Realistic, "nominal", i);
        auto small = renderFrame(9, Level::Realistic, "small", i);
        ASSERT_TRUE(nominal.ok() && small.ok());
        EXPECT_GE(nominal->modulePx, 3.8);
        EXPECT_LE(nominal->modulePx, 5.5);
        EXPECT_GE(small->modulePx, 2.0);
        EXPECT_LE(small->modulePx, 3.0);
        auto hard = renderFrame(9, Level::Hard, "small", i);
        ASSERT_TRUE(hard.ok());
        EXPECT_LT(hard->modulePx, 2.3);
    }
}

TEST(CameraSimulator, PayloadsAreHk1TokensAndHc1SizedCredentials) {
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        const std::string hk1 = hk1Token(seed);
        ASSERT_EQ(hk1.rfind("HK1:", 0), 0u);
        EXPECT_GE(hk1.size() - 4, 16u);
        EXPECT_LE(hk1.size() - 4, 128u);
        EXPECT_TRUE(allIn(std::string_view(hk1).substr(4),
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"));
        const std::string hc1 = hc1Synthetic(seed);
        ASSERT_EQ(hc1.rfind("HC1:", 0), 0u);
        const int version = qrVersion(hc1);
        EXPECT_GE(version, kHc1VersionMin) << hc1.size();
        EXPECT_LE(version, kHc1VersionMax) << hc1.size();
        EXPECT_TRUE(allIn(std::string_view(hc1).substr(4), "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"));
    }
}

TEST(CameraSimulator, Hc1VersionsSpanTheHcertRange) {
    std::set<int> versions;
    for (std::uint64_t seed = 0; seed < 200; ++seed) versions.insert(qrVersion(hc1Synthetic(seed)));
    EXPECT_EQ(*versions.begin(), kHc1VersionMin);
    EXPECT_EQ(*versions.rbegin(), kHc1VersionMax);
    EXPECT_EQ(int(versions.size()), kHc1VersionMax - kHc1VersionMin + 1);
}

TEST(CameraSimulator, IssuerPayloadsAreSignedHc1Credentials) {
    IssuerHc1 issuer;
    auto f = renderFrame(8, Level::Realistic, "nominal", 0, &issuer);
    ASSERT_TRUE(f.ok());
    ASSERT_EQ(f->payload.rfind("HC1:", 0), 0u);
    EXPECT_TRUE(allIn(std::string_view(f->payload).substr(4), "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"));
    EXPECT_GT(f->payload.size(), 200u);  // a signed COSE credential, not a token
}

TEST(CameraSimulator, UnknownCategoryIsAnError) {
    EXPECT_FALSE(renderFrame(1, Level::Realistic, "fog", 0).ok());
}

TEST(CameraSimulator, ParsesLevelNames) {
    EXPECT_EQ(*parseLevel("realistic"), Level::Realistic);
    EXPECT_EQ(*parseLevel("hard"), Level::Hard);
    EXPECT_FALSE(parseLevel("easy").ok());
}

TEST(CameraSimulator, WritesOneFolderPerCategoryAndAManifest) {
    testing::TempDir dir;
    auto manifest = writeSet(dir.path(), 3, Level::Realistic, 1, 2);
    ASSERT_TRUE(manifest.ok()) << manifest.error().message;
    EXPECT_EQ(*manifest, dir.path() / "realistic" / "manifest.tsv");
    std::ifstream in(*manifest);
    std::string line;
    int codes = 0, empties = 0;
    while (std::getline(in, line)) {
        const auto tab = line.find('\t');
        ASSERT_NE(tab, std::string::npos);
        EXPECT_TRUE(std::filesystem::exists(dir.path() / "realistic" / line.substr(0, tab))) << line;
        EXPECT_EQ(line[tab + 1], '@');
        (tab + 2 == line.size() ? empties : codes)++;
    }
    EXPECT_EQ(codes, int(categories().size()));
    EXPECT_EQ(empties, 2);
    for (const auto& category : categories()) {
        EXPECT_TRUE(std::filesystem::exists(dir.path() / "realistic" / category / (category + "-000.txt")));
    }
}

}  // namespace
}  // namespace sentinel::camsim

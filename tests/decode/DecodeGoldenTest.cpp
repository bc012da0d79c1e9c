// Golden tests in the zxing-cpp style: real photographs and simulated camera sets with minimum pass
// counts per folder, so that any drop in detection fails CI. Minimums are what the engine reached
// when they were set (docs/PERFORMANCE.md); raise them when the engine improves.

#include <gtest/gtest.h>

#define ZX_USE_UTF8 1
#include <ZXing/ReadBarcode.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <sstream>

#include "firmware/decode/DecodeEngine.h"
#include "tests/camsim/CameraSimulator.h"
#include "tests/support/TestSupport.h"

namespace sentinel::decode {
namespace {

namespace fs = std::filesystem;

constexpr int kFramesPerScene = 15;  // issue 8: a still code reads within 15 frames (0.5 s at 30 fps)

GrayView viewOf(const cv::Mat& m) { return GrayView{m.data, m.cols, m.rows, static_cast<int>(m.step)}; }

std::string readText(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

struct Outcome {
    bool read = false;
    bool misread = false;  // payloads returned, none of them the expected one
};

Outcome judge(const std::vector<std::string>& got, const std::string& expected) {
    const bool read = std::find(got.begin(), got.end(), expected) != got.end();
    return {read, !got.empty() && !read};
}

Outcome live(DecodeEngine& engine, const cv::Mat& img, const std::string& expected) {
    for (int i = 0; i < kFramesPerScene; ++i) {
        auto got = engine.decodeFrame(viewOf(img));
        if (!got.empty()) return judge(got, expected);
    }
    return {};
}

// Photographs that hold a second, genuine code besides the expected one (zxing-cpp sample notes).
const std::set<std::string> kSecondCodeAllowed{"qrcode-2/16.webp", "qrcode-2/low-res-v1-a.webp"};

struct PhotoMinimum {
    int still;
    int live;
};
// Reached with the cascade of docs/PERFORMANCE.md (qrcode-2 holds 56 images with an expected text,
// qrcode-3 holds 18; plain ZXing-cpp 1.4 reads 56 of the 74).
const std::map<std::string, PhotoMinimum> kPhotoMinimum{{"qrcode-2", {51, 51}}, {"qrcode-3", {18, 16}}};

TEST(DecodeGolden, QrPhotographs) {
    const fs::path root = testing::testdataDir() / "qr-photos";
    if (testing::testdataDir().empty() || !fs::is_directory(root)) {
        GTEST_SKIP() << "shared test data absent (" << SENTINEL_TESTDATA << "/qr-photos): photographs not checked";
    }
    int totalStill = 0, totalLive = 0;
    for (const auto& [folder, minimum] : kPhotoMinimum) {
        int images = 0, still = 0, liveRead = 0;
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(root / folder)) files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        DecodeEngine stillEngine, liveEngine;
        for (const fs::path& p : files) {
            fs::path expectedFile = p;
            expectedFile.replace_extension(".txt");
            if (p.extension() == ".txt" || !fs::exists(expectedFile)) continue;
            const cv::Mat img = cv::imread(p.string(), cv::IMREAD_GRAYSCALE);
            ASSERT_FALSE(img.empty()) << p;
            const std::string expected = readText(expectedFile);
            const std::string name = folder + "/" + p.filename().string();
            ++images;
            const auto got = stillEngine.decodeStill(viewOf(img));
            const Outcome s = judge(got, expected);
            EXPECT_FALSE(s.misread) << name;
            if (!kSecondCodeAllowed.contains(name)) {
                for (const auto& payload : got) EXPECT_EQ(payload, expected) << name;
            }
            liveEngine.reset();
            const Outcome l = live(liveEngine, img, expected);
            EXPECT_FALSE(l.misread) << name;
            still += s.read;
            liveRead += l.read;
        }
        std::cout << "[ golden   ] qr-photos/" << folder << ": " << images << " images, still " << still
                  << ", live (15 frames) " << liveRead << "\n";
        EXPECT_GE(still, minimum.still) << folder;
        EXPECT_GE(liveRead, minimum.live) << folder;
        totalStill += still;
        totalLive += liveRead;
    }
    EXPECT_GE(totalStill, 69) << "issue 16: at least 69 of the 74 photographs";
}

// Simulated sets, generated at test time (fixed seed, distinct from the development seed the
// cascade was tuned on).
constexpr std::uint64_t kGoldenSeed = 20261123;
constexpr int kPerCategory = 6;

struct CategoryResult {
    int read = 0;       // live engine, within 15 frames (depends on the machine's speed)
    int stillRead = 0;  // decodeStill: the whole cascade (deterministic)
    int misreads = 0;
    int zxingRead = 0;  // plain ZXing-cpp 1.4, ReadBarcodes QR only, on the same frames
};

std::map<std::string, CategoryResult> runSimulatedSet(camsim::Level level) {
    std::map<std::string, CategoryResult> results;
    DecodeEngine engine, stillEngine;
    ZXing::DecodeHints hints;
    hints.setFormats(ZXing::BarcodeFormat::QRCode);
    for (const std::string& category : camsim::categories()) {
        for (int i = 0; i < kPerCategory; ++i) {
            auto frame = camsim::renderFrame(kGoldenSeed, level, category, i);
            EXPECT_TRUE(frame.ok());
            if (!frame.ok()) continue;
            const Outcome o = live(engine, frame->gray, frame->payload);
            const Outcome still = judge(stillEngine.decodeStill(viewOf(frame->gray)), frame->payload);
            auto& r = results[category];
            r.read += o.read;
            r.stillRead += still.read;
            r.misreads += o.misread + still.misread;
            const cv::Mat& g = frame->gray;
            for (const auto& z : ZXing::ReadBarcodes(
                     ZXing::ImageView(g.data, g.cols, g.rows, ZXing::ImageFormat::Lum, int(g.step)), hints)) {
                if (z.text() == frame->payload) {
                    ++r.zxingRead;
                    break;
                }
            }
        }
    }
    return results;
}

struct Minimum {
    int still;  // exact: what the cascade reached
    int live;   // what 15 live frames reached on the dev machine under load, less timing slack
};

void checkMinimums(camsim::Level level, const std::map<std::string, Minimum>& minimum) {
    const auto results = runSimulatedSet(level);
    for (const auto& [category, r] : results) {
        std::cout << "[ golden   ] camsim/" << camsim::toString(level) << "/" << category << ": live " << r.read
                  << ", still " << r.stillRead << " of " << kPerCategory << " (zxing " << r.zxingRead << ")\n";
        EXPECT_EQ(r.misreads, 0) << category;
        EXPECT_GE(r.stillRead, minimum.at(category).still) << category;
        EXPECT_GE(r.read, minimum.at(category).live) << category;
        EXPECT_GE(r.stillRead, r.zxingRead) << category << ": below plain ZXing-cpp";
    }
}

// Live minimums leave one code of slack where reads took more than one frame in the measurements
// (docs/PERFORMANCE.md: frames-to-read p95 > 1): under a loaded CI machine fewer variants fit in a
// frame. The still minimums (the whole cascade, deterministic) have no slack.
TEST(DecodeGolden, SimulatedRealisticSet) {
    // Issue 16 simulator (keystone, small rotated codes, versions 15–25, saturating glare): a glare
    // core over a finder pattern is read by sampling the grid from the other two (roi-grid).
    checkMinimums(camsim::Level::Realistic, {{"nominal", {6, 6}}, {"small", {6, 5}}, {"tilt", {6, 5}},
                                             {"rotation", {6, 5}}, {"defocus", {6, 5}}, {"motion", {6, 6}},
                                             {"glare", {6, 4}}, {"lowlight", {6, 6}}, {"moire", {6, 6}},
                                             {"inverted", {6, 5}}, {"jpeg", {6, 6}}});
}

TEST(DecodeGolden, SimulatedHardSet) {
    // Hard motion blur (1.4–2.2 modules), saturated glare cores and the darkest low light stay the
    // weakest classes (docs/PERFORMANCE.md, gaps); the live minimums leave room for a loaded CI:
    // steep tilt is read by outline rectification, which a loaded machine (load ≈ 13 with two
    // golden tests in parallel: 0 of 6 live) skips once its learned cost exceeds 2 budgets, and
    // the classes read after the first frames lose one or two more there; the still minimums
    // (deterministic, no slack) guard the variants.
    checkMinimums(camsim::Level::Hard, {{"nominal", {6, 6}}, {"small", {6, 4}}, {"tilt", {4, 0}},
                                        {"rotation", {6, 2}}, {"defocus", {6, 1}}, {"motion", {3, 0}},
                                        {"glare", {5, 0}}, {"lowlight", {3, 0}}, {"moire", {6, 6}},
                                        {"inverted", {6, 4}}, {"jpeg", {6, 4}}});
}

}  // namespace
}  // namespace sentinel::decode

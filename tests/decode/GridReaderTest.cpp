#include "firmware/decode/GridReader.h"

#include <gtest/gtest.h>

#define ZX_USE_UTF8 1
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>
#include <ZXing/ReadBarcode.h>
#include <opencv2/imgproc.hpp>

#include <array>
#include <chrono>
#include <string>

namespace sentinel::decode::detail {
namespace {

constexpr int kEccLevelQ = 5;  // ZXing's writer: 0–8 from L to H, 5 = Q
// An HC1-sized payload (HCERT credentials are versions 15–25 at level Q): version 16.
const std::string kPayload = "HC1:" + std::string(440, 'K');

cv::Mat moduleMatrix(const std::string& text) {
    const ZXing::BitMatrix m =
        ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode).setEccLevel(kEccLevelQ).setMargin(0).encode(text, 0, 0);
    cv::Mat dark(m.height(), m.width(), CV_8UC1, cv::Scalar(0));
    for (int y = 0; y < m.height(); ++y)
        for (int x = 0; x < m.width(); ++x)
            if (m.get(x, y)) dark.at<std::uint8_t>(y, x) = 255;
    return dark;
}

const int kModules = moduleMatrix(kPayload).cols;

// The symbol drawn at `px` pixels per module (dark 40, light 210) with a quiet zone of `quietPx`,
// softened like a camera's optics.
cv::Mat render(const cv::Mat& dark, int px, int quietPx) {
    cv::Mat img(dark.rows * px + 2 * quietPx, dark.cols * px + 2 * quietPx, CV_8UC1, cv::Scalar(210));
    for (int y = 0; y < dark.rows; ++y)
        for (int x = 0; x < dark.cols; ++x)
            if (dark.at<std::uint8_t>(y, x) != 0) img(cv::Rect(quietPx + x * px, quietPx + y * px, px, px)).setTo(40);
    cv::GaussianBlur(img, img, cv::Size(), 0.25 * px);
    return img;
}

bool zxingReads(const cv::Mat& img) {
    const ZXing::ImageView view(img.data, img.cols, img.rows, ZXing::ImageFormat::Lum, int(img.step));
    return ZXing::ReadBarcode(view, ZXing::DecodeHints().setFormats(ZXing::BarcodeFormat::QRCode).setTryHarder(true)).isValid();
}

TEST(GridReader, DecodesAModuleMatrixThroughErrorCorrection) {
    cv::Mat dark = moduleMatrix(kPayload);
    ASSERT_EQ(dark.cols, 17 + 4 * 16);
    EXPECT_EQ(decodeModules(dark), kPayload);
    // 40 modules flipped in the data area (≈ 1 %): Reed–Solomon corrects them.
    cv::RNG rng(7);
    for (int i = 0; i < 40; ++i) {
        auto& m = dark.at<std::uint8_t>(rng.uniform(20, dark.rows - 10), rng.uniform(20, dark.cols - 10));
        m = m != 0 ? 0 : 255;
    }
    EXPECT_EQ(decodeModules(dark), kPayload);
}

TEST(GridReader, AMatrixOfNoiseDecodesToNothing) {
    cv::Mat noise(kModules, kModules, CV_8UC1);
    cv::RNG(11).fill(noise, cv::RNG::UNIFORM, 0, 2);
    EXPECT_EQ(decodeModules(noise * 255), std::nullopt);
    cv::Mat img(400, 400, CV_8UC1);
    cv::RNG(12).fill(img, cv::RNG::UNIFORM, 0, 256);
    EXPECT_EQ(readGrid(img, cv::Rect2f(40, 40, 320, 320), false), std::nullopt);
}

// Patterns that look like parts of a symbol: a chessboard (a strong module spectrum, no finder)
// and three finder patterns with nothing between them (finders, no data): nothing is returned.
TEST(GridReader, LookalikesReadAsNothing) {
    cv::Mat chess(400, 400, CV_8UC1);
    for (int y = 0; y < chess.rows; ++y)
        for (int x = 0; x < chess.cols; ++x) chess.at<std::uint8_t>(y, x) = ((x / 8 + y / 8) % 2) != 0 ? 40 : 210;
    EXPECT_EQ(readGrid(chess, cv::Rect2f(40, 40, 320, 320), false), std::nullopt);
    cv::Mat finders = moduleMatrix(kPayload);
    finders(cv::Rect(9, 9, kModules - 9, kModules - 9)).setTo(0);
    finders(cv::Rect(9, 0, kModules - 17, 9)).setTo(0);
    finders(cv::Rect(0, 9, 9, kModules - 17)).setTo(0);
    EXPECT_EQ(decodeModules(finders), std::nullopt);
    const cv::Mat img = render(finders, 4, 60);
    EXPECT_EQ(readGrid(img, cv::Rect2f(60, 60, float(kModules * 4), float(kModules * 4)), false), std::nullopt);
    // A box outside the image, and one too small for a version-1 symbol.
    EXPECT_EQ(readGrid(img, cv::Rect2f(-500, -500, 100, 100), false), std::nullopt);
    EXPECT_EQ(readGrid(img, cv::Rect2f(10, 10, 20, 20), false), std::nullopt);
}

TEST(GridReader, ReadsASymbolWhoseOutlineIsOffByOneAndAHalfModules) {
    const int px = 4, quiet = 60;
    const cv::Mat img = render(moduleMatrix(kPayload), px, quiet);
    const float side = float(kModules * px);
    EXPECT_EQ(readGrid(img, cv::Rect2f(quiet + 1.5f * px, quiet - 1.0f * px, side + 1.0f * px, side - 1.5f * px), false),
              kPayload);
}

TEST(GridReader, ReadsASymbolInAnyOrientation) {
    const int px = 4, quiet = 60;
    cv::Mat img = render(moduleMatrix(kPayload), px, quiet);
    for (int turn = 0; turn < 3; ++turn) {
        cv::rotate(img, img, cv::ROTATE_90_CLOCKWISE);
        EXPECT_EQ(readGrid(img, cv::Rect2f(quiet, quiet, float(kModules) * px, float(kModules) * px), false), kPayload) << turn;
    }
}

// Glare saturating the top-right finder pattern: ZXing's detector needs all three finders; the
// grid is placed on the other two and the alignment patterns, and error correction reads the
// modules under the spot as whatever the pixels show.
TEST(GridReader, ReadsASymbolWhoseFinderPatternIsWashedOut) {
    const int px = 4, quiet = 60;
    cv::Mat img = render(moduleMatrix(kPayload), px, quiet);
    cv::circle(img, cv::Point(quiet + (kModules - 4) * px, quiet + 4 * px), 6 * px, cv::Scalar(255), cv::FILLED);
    ASSERT_FALSE(zxingReads(img));
    EXPECT_EQ(readGrid(img, cv::Rect2f(quiet, quiet, float(kModules) * px, float(kModules) * px), false), kPayload);
}

// A phone held at a steep angle, its outline cut by glare: the square it is rectified to still
// shows the symbol in keystone (here the right side 0.92 of the left's height), and the spot washed
// out the bottom-left finder. A small version has one alignment pattern: the two finders and it fit
// the grid only affinely, two modules off at the lost finder's corner (≈ 15 % of the modules
// misread), until its keystone is searched for.
TEST(GridReader, ReadsAKeystonedSymbolWhoseThirdFinderIsWashedOut) {
    const std::string token = "HK1:AHIAt1BeumGwsJ6lUNxZS53KTuJRZh8a16N9QVusYXhXsHkYDn8S";
    const cv::Mat dark = moduleMatrix(token);
    const int version = (dark.cols - 17) / 4;
    ASSERT_GE(version, 2);
    ASSERT_LE(version, 6);  // one alignment pattern
    const int px = 10, quiet = 60;
    const cv::Mat flat = render(dark, px, quiet);
    const float side = float(dark.cols * px), q = float(quiet);
    const float keystone = 0.04f;  // of the side, at each end of the right edge
    const std::array<cv::Point2f, 4> from{cv::Point2f(q, q), cv::Point2f(q + side, q), cv::Point2f(q + side, q + side),
                                          cv::Point2f(q, q + side)};
    const std::array<cv::Point2f, 4> to{cv::Point2f(q, q), cv::Point2f(q + side, q + keystone * side),
                                        cv::Point2f(q + side, q + (1 - keystone) * side), cv::Point2f(q, q + side)};
    cv::Mat img;
    cv::warpPerspective(flat, img, cv::getPerspectiveTransform(from.data(), to.data()), flat.size(), cv::INTER_LINEAR,
                        cv::BORDER_REPLICATE);
    cv::circle(img, cv::Point(quiet + 3 * px, quiet + dark.rows * px - 3 * px), 7 * px, cv::Scalar(255), cv::FILLED);
    ASSERT_FALSE(zxingReads(img));
    EXPECT_EQ(readGrid(img, cv::Rect2f(q, q, side, side), false), token);
}

TEST(GridReader, ReadsADarkModeSymbolWhenToldItIsInverted) {
    const int px = 4, quiet = 60;
    cv::Mat img;
    cv::bitwise_not(render(moduleMatrix(kPayload), px, quiet), img);
    const cv::Rect2f box(quiet, quiet, float(kModules) * px, float(kModules) * px);
    EXPECT_EQ(readGrid(img, box, false), std::nullopt);
    EXPECT_EQ(readGrid(img, box, true), kPayload);
}

// The square is only where the patterns are found: the modules are sampled from the frame through
// the square's mapping, so a part of the symbol the square cut off is still read.
TEST(GridReader, SamplesTheFrameThroughTheSquaresMapping) {
    const int px = 3, quiet = 40;
    const cv::Mat frame = render(moduleMatrix(kPayload), px, quiet);
    // A square that shows the frame 1.6x enlarged and cuts off the symbol's last 12 columns.
    const double scale = 1.6;
    const cv::Matx33d frameToSquare(scale, 0, -quiet * scale + 30, 0, scale, -quiet * scale + 30, 0, 0, 1);
    cv::Mat square;
    cv::warpPerspective(frame, square, cv::Mat(frameToSquare), cv::Size(int(30 + 65 * px * scale), int(60 + kModules * px * scale)),
                        cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    const float side = float(kModules * px * scale);
    const cv::Rect2f box(30, 30, side, side);
    EXPECT_EQ(readGrid(square, box, false, frame, frameToSquare.inv()), kPayload);
}

// A read cut short by its deadline goes on from where it stopped: stopped at its first check (a
// deadline already past), then resumed, it reads what one uninterrupted read does.
TEST(GridReader, AReadStoppedAtItsDeadlineGoesOnWhenResumed) {
    const int px = 4, quiet = 60;
    cv::Mat img = render(moduleMatrix(kPayload), px, quiet);
    cv::circle(img, cv::Point(quiet + (kModules - 4) * px, quiet + 4 * px), 6 * px, cv::Scalar(255), cv::FILLED);
    const cv::Rect2f box(quiet, quiet, float(kModules) * px, float(kModules) * px);
    GridRead read(img, box, false);
    const auto past = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    EXPECT_FALSE(read.step(past));
    EXPECT_FALSE(read.step(past));  // no slice at all: no progress, but no harm
    EXPECT_FALSE(read.result().has_value());
    EXPECT_TRUE(read.step(std::chrono::steady_clock::time_point::max()));
    EXPECT_EQ(read.result(), kPayload);
    ASSERT_TRUE(read.placement().has_value());
    EXPECT_EQ(read.placement()->modules, kModules);
}

// A read's placement confirms it on another image of the scene: the same symbol there reads again;
// another symbol in its place (one phone taking another's place) does not read as the first.
TEST(GridReader, APlacementReadsTheSameSymbolAgainAndNotAnother) {
    const int px = 4, quiet = 60;
    const cv::Mat img = render(moduleMatrix(kPayload), px, quiet);
    const cv::Rect2f box(quiet, quiet, float(kModules) * px, float(kModules) * px);
    GridRead read(img, box, false);
    ASSERT_TRUE(read.step(std::chrono::steady_clock::time_point::max()));
    ASSERT_EQ(read.result(), kPayload);
    const GridPlacement placement = *read.placement();
    cv::Mat noisy = img.clone();
    cv::Mat noise(img.size(), CV_16SC1);
    cv::randn(noise, 0, 6);
    noisy.convertTo(noisy, CV_16SC1);
    noisy += noise;
    noisy.convertTo(noisy, CV_8UC1);
    EXPECT_EQ(readPlaced(noisy, placement), kPayload);  // the next frame: the same scene, new sensor noise
    const std::string other = "HC1:" + std::string(440, 'Q');
    const cv::Mat swapped = render(moduleMatrix(other), px, quiet);
    ASSERT_EQ(moduleMatrix(other).cols, kModules);
    EXPECT_NE(readPlaced(swapped, placement), kPayload);
    EXPECT_EQ(readPlaced(cv::Mat(img.size(), CV_8UC1, cv::Scalar(128)), placement), std::nullopt);
}

}  // namespace
}  // namespace sentinel::decode::detail

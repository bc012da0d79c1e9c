#include "firmware/render/QrRender.h"

#include <cmath>
#include <cstring>
#include <random>

#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace sentinel::render {
namespace {

// ZXing-cpp's MultiFormatWriter takes the QR level on a 0–8 scale (level = value / 2: 1→L, 3→M,
// 5→Q, 7→H); see zxing-cpp src/MultiFormatWriter.cpp.
int zxingEcc(EcLevel ec) {
    switch (ec) {
        case EcLevel::L: return 1;
        case EcLevel::M: return 3;
        case EcLevel::Q: return 5;
        case EcLevel::H: return 7;
    }
    return 5;
}

cv::Mat asMat(Image& img) { return cv::Mat(img.heightPx, img.widthPx, CV_8UC1, img.pixels.data()); }

Image fromMat(const cv::Mat& m) {
    Image img;
    img.widthPx = m.cols;
    img.heightPx = m.rows;
    img.pixels.resize(static_cast<std::size_t>(m.cols) * m.rows);
    for (int y = 0; y < m.rows; ++y) std::memcpy(img.pixels.data() + static_cast<std::size_t>(y) * m.cols, m.ptr(y), m.cols);
    return img;
}

cv::Mat background(int w, int h, std::uint32_t seed, bool dark) {
    std::mt19937 rng(seed);
    cv::Mat bg(h, w, CV_8UC1);
    // A soft gradient like a counter top under a lamp, plus low-frequency blotches.
    std::uniform_int_distribution<int> base(dark ? 30 : 120, dark ? 60 : 170);
    const int b0 = base(rng), b1 = base(rng);
    for (int y = 0; y < h; ++y) {
        auto* row = bg.ptr<std::uint8_t>(y);
        for (int x = 0; x < w; ++x) row[x] = static_cast<std::uint8_t>(b0 + (b1 - b0) * x / std::max(1, w - 1));
    }
    cv::Mat blotch(h / 16 + 1, w / 16 + 1, CV_8UC1);
    cv::randu(blotch, 0, 30);
    cv::resize(blotch, blotch, bg.size(), 0, 0, cv::INTER_CUBIC);
    cv::add(bg, blotch, bg);
    return bg;
}

}  // namespace

Result<Image> renderQr(std::string_view text, EcLevel ec, int modulePx, int quietModules) {
    if (modulePx < 1 || quietModules < 0) return Error{"renderQr: bad module size"};
    ZXing::BitMatrix bits;
    try {
        ZXing::MultiFormatWriter writer(ZXing::BarcodeFormat::QRCode);
        writer.setEccLevel(zxingEcc(ec)).setMargin(0).setEncoding(ZXing::CharacterSet::UTF8);
        bits = writer.encode(std::string(text), 0, 0);
    } catch (const std::exception& e) {
        return Error{std::string("renderQr: ") + e.what()};
    }
    const int modules = bits.width();
    const int side = (modules + 2 * quietModules) * modulePx;
    Image img;
    img.widthPx = img.heightPx = side;
    img.pixels.assign(static_cast<std::size_t>(side) * side, 255);
    for (int my = 0; my < modules; ++my) {
        for (int mx = 0; mx < modules; ++mx) {
            if (!bits.get(mx, my)) continue;
            for (int dy = 0; dy < modulePx; ++dy) {
                auto* row = img.pixels.data() + static_cast<std::size_t>((my + quietModules) * modulePx + dy) * side;
                std::memset(row + (mx + quietModules) * modulePx, 0, modulePx);
            }
        }
    }
    return img;
}

Result<Image> composeScene(std::string_view text, const SceneOptions& o, EcLevel ec) {
    auto code = renderQr(text, ec, 8, 4);
    if (!code) return code.error();
    cv::Mat src = asMat(*code);
    if (o.darkMode) {
        cv::Mat inv;
        cv::bitwise_not(src, inv);
        src = inv;
    }
    // Phone-screen levels: never pure black/white.
    cv::Mat screen;
    src.convertTo(screen, CV_8UC1, 200.0 / 255.0, 30);

    const double scale = o.modulePx / 8.0;
    const double side = src.cols * scale;
    const double cx = o.centreX * o.widthPx, cy = o.centreY * o.heightPx;
    const double rot = o.rotateDeg * M_PI / 180.0;
    const double tilt = o.tiltDeg * M_PI / 180.0;
    // Corners of the square code, tilted about the vertical axis (near edge grows, far edge shrinks),
    // then rotated in plane.
    const double half = side / 2.0;
    const double shrink = std::cos(tilt);
    const double persp = std::sin(tilt) * 0.25;
    std::vector<cv::Point2f> dst;
    for (auto [sx, sy] : {std::pair{-1.0, -1.0}, {1.0, -1.0}, {1.0, 1.0}, {-1.0, 1.0}}) {
        double x = sx * half * shrink;
        double y = sy * half * (1.0 + persp * sx);
        dst.emplace_back(static_cast<float>(cx + x * std::cos(rot) - y * std::sin(rot)),
                         static_cast<float>(cy + x * std::sin(rot) + y * std::cos(rot)));
    }
    std::vector<cv::Point2f> srcPts{{0, 0}, {static_cast<float>(src.cols), 0},
                                    {static_cast<float>(src.cols), static_cast<float>(src.rows)},
                                    {0, static_cast<float>(src.rows)}};
    cv::Mat H = cv::getPerspectiveTransform(srcPts, dst);
    cv::Mat frame = background(o.widthPx, o.heightPx, o.seed, o.darkMode);
    cv::Mat mask(src.size(), CV_8UC1, cv::Scalar(255));
    cv::Mat warped, warpedMask;
    cv::warpPerspective(screen, warped, H, frame.size(), cv::INTER_AREA);
    cv::warpPerspective(mask, warpedMask, H, frame.size(), cv::INTER_LINEAR);
    warped.copyTo(frame, warpedMask);
    // Sensor noise and a touch of defocus.
    cv::GaussianBlur(frame, frame, cv::Size(3, 3), 0.6);
    cv::Mat noise(frame.size(), CV_16SC1);
    cv::randn(noise, 0, 3);
    cv::Mat f16;
    frame.convertTo(f16, CV_16SC1);
    f16 += noise;
    f16.convertTo(frame, CV_8UC1);
    return fromMat(frame);
}

Image emptyScene(int widthPx, int heightPx, std::uint32_t seed) {
    cv::Mat frame = background(widthPx, heightPx, seed, false);
    cv::GaussianBlur(frame, frame, cv::Size(3, 3), 0.6);
    return fromMat(frame);
}

Status writePng(const Image& image, const std::filesystem::path& path) {
    cv::Mat m(image.heightPx, image.widthPx, CV_8UC1, const_cast<std::uint8_t*>(image.pixels.data()));
    try {
        if (!cv::imwrite(path.string(), m)) return Error{"cannot write " + path.string()};
    } catch (const cv::Exception& e) {
        return Error{"cannot write " + path.string() + ": " + e.what()};
    }
    return Ok{};
}

}  // namespace sentinel::render

#include "tests/camsim/CameraSimulator.h"

#include "firmware/issuer/TestIssuer.h"

#define ZX_USE_UTF8 1
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>

namespace sentinel::camsim {
namespace {

// ZXing-cpp's MultiFormatWriter maps ECC levels 5–6 to QR level Q (measured: 0–2 L, 3–4 M, 7–8 H).
constexpr int kZxingEccLevelQ = 5;
// ISO/IEC 18004 quiet zone: 4 modules.
constexpr int kQuietModules = 4;
// Frames are drawn at this multiple of the output size, then area-averaged down (the sensor
// integrates light over each pixel).
constexpr int kSupersample = 2;
// Keeping the whole screen in view: margin to the frame edge, and the fitting steps (shrink the
// module size by kFitShrink while it stays in the level's range, move kFitRecentre of the way to
// the centre).
constexpr float kFrameMarginPx = 8.0f;
constexpr int kFitSteps = 40;
constexpr double kFitShrink = 0.97;
constexpr double kFitRecentre = 0.15;
// Texture resolution of the code before warping (pixels per module).
constexpr int kTexturePxPerModule = 8;
constexpr std::string_view kBase64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kBase45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

// SplitMix64: a tiny, fully specified generator (std:: distributions differ between libraries;
// OpenCV's noise is drawn from a cv::RNG seeded from it, never from the global cv::theRNG()).
class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    double uniform(double lo, double hi) { return lo + (hi - lo) * double(next() >> 11) * 0x1.0p-53; }
    int integer(int lo, int hi) { return lo + int(next() % std::uint64_t(hi - lo + 1)); }  // inclusive
    bool chance(double p) { return uniform(0, 1) < p; }
    double gaussian() {  // Box–Muller
        const double u1 = std::max(uniform(0, 1), 1e-12);
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * std::numbers::pi * uniform(0, 1));
    }

private:
    std::uint64_t state_;
};

std::uint64_t mix(std::uint64_t a, std::uint64_t b) { return Rng(a * 0x100000001B3ULL ^ b).next(); }
std::uint64_t hashString(std::string_view s) {
    std::uint64_t h = 0xCBF29CE484222325ULL;  // FNV-1a
    for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ULL;
    return h;
}

std::string randomText(Rng& rng, std::string_view alphabet, int length) {
    std::string s;
    for (int i = 0; i < length; ++i) s += alphabet[rng.next() % alphabet.size()];
    return s;
}

// The impairment strengths of one category at one level.
struct Params {
    double modulePxLo = 3.8, modulePxHi = 5.5;
    double tiltDegMax = 12;        // out-of-plane rotation
    double tiltDegMin = 0;
    // Keystone: 1 − far edge / near edge (0 = the kiosk camera's own weak perspective, f ≈ 1.2 frame
    // widths). A phone held close to the lens at an angle shows up to 0.6: the camera distance is
    // then set so that the tilt produces the drawn keystone.
    double keystoneLo = 0, keystoneHi = 0;
    bool anyRotation = false;      // in-plane angle over the full circle (else ±20°)
    double blurModules = 0.12;     // Gaussian sigma as a fraction of a module
    double motionModules = 0;      // motion-blur length in modules
    double glarePeak = 0;          // added brightness at the spot centre (grey levels)
    double glareSaturatedLo = 0, glareSaturatedHi = 0;  // share of the symbol's area driven to white
    double lightGain = 1.0;        // exposure multiplier
    double noiseSigma = 2.5;       // sensor noise (grey levels)
    double moireDepth = 0;         // multiplicative interference depth
    bool inverted = false;         // dark mode
    int jpegQuality = 0;           // 0 = no JPEG
};

Params paramsFor(std::string_view category, Level level, Rng& rng) {
    Params p;
    const bool hard = level == Level::Hard;
    if (hard) {
        p.modulePxLo = 3.0;
        p.modulePxHi = 3.8;
        p.tiltDegMax = 20;
        p.noiseSigma = 3.5;
    }
    // Ranges of a handheld phone (issue 16): keystone up to 0.6 of the code's height in any direction,
    // perspective with rotation and with small modules, modules down to 2 px, motion blur up to 2.2
    // modules in any direction, defocus up to 0.6 module, glare that saturates part of the symbol.
    // The realistic level spans the common part of each range, the hard level its far end.
    if (category == "small") {
        p.modulePxLo = hard ? 1.8 : 2.0;
        p.modulePxHi = hard ? 2.3 : 3.0;
        p.anyRotation = true;
        p.tiltDegMax = hard ? 30 : 20;
        p.tiltDegMin = hard ? 10 : 0;
        p.keystoneHi = hard ? 0.25 : 0.15;
    } else if (category == "tilt") {
        p.tiltDegMin = hard ? 45 : 25;
        p.tiltDegMax = hard ? 62 : 50;
        p.keystoneLo = hard ? 0.3 : 0.1;
        p.keystoneHi = hard ? 0.6 : 0.4;
    } else if (category == "rotation") {
        p.anyRotation = true;
        p.tiltDegMin = hard ? 20 : 0;
        p.tiltDegMax = hard ? 45 : 25;
        p.keystoneHi = hard ? 0.45 : 0.25;
        p.keystoneLo = hard ? 0.15 : 0.0;
    } else if (category == "defocus") {
        p.blurModules = hard ? rng.uniform(0.45, 0.6) : rng.uniform(0.3, 0.5);
    } else if (category == "motion") {
        p.motionModules = hard ? rng.uniform(1.4, 2.2) : rng.uniform(0.7, 1.5);
    } else if (category == "glare") {
        p.glarePeak = hard ? rng.uniform(230, 320) : rng.uniform(80, 150);
        p.glareSaturatedLo = hard ? 0.04 : 0.01;
        p.glareSaturatedHi = hard ? 0.10 : 0.04;
    } else if (category == "lowlight") {
        p.lightGain = hard ? rng.uniform(0.07, 0.12) : rng.uniform(0.15, 0.3);
        p.noiseSigma = hard ? 6.0 : 4.0;
    } else if (category == "moire") {
        p.moireDepth = hard ? rng.uniform(0.35, 0.5) : rng.uniform(0.15, 0.3);
    } else if (category == "inverted") {
        p.inverted = true;
        if (hard) p.blurModules = 0.3;
    } else if (category == "jpeg") {
        p.jpegQuality = hard ? rng.integer(5, 10) : rng.integer(15, 30);
    }
    return p;
}

cv::Mat codeTexture(const ZXing::BitMatrix& m, int screenModules, double fg, double bg) {
    const int total = m.width() + 2 * screenModules;
    cv::Mat tex(total * kTexturePxPerModule, total * kTexturePxPerModule, CV_8UC1, cv::Scalar(bg));
    for (int y = 0; y < m.height(); ++y)
        for (int x = 0; x < m.width(); ++x)
            if (m.get(x, y)) {
                const cv::Rect r((x + screenModules) * kTexturePxPerModule, (y + screenModules) * kTexturePxPerModule,
                                 kTexturePxPerModule, kTexturePxPerModule);
                tex(r).setTo(cv::Scalar(fg));
            }
    return tex;
}

// Camera distance, in code sides, at which a tilt of `tiltDeg` shows `keystone` (1 − far/near edge):
// with a = (side/2)·sin(tilt)/distance, far/near = (1 − a)/(1 + a), so a = k/(2 − k).
double distanceInSides(double tiltDeg, double keystone) {
    const double a = keystone / (2.0 - keystone);
    return std::sin(tiltDeg * std::numbers::pi / 180) / (2.0 * a);
}

// QR version (1–40) ZXing's writer chooses for `text` at EC level Q.
int versionOf(const std::string& text) {
    const ZXing::BitMatrix m =
        ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode).setEccLevel(kZxingEccLevelQ).setMargin(0).encode(text, 0, 0);
    return (m.width() - 17) / 4;
}

// Longest "HC1:" + Base45 text (alphanumeric mode) that fits each version at EC level Q, found once
// with ZXing's own writer (index = version).
const std::vector<int>& hc1Capacity() {
    static const std::vector<int> kCapacity = [] {
        std::vector<int> cap(kHc1VersionMax + 1, 0);
        for (int v = kHc1VersionMin - 1; v <= kHc1VersionMax; ++v) {
            int lo = 4, hi = 4000;  // versionOf("HC1:" + lo chars) <= v < versionOf(hi chars)
            while (hi - lo > 1) {
                const int mid = (lo + hi) / 2;
                (versionOf("HC1:" + std::string(std::size_t(mid - 4), 'A')) <= v ? lo : hi) = mid;
            }
            cap[std::size_t(v)] = lo;
        }
        return cap;
    }();
    return kCapacity;
}

// A gate-side scene: smooth lighting gradient, a few objects, some texture.
cv::Mat background(Rng& rng, cv::Size size) {
    cv::Mat bg(size, CV_32FC1);
    const double base = rng.uniform(60, 170), gx = rng.uniform(-60, 60), gy = rng.uniform(-60, 60);
    for (int y = 0; y < size.height; ++y) {
        auto* row = bg.ptr<float>(y);
        for (int x = 0; x < size.width; ++x)
            row[x] = float(base + gx * x / size.width + gy * y / size.height);
    }
    const int objects = rng.integer(3, 9);
    for (int i = 0; i < objects; ++i) {
        // One draw per statement: the order of evaluation of function arguments is unspecified
        // (x86-64 GCC goes right to left, ARM GCC left to right) and the frames must not depend on it.
        const int cy = rng.integer(0, size.height);
        const int cx = rng.integer(0, size.width);
        const cv::Point c(cx, cy);
        const cv::Scalar tone(rng.uniform(20, 230));
        if (rng.chance(0.5)) {
            const int heightPx = rng.integer(40, 600);
            const int widthPx = rng.integer(40, 600);
            cv::rectangle(bg, cv::Rect(c, cv::Size(widthPx, heightPx)), tone, cv::FILLED);
        } else {
            const double angleDeg = rng.uniform(0, 180);
            const int axisYPx = rng.integer(20, 300);
            const int axisXPx = rng.integer(20, 300);
            cv::ellipse(bg, c, cv::Size(axisXPx, axisYPx), angleDeg, 0, 360, tone, cv::FILLED);
        }
    }
    cv::Mat noise(size / 8, CV_32FC1);
    cv::RNG(rng.next()).fill(noise, cv::RNG::NORMAL, 0, rng.uniform(3, 12));
    cv::resize(noise, noise, size, 0, 0, cv::INTER_CUBIC);
    bg += noise;
    return bg;
}

// The kiosk camera's focal length in px (≈ 56° horizontal field of view).
constexpr double kFocalPx = 1.2 * kFrameWidthPx;

// Perspective of a square of side `sidePx` (output pixels) centred at `centre`, rotated by
// `rollDeg` in plane and tilted by `tiltDeg` about an axis at `axisDeg`, seen by a pinhole camera
// whose centre is `depthPx` (in the units of the square's side at its centre) from the square.
std::vector<cv::Point2f> projectSquare(cv::Point2d centre, double sidePx, double rollDeg, double tiltDeg,
                                       double axisDeg, double depthPx) {
    const double f = depthPx;
    const double roll = rollDeg * std::numbers::pi / 180, tilt = tiltDeg * std::numbers::pi / 180,
                 axis = axisDeg * std::numbers::pi / 180;
    std::vector<cv::Point2f> out;
    for (auto [sx, sy] : {std::pair{-1, -1}, {1, -1}, {1, 1}, {-1, 1}}) {
        double x = sx * sidePx / 2, y = sy * sidePx / 2, z = 0;
        // in-plane roll
        double xr = x * std::cos(roll) - y * std::sin(roll), yr = x * std::sin(roll) + y * std::cos(roll);
        // tilt about an in-plane axis at angle `axis`: rotate into the axis frame, tilt, rotate back
        double u = xr * std::cos(axis) + yr * std::sin(axis), v = -xr * std::sin(axis) + yr * std::cos(axis);
        const double v2 = v * std::cos(tilt);
        z = v * std::sin(tilt);
        x = u * std::cos(axis) - v2 * std::sin(axis);
        y = u * std::sin(axis) + v2 * std::cos(axis);
        const double depth = f + z;
        out.emplace_back(float(centre.x + f * x / depth), float(centre.y + f * y / depth));
    }
    return out;
}

}  // namespace

std::string_view toString(Level level) { return level == Level::Realistic ? "realistic" : "hard"; }

Result<Level> parseLevel(std::string_view text) {
    if (text == "realistic") return Level::Realistic;
    if (text == "hard") return Level::Hard;
    return makeError("level must be realistic or hard, not '" + std::string(text) + "'");
}

const std::vector<std::string>& categories() {
    static const std::vector<std::string> kCategories{"nominal", "small",   "tilt",     "rotation", "defocus", "motion",
                                                      "glare",   "lowlight", "moire",   "inverted", "jpeg"};
    return kCategories;
}

std::string hk1Token(std::uint64_t seed) {
    Rng rng(seed);
    return "HK1:" + randomText(rng, kBase64Url, rng.integer(16, 128));
}

std::string hc1Synthetic(std::uint64_t seed) {
    Rng rng(seed);
    const int version = rng.integer(kHc1VersionMin, kHc1VersionMax);
    const auto& cap = hc1Capacity();
    const int length = rng.integer(cap[std::size_t(version - 1)] + 1, cap[std::size_t(version)]);
    return "HC1:" + randomText(rng, kBase45, length - 4);
}

int qrVersion(const std::string& payload) {
    try {
        return versionOf(payload);
    } catch (const std::exception&) {
        return 0;
    }
}

struct IssuerHc1::State {
    issuer::TestIssuer issuer = issuer::TestIssuer::generate("XX");
};

IssuerHc1::IssuerHc1() : state_(std::make_unique<State>()) {}
IssuerHc1::~IssuerHc1() = default;

std::string IssuerHc1::hc1(std::uint64_t seed) {
    Rng rng(seed);
    // A fixed validation epoch (2026-11-20T00:00:00Z) keeps the claims reproducible; NAAT or RAT,
    // sampled 1–60 h earlier, negative or (rarely) positive, as a kiosk sees them.
    const UtcTime now = fromEpochSeconds(1795132800);
    const auto type = rng.chance(0.8) ? TestType::Naat : TestType::Rat;
    const UtcTime sample = now - std::chrono::minutes(rng.integer(60, 3600));
    issuer::Hc1Spec spec = issuer::testCredential(type, sample, rng.chance(0.1), now);
    spec.certificateIdentifier = "URN:UVCI:01:XX:SIM" + randomText(rng, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", 22) + "#" +
                                 randomText(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1);
    return state_->issuer.issue(spec);
}

Result<Frame> renderFrame(std::uint64_t seed, Level level, std::string_view category, int index, Hc1Source* hc1) {
    const auto& cats = categories();
    if (std::find(cats.begin(), cats.end(), category) == cats.end()) {
        return makeError("unknown category '" + std::string(category) + "'");
    }
    Rng rng(mix(mix(seed, hashString(category)), mix(std::uint64_t(level), std::uint64_t(index))));
    const Params p = paramsFor(category, level, rng);

    Frame frame;
    const std::uint64_t payloadSeed = rng.next();
    frame.payload = (index % 2 != 0) ? hk1Token(payloadSeed)
                    : hc1 != nullptr ? hc1->hc1(payloadSeed)
                                     : hc1Synthetic(payloadSeed);
    ZXing::BitMatrix matrix;
    try {
        matrix = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
                     .setEccLevel(kZxingEccLevelQ)
                     .setMargin(0)
                     .encode(frame.payload, 0, 0);
    } catch (const std::exception& e) {
        return makeError(std::string("QR encode failed: ") + e.what());
    }

    // Phone screen or paper: light ground, dark modules (dark mode swaps them).
    const double groundTone = p.inverted ? rng.uniform(15, 45) : rng.uniform(185, 250);
    const double moduleTone = p.inverted ? rng.uniform(170, 235) : rng.uniform(10, 60);
    const int screenModules = kQuietModules + rng.integer(0, 4);
    const cv::Mat texture = codeTexture(matrix, screenModules, moduleTone, groundTone);

    frame.modulePx = rng.uniform(p.modulePxLo, p.modulePxHi);
    const int totalModules = matrix.width() + 2 * screenModules;
    double sidePx = totalModules * frame.modulePx;
    const double tilt = rng.uniform(p.tiltDegMin, p.tiltDegMax);
    const double roll = p.anyRotation ? rng.uniform(0, 360) : rng.uniform(-20, 20);
    const double reach = std::max(0.0, (kFrameHeightPx - sidePx * 1.05) / 2);
    const double reachX = std::max(0.0, (kFrameWidthPx - sidePx * 1.05) / 2);
    const double offsetY = rng.uniform(-reach, reach) * 0.8;  // before X: see background()
    const double offsetX = rng.uniform(-reachX, reachX) * 0.8;
    cv::Point2d centre(kFrameWidthPx / 2.0 + offsetX, kFrameHeightPx / 2.0 + offsetY);
    const double axis = rng.uniform(0, 360);  // the near edge faces any direction
    const double keystone = p.keystoneHi > 0 ? rng.uniform(p.keystoneLo, p.keystoneHi) : 0.0;
    const double sides = keystone > 0 && tilt > 1.0 ? distanceInSides(tilt, keystone) : 0.0;
    auto depthPx = [&] { return sides > 0 ? sides * sidePx : kFocalPx; };
    std::vector<cv::Point2f> quad = projectSquare(centre, sidePx, roll, tilt, axis, depthPx());
    // The traveller sees the preview: the whole screen is in view. A code too large for the frame at
    // this angle is shown smaller (towards the low end of the level's module size), then moved in.
    const cv::Rect2f inside(kFrameMarginPx, kFrameMarginPx, kFrameWidthPx - 2 * kFrameMarginPx,
                            kFrameHeightPx - 2 * kFrameMarginPx);
    auto fits = [&] {
        return std::all_of(quad.begin(), quad.end(), [&](const cv::Point2f& q) { return inside.contains(q); });
    };
    const cv::Point2d frameCentre(kFrameWidthPx / 2.0, kFrameHeightPx / 2.0);
    for (int step = 0; step < kFitSteps && !fits(); ++step) {
        if (frame.modulePx * kFitShrink >= p.modulePxLo) {
            frame.modulePx *= kFitShrink;
            sidePx = totalModules * frame.modulePx;
        }
        centre = centre * (1.0 - kFitRecentre) + frameCentre * kFitRecentre;
        quad = projectSquare(centre, sidePx, roll, tilt, axis, depthPx());
    }
    for (auto& q : quad) q *= float(kSupersample);

    const cv::Size big(kFrameWidthPx * kSupersample, kFrameHeightPx * kSupersample);
    cv::Mat canvas = background(rng, big);
    const float t = float(texture.cols);
    const cv::Mat h = cv::getPerspectiveTransform(std::vector<cv::Point2f>{{0, 0}, {t, 0}, {t, t}, {0, t}}, quad);
    cv::Mat texF;
    texture.convertTo(texF, CV_32F);
    if (p.moireDepth > 0) {
        // Beat between the screen's pixel grid and the sensor: a slow sinusoid across the screen.
        const double period = rng.uniform(6, 14) * kTexturePxPerModule, angle = rng.uniform(0, std::numbers::pi);
        const double phase = rng.uniform(0, 2 * std::numbers::pi);
        for (int y = 0; y < texF.rows; ++y) {
            auto* row = texF.ptr<float>(y);
            for (int x = 0; x < texF.cols; ++x) {
                const double s = (x * std::cos(angle) + y * std::sin(angle)) * 2 * std::numbers::pi / period + phase;
                const double fine = std::cos((x + y) * 2 * std::numbers::pi / (kTexturePxPerModule * 0.9));
                row[x] = float(row[x] * (1.0 - p.moireDepth * (0.5 + 0.5 * std::cos(s)) * (0.6 + 0.4 * fine)));
            }
        }
    }
    cv::warpPerspective(texF, canvas, h, big, cv::INTER_LINEAR, cv::BORDER_TRANSPARENT);

    cv::Mat img;
    cv::resize(canvas, img, cv::Size(kFrameWidthPx, kFrameHeightPx), 0, 0, cv::INTER_AREA);

    if (p.glarePeak > 0) {
        // A specular spot over part of the code (a ceiling light reflected by the screen).
        cv::Point2f c = quad[rng.integer(0, 3)] * (1.0f / kSupersample);
        const cv::Point2f mid = (quad[0] + quad[2]) * (0.5f / kSupersample);
        const float w = float(rng.uniform(0.3, 0.7));
        c = c * (1 - w) + mid * w;
        const double radius = sidePx * rng.uniform(0.15, 0.3);
        // A saturated core (the light source's image: white whatever lies under it) of the drawn
        // share of the symbol's area, fading out over the halo of the spot.
        const double saturated = rng.uniform(p.glareSaturatedLo, p.glareSaturatedHi);
        const double core = sidePx * std::sqrt(saturated / std::numbers::pi);
        for (int y = 0; y < img.rows; ++y) {
            auto* row = img.ptr<float>(y);
            for (int x = 0; x < img.cols; ++x) {
                const double d2 = (x - c.x) * (x - c.x) + (y - c.y) * (y - c.y);
                row[x] += float(p.glarePeak * std::exp(-d2 / (2 * radius * radius)));
                if (core > 0) {
                    const double d = std::sqrt(d2);
                    row[x] += d < core ? 255.0f : float(255.0 * std::exp(-(d - core) * (d - core) / (2 * 0.2 * core * 0.2 * core)));
                }
            }
        }
        cv::min(img, 255.0, img);  // the sensor saturates
    }
    const double blurPx = p.blurModules * frame.modulePx;
    if (blurPx > 0.3) cv::GaussianBlur(img, img, cv::Size(), blurPx);
    if (p.motionModules > 0) {
        const int len = std::max(2, int(std::lround(p.motionModules * frame.modulePx)));
        cv::Mat kernel = cv::Mat::zeros(len * 2 + 1, len * 2 + 1, CV_32F);
        const double a = rng.uniform(0, std::numbers::pi);
        const cv::Point2d d(std::cos(a) * len, std::sin(a) * len);
        cv::line(kernel, cv::Point2d(len, len) - d * 0.5, cv::Point2d(len, len) + d * 0.5, cv::Scalar(1.0), 1,
                 cv::LINE_AA);
        kernel /= cv::sum(kernel)[0];
        cv::filter2D(img, img, -1, kernel);
    }
    img *= p.lightGain;
    cv::Mat noise(img.size(), CV_32F);
    cv::RNG(rng.next()).fill(noise, cv::RNG::NORMAL, 0, p.noiseSigma);
    img += noise;
    img.convertTo(frame.gray, CV_8U);  // saturating
    if (p.jpegQuality > 0) {
        std::vector<unsigned char> bytes;
        cv::imencode(".jpg", frame.gray, bytes, {cv::IMWRITE_JPEG_QUALITY, p.jpegQuality});
        frame.gray = cv::imdecode(bytes, cv::IMREAD_GRAYSCALE);
    }
    return frame;
}

cv::Mat renderEmptyFrame(std::uint64_t seed, int index) {
    Rng rng(mix(mix(seed, hashString("empty")), std::uint64_t(index)));
    cv::Mat canvas = background(rng, cv::Size(kFrameWidthPx * kSupersample, kFrameHeightPx * kSupersample));
    cv::Mat img;
    cv::resize(canvas, img, cv::Size(kFrameWidthPx, kFrameHeightPx), 0, 0, cv::INTER_AREA);
    cv::Mat noise(img.size(), CV_32F);
    cv::RNG(rng.next()).fill(noise, cv::RNG::NORMAL, 0, Params{}.noiseSigma);
    img += noise;
    cv::Mat gray;
    img.convertTo(gray, CV_8U);
    return gray;
}

Result<std::filesystem::path> writeSet(const std::filesystem::path& outDir, std::uint64_t seed, Level level,
                                       int countPerCategory, int emptyCount, Hc1Source* hc1) {
    namespace fs = std::filesystem;
    const fs::path root = outDir / std::string(toString(level));
    std::error_code ec;
    fs::create_directories(root, ec);
    if (ec) return makeError("cannot create " + root.string() + ": " + ec.message());
    const fs::path manifestPath = root / "manifest.tsv";
    std::ofstream manifest(manifestPath);
    if (!manifest) return makeError("cannot write " + manifestPath.string());
    for (const std::string& category : categories()) {
        fs::create_directories(root / category, ec);
        if (ec) return makeError("cannot create " + (root / category).string() + ": " + ec.message());
        for (int i = 0; i < countPerCategory; ++i) {
            auto frame = renderFrame(seed, level, category, i, hc1);
            if (!frame) return frame.error();
            char name[64];
            std::snprintf(name, sizeof name, "%s-%03d", category.c_str(), i);
            const fs::path rel = fs::path(category) / (std::string(name) + ".png");
            if (!cv::imwrite((root / rel).string(), frame->gray)) {
                return makeError("cannot write " + (root / rel).string());
            }
            std::ofstream((root / category / (std::string(name) + ".txt")), std::ios::binary) << frame->payload;
            manifest << rel.string() << "\t@" << frame->payload << "\n";
        }
    }
    if (emptyCount > 0) {
        fs::create_directories(root / "empty", ec);
        if (ec) return makeError("cannot create " + (root / "empty").string() + ": " + ec.message());
    }
    for (int i = 0; i < emptyCount; ++i) {
        char name[64];
        std::snprintf(name, sizeof name, "empty/empty-%03d.png", i);
        if (!cv::imwrite((root / name).string(), renderEmptyFrame(seed, i))) {
            return makeError("cannot write " + (root / name).string());
        }
        manifest << name << "\t@\n";
    }
    if (!manifest.flush()) return makeError("cannot write " + manifestPath.string());
    return manifestPath;
}

}  // namespace sentinel::camsim

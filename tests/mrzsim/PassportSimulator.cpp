#include "tests/mrzsim/PassportSimulator.h"

#include <opencv2/freetype.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <numbers>

#include "firmware/mrz/MrzParser.h"
#include "tests/camsim/CameraSimulator.h"

namespace sentinel::mrzsim {
namespace {

// Doc 9303: OCR-B size 1 at 10 characters per 25.4 mm; zone lines about 4.23 mm apart (6 lines per
// 25.4 mm); TD3 data page 125 × 88 mm, TD1 card 85.6 × 54 mm. Margins below the zone are the
// simulator's choice, near the specimen pages'.
constexpr double kPitchMm = 2.54;
constexpr double kLineSpacingMm = 4.23;
constexpr double kTd3WidthMm = 125.0, kTd3HeightMm = 88.0, kTd3BottomLineMm = 6.0;
constexpr double kTd1WidthMm = 85.6, kTd1HeightMm = 54.0, kTd1BottomLineMm = 4.5;
// OCR-B metrics (OCRB.otf): advance 0.714 em, capital height 0.72 em.
constexpr double kAdvancePerEm = 0.714;
constexpr double kCapHeightPerEm = 0.72;
// Pages are drawn at this multiple of the frame's resolution, then area-averaged down.
constexpr int kSupersample = 2;
constexpr int kFrameW = camsim::kFrameWidthPx, kFrameH = camsim::kFrameHeightPx;
// Frame margin kept around the zone (px), and the camera's focal length (camsim's: ≈ 56° wide).
constexpr double kZoneMarginPx = 16.0;
constexpr double kFocalPx = 1.2 * kFrameW;
constexpr double kMaxTiltDeg = 5.0;

constexpr std::string_view kLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

const std::array<std::string_view, 40> kSurnames{
    "ERIKSSON", "MUELLER", "SMITH",  "GARCIA",  "WANG",     "LI",      "ZHANG",   "NGUYEN",  "KOWALSKI", "SILVA",
    "DUBOIS",   "ROSSI",   "TANAKA", "KIM",     "PETROV",   "OKAFOR",  "HANSEN",  "JOHANSSON", "OCONNOR", "VAN<DER<BERG",
    "AL<SAYED", "SCHMIDT", "BROWN",  "MARTIN",  "LOPEZ",    "GONZALEZ", "WILSON", "ANDERSSON", "NOVAK",   "HORVATH",
    "YILMAZ",   "SATO",    "CHEN",   "LIU",     "FERNANDES", "MORENO", "BAKER",   "KUMAR",   "SINGH",    "ABDULLAH"};
const std::array<std::string_view, 40> kGivenNames{
    "ANNA",   "MARIA",  "JOHN",    "PETER",  "WEI",    "XIAOMING", "LUCAS",  "SOPHIE", "AHMED",   "FATIMA",
    "JUAN",   "CARLOS", "YUKI",    "HANA",   "OLGA",   "IVAN",     "CHIDI",  "EMMA",   "NOAH",    "LIAM",
    "MIA",    "LEON",   "ELENA",   "MARCO",  "SARA",   "DAVID",    "JAMES",  "LINDA",  "ROBERT",  "MICHAEL",
    "AYSE",   "MEHMET", "PRIYA",   "ARJUN",  "CHLOE",  "HUGO",     "INES",   "TOMAS",  "ZOFIA",   "KAROLINA"};
const std::array<std::string_view, 30> kStates{"UTO", "D<<", "GBR", "FRA", "CHN", "USA", "JPN", "KOR", "ITA", "ESP",
                                               "NLD", "SWE", "NOR", "POL", "CZE", "HUN", "TUR", "IND", "BRA", "MEX",
                                               "CAN", "AUS", "NZL", "ZAF", "NGA", "EGY", "RUS", "UKR", "VNM", "PHL"};

// SplitMix64, as in tests/camsim (std:: distributions differ between libraries).
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
    int integer(int lo, int hi) { return lo + int(next() % std::uint64_t(hi - lo + 1)); }
    bool chance(double p) { return uniform(0, 1) < p; }
    template <class C>
    auto pick(const C& c) {
        return c[std::size_t(next() % c.size())];
    }
    std::string text(std::string_view alphabet, int n) {
        std::string s;
        for (int i = 0; i < n; ++i) s += alphabet[std::size_t(next() % alphabet.size())];
        return s;
    }

private:
    std::uint64_t state_;
};

std::uint64_t mix(std::uint64_t a, std::uint64_t b) { return Rng(a * 0x100000001B3ULL ^ b).next(); }
std::uint64_t hashString(std::string_view s) {
    std::uint64_t h = 0xCBF29CE484222325ULL;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ULL;
    return h;
}

std::string padded(std::string s, std::size_t n) {
    if (s.size() > n) s.resize(n);
    s.append(n - s.size(), '<');
    return s;
}

char digit(std::string_view field) { return char('0' + mrz::checkDigit(field)); }

std::string date(Rng& rng, int yearLo, int yearHi) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d%02d%02d", rng.integer(yearLo, yearHi) % 100, rng.integer(1, 12), rng.integer(1, 28));
    return buf;
}

std::string nameField(std::string_view primary, std::string_view given, std::size_t width) {
    std::string s(primary);
    if (!given.empty()) s += "<<" + std::string(given);
    return padded(s, width);
}

std::vector<std::string> td1Mrz(Rng& rng) {
    const std::string state(rng.pick(kStates)), nationality(rng.chance(0.8) ? state : std::string(rng.pick(kStates)));
    std::string code = rng.chance(0.7) ? "I<" : (rng.chance(0.5) ? "ID" : "AC");
    std::string l1 = code + state;
    const bool longNumber = rng.chance(0.1);
    if (longNumber) {
        const std::string number = rng.text(kAlnum, rng.integer(10, 12));
        l1 += number.substr(0, 9) + "<" + number.substr(9) + digit(number);
    } else {
        const std::string number = padded(rng.text(kAlnum, rng.integer(8, 9)), 9);
        l1 += number + digit(number);
    }
    l1 += rng.chance(0.4) ? rng.text(kAlnum, rng.integer(3, 8)) : "";
    l1 = padded(l1, mrz::kTd1LineLength);
    const std::string birth = date(rng, 1940, 2019), expiry = date(rng, 2026, 2036);
    const char sex = rng.chance(0.45) ? 'M' : rng.chance(0.9) ? 'F' : '<';
    std::string l2 = birth + digit(birth) + sex + expiry + digit(expiry) + padded(nationality, 3) +
                     padded(rng.chance(0.3) ? rng.text(kAlnum, rng.integer(2, 11)) : "", 11);
    std::string composite = l1.substr(5, 25) + l2.substr(0, 7) + l2.substr(8, 7) + l2.substr(18, 11);
    l2 += digit(composite);
    std::string given(rng.pick(kGivenNames));
    if (rng.chance(0.4)) given += "<" + std::string(rng.pick(kGivenNames));
    return {l1, l2, nameField(rng.pick(kSurnames), given, mrz::kTd1LineLength)};
}

// ---- drawing ----

struct Fonts {
    std::map<std::string, cv::Ptr<cv::freetype::FreeType2>> byFile;
    cv::Ptr<cv::freetype::FreeType2> get(const std::string& dir, const std::string& file) {
        auto it = byFile.find(file);
        if (it != byFile.end()) return it->second;
        auto ft = cv::freetype::createFreeType2();
        ft->loadFontData(dir + "/" + file, 0);
        byFile[file] = ft;
        return ft;
    }
};

Fonts& fonts() {
    static Fonts f;
    return f;
}

// OCR-B text, one character per cell of `pitchPx` (monospaced as printed), centred on `centreY`.
void drawMrzLine(cv::Mat& page, cv::freetype::FreeType2& ft, const std::string& text, double x0, double centreY,
                 double pitchPx, double ink, Rng& rng) {
    const int em = int(std::lround(pitchPx / kAdvancePerEm));
    for (std::size_t i = 0; i < text.size(); ++i) {
        // A printer's placement varies a little from character to character.
        const double jx = rng.uniform(-0.03, 0.03) * pitchPx, jy = rng.uniform(-0.03, 0.03) * pitchPx;
        const cv::Point org(int(std::lround(x0 + double(i) * pitchPx + jx)),
                            int(std::lround(centreY + kCapHeightPerEm * em / 2.0 + jy)));
        ft.putText(page, std::string(1, text[i]), org, em, cv::Scalar::all(ink), -1, cv::LINE_AA, true);
    }
}

void drawGuilloche(cv::Mat& page, double tone, Rng& rng) {
    const int curves = rng.integer(8, 16);
    for (int c = 0; c < curves; ++c) {
        std::vector<cv::Point> pts;
        const double y0 = rng.uniform(0, page.rows), amp = rng.uniform(0.03, 0.2) * page.rows;
        const double period = rng.uniform(0.1, 0.5) * page.cols, phase = rng.uniform(0, 6.3);
        for (int x = 0; x <= page.cols; x += 4)
            pts.emplace_back(x, int(y0 + amp * std::sin(2 * std::numbers::pi * x / period + phase)));
        cv::polylines(page, pts, false, cv::Scalar::all(tone + rng.uniform(-8, 8)), rng.integer(1, 3), cv::LINE_AA);
    }
}

void drawVizText(cv::Mat& page, double pxPerMm, cv::Rect2d areaMm, double ink, Rng& rng) {
    double y = areaMm.y;
    while (y < areaMm.y + areaMm.height) {
        const double captionMm = rng.uniform(1.2, 1.8), valueMm = rng.uniform(2.0, 3.2);
        const cv::Point pc(int((areaMm.x) * pxPerMm), int((y + captionMm) * pxPerMm));
        cv::putText(page, rng.chance(0.5) ? "Surname / Nom" : "Date of birth / Date de naissance", pc,
                    cv::FONT_HERSHEY_SIMPLEX, captionMm * pxPerMm / 22.0, cv::Scalar::all(ink + 60), 1, cv::LINE_AA);
        y += captionMm + 0.8;
        std::string value = rng.chance(0.5) ? std::string(rng.pick(kSurnames)) : rng.text(kDigits, 2) + " AUG " + rng.text(kDigits, 4);
        std::replace(value.begin(), value.end(), '<', ' ');
        const cv::Point pv(int(areaMm.x * pxPerMm), int((y + valueMm) * pxPerMm));
        cv::putText(page, value, pv, rng.chance(0.5) ? cv::FONT_HERSHEY_SIMPLEX : cv::FONT_HERSHEY_DUPLEX,
                    valueMm * pxPerMm / 22.0, cv::Scalar::all(ink), std::max(1, int(valueMm * pxPerMm / 12)), cv::LINE_AA);
        y += valueMm + 2.0;
    }
}

struct Impairment {
    double blurPitches = 0.04;    // Gaussian sigma in pitches (beyond the optics' 0.35 px)
    double motionPitches = 0;     // motion blur length in pitches
    double gain = 1.0;            // exposure
    double gradient = 0.15;       // illumination falloff across the frame (share)
    double noise = 2.5;           // grey levels
    double glarePeak = 0;         // grey levels added at the spot centre
    double glareCoreShare = 0;    // share of the zone's area driven to white
    bool glareOnZone = false;
    int jpegQuality = 0;
};

Impairment impairmentFor(std::string_view category, Rng& rng) {
    Impairment p;
    if (category == "defocus") {
        p.blurPitches = rng.uniform(0.08, 0.16);
    } else if (category == "motion") {
        p.motionPitches = rng.uniform(0.15, 0.35);
    } else if (category == "light") {
        p.gain = rng.uniform(0.3, 0.6);
        p.gradient = rng.uniform(0.3, 0.6);
        p.noise = rng.uniform(3.0, 5.0);
    } else if (category == "glare") {
        p.glarePeak = rng.uniform(80, 220);
        p.glareCoreShare = rng.uniform(0.002, 0.02);
        p.glareOnZone = rng.chance(0.6);
    } else if (category == "jpeg") {
        p.jpegQuality = rng.integer(20, 45);
    } else if (category == "card") {
        p.blurPitches = rng.uniform(0.03, 0.1);
        p.gain = rng.uniform(0.6, 1.1);
        p.gradient = rng.uniform(0.1, 0.35);
    }
    return p;
}

// Page point (page pixels) → frame point for a page drawn at `pagePxPerFramePx` page pixels per
// frame pixel, the zone centre `zoneCentre` (page pixels) put at `at` (frame pixels).
struct Pose {
    double rollDeg = 0, tiltDeg = 0, axisDeg = 0;
    cv::Point2d zoneCentrePage, at;
    double pagePerFrame = 1;
    cv::Point2d map(cv::Point2d p) const {
        const double x = (p.x - zoneCentrePage.x) / pagePerFrame, y = (p.y - zoneCentrePage.y) / pagePerFrame;
        const double r = rollDeg * std::numbers::pi / 180, t = tiltDeg * std::numbers::pi / 180, a = axisDeg * std::numbers::pi / 180;
        const double xr = x * std::cos(r) - y * std::sin(r), yr = x * std::sin(r) + y * std::cos(r);
        const double u = xr * std::cos(a) + yr * std::sin(a), v = -xr * std::sin(a) + yr * std::cos(a);
        const double v2 = v * std::cos(t), z = v * std::sin(t);
        const double X = u * std::cos(a) - v2 * std::sin(a), Y = u * std::sin(a) + v2 * std::cos(a);
        return {at.x + kFocalPx * X / (kFocalPx + z), at.y + kFocalPx * Y / (kFocalPx + z)};
    }
};

void applyImpairments(cv::Mat& img, const Impairment& p, double pitchPx, const std::vector<cv::Point2f>& zone, Rng& rng) {
    // Illumination: exposure and a smooth falloff across the frame in a random direction.
    const double dir = rng.uniform(0, 2 * std::numbers::pi);
    for (int y = 0; y < img.rows; ++y) {
        auto* row = img.ptr<float>(y);
        for (int x = 0; x < img.cols; ++x) {
            const double s = ((x - img.cols / 2.0) * std::cos(dir) + (y - img.rows / 2.0) * std::sin(dir)) / img.cols;
            row[x] = float(row[x] * p.gain * (1.0 - p.gradient * (0.5 + s)));
        }
    }
    if (p.glarePeak > 0) {
        // A ceiling light reflected by the laminate: a soft spot with a saturated core.
        const cv::Rect2f zr = cv::boundingRect(zone);
        const double zoneLen = std::max(zr.width, zr.height);
        cv::Point2f c;
        if (p.glareOnZone) {
            c = cv::Point2f(float(zr.x + rng.uniform(0.1, 0.9) * zr.width), float(zr.y + rng.uniform(0.0, 1.0) * zr.height));
        } else {
            c = cv::Point2f(float(zr.x + rng.uniform(0, 1) * zr.width), float(zr.y - rng.uniform(0.5, 3.0) * zr.height));
        }
        const double radius = zoneLen * rng.uniform(0.08, 0.2);
        const double core = std::sqrt(p.glareCoreShare * zr.area() / std::numbers::pi);
        for (int y = 0; y < img.rows; ++y) {
            auto* row = img.ptr<float>(y);
            for (int x = 0; x < img.cols; ++x) {
                const double d2 = (x - c.x) * (x - c.x) + (y - c.y) * (y - c.y);
                row[x] += float(p.glarePeak * std::exp(-d2 / (2 * radius * radius)));
                const double d = std::sqrt(d2);
                if (core > 0) row[x] += d < core ? 255.0f : float(255.0 * std::exp(-(d - core) * (d - core) / (2 * 0.04 * core * core)));
            }
        }
        cv::min(img, 255.0, img);
    }
    const double sigma = std::hypot(0.35, p.blurPitches * pitchPx);
    cv::GaussianBlur(img, img, cv::Size(), sigma);
    if (p.motionPitches > 0) {
        const int len = std::max(2, int(std::lround(p.motionPitches * pitchPx)));
        cv::Mat kernel = cv::Mat::zeros(len * 2 + 1, len * 2 + 1, CV_32F);
        const double a = rng.uniform(0, std::numbers::pi);
        const cv::Point2d d(std::cos(a) * len, std::sin(a) * len);
        cv::line(kernel, cv::Point2d(len, len) - d * 0.5, cv::Point2d(len, len) + d * 0.5, cv::Scalar(1.0), 1, cv::LINE_AA);
        kernel /= cv::sum(kernel)[0];
        cv::filter2D(img, img, -1, kernel);
    }
    cv::Mat noise(img.size(), CV_32F);
    cv::RNG(rng.next()).fill(noise, cv::RNG::NORMAL, 0, p.noise);
    img += noise;
}

cv::Mat finish(const cv::Mat& img, int jpegQuality) {
    cv::Mat gray;
    img.convertTo(gray, CV_8U);
    if (jpegQuality > 0) {
        std::vector<unsigned char> bytes;
        cv::imencode(".jpg", gray, bytes, {cv::IMWRITE_JPEG_QUALITY, jpegQuality});
        gray = cv::imdecode(bytes, cv::IMREAD_GRAYSCALE);
    }
    return gray;
}

// Draws a document with `lines` of OCR-B text (an MRZ, or look-alike text) and composes the frame.
Result<Scene> composeDocument(Rng& rng, const std::vector<std::string>& lines, std::string_view category,
                              const RenderOptions& options, std::uint64_t backgroundSeed, int backgroundIndex) {
    const bool td1 = lines.size() == 3;
    const double widthMm = td1 ? kTd1WidthMm : kTd3WidthMm, heightMm = td1 ? kTd1HeightMm : kTd3HeightMm;
    const double pitchPx = options.pitchPx > 0 ? options.pitchPx : rng.uniform(kMinPitchPx, kMaxPitchPx);
    const double rollDeg = options.rollDeg < 360 ? options.rollDeg : rng.uniform(-kMaxRollDeg, kMaxRollDeg);
    const double tiltDeg = rng.uniform(0, kMaxTiltDeg), axisDeg = rng.uniform(0, 360);
    const Impairment imp = impairmentFor(category, rng);

    // The page at kSupersample × the frame's resolution.
    const double pxPerMm = kSupersample * pitchPx / kPitchMm;
    const cv::Size pageSize(int(widthMm * pxPerMm), int(heightMm * pxPerMm));
    const double paper = rng.uniform(185, 240), ink = rng.uniform(10, 65);
    cv::Mat page(pageSize, CV_8UC3, cv::Scalar::all(paper));
    drawGuilloche(page, paper - rng.uniform(12, 35), rng);
    if (!td1) {
        const cv::Rect photo(int(4 * pxPerMm), int(18 * pxPerMm), int(32 * pxPerMm), int(42 * pxPerMm));
        cv::rectangle(page, photo, cv::Scalar::all(rng.uniform(90, 170)), cv::FILLED);
        cv::ellipse(page, (photo.tl() + photo.br()) / 2, cv::Size(photo.width / 3, photo.height / 3), 0, 0, 360,
                    cv::Scalar::all(rng.uniform(120, 210)), cv::FILLED, cv::LINE_AA);
        drawVizText(page, pxPerMm, cv::Rect2d(40, 16, 80, 48), ink, rng);
        cv::putText(page, "PASSPORT  PASSEPORT", cv::Point(int(40 * pxPerMm), int(10 * pxPerMm)), cv::FONT_HERSHEY_DUPLEX,
                    3.0 * pxPerMm / 22.0, cv::Scalar::all(ink + 40), std::max(1, int(pxPerMm / 4)), cv::LINE_AA);
    } else {
        drawVizText(page, pxPerMm, cv::Rect2d(5, 4, 70, 22), ink, rng);
    }
    // Regular OCR-B mostly, sometimes the package's "sharp" cut (OCRBL is slanted, OCRBE/X are
    // reversed, OCRBF outlined: no MRZ is printed in those).
    const std::string fontFile = rng.chance(0.8) ? "OCRB.otf" : "OCRBS.otf";
    cv::Ptr<cv::freetype::FreeType2> ft;
    try {
        ft = fonts().get(options.fontDir, fontFile);
    } catch (const cv::Exception&) {
        return makeError("cannot load " + options.fontDir + "/" + fontFile);
    }
    const int n = int(lines.size());
    const double lineLen = double(lines[0].size());
    const double x0Mm = (widthMm - lineLen * kPitchMm) / 2 + rng.uniform(-0.5, 0.5);
    const double bottomMm = heightMm - (td1 ? kTd1BottomLineMm : kTd3BottomLineMm) + rng.uniform(-0.4, 0.4);
    for (int l = 0; l < n; ++l) {
        const double cy = (bottomMm - (n - 1 - l) * kLineSpacingMm) * pxPerMm;
        drawMrzLine(page, *ft, lines[std::size_t(l)], x0Mm * pxPerMm, cy, kPitchMm * pxPerMm, ink, rng);
    }
    if (rng.chance(0.25)) cv::erode(page, page, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));  // heavier print
    cv::Mat pageGray;
    cv::cvtColor(page, pageGray, cv::COLOR_BGR2GRAY);
    pageGray.convertTo(pageGray, CV_32F);

    // Pose: the zone's centre anywhere the whole zone stays in view.
    Pose pose;
    pose.rollDeg = rollDeg;
    pose.tiltDeg = tiltDeg;
    pose.axisDeg = axisDeg;
    pose.pagePerFrame = kSupersample;
    const double zoneTop = (bottomMm - (n - 1) * kLineSpacingMm - kPitchMm) * pxPerMm;
    const double zoneBottom = (bottomMm + kPitchMm) * pxPerMm;
    const double zoneLeft = (x0Mm - 0.5) * pxPerMm, zoneRight = (x0Mm + lineLen * kPitchMm + 0.5) * pxPerMm;
    pose.zoneCentrePage = cv::Point2d((zoneLeft + zoneRight) / 2, (zoneTop + zoneBottom) / 2);
    pose.at = cv::Point2d(0, 0);
    std::vector<cv::Point2d> zoneCorners{{zoneLeft, zoneTop}, {zoneRight, zoneTop}, {zoneRight, zoneBottom}, {zoneLeft, zoneBottom}};
    double minX = 1e9, maxX = -1e9, minY = 1e9, maxY = -1e9;
    for (const auto& c : zoneCorners) {
        const cv::Point2d q = pose.map(c);
        minX = std::min(minX, q.x), maxX = std::max(maxX, q.x), minY = std::min(minY, q.y), maxY = std::max(maxY, q.y);
    }
    const double loX = kZoneMarginPx - minX, hiX = kFrameW - kZoneMarginPx - maxX;
    const double loY = kZoneMarginPx - minY, hiY = kFrameH - kZoneMarginPx - maxY;
    if (hiX < loX || hiY < loY) return makeError("zone does not fit the frame");
    const double atY = rng.uniform(loY, hiY);
    pose.at = cv::Point2d(rng.uniform(loX, hiX), atY);

    const cv::Size big(kFrameW * kSupersample, kFrameH * kSupersample);
    cv::Mat background;
    camsim::renderEmptyFrame(backgroundSeed, backgroundIndex).convertTo(background, CV_32F);
    cv::Mat canvas;
    cv::resize(background, canvas, big, 0, 0, cv::INTER_LINEAR);
    const std::vector<cv::Point2f> src{{0, 0}, {float(pageSize.width), 0}, {float(pageSize.width), float(pageSize.height)},
                                       {0, float(pageSize.height)}};
    std::vector<cv::Point2f> dst;
    for (const auto& s : src) dst.push_back(pose.map(s) * double(kSupersample));
    const cv::Mat h = cv::getPerspectiveTransform(src, dst);
    cv::warpPerspective(pageGray, canvas, h, big, cv::INTER_LINEAR, cv::BORDER_TRANSPARENT);
    cv::Mat img;
    cv::resize(canvas, img, cv::Size(kFrameW, kFrameH), 0, 0, cv::INTER_AREA);
    std::vector<cv::Point2f> zoneInFrame;
    for (const auto& c : zoneCorners) zoneInFrame.push_back(pose.map(c));
    applyImpairments(img, imp, pitchPx, zoneInFrame, rng);

    Scene scene;
    scene.gray = finish(img, imp.jpegQuality);
    scene.pitchPx = pitchPx;
    scene.category = std::string(category);
    for (int l = 0; l < n; ++l) {
        const double cy = (bottomMm - (n - 1 - l) * kLineSpacingMm) * pxPerMm;
        for (std::size_t i = 0; i < lines[std::size_t(l)].size(); ++i)
            scene.charCentres.push_back(pose.map(cv::Point2d((x0Mm + (double(i) + 0.5) * kPitchMm) * pxPerMm, cy)));
    }
    return scene;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) s += (s.empty() ? "" : " ") + l;
    return s;
}

cv::Mat textSheet(Rng& rng, std::uint64_t backgroundSeed, int index) {
    cv::Mat img;
    camsim::renderEmptyFrame(backgroundSeed, index).convertTo(img, CV_32F);
    const cv::Rect sheet(rng.integer(20, 300), rng.integer(20, 200), rng.integer(600, 900), rng.integer(300, 480));
    const cv::Rect in = sheet & cv::Rect(0, 0, img.cols, img.rows);
    img(in).setTo(cv::Scalar(rng.uniform(190, 240)));
    double y = in.y + 30;
    while (y < in.y + in.height - 10) {
        const double scale = rng.uniform(0.4, 0.9);
        std::string line;
        const int words = rng.integer(4, 9);
        for (int w = 0; w < words; ++w) line += rng.text(rng.chance(0.8) ? kLetters : kDigits, rng.integer(2, 9)) + " ";
        cv::putText(img, line, cv::Point(in.x + 10, int(y)), cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(rng.uniform(10, 70)),
                    rng.integer(1, 2), cv::LINE_AA);
        y += scale * 40;
    }
    applyImpairments(img, Impairment{}, 12.0, {in.tl(), in.br()}, rng);
    return finish(img, 0);
}

}  // namespace

const std::vector<std::string>& documentCategories() {
    static const std::vector<std::string> k{"nominal", "defocus", "motion", "light", "glare", "jpeg", "card"};
    return k;
}

const std::vector<std::string>& negativeCategories() {
    static const std::vector<std::string> k{"empty", "qr", "text"};
    return k;
}

std::vector<std::string> td3Mrz(std::string_view state, std::string_view primary, std::string_view given,
                                std::string_view number, std::string_view nationality, std::string_view birthYymmdd,
                                char sex, std::string_view expiryYymmdd, std::string_view personalNumber) {
    const std::string l1 = padded("P<" + padded(std::string(state), 3) + nameField(primary, given, 39), mrz::kTd3LineLength);
    const std::string num = padded(std::string(number), 9), pn = padded(std::string(personalNumber), 14);
    std::string l2 = num + digit(num) + padded(std::string(nationality), 3) + std::string(birthYymmdd) + digit(birthYymmdd) +
                     sex + std::string(expiryYymmdd) + digit(expiryYymmdd) + pn +
                     (personalNumber.empty() ? '<' : digit(pn));
    const std::string composite = l2.substr(0, 10) + l2.substr(13, 7) + l2.substr(21, 22);
    l2 += digit(composite);
    return {l1, l2};
}

std::vector<std::string> randomMrz(std::uint64_t seed, DocKind kind) {
    Rng rng(seed);
    if (kind == DocKind::Td1) return td1Mrz(rng);
    const std::string state(rng.pick(kStates));
    const std::string nationality = rng.chance(0.8) ? state : std::string(rng.pick(kStates));
    std::string given(rng.pick(kGivenNames));
    if (rng.chance(0.4)) given += "<" + std::string(rng.pick(kGivenNames));
    std::string primary(rng.pick(kSurnames));
    if (rng.chance(0.15)) primary += "<" + std::string(rng.pick(kSurnames));
    const std::string number = rng.chance(0.7) ? rng.text(kLetters, rng.integer(1, 2)) + rng.text(kDigits, 7) : rng.text(kAlnum, 9);
    const std::string birth = date(rng, 1940, 2019), expiry = date(rng, 2026, 2036);
    const char sex = rng.chance(0.45) ? 'M' : rng.chance(0.9) ? 'F' : '<';
    const std::string personal = rng.chance(0.5) ? rng.text(kAlnum, rng.integer(6, 14)) : "";
    return td3Mrz(state, primary, given, number, nationality, birth, sex, expiry, personal);
}

Result<Scene> renderMrz(std::uint64_t seed, const std::vector<std::string>& lines, const RenderOptions& options) {
    Rng rng(mix(seed, hashString(joined(lines))));
    try {
        auto scene = composeDocument(rng, lines, "nominal", options, seed, 0);
        if (scene) scene->expected = joined(lines);
        return scene;
    } catch (const cv::Exception& e) {
        return makeError(std::string("render failed: ") + e.what());
    }
}

Result<Scene> renderScene(std::uint64_t seed, std::string_view category, int index, const RenderOptions& options) {
    Rng rng(mix(mix(seed, hashString(category)), std::uint64_t(index)));
    const std::uint64_t backgroundSeed = rng.next();
    try {
        if (category == "empty" || category == "qr" || category == "text") {
            Scene scene;
            scene.category = std::string(category);
            if (category == "empty") {
                scene.gray = camsim::renderEmptyFrame(backgroundSeed, index);
            } else if (category == "qr") {
                const auto& cats = camsim::categories();
                auto frame = camsim::renderFrame(backgroundSeed, camsim::Level::Realistic, cats[std::size_t(index) % cats.size()], index);
                if (!frame) return frame.error();
                scene.gray = frame->gray;
            } else if (index % 2 == 0) {
                // OCR-B text in an MRZ's place and shape whose check digits do not hold.
                std::vector<std::string> lines = randomMrz(rng.next(), DocKind::Td3);
                for (auto& l : lines)
                    for (char& ch : l)
                        if (rng.chance(0.3)) ch = kAlnum[std::size_t(rng.next() % kAlnum.size())];
                auto doc = composeDocument(rng, lines, "nominal", options, backgroundSeed, index);
                if (!doc) return doc.error();
                scene.gray = doc->gray;
            } else {
                scene.gray = textSheet(rng, backgroundSeed, index);
            }
            return scene;
        }
        const auto& cats = documentCategories();
        if (std::find(cats.begin(), cats.end(), category) == cats.end()) {
            return makeError("unknown category '" + std::string(category) + "'");
        }
        const std::vector<std::string> lines = randomMrz(rng.next(), category == "card" ? DocKind::Td1 : DocKind::Td3);
        auto scene = composeDocument(rng, lines, category, options, backgroundSeed, index);
        if (scene) scene->expected = joined(lines);
        return scene;
    } catch (const cv::Exception& e) {
        return makeError(std::string("render failed: ") + e.what());
    }
}

Result<std::filesystem::path> writeSet(const std::filesystem::path& outDir, std::uint64_t seed, int perCategory,
                                       int negatives, const RenderOptions& options) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(outDir, ec);
    if (ec) return makeError("cannot create " + outDir.string() + ": " + ec.message());
    const fs::path manifestPath = outDir / "manifest.tsv";
    std::ofstream manifest(manifestPath);
    if (!manifest) return makeError("cannot write " + manifestPath.string());
    auto writeCategory = [&](const std::string& category, int count) -> Status {
        fs::create_directories(outDir / category, ec);
        if (ec) return makeError("cannot create " + (outDir / category).string());
        for (int i = 0; i < count; ++i) {
            auto scene = renderScene(seed, category, i, options);
            if (!scene) return scene.error();
            char name[96];
            std::snprintf(name, sizeof name, "%s/%s-%03d.png", category.c_str(), category.c_str(), i);
            if (!cv::imwrite((outDir / name).string(), scene->gray)) return makeError("cannot write " + (outDir / name).string());
            manifest << name << '\t' << scene->expected;
            if (scene->pitchPx > 0) manifest << "\tpitch=" << std::lround(scene->pitchPx * 10) / 10.0;
            manifest << '\n';
        }
        return Ok{};
    };
    for (const auto& c : documentCategories()) {
        auto s = writeCategory(c, perCategory);
        if (!s) return s.error();
    }
    for (const auto& c : negativeCategories()) {
        auto s = writeCategory(c, negatives);
        if (!s) return s.error();
    }
    if (!manifest.flush()) return makeError("cannot write " + manifestPath.string());
    return manifestPath;
}

}  // namespace sentinel::mrzsim

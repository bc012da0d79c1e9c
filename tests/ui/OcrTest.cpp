// OCR (tesseract chi_sim+eng) reads the reason back from rendered screens in both languages: a
// missing glyph (a box instead of a character) or clipped text fails here. And `sentinel demo
// --screenshots` end to end: one screen per decision, in its decision's colour, with the same
// bilingual reason text as the console line.
#include <gtest/gtest.h>

#include <cstdio>
#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "drivers/display/PngDisplay.h"
#include "firmware/app/Cli.h"
#include "firmware/ui/Composer.h"
#include "firmware/ui/Texts.h"
#include "tests/support/TestSupport.h"

namespace sentinel {
namespace {

// Tesseract reads dark text on a light page at moderate glyph sizes best, so the screen is first
// turned into that (as a scanner would): each pixel is ink when its colour is far from its row's
// background (the pixel at the left margin: the band colour or the dark panel), and the page is
// scaled so its short side is ~400 px (glyphs of 20–40 px). Nothing about the text is assumed.
constexpr int kInkDistance = 120;      // sum of |ΔR|+|ΔG|+|ΔB| from the row background
constexpr double kOcrShortSidePx = 400;
constexpr double kMaxGlyphOfHeight = 0.12;  // the largest font is 0.095 of the screen height

std::string ocr(const std::filesystem::path& png) {
    auto img = display::readRgbImage(png);
    if (!img) return "(unreadable " + png.string() + ")";
    cv::Mat page(img->heightPx, img->widthPx, CV_8UC1);
    for (int y = 0; y < img->heightPx; ++y) {
        const std::uint8_t* bg = img->at(1, y);
        for (int x = 0; x < img->widthPx; ++x) {
            const std::uint8_t* p = img->at(x, y);
            const int d = std::abs(p[0] - bg[0]) + std::abs(p[1] - bg[1]) + std::abs(p[2] - bg[2]);
            page.at<std::uint8_t>(y, x) = d > kInkDistance ? 0 : 255;
        }
    }
    // Graphics out, as a document scanner does: ink blobs taller than any glyph can be (the ✓ ✗ !
    // symbol and its ring) confuse tesseract's line finding next to them.
    cv::Mat ink = page == 0, labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(ink, labels, stats, centroids, 8);
    for (int i = 1; i < n; ++i) {
        if (stats.at<int>(i, cv::CC_STAT_HEIGHT) > kMaxGlyphOfHeight * page.rows) page.setTo(255, labels == i);
    }
    const double scale = kOcrShortSidePx / std::min(img->widthPx, img->heightPx);
    cv::Mat scaled;
    cv::resize(page, scaled, cv::Size(), scale, scale, cv::INTER_AREA);
    const auto pagePng = png.parent_path() / (png.stem().string() + ".ocr-page.png");
    cv::imwrite(pagePng.string(), scaled);
    std::string out;
    // Two page-segmentation modes, read together: 6 = one uniform block of text (the screen's
    // lines top to bottom), 11 = sparse text. Tesseract's line finder now and then drops a short
    // line of large CJK in one mode; a glyph drawn as a box is read by neither.
    for (const char* psm : {"6", "11"}) {
        const std::string cmd = "tesseract '" + pagePng.string() + "' stdout -l chi_sim+eng --psm " + psm + " 2>/dev/null";
        if (FILE* p = ::popen(cmd.c_str(), "r")) {
            char buf[512];
            while (std::fgets(buf, sizeof buf, p)) out += buf;
            ::pclose(p);
        }
        out += "\n";
    }
    std::filesystem::remove(pagePng);
    return out;
}

// Code points of a UTF-8 string.
std::u32string decode(const std::string& s) {
    std::u32string out;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        char32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
        for (int k = 1; k < n && i + static_cast<std::size_t>(k) < s.size(); ++k) {
            cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
        }
        out.push_back(cp);
        i += static_cast<std::size_t>(n);
    }
    return out;
}

// What OCR is compared on: Chinese characters only (punctuation and spacing vary), and for English
// lower-case letters and digits only (OCR drops spaces, reads — as - or _, and I as l).
std::u32string hanOnly(const std::string& s) {
    std::u32string out;
    for (char32_t c : decode(s)) {
        if (c >= 0x4E00 && c <= 0x9FFF) out.push_back(c);
    }
    return out;
}
std::string latinOnly(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (!std::isalnum(static_cast<unsigned char>(c))) continue;
        const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        // I, l and 1 look alike in a sans-serif font; OCR mixes them up.
        out.push_back(lower == 'i' || lower == '1' ? 'l' : lower);
    }
    return out;
}

void expectReads(const std::string& read, const std::string& zh, const std::string& en, const std::string& what) {
    EXPECT_NE(hanOnly(read).find(hanOnly(zh)), std::u32string::npos) << what << ": OCR did not read '" << zh << "' in:\n" << read;
    EXPECT_NE(latinOnly(read).find(latinOnly(en)), std::string::npos) << what << ": OCR did not read '" << en << "' in:\n" << read;
}

const Reason kAllReasons[] = {
    Reason::Ok, Reason::TestTooOld, Reason::TestPositive, Reason::TestTypeNotAccepted, Reason::TestInFuture,
    Reason::NoTestResult, Reason::CodeNotGreen, Reason::UnknownCode, Reason::SignatureInvalid, Reason::UnknownIssuer,
    Reason::KeyUsageMismatch, Reason::CredentialExpired, Reason::CredentialNotYetValid, Reason::Malformed,
    Reason::UnsupportedFormat, Reason::TrustListStale, Reason::BackendTimeout, Reason::BackendError,
    Reason::ClockUntrusted, Reason::Replayed, Reason::InternalError, Reason::JournalFault, Reason::RuleNotMet,
    Reason::StaffOverride};

class ReasonOcr : public ::testing::TestWithParam<Reason> {};

// The smallest screens, landscape and portrait: where text is smallest.
TEST_P(ReasonOcr, TheReasonReadsBackInChineseAndEnglishAtTheSmallestScreens) {
    const Reason r = GetParam();
    testing::TempDir dir;
    for (auto [w, h] : {std::pair{800, 480}, std::pair{480, 800}}) {
        auto c = ui::Composer::create({w, h, ui::kDefaultFontPath, ui::kDefaultFontFace});
        ASSERT_TRUE(c);
        ui::ResultScreen s;
        s.decision = decisionFor(r);
        s.reason = r;
        const auto out = (*c)->compose(s, {}, MonoTime{});
        const auto file = dir / (std::to_string(w) + ".png");
        ASSERT_TRUE(display::writeRgbPng(out.image, file));
        expectReads(ocr(file), std::string(reasonTextZh(r)), std::string(reasonTextEn(r)),
                    std::string(toString(r)) + " at " + std::to_string(w) + "x" + std::to_string(h));
    }
}

INSTANTIATE_TEST_SUITE_P(EveryReason, ReasonOcr, ::testing::ValuesIn(kAllReasons),
                         [](const auto& p) { return std::string(toString(p.param)); });

// §14: the route under the reason reads back in both languages at the smallest screens.
TEST(RouteOcr, TheRouteReadsBackInChineseAndEnglishAtTheSmallestScreens) {
    testing::TempDir dir;
    for (auto [w, h] : {std::pair{800, 480}, std::pair{480, 800}}) {
        auto c = ui::Composer::create({w, h, ui::kDefaultFontPath, ui::kDefaultFontFace});
        ASSERT_TRUE(c);
        ui::ResultScreen s;
        s.decision = Decision::Refer;
        s.reason = Reason::RiskAreaHigh;
        s.routeZh = "请前往集中隔离登记处";
        s.routeEn = "Please go to the quarantine desk";
        const auto out = (*c)->compose(s, {}, MonoTime{});
        const auto file = dir / (std::to_string(w) + ".png");
        ASSERT_TRUE(display::writeRgbPng(out.image, file));
        const std::string read = ocr(file);
        expectReads(read, s.routeZh, s.routeEn, "route at " + std::to_string(w) + "x" + std::to_string(h));
        expectReads(read, std::string(reasonTextZh(s.reason)), std::string(reasonTextEn(s.reason)),
                    "reason above the route at " + std::to_string(w) + "x" + std::to_string(h));
    }
}

// §15: the tilt hint on the idle screen (black on the amber band) reads back in both languages at
// the smallest screens.
TEST(HintOcr, TheTiltHintReadsBackInChineseAndEnglishAtTheSmallestScreens) {
    testing::TempDir dir;
    for (auto [w, h] : {std::pair{800, 480}, std::pair{480, 800}}) {
        auto c = ui::Composer::create({w, h, ui::kDefaultFontPath, ui::kDefaultFontFace});
        ASSERT_TRUE(c);
        ui::IdleScreen s;
        s.hint = ui::Hint::TiltDocument;
        s.documents = true;
        const auto out = (*c)->compose(s, {}, MonoTime{});
        const auto file = dir / (std::to_string(w) + ".png");
        ASSERT_TRUE(display::writeRgbPng(out.image, file));
        const ui::Bilingual hint = ui::hintText(ui::Hint::TiltDocument);
        expectReads(ocr(file), hint.zh, hint.en, "tilt hint at " + std::to_string(w) + "x" + std::to_string(h));
    }
}

TEST(DemoScreenshots, OneScreenPerDecisionInItsColourWithTheConsoleLinesReasonText) {
    testing::TempDir dir;
    std::ostringstream out, err;
    app::CliContext ctx{out, err};
    const int status = app::runCli(
        {"sentinel", "demo", "--dir", (dir / "work").string(), "--screenshots", (dir / "shots").string()}, ctx);
    ASSERT_EQ(status, 0) << out.str() << err.str();
    // Console lines: "DENY      TEST_TOO_OLD  核酸检测已超过有效时间 / Test older than allowed  [HC1]  12.0 ms"
    const std::regex line(R"(^(PASS|DENY|REFER) +([A-Z_]+)  (.+) / (.+?)  .*ms$)");
    std::vector<std::smatch> decisions;
    std::istringstream in(out.str());
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    int n = 0;
    for (const auto& l : lines) {
        std::smatch m;
        if (!std::regex_match(l, m, line)) continue;
        ++n;
        char prefix[16];
        std::snprintf(prefix, sizeof prefix, "%02d-", n);
        const auto shot = dir / "shots" / (prefix + m[1].str() + "-" + m[2].str() + ".png");
        ASSERT_TRUE(std::filesystem::exists(shot)) << shot;
        auto img = display::readRgbImage(shot);
        ASSERT_TRUE(img);
        const auto decision = decisionFromString(m[1].str());
        ASSERT_TRUE(decision);
        const std::uint8_t* want = ui::decisionRgb(*decision);
        const std::uint8_t* got = img->at(img->widthPx / 2, 2);
        EXPECT_EQ(std::vector<int>(got, got + 3), std::vector<int>(want, want + 3)) << shot;
        expectReads(ocr(shot), m[3].str(), m[4].str(), shot.filename().string());
    }
    EXPECT_GE(n, 11) << out.str();
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir / "shots")) ++files;
    EXPECT_EQ(files, static_cast<std::size_t>(n));
}

}  // namespace
}  // namespace sentinel

namespace sentinel {
namespace {

// `sentinel run` with display.backend = "png:DIR" and voice.backend = "wav:DIR" writes a screen and
// a prompt per decision. The demo's frames and trust list serve as the camera and trust.
TEST(RunWithPngAndWav, WritesAScreenAndAPromptPerDecision) {
    testing::TempDir dir;
    std::ostringstream out, err;
    app::CliContext ctx{out, err};
    ASSERT_EQ(app::runCli({"sentinel", "demo", "--dir", (dir / "demo").string()}, ctx), 0) << out.str() << err.str();
    std::filesystem::create_directories(dir / "state");
    std::ofstream(dir / "k.toml") << "[kiosk]\nstate_dir = \"" << (dir / "state").string() << "\"\n"
                                  << "[camera]\nsource = \"replay:" << (dir / "demo" / "frames").string() << "\"\n"
                                  << "[trust]\npath = \"" << (dir / "demo" / "trust").string() << "\"\n"
                                  << "[journal]\npath = \"" << (dir / "state" / "journal.db").string() << "\"\n"
                                  << "[display]\nbackend = \"png:" << (dir / "screens").string() << "\"\npreview = false\n"
                                  << "[voice]\nbackend = \"wav:" << (dir / "voice").string() << "\"\n";
    std::ostringstream runOut, runErr;
    app::CliContext runCtx{runOut, runErr};
    ASSERT_EQ(app::runCli({"sentinel", "run", "--json", "--config", (dir / "k.toml").string()}, runCtx), 0) << runErr.str();
    std::vector<std::string> expected;
    std::istringstream in(runOut.str());
    for (std::string l; std::getline(in, l);) {
        const auto d = l.find("\"decision\":\""), r = l.find("\"reason\":\"");
        if (d == std::string::npos || r == std::string::npos) continue;
        expected.push_back(l.substr(d + 12, l.find('"', d + 12) - d - 12) + "-" + l.substr(r + 10, l.find('"', r + 10) - r - 10));
    }
    ASSERT_GE(expected.size(), 5u) << runOut.str();
    auto names = [](const std::filesystem::path& folder, const std::string& ext, bool resultsOnly) {
        std::vector<std::string> v;
        for (const auto& e : std::filesystem::directory_iterator(folder)) {
            if (e.path().extension() != ext) continue;
            std::string n = e.path().stem().string().substr(3);  // drop "NN-"
            if (resultsOnly && n.rfind("idle", 0) == 0) continue;
            v.push_back(e.path().stem().string());
        }
        std::sort(v.begin(), v.end());
        for (auto& n : v) n = n.substr(3);
        if (resultsOnly) v.erase(std::remove(v.begin(), v.end(), std::string("idle")), v.end());
        return v;
    };
    EXPECT_EQ(names(dir / "screens", ".png", true), expected);
    EXPECT_EQ(names(dir / "voice", ".wav", false), expected);
}

}  // namespace
}  // namespace sentinel

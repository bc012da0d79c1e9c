#include "firmware/ui/Composer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <opencv2/core.hpp>
#include <opencv2/freetype.hpp>
#include <opencv2/imgproc.hpp>
#include <utility>

#include "firmware/ui/Texts.h"

namespace sentinel::ui {
namespace {

// Layout proportions, as fractions of the screen's short side or height. Chosen so that the
// longest reason ("Kiosk clock not trusted — see staff") is still ≥ 24 px at 480 px wide.
constexpr double kMarginOfShortSide = 0.03;
constexpr double kBandOfHeightLandscape = 0.56;
constexpr double kBandOfHeightPortrait = 0.52;
constexpr double kRowOfHeight = 0.085;
constexpr double kTitleOfHeight = 0.15;
// Largest fonts on a result card. Larger reads no better from a metre away and makes the reason
// lines wrap less gracefully; OCR (the tests' stand-in for a traveller's eye) also misreads CJK at
// glyph heights far above ~80 px.
constexpr double kMaxTitleFontOfHeight = 0.075;
constexpr double kMaxReasonFontOfHeight = 0.095;
constexpr double kHintOfHeight = 0.13;
// A freetype line at font height p occupies about 1.25 p (ascender 0.88 p above the baseline at
// org.y + p, descender 0.25 p below; measured with Noto Sans CJK SC).
constexpr double kLineOfFont = 1.3;
// Smallest font a traveller can read at a gate from ~1 m (reason lines) and for the rest.
constexpr int kMinReasonPx = 24;
constexpr int kMinTextPx = 14;
constexpr int kFitAttempts = 8;
// Focus meter: log scale up to a Laplacian variance of 1000 (a sharp printed code under the
// kiosk camera measures 300–900).
constexpr double kFocusFullScale = 1000.0;
constexpr std::size_t kInkCacheMax = 512;
// Lines of a failed rule's description on a result card (DESIGN §12), per language.
constexpr std::size_t kMaxRuleLinesPerLanguage = 3;
constexpr double kRuleFontOfShortSide = 0.045;  // 21 px at 480, 48 px at 1080

cv::Scalar rgb(const std::uint8_t* c) { return cv::Scalar(c[0], c[1], c[2]); }
const cv::Scalar kWhite(255, 255, 255);
const cv::Scalar kBlack(0, 0, 0);
const cv::Scalar kGrey(170, 170, 170);
const cv::Scalar kDarkPanel(0x2C, 0x2C, 0x2C);
const cv::Scalar kGreen(0x43, 0xA0, 0x47);

enum class Align { Left, Centre, Right };


}  // namespace

const std::uint8_t* decisionRgb(Decision d) {
    switch (d) {
        case Decision::Pass: return Composer::kPassRgb;
        case Decision::Deny: return Composer::kDenyRgb;
        case Decision::Refer: return Composer::kReferRgb;
    }
    return Composer::kReferRgb;
}

std::string screenName(const ScreenState& state) {
    struct Namer {
        std::string operator()(const IdleScreen&) const { return "idle"; }
        std::string operator()(const ResultScreen& r) const {
            return std::string(toString(r.decision)) + "-" + std::string(toString(r.reason)) + (r.testCard ? "-TESTCARD" : "");
        }
        std::string operator()(const AlarmScreen& a) const { return "alarm-" + a.what; }
        std::string operator()(const DiagnosticsScreen&) const { return "diagnostics"; }
    };
    return std::visit(Namer{}, state);
}

struct Composer::Impl {
    ComposerOptions options;
    cv::Ptr<cv::freetype::FreeType2> font;
    cv::Mat canvas;  // CV_8UC3, R G B
    std::vector<TextBox> texts;
    RectPx symbol;
    // (text, font px) → ink rectangle relative to the putText origin.
    std::map<std::pair<std::string, int>, cv::Rect> inkCache;
    // The idle screen without its picture, for the hint it was drawn with.
    std::optional<cv::Mat> idleBase;
    Hint idleBaseHint = Hint::None;
    bool idleBaseDocuments = false, idleBaseLookingUp = false, idleBaseAwaiting = false;
    std::vector<TextBox> idleTexts;

    int w() const { return options.widthPx; }
    int h() const { return options.heightPx; }
    bool portrait() const { return h() > w(); }
    int shortSide() const { return std::min(w(), h()); }
    int margin() const { return std::max(4, static_cast<int>(shortSide() * kMarginOfShortSide)); }

    cv::Rect ink(const std::string& text, int px) {
        auto key = std::make_pair(text, px);
        if (auto it = inkCache.find(key); it != inkCache.end()) return it->second;
        int baseline = 0;
        const cv::Size size = font->getTextSize(text, px, -1, &baseline);
        // Draw into a scratch canvas with room on every side and measure where the ink landed.
        const int pad = px;
        cv::Mat scratch(2 * px + 2 * pad, std::max(1, size.width) + 2 * pad, CV_8UC3, cv::Scalar::all(0));
        font->putText(scratch, text, cv::Point(pad, pad), px, kWhite, -1, cv::LINE_AA, false);
        cv::Mat gray;
        cv::extractChannel(scratch, gray, 0);
        cv::Rect r = cv::boundingRect(gray);
        r.x -= pad;
        r.y -= pad;
        if (inkCache.size() > kInkCacheMax) inkCache.clear();
        inkCache.emplace(key, r);
        return r;
    }

    int advance(const std::string& text, int px) {
        int baseline = 0;
        return font->getTextSize(text, px, -1, &baseline).width;
    }

    // Fits `text` into `box` (largest font ≤ maxPx whose ink fits) and draws it.
    void text(const std::string& s, RectPx box, int maxPx, int minPx, const cv::Scalar& colour, Align align = Align::Centre) {
        TextBox tb{s, box, {}, 0, false};
        if (s.empty() || box.width <= 0 || box.height <= 0) {
            texts.push_back(tb);
            return;
        }
        int px = std::max(1, std::min(maxPx, static_cast<int>(box.height / kLineOfFont)));
        cv::Rect r = ink(s, px);
        for (int i = 0; i < kFitAttempts && (r.width > box.width || r.height > box.height); ++i) {
            const double scale = std::min(static_cast<double>(box.width) / std::max(1, r.width),
                                          static_cast<double>(box.height) / std::max(1, r.height));
            const int next = std::max(1, std::min(px - 1, static_cast<int>(std::floor(px * scale))));
            if (next == px) break;
            px = next;
            r = ink(s, px);
        }
        int x = box.x - r.x;  // origin so the ink's left edge is at the box's
        if (align == Align::Centre) x += (box.width - r.width) / 2;
        if (align == Align::Right) x += box.width - r.width;
        const int y = box.y - r.y + (box.height - r.height) / 2;
        font->putText(canvas, s, cv::Point(x, y), px, colour, -1, cv::LINE_AA, false);
        tb.fontPx = px;
        tb.ink = {x + r.x, y + r.y, r.width, r.height};
        tb.fits = box.contains(tb.ink) && RectPx{0, 0, w(), h()}.contains(tb.ink) && px >= minPx;
        texts.push_back(tb);
    }

    // Chinese above English, each in half the box.
    void bilingual(const Bilingual& b, RectPx box, int maxPx, int minPx, const cv::Scalar& colour, Align align = Align::Centre) {
        const int half = box.height / 2;
        text(b.zh, {box.x, box.y, box.width, half}, maxPx, minPx, colour, align);
        text(b.en, {box.x, box.y + half, box.width, box.height - half}, maxPx, minPx, colour, align);
    }

    // A rule's "ID: zh / en" as lines no wider than `width` at `px`: the Chinese and the English
    // part each start a line; words (English) or characters (Chinese) wrap; at most
    // kMaxRuleLinesPerLanguage lines each, the last one ending in "…" when the text is longer.
    std::vector<std::string> wrapRuleText(const std::string& textIn, int px, int width) {
        std::vector<std::string> parts;
        std::size_t from = 0;
        for (std::size_t at; (at = textIn.find(" / ", from)) != std::string::npos; from = at + 3) {
            parts.push_back(textIn.substr(from, at - from));
        }
        parts.push_back(textIn.substr(from));
        std::vector<std::string> lines;
        // Measured by advance (no rendering: a long rule is ~100 measurements), with a margin for
        // the ink overhanging it; text() then fits each line exactly.
        const int fitWidth = width * 95 / 100;
        for (const auto& part : parts) {
            // Tokens: an ASCII word with its following space, or one multi-byte UTF-8 character.
            std::vector<std::string> tokens;
            for (std::size_t i = 0; i < part.size();) {
                const unsigned char c = static_cast<unsigned char>(part[i]);
                std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
                if (c < 0x80) {
                    while (i + n < part.size() && static_cast<unsigned char>(part[i + n]) < 0x80 && part[i + n - 1] != ' ') ++n;
                }
                tokens.push_back(part.substr(i, std::min(n, part.size() - i)));
                i += n;
            }
            std::vector<std::string> own;
            std::string line;
            for (const auto& t : tokens) {
                const std::string next = line + t;
                if (!line.empty() && advance(next, px) > fitWidth) {
                    own.push_back(line);
                    line = t;
                } else {
                    line = next;
                }
            }
            if (!line.empty()) own.push_back(line);
            if (own.size() > kMaxRuleLinesPerLanguage) {
                own.resize(kMaxRuleLinesPerLanguage);
                std::string& last = own.back();
                while (!last.empty() && advance(last + "…", px) > fitWidth) {
                    std::size_t cut = last.size() - 1;
                    while (cut > 0 && (static_cast<unsigned char>(last[cut]) & 0xC0) == 0x80) --cut;  // a whole character
                    last.resize(cut);
                }
                last += "…";
            }
            lines.insert(lines.end(), own.begin(), own.end());
        }
        return lines;
    }

    void fill(RectPx r, const cv::Scalar& c) { cv::rectangle(canvas, cv::Rect(r.x, r.y, r.width, r.height), c, cv::FILLED); }

    // ✓ ✗ ! drawn as shapes (no glyph that a font might lack), inside a ring.
    void drawSymbol(RectPx r, Decision d, const cv::Scalar& colour) {
        symbol = r;
        const double s = std::min(r.width, r.height);
        const double ox = r.x + (r.width - s) / 2.0, oy = r.y + (r.height - s) / 2.0;
        auto p = [&](double fx, double fy) { return cv::Point(static_cast<int>(ox + fx * s), static_cast<int>(oy + fy * s)); };
        const int stroke = std::max(3, static_cast<int>(s * 0.11));
        cv::circle(canvas, p(0.5, 0.5), static_cast<int>(s * 0.46), colour, std::max(2, static_cast<int>(s * 0.05)), cv::LINE_AA);
        switch (d) {
            case Decision::Pass: {
                std::vector<cv::Point> tick{p(0.26, 0.52), p(0.44, 0.70), p(0.76, 0.32)};
                cv::polylines(canvas, tick, false, colour, stroke, cv::LINE_AA);
                break;
            }
            case Decision::Deny:
                cv::line(canvas, p(0.30, 0.30), p(0.70, 0.70), colour, stroke, cv::LINE_AA);
                cv::line(canvas, p(0.70, 0.30), p(0.30, 0.70), colour, stroke, cv::LINE_AA);
                break;
            case Decision::Refer:
                cv::line(canvas, p(0.5, 0.22), p(0.5, 0.58), colour, stroke, cv::LINE_AA);
                cv::circle(canvas, p(0.5, 0.74), std::max(2, stroke * 6 / 10), colour, cv::FILLED, cv::LINE_AA);
                break;
        }
    }

    // The preview picture fitted into `area` (aspect kept, centred); returns where it landed and the
    // scale from frame pixels to screen pixels.
    std::pair<RectPx, double> preview(const GrayView& frame, RectPx area, bool mirror) {
        fill(area, kDarkPanel);
        if (frame.empty() || area.width <= 0 || area.height <= 0) return {area, 0.0};
        const double scale = std::min(static_cast<double>(area.width) / frame.widthPx,
                                      static_cast<double>(area.height) / frame.heightPx);
        const int pw = std::max(1, static_cast<int>(frame.widthPx * scale));
        const int ph = std::max(1, static_cast<int>(frame.heightPx * scale));
        const RectPx at{area.x + (area.width - pw) / 2, area.y + (area.height - ph) / 2, pw, ph};
        const cv::Mat src(frame.heightPx, frame.widthPx, CV_8UC1, const_cast<std::uint8_t*>(frame.data),
                          static_cast<std::size_t>(frame.strideBytes));
        cv::Mat small;
        // Bilinear down to half size (a preview needs no better; INTER_AREA at a fractional scale
        // costs several ms a frame), area averaging below that so fine patterns do not alias.
        cv::resize(src, small, cv::Size(pw, ph), 0, 0, scale < 0.5 ? cv::INTER_AREA : cv::INTER_LINEAR);
        if (mirror) cv::flip(small, small, 1);
        cv::Mat roi = canvas(cv::Rect(at.x, at.y, at.width, at.height));
        cv::cvtColor(small, roi, cv::COLOR_GRAY2RGB);
        return {at, scale};
    }

    void aimingFrame(RectPx at, const cv::Scalar& colour) {
        const int side = static_cast<int>(std::min(at.width, at.height) * 0.62);
        const int x0 = at.x + (at.width - side) / 2, y0 = at.y + (at.height - side) / 2;
        const int len = side / 5;
        const int t = std::max(3, side / 60);
        const cv::Point c[4] = {{x0, y0}, {x0 + side, y0}, {x0 + side, y0 + side}, {x0, y0 + side}};
        const int dx[4] = {1, -1, -1, 1}, dy[4] = {1, 1, -1, -1};
        for (int i = 0; i < 4; ++i) {
            cv::line(canvas, c[i], c[i] + cv::Point(dx[i] * len, 0), colour, t, cv::LINE_AA);
            cv::line(canvas, c[i], c[i] + cv::Point(0, dy[i] * len), colour, t, cv::LINE_AA);
        }
    }

    void idle(const IdleScreen& s, const GrayView& frame) {
        const int m = margin();
        const int titleH = static_cast<int>(h() * kTitleOfHeight);
        const int hintH = static_cast<int>(h() * kHintOfHeight);
        const RectPx area{m, m / 2 + titleH + m / 2, w() - 2 * m, h() - titleH - hintH - 2 * m};
        const bool hinted = s.hint != Hint::None;
        // Everything but the picture is the same from frame to frame: drawn once per hint and kept
        // (the texts through freetype are most of an idle screen's cost, at up to 30 fps).
        if (!idleBase || idleBaseHint != s.hint || idleBaseDocuments != s.documents || idleBaseLookingUp != s.lookingUp ||
            idleBaseAwaiting != s.awaitingDocument) {
            const Bilingual prompt = s.lookingUp ? lookingUpPrompt() : s.awaitingDocument ? documentPrompt() : idlePrompt(s.documents);
            bilingual(prompt, {m, m / 2, w() - 2 * m, titleH}, titleH, kMinTextPx,
                      s.lookingUp || s.awaitingDocument ? rgb(kReferRgb) : kWhite);
            const RectPx hintBox{0, h() - hintH - m / 2, w(), hintH + m / 2};
            if (hinted) fill(hintBox, rgb(kReferRgb));
            bilingual(hintText(s.hint), {m, hintBox.y + m / 4, w() - 2 * m, hintH}, hintH, kMinTextPx, hinted ? kBlack : kGrey);
            idleBase = canvas.clone();
            idleBaseHint = s.hint;
            idleBaseDocuments = s.documents;
            idleBaseLookingUp = s.lookingUp;
            idleBaseAwaiting = s.awaitingDocument;
            idleTexts = texts;
        } else {
            idleBase->copyTo(canvas);
            texts = idleTexts;
        }
        auto [at, scale] = preview(frame, area, true);
        (void)scale;
        aimingFrame(at, hinted ? rgb(kReferRgb) : kWhite);
    }

    void result(const ResultScreen& s, MonoTime now) {
        const int m = margin();
        const bool amber = s.decision == Decision::Refer;
        const cv::Scalar ink = amber ? kBlack : kWhite;
        const int bandH = static_cast<int>(h() * (portrait() ? kBandOfHeightPortrait : kBandOfHeightLandscape));
        fill({0, 0, w(), bandH}, rgb(decisionRgb(s.decision)));
        RectPx reasonBox;
        RectPx titleBox;
        if (portrait()) {
            const int sym = static_cast<int>(bandH * 0.34);
            drawSymbol({(w() - sym) / 2, m, sym, sym}, s.decision, ink);
            const int y = m + sym + m / 2;
            const int titleH = static_cast<int>((bandH - y) * 0.28);
            titleBox = {m, y, w() - 2 * m, titleH};
            reasonBox = {m, y + titleH, w() - 2 * m, bandH - y - titleH - m / 2};
        } else {
            const int sym = std::min(bandH - 2 * m, static_cast<int>(w() * 0.26));
            drawSymbol({m, (bandH - sym) / 2, sym, sym}, s.decision, ink);
            const int x = 2 * m + sym;
            const int titleH = static_cast<int>((bandH - 2 * m) * 0.3);
            titleBox = {x, m, w() - x - m, titleH};
            reasonBox = {x, m + titleH, w() - x - m, bandH - 2 * m - titleH};
        }
        const Bilingual title = decisionTitle(s.decision);
        text(title.zh + "  " + title.en, titleBox, static_cast<int>(h() * kMaxTitleFontOfHeight), kMinTextPx, ink,
             portrait() ? Align::Centre : Align::Left);
        bilingual(reasonLine(s.reason), reasonBox,
                  static_cast<int>(h() * kMaxReasonFontOfHeight), kMinReasonPx, ink, portrait() ? Align::Centre : Align::Left);

        struct Row {
            Bilingual text;
            cv::Scalar colour;
            int maxPx = 1 << 20;  // the row's height decides, unless smaller
        };
        std::vector<Row> rows;
        if (s.testCard) rows.push_back({testCardText(), rgb(kReferRgb)});
        // §14: the route, first under the reason: it is what the traveller must do next. Each
        // language on its own row (a station's text with the desk's place is long for one line).
        for (const std::string* line : {&s.routeZh, &s.routeEn}) {
            if (!line->empty()) rows.push_back({Bilingual{*line, ""}, rgb(kReferRgb)});
        }
        // The failed rule, as the rule set words it: each language on its own rows, wrapped at one
        // size for all its lines.
        if (!s.ruleText.empty()) {
            const int px = std::max(kMinTextPx, static_cast<int>(shortSide() * kRuleFontOfShortSide));
            for (auto& line : wrapRuleText(s.ruleText, px, w() - 2 * m)) rows.push_back({Bilingual{std::move(line), ""}, kWhite, px});
        }
        if (!s.holderMasked.empty()) rows.push_back({holderLine(s.holderMasked), kWhite});
        if (s.test) rows.push_back({testLine(*s.test, s.testLimitH), kWhite});
        // A route already says where to go (and for `staff` says this very line).
        if (s.decision == Decision::Refer && s.routeZh.empty() && s.routeEn.empty()) rows.push_back({seeStaff(), rgb(kReferRgb)});
        const int lowerTop = bandH + m / 2;
        const int lowerH = h() - lowerTop - m / 2;
        const int countdownH = static_cast<int>(h() * kRowOfHeight * 0.8);
        const int slots = static_cast<int>(rows.size());
        const int rowH = slots == 0 ? 0 : std::min(static_cast<int>(h() * kRowOfHeight), (lowerH - countdownH) / slots);
        int y = lowerTop;
        for (const auto& [b, colour, maxPx] : rows) {
            // One line "中文 · English" when it fits at a good size, else the two halves side by side.
            text(b.en.empty() ? b.zh : b.zh + "   " + b.en, {m, y, w() - 2 * m, rowH}, std::min(rowH, maxPx), kMinTextPx, colour,
                 portrait() ? Align::Centre : Align::Left);
            y += rowH;
        }
        const auto left = s.shownAt + s.duration - now;
        const long seconds = std::max<long>(0, static_cast<long>(std::ceil(std::chrono::duration<double>(left).count())));
        text(std::to_string(seconds) + " s", {w() / 2, h() - countdownH - m / 2, w() / 2 - m, countdownH}, countdownH, kMinTextPx,
             kGrey, Align::Right);
    }

    void alarm(const AlarmScreen& s) {
        const int m = margin();
        fill({0, 0, w(), h()}, rgb(kReferRgb));
        const int sym = static_cast<int>(h() * 0.26);
        drawSymbol({(w() - sym) / 2, m, sym, sym}, Decision::Refer, kBlack);
        int y = m + sym + m / 2;
        const int rowH = static_cast<int>(h() * 0.14);
        if (s.outOfService) {
            bilingual(outOfService(), {m, y, w() - 2 * m, rowH * 2}, rowH, kMinReasonPx, kBlack);
            y += rowH * 2;
        }
        const Bilingual what = alarmText(s.what);
        text(what.zh + "  " + what.en, {m, y, w() - 2 * m, rowH * 6 / 10}, rowH, kMinTextPx, kBlack);
        y += rowH * 6 / 10;
        const Bilingual staff = seeStaff();
        text(staff.zh + "  " + staff.en, {m, y, w() - 2 * m, rowH / 2}, rowH, kMinTextPx, kBlack);
        y += rowH / 2;
        if (!s.detail.empty() && y + m < h()) text(s.detail, {m, y, w() - 2 * m, std::min(rowH / 3, h() - y - m / 2)}, rowH,
                                                     kMinTextPx, kBlack);
    }

    cv::Scalar meterColour(MeterLevel l) {
        switch (l) {
            case MeterLevel::Ok: return kGreen;
            case MeterLevel::Warn: return rgb(kReferRgb);
            case MeterLevel::Bad: return rgb(kDenyRgb);
        }
        return rgb(kReferRgb);
    }

    void meter(RectPx box, const std::string& label, double fraction, MeterLevel level) {
        const int labelH = box.height * 55 / 100;
        text(label, {box.x, box.y, box.width, labelH}, labelH, kMinTextPx, kWhite, Align::Left);
        const RectPx bar{box.x, box.y + labelH + box.height / 10, box.width, box.height * 3 / 10};
        fill(bar, kDarkPanel);
        const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * bar.width);
        if (filled > 0) fill({bar.x, bar.y, filled, bar.height}, meterColour(level));
    }

    void diagnostics(const DiagnosticsScreen& s, const GrayView& frame) {
        const int m = margin();
        RectPx area, panel;
        if (portrait()) {
            area = {m, m, w() - 2 * m, h() / 2};
            panel = {m, h() / 2 + 2 * m, w() - 2 * m, h() / 2 - 3 * m};
        } else {
            area = {m, m, w() * 64 / 100, h() - 2 * m};
            panel = {area.x + area.width + m, m, w() - area.width - 3 * m, h() - 2 * m};
        }
        auto [at, scale] = preview(frame, area, false);
        if (s.outline.size() >= 3 && scale > 0) {
            std::vector<cv::Point> pts;
            for (const auto& p : s.outline) {
                pts.emplace_back(at.x + static_cast<int>(p.x * scale), at.y + static_cast<int>(p.y * scale));
            }
            cv::polylines(canvas, pts, true, kGreen, std::max(2, shortSide() / 160), cv::LINE_AA);
        }
        const int rowH = panel.height / 6;
        int y = panel.y;
        text("诊断模式 Diagnostics", {panel.x, y, panel.width, rowH}, rowH, kMinTextPx, rgb(kReferRgb), Align::Left);
        y += rowH;
        char buf[96];
        std::snprintf(buf, sizeof buf, "清晰度 Focus %.0f", s.sharpness);
        meter({panel.x, y, panel.width, rowH}, buf, std::log10(1.0 + std::max(0.0, s.sharpness)) / std::log10(1.0 + kFocusFullScale),
              s.sharpnessLevel);
        y += rowH;
        std::snprintf(buf, sizeof buf, "亮度 Brightness %.0f", s.brightness);
        meter({panel.x, y, panel.width, rowH}, buf, s.brightness / 255.0, s.brightnessLevel);
        y += rowH;
        std::snprintf(buf, sizeof buf, "帧率 %.1f fps", s.fps);
        text(buf, {panel.x, y, panel.width, rowH * 7 / 10}, rowH, kMinTextPx, kWhite, Align::Left);
        y += rowH;
        std::snprintf(buf, sizeof buf, "解码 Decode %.1f ms", s.lastDecodeMs);
        text(buf, {panel.x, y, panel.width, rowH * 7 / 10}, rowH, kMinTextPx, kWhite, Align::Left);
        y += rowH;
        text(s.outline.empty() ? "未找到二维码 No code in view" : "找到二维码 Code located", {panel.x, y, panel.width, rowH * 7 / 10},
             rowH, kMinTextPx, s.outline.empty() ? kGrey : kGreen, Align::Left);
    }
};

Composer::Composer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Composer::~Composer() = default;

Result<std::unique_ptr<Composer>> Composer::create(const ComposerOptions& options) {
    if (options.widthPx < kMinScreenSidePx && options.heightPx < kMinScreenSidePx) {
        return Error{"screen " + std::to_string(options.widthPx) + "x" + std::to_string(options.heightPx) +
                     " is too small (the short side must be at least " + std::to_string(kMinScreenSidePx) + " px)"};
    }
    if (std::min(options.widthPx, options.heightPx) < kMinScreenSidePx ||
        std::max(options.widthPx, options.heightPx) > kMaxScreenSidePx) {
        return Error{"screen " + std::to_string(options.widthPx) + "x" + std::to_string(options.heightPx) + " is outside " +
                     std::to_string(kMinScreenSidePx) + "–" + std::to_string(kMaxScreenSidePx) + " px"};
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(options.fontPath, ec)) {
        return Error{"font " + options.fontPath + " not found (install fonts-noto-cjk)"};
    }
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    try {
        impl->font = cv::freetype::createFreeType2();
        impl->font->loadFontData(options.fontPath, options.fontFace);
    } catch (const cv::Exception& e) {
        return Error{"font " + options.fontPath + ": " + e.what()};
    }
    impl->canvas = cv::Mat(options.heightPx, options.widthPx, CV_8UC3);
    return std::unique_ptr<Composer>(new Composer(std::move(impl)));
}

int Composer::widthPx() const { return impl_->w(); }
int Composer::heightPx() const { return impl_->h(); }

Composition Composer::compose(const ScreenState& state, const GrayView& preview, MonoTime now) {
    Impl& d = *impl_;
    d.texts.clear();
    d.symbol = {};
    d.canvas.setTo(rgb(kBackgroundRgb));
    try {
        if (const auto* idle = std::get_if<IdleScreen>(&state)) d.idle(*idle, preview);
        if (const auto* result = std::get_if<ResultScreen>(&state)) d.result(*result, now);
        if (const auto* alarm = std::get_if<AlarmScreen>(&state)) d.alarm(*alarm);
        if (const auto* diag = std::get_if<DiagnosticsScreen>(&state)) d.diagnostics(*diag, preview);
    } catch (const cv::Exception& e) {
        // A drawing bug must not take the screen thread down: show what was drawn so far.
        d.texts.push_back({std::string("compose error: ") + e.what(), {}, {}, 0, false});
    }
    Composition out;
    out.image.widthPx = d.w();
    out.image.heightPx = d.h();
    out.image.pixels.assign(d.canvas.data, d.canvas.data + d.canvas.total() * d.canvas.elemSize());
    out.texts = std::move(d.texts);
    out.symbol = d.symbol;
    d.texts = {};
    return out;
}

}  // namespace sentinel::ui

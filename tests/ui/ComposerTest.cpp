// Screen composition (DESIGN §10): every reason fits at every size, colours, symbols, what is shown.
#include "firmware/ui/Composer.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <set>

#include "firmware/ui/Texts.h"

namespace sentinel::ui {
namespace {

using std::chrono::milliseconds;

const Reason kAllReasons[] = {
    Reason::Ok, Reason::TestTooOld, Reason::TestPositive, Reason::TestTypeNotAccepted, Reason::TestInFuture,
    Reason::NoTestResult, Reason::CodeNotGreen, Reason::UnknownCode, Reason::SignatureInvalid, Reason::UnknownIssuer,
    Reason::KeyUsageMismatch, Reason::CredentialExpired, Reason::CredentialNotYetValid, Reason::Malformed,
    Reason::UnsupportedFormat, Reason::TrustListStale, Reason::BackendTimeout, Reason::BackendError,
    Reason::ClockUntrusted, Reason::Replayed, Reason::InternalError, Reason::JournalFault, Reason::RuleNotMet,
    Reason::StaffOverride};

struct Size {
    int w, h;
};
const Size kSizes[] = {{800, 480}, {1920, 1080}, {480, 800}, {1080, 1920}};

std::unique_ptr<Composer> composer(int w, int h) {
    auto c = Composer::create({w, h, kDefaultFontPath, kDefaultFontFace});
    EXPECT_TRUE(c) << (c ? "" : c.error().message);
    return c ? std::move(c).value() : nullptr;
}

ResultScreen card(Reason r, MonoTime shownAt = {}) {
    ResultScreen s;
    s.decision = decisionFor(r);
    s.reason = r;
    s.holderMasked = "张*";
    s.test = TestSummary{TestType::Naat, "2026-11-22T02:00:00Z", 6.4, "negative"};
    s.shownAt = shownAt;
    s.duration = milliseconds{3000};
    return s;
}

bool drew(const Composition& c, const std::string& text) {
    for (const auto& t : c.texts) {
        if (t.text.find(text) != std::string::npos) return true;
    }
    return false;
}

std::array<int, 3> pixel(const Composition& c, int x, int y) {
    const std::uint8_t* p = c.image.at(x, y);
    return {p[0], p[1], p[2]};
}

bool isInk(const Composition& c, const RectPx& sym, double fx, double fy, int ink) {
    const int side = std::min(sym.width, sym.height);
    const int x = sym.x + (sym.width - side) / 2 + static_cast<int>(fx * side);
    const int y = sym.y + (sym.height - side) / 2 + static_cast<int>(fy * side);
    const auto p = pixel(c, x, y);
    return std::abs(p[0] - ink) < 40 && std::abs(p[1] - ink) < 40 && std::abs(p[2] - ink) < 40;
}

TEST(Composer, EveryReasonFitsWithoutClippingAtEverySize) {
    for (const Size& size : kSizes) {
        auto c = composer(size.w, size.h);
        ASSERT_TRUE(c);
        for (Reason r : kAllReasons) {
            const Composition out = c->compose(card(r), {}, MonoTime{});
            ASSERT_EQ(out.image.widthPx, size.w);
            ASSERT_EQ(out.image.heightPx, size.h);
            ASSERT_EQ(out.image.pixels.size(), static_cast<std::size_t>(size.w * size.h * 3));
            EXPECT_TRUE(drew(out, std::string(reasonTextZh(r)))) << toString(r);
            EXPECT_TRUE(drew(out, std::string(reasonTextEn(r)))) << toString(r);
            for (const auto& t : out.texts) {
                EXPECT_TRUE(t.fits) << size.w << "x" << size.h << " " << toString(r) << ": '" << t.text << "' at " << t.fontPx
                                    << " px, ink " << t.ink.x << "," << t.ink.y << " " << t.ink.width << "x" << t.ink.height
                                    << " in box " << t.box.x << "," << t.box.y << " " << t.box.width << "x" << t.box.height;
            }
        }
    }
}

TEST(Composer, ReasonTextIsLargeEnoughToReadAtTheSmallestScreen) {
    auto c = composer(480, 800);
    ASSERT_TRUE(c);
    for (Reason r : kAllReasons) {
        const Composition out = c->compose(card(r), {}, MonoTime{});
        for (const auto& t : out.texts) {
            if (t.text == reasonTextEn(r) || t.text == reasonTextZh(r)) {
                EXPECT_GE(t.fontPx, 24) << t.text;
            }
        }
    }
}

TEST(Composer, TheBandHasTheDecisionsColour) {
    auto c = composer(1280, 720);
    ASSERT_TRUE(c);
    for (Reason r : {Reason::Ok, Reason::TestTooOld, Reason::BackendTimeout}) {
        const Composition out = c->compose(card(r), {}, MonoTime{});
        const std::uint8_t* want = decisionRgb(decisionFor(r));
        for (int x : {2, 640, 1277}) {
            const auto p = pixel(out, x, 2);
            EXPECT_EQ(p[0], want[0]) << toString(r);
            EXPECT_EQ(p[1], want[1]) << toString(r);
            EXPECT_EQ(p[2], want[2]) << toString(r);
        }
        // Below the band: the dark background.
        const auto below = pixel(out, 2, 717);
        EXPECT_EQ(below[0], Composer::kBackgroundRgb[0]);
    }
    // Three different colours.
    EXPECT_NE(decisionRgb(Decision::Pass)[0], decisionRgb(Decision::Deny)[0]);
    EXPECT_NE(decisionRgb(Decision::Deny)[1], decisionRgb(Decision::Refer)[1]);
}

TEST(Composer, TheSymbolShowsTheDecisionWithoutColour) {
    auto c = composer(1280, 720);
    ASSERT_TRUE(c);
    const Composition pass = c->compose(card(Reason::Ok), {}, MonoTime{});
    const Composition deny = c->compose(card(Reason::TestPositive), {}, MonoTime{});
    const Composition refer = c->compose(card(Reason::BackendError), {}, MonoTime{});
    ASSERT_GT(pass.symbol.width, 100);
    // ✓: ink on the tick's corner, none at the centre.
    EXPECT_TRUE(isInk(pass, pass.symbol, 0.44, 0.68, 255));
    EXPECT_FALSE(isInk(pass, pass.symbol, 0.5, 0.5, 255));
    // ✗: the strokes cross at the centre; nothing straight above it.
    EXPECT_TRUE(isInk(deny, deny.symbol, 0.5, 0.5, 255));
    EXPECT_FALSE(isInk(deny, deny.symbol, 0.5, 0.36, 255));
    // !: a bar above the centre and a dot below it (black on amber).
    EXPECT_TRUE(isInk(refer, refer.symbol, 0.5, 0.36, 0));
    EXPECT_TRUE(isInk(refer, refer.symbol, 0.5, 0.74, 0));
    EXPECT_FALSE(isInk(refer, refer.symbol, 0.5, 0.66, 0));
}

TEST(Composer, AResultCardShowsOnlyDecisionReasonTestMaskedHolderAndCountdown) {
    auto c = composer(1280, 720);
    ASSERT_TRUE(c);
    const Composition out = c->compose(card(Reason::BackendTimeout), {}, MonoTime{});
    const Bilingual title = decisionTitle(Decision::Refer);
    const Bilingual test = testLine(*card(Reason::Ok).test);
    const Bilingual holder = holderLine("张*");
    const Bilingual staff = seeStaff();
    const std::set<std::string> expected{title.zh + "  " + title.en,
                                         std::string(reasonTextZh(Reason::BackendTimeout)),
                                         std::string(reasonTextEn(Reason::BackendTimeout)),
                                         holder.zh + "   " + holder.en,
                                         test.zh + "   " + test.en,
                                         staff.zh + "   " + staff.en,
                                         "3 s"};
    std::set<std::string> shown;
    for (const auto& t : out.texts) shown.insert(t.text);
    EXPECT_EQ(shown, expected);
    EXPECT_EQ(test.en, "NAAT negative · 6 h ago");
    EXPECT_EQ(test.zh, "核酸 阴性 · 6 小时前");
}

TEST(Composer, AFailedRuleShowsItsDescriptionInBothLanguagesWrappedToFitAtEverySize) {
    // The longest kind of description in the DCC rule sets, plus a Chinese translation.
    const std::string rule =
        "SN-CN-0002: 核酸检测样本采集时间须在到达前48小时以内，抗原检测不予认可 / The sample of a NAAT test must have been "
        "taken no more than 48 hours before arrival; rapid antigen tests are not accepted for entry at this station";
    for (const Size& size : kSizes) {
        auto c = composer(size.w, size.h);
        ASSERT_TRUE(c);
        ResultScreen s = card(Reason::RuleNotMet);
        s.ruleText = rule;
        const Composition out = c->compose(s, {}, MonoTime{});
        // The lines, joined without the spaces where they wrapped, read as the rule's text.
        std::string joined;
        for (const auto& t : out.texts) joined += t.text;
        const auto squeeze = [](std::string v) {
            v.erase(std::remove(v.begin(), v.end(), ' '), v.end());
            return v;
        };
        const std::string zh = rule.substr(0, rule.find(" / "));
        const std::string en = rule.substr(rule.find(" / ") + 3);
        EXPECT_NE(std::string::npos, squeeze(joined).find(squeeze(zh))) << size.w << "x" << size.h << ": " << joined;
        EXPECT_NE(std::string::npos, squeeze(joined).find(squeeze(en.substr(0, 60)))) << size.w << "x" << size.h << ": " << joined;
        EXPECT_FALSE(drew(out, " / ")) << "each language on its own lines";
        for (const auto& t : out.texts) {
            EXPECT_TRUE(t.fits) << size.w << "x" << size.h << ": '" << t.text << "' at " << t.fontPx << " px";
        }
    }
}

TEST(Composer, ARouteShowsUnderTheReasonInBothLanguagesAndFitsAtEverySize) {
    for (const Size& size : kSizes) {
        auto c = composer(size.w, size.h);
        ASSERT_TRUE(c);
        ResultScreen s = card(Reason::RiskAreaHigh);
        s.routeZh = "请前往集中隔离登记处（3号口）";
        s.routeEn = "Please go to the quarantine desk (gate 3)";
        const Composition out = c->compose(s, {}, MonoTime{});
        EXPECT_TRUE(drew(out, s.routeZh)) << size.w << "x" << size.h;
        EXPECT_TRUE(drew(out, s.routeEn)) << size.w << "x" << size.h;
        for (const auto& t : out.texts) {
            EXPECT_TRUE(t.fits) << size.w << "x" << size.h << ": '" << t.text << "' at " << t.fontPx << " px";
        }
    }
}

TEST(Composer, ARouteTakesThePlaceOfSeeStaff) {
    auto c = composer(1280, 720);
    ASSERT_TRUE(c);
    ResultScreen s = card(Reason::BackendUnavailable);
    s.routeZh = "请联系工作人员";
    s.routeEn = "Please see staff";
    std::size_t staffLines = 0;
    for (const auto& t : c->compose(s, {}, MonoTime{}).texts) staffLines += t.text.find("Please see staff") != std::string::npos;
    EXPECT_EQ(1u, staffLines);
}

TEST(Composer, ADecisionWithoutARouteShowsNone) {
    auto c = composer(1280, 720);
    ASSERT_TRUE(c);
    EXPECT_FALSE(drew(c->compose(card(Reason::BackendTimeout), {}, MonoTime{}), "desk"));
}

TEST(Texts, EveryRouteHasAPromptInEachLanguage) {
    for (auto route : kRoutes) {
        EXPECT_FALSE(routePrompt(route).zh.empty()) << route;
        EXPECT_EQ(routePromptFile(route, "en"), "en/route-" + std::string(route) + ".wav");
    }
    EXPECT_EQ(routePromptFile("nowhere", "en"), "");
    EXPECT_EQ(routePromptFile("isolation", "fr"), "");
}

TEST(Composer, SeeStaffOnlyOnRefer) {
    auto c = composer(1280, 720);
    ASSERT_TRUE(c);
    EXPECT_FALSE(drew(c->compose(card(Reason::TestTooOld), {}, MonoTime{}), seeStaff().en));
    EXPECT_FALSE(drew(c->compose(card(Reason::Ok), {}, MonoTime{}), seeStaff().en));
    EXPECT_TRUE(drew(c->compose(card(Reason::ClockUntrusted), {}, MonoTime{}), seeStaff().en));
}

TEST(Composer, TheCountdownFollowsTheClock) {
    auto c = composer(800, 480);
    ASSERT_TRUE(c);
    const MonoTime shown{std::chrono::hours{1}};
    EXPECT_TRUE(drew(c->compose(card(Reason::Ok, shown), {}, shown + milliseconds{1200}), "2 s"));
    EXPECT_TRUE(drew(c->compose(card(Reason::Ok, shown), {}, shown + milliseconds{2999}), "1 s"));
    EXPECT_TRUE(drew(c->compose(card(Reason::Ok, shown), {}, shown + milliseconds{5000}), "0 s"));
}

TEST(Composer, IdleMirrorsThePreviewAndShowsTheHint) {
    auto c = composer(1280, 720);
    ASSERT_TRUE(c);
    // Camera frame: left half black, right half white. Mirrored, the screen's left is white.
    std::vector<std::uint8_t> px(640 * 360);
    for (int y = 0; y < 360; ++y)
        for (int x = 320; x < 640; ++x) px[static_cast<std::size_t>(y * 640 + x)] = 255;
    const GrayView frame{px.data(), 640, 360, 640};
    const Composition out = c->compose(IdleScreen{Hint::HoldCloser}, frame, MonoTime{});
    EXPECT_TRUE(drew(out, "请出示健康码"));
    EXPECT_TRUE(drew(out, "Please show your health code"));
    EXPECT_TRUE(drew(out, "Hold it closer"));
    EXPECT_TRUE(drew(out, "请靠近一点"));
    // Sample left and right of the preview's middle row, away from the aiming frame.
    const int y = 360;
    EXPECT_GT(pixel(out, 400, y)[0], 200);
    EXPECT_LT(pixel(out, 880, y)[0], 50);
    for (const auto& t : out.texts) EXPECT_TRUE(t.fits) << t.text;
    EXPECT_TRUE(drew(c->compose(IdleScreen{Hint::HoldStill}, frame, MonoTime{}), "Hold still"));
    const Composition plain = c->compose(IdleScreen{}, frame, MonoTime{});
    EXPECT_FALSE(drew(plain, "Hold still"));
    EXPECT_FALSE(drew(plain, "Hold it closer"));
    EXPECT_TRUE(drew(plain, aimingAdvice().en));
}

// §15: a reflection on a passport kept its MRZ from being read; the hint fits every screen shape.
TEST(Composer, TheGlareHintAsksForATiltOnEveryScreenShape) {
    std::vector<std::uint8_t> px(640 * 360, 128);
    const GrayView frame{px.data(), 640, 360, 640};
    for (auto [w, h] : {std::pair{1280, 720}, std::pair{800, 480}, std::pair{480, 800}}) {
        auto c = composer(w, h);
        ASSERT_TRUE(c);
        IdleScreen idle{Hint::TiltDocument};
        idle.documents = true;
        const Composition out = c->compose(idle, frame, MonoTime{});
        EXPECT_TRUE(drew(out, hintText(Hint::TiltDocument).zh)) << w << "x" << h;
        EXPECT_TRUE(drew(out, hintText(Hint::TiltDocument).en)) << w << "x" << h;
        for (const auto& t : out.texts) EXPECT_TRUE(t.fits) << w << "x" << h << ": " << t.text;
    }
}

TEST(Composer, AlarmSaysWhatIsWrongAndOutOfService) {
    for (const Size& size : kSizes) {
        auto c = composer(size.w, size.h);
        ASSERT_TRUE(c);
        const Composition out = c->compose(AlarmScreen{"camera", "camera /dev/video0 delivers no frames", true}, {}, MonoTime{});
        EXPECT_TRUE(drew(out, "暂停服务"));
        EXPECT_TRUE(drew(out, "Out of service"));
        EXPECT_TRUE(drew(out, "Camera fault"));
        const auto p = pixel(out, 2, size.h - 3);
        EXPECT_EQ(p[0], Composer::kReferRgb[0]);
        EXPECT_EQ(p[1], Composer::kReferRgb[1]);
        for (const auto& t : out.texts) EXPECT_TRUE(t.fits) << t.text;
    }
}

TEST(Composer, DiagnosticsShowsMetersOutlineFpsAndDecodeTime) {
    auto c = composer(1280, 720);
    ASSERT_TRUE(c);
    std::vector<std::uint8_t> px(640 * 360, 128);
    const GrayView frame{px.data(), 640, 360, 640};
    DiagnosticsScreen d;
    d.sharpness = 345;
    d.brightness = 128;
    d.outline = {{100, 100}, {200, 100}, {200, 200}, {100, 200}};
    d.fps = 29.7;
    d.lastDecodeMs = 4.2;
    const Composition out = c->compose(d, frame, MonoTime{});
    EXPECT_TRUE(drew(out, "Focus 345"));
    EXPECT_TRUE(drew(out, "Brightness 128"));
    EXPECT_TRUE(drew(out, "29.7 fps"));
    EXPECT_TRUE(drew(out, "4.2 ms"));
    EXPECT_TRUE(drew(out, "Code located"));
    // The outline (green) lies on the preview: frame (100,100) → screen via the fit scale.
    bool green = false;
    for (int x = 0; x < 1280 && !green; ++x) {
        for (int y = 0; y < 720 && !green; ++y) {
            const auto p = pixel(out, x, y);
            green = p[1] > 140 && p[0] < 100 && p[2] < 100;
        }
    }
    EXPECT_TRUE(green);
}

TEST(Composer, AMissingFontIsAnErrorThatSaysWhichPackage) {
    auto c = Composer::create({1280, 720, "/nonexistent/font.ttc", 0});
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("fonts-noto-cjk"), std::string::npos);
}

TEST(Composer, ADenyForAnOldTestStatesTheAgeAgainstTheLimit) {
    auto c = composer(1280, 720);
    ASSERT_TRUE(c);
    ResultScreen s = card(Reason::TestTooOld);
    s.test->ageHours = 48.0 + 1.5 / 60.0;  // 48 h 01 min 30 s
    s.testLimitH = 48.0;
    const Composition out = c->compose(s, {}, MonoTime{});
    EXPECT_TRUE(drew(out, "NAAT negative · 48 h 01 min > 48 h"));
    EXPECT_TRUE(drew(out, "核酸 阴性 · 48 小时 01 分 > 48 小时"));
}

TEST(Composer, APassCardDoesNotRepeatItsTitleAsItsReason) {
    auto c = composer(1280, 720);
    ASSERT_TRUE(c);
    const Composition out = c->compose(card(Reason::Ok), {}, MonoTime{});
    int passes = 0;
    for (const auto& t : out.texts) {
        if (t.text.find("Pass") != std::string::npos) ++passes;
    }
    EXPECT_EQ(1, passes);
    EXPECT_TRUE(drew(out, "Please go ahead"));
    EXPECT_TRUE(drew(out, "请通行"));
}

TEST(Composer, AQrThatIsNotAHealthCodeIsAnAmberAskForOne) {
    auto c = composer(1280, 720);
    ASSERT_TRUE(c);
    const Composition out = c->compose(card(Reason::UnsupportedFormat), {}, MonoTime{});
    EXPECT_EQ(Decision::Refer, decisionFor(Reason::UnsupportedFormat));
    EXPECT_TRUE(drew(out, "Please show your health code"));
    EXPECT_TRUE(drew(out, "请出示健康码"));
}

TEST(Composer, TheIdleScreenInvitesASwipeWhenAReaderIsConfiguredAndSaysCheckingDuringALookup) {
    auto c = composer(1280, 720);
    ASSERT_TRUE(c);
    IdleScreen idle;
    EXPECT_FALSE(drew(c->compose(idle, {}, MonoTime{}), "swipe your ID card"));
    idle.documents = true;
    EXPECT_TRUE(drew(c->compose(idle, {}, MonoTime{}), "Show your health code or swipe your ID card"));
    EXPECT_TRUE(drew(c->compose(idle, {}, MonoTime{}), "请出示健康码或刷身份证"));
    idle.lookingUp = true;
    EXPECT_TRUE(drew(c->compose(idle, {}, MonoTime{}), "Checking, please wait"));
}

TEST(Composer, ScreensOutsideTheSupportedSizesAreRefused) {
    EXPECT_FALSE(Composer::create({640, 400, kDefaultFontPath, kDefaultFontFace}));
    EXPECT_TRUE(Composer::create({800, 480, kDefaultFontPath, kDefaultFontFace}));
}

TEST(Texts, PromptsNameTheDecisionAndTheReasonInEachLanguage) {
    EXPECT_EQ(promptText(Decision::Pass, Reason::Ok, "zh"), "通过");
    EXPECT_EQ(promptText(Decision::Deny, Reason::TestTooOld, "en"), "Entry denied. Test older than allowed");
    EXPECT_EQ(promptFiles(Decision::Deny, Reason::TestTooOld, "en"),
              (std::vector<std::string>{"en/decision-DENY.wav", "en/reason-TEST_TOO_OLD.wav"}));
    EXPECT_EQ(promptFiles(Decision::Pass, Reason::Ok, "zh"), (std::vector<std::string>{"zh/decision-PASS.wav"}));
    EXPECT_EQ(allPrompts().size(), 2u * (3u + 35u + std::size(kRoutes) + 2u));  // + show your passport, tilt it (§15)
    EXPECT_EQ(promptText(Decision::Deny, Reason::TestTooOld, "zh"), "禁止通行，核酸检测已超过有效时间");
    EXPECT_TRUE(promptText(Decision::Deny, Reason::TestTooOld, "fr").empty());
}

}  // namespace
}  // namespace sentinel::ui

// Voice: the shipped prompt files, the wav and ALSA backends, cutting a prompt short.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>

#include "drivers/audio/AlsaVoice.h"
#include "drivers/audio/PlaybackThread.h"
#include "drivers/audio/Wav.h"
#include "drivers/audio/WavVoice.h"
#include "firmware/ui/KioskVoice.h"
#include "firmware/ui/Texts.h"
#include "tests/support/TestSupport.h"

namespace sentinel {
namespace {

using namespace std::chrono_literals;
constexpr auto kWait = 20s;

const std::filesystem::path kPrompts = std::filesystem::path(SENTINEL_BINARY_DIR) / "prompts";

std::string run(const std::string& cmd) {
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        char buf[512];
        while (std::fgets(buf, sizeof buf, p)) out += buf;
        ::pclose(p);
    }
    return out;
}

// sox's `stat` effect: "Maximum amplitude:     0.858002" (full scale = 1).
double soxMaxAmplitude(const std::filesystem::path& f) {
    const std::string s = run("sox '" + f.string() + "' -n stat 2>&1");
    const auto at = s.find("Maximum amplitude:");
    return at == std::string::npos ? -1.0 : std::stod(s.substr(at + 18));
}
double soxSeconds(const std::filesystem::path& f) {
    const std::string s = run("sox '" + f.string() + "' -n stat 2>&1");
    const auto at = s.find("Length (seconds):");
    return at == std::string::npos ? -1.0 : std::stod(s.substr(at + 17));
}

TEST(Prompts, EveryPromptExistsIsBetweenPoint3And4SecondsAndIsNotSilent) {
    const auto items = ui::allPrompts();
    // Two languages: three decisions, 35 reasons beyond OK, four routes (§14), "show your passport"
    // and "tilt it away from the glare" (§15).
    ASSERT_EQ(items.size(), 2u * (3u + 35u + std::size(ui::kRoutes) + 2u));
    for (const auto& p : items) {
        const auto file = kPrompts / p.file;
        ASSERT_TRUE(std::filesystem::exists(file)) << file << " (build target sentinel_prompts)";
        const double seconds = soxSeconds(file);
        EXPECT_GE(seconds, 0.3) << p.file;
        EXPECT_LE(seconds, 4.0) << p.file << ": '" << p.text << "'";
        EXPECT_GT(soxMaxAmplitude(file), 0.1) << p.file << " is silent";
        auto pcm = audio::readWav(file);
        ASSERT_TRUE(pcm) << pcm.error().message;
        EXPECT_NEAR(pcm->seconds(), seconds, 0.01) << p.file;
    }
}

TEST(Prompts, AnAnnouncementSpeaksEachLanguageInTheConfiguredOrder) {
    struct NullVoice final : hal::Voice {
        void play(const std::vector<std::filesystem::path>&, const std::string&) override {}
        bool waitIdle(std::chrono::milliseconds) override { return true; }
        std::string lastError() const override { return {}; }
        std::string describe() const override { return "null"; }
    } voice;
    ui::KioskVoice enFirst(voice, "/p", {"en", "zh"});
    EXPECT_EQ(enFirst.promptsFor(Decision::Deny, Reason::TestTooOld),
              (std::vector<std::filesystem::path>{"/p/en/decision-DENY.wav", "/p/en/reason-TEST_TOO_OLD.wav",
                                                  "/p/zh/decision-DENY.wav", "/p/zh/reason-TEST_TOO_OLD.wav"}));
    EXPECT_EQ(enFirst.promptsFor(Decision::Refer, Reason::RiskAreaHigh, "isolation"),
              (std::vector<std::filesystem::path>{"/p/en/decision-REFER.wav", "/p/en/reason-RISK_AREA_HIGH.wav",
                                                  "/p/en/route-isolation.wav", "/p/zh/decision-REFER.wav",
                                                  "/p/zh/reason-RISK_AREA_HIGH.wav", "/p/zh/route-isolation.wav"}));
    ui::KioskVoice zhOnly(voice, "/p", {"zh"});
    EXPECT_EQ(zhOnly.promptsFor(Decision::Pass, Reason::Ok), (std::vector<std::filesystem::path>{"/p/zh/decision-PASS.wav"}));
}

// §15: a reflection on a passport: the tilt prompt once when it first blocks a read, not on every
// frame it lasts; again after it cleared and came back.
TEST(Prompts, TheTiltPromptIsSaidOnceAReflectionStartsBlockingAPassport) {
    struct CountingVoice final : hal::Voice {
        void play(const std::vector<std::filesystem::path>& files, const std::string& tag) override {
            plays.push_back(tag);
            last = files;
        }
        bool waitIdle(std::chrono::milliseconds) override { return true; }
        std::string lastError() const override { return {}; }
        std::string describe() const override { return "counting"; }
        std::vector<std::string> plays;
        std::vector<std::filesystem::path> last;
    } voice;
    ui::KioskVoice kiosk(voice, "/p", {"zh", "en"});
    kiosk::FrameObservation plain, glare;
    glare.documentGlare = true;
    for (const auto* what : {&plain, &glare, &glare, &glare, &plain, &plain, &glare, &glare})
        kiosk.frameProcessed(hal::Frame{}, *what);
    EXPECT_EQ(voice.plays, (std::vector<std::string>{"HINT-TILT", "HINT-TILT"}));
    EXPECT_EQ(voice.last, (std::vector<std::filesystem::path>{"/p/zh/prompt-tilt-document.wav", "/p/en/prompt-tilt-document.wav"}));
}

TEST(Wav, WritesAndReadsBack) {
    testing::TempDir dir;
    audio::Pcm16 pcm{16000, 1, {0, 1000, -1000, 32767, -32768}};
    ASSERT_TRUE(audio::writeWav(pcm, dir / "a.wav"));
    auto back = audio::readWav(dir / "a.wav");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->rateHz, 16000);
    EXPECT_EQ(back->samples, pcm.samples);
    EXPECT_NEAR(soxSeconds(dir / "a.wav"), 5.0 / 16000, 1e-4);
}

TEST(Wav, RefusesWhatIsNotAWavFile) {
    testing::TempDir dir;
    std::FILE* f = std::fopen((dir / "x.wav").c_str(), "w");
    std::fputs("RIFF....WAVEjunk", f);
    std::fclose(f);
    EXPECT_FALSE(audio::readWav(dir / "x.wav"));
    EXPECT_FALSE(audio::readWav(dir / "missing.wav"));
}

TEST(WavVoice, WritesEachAnnouncementAsTheJoinedPrompts) {
    testing::TempDir dir;
    audio::WavVoice voice(dir.path());
    const std::vector<std::filesystem::path> prompts{kPrompts / "zh/decision-DENY.wav", kPrompts / "zh/reason-TEST_TOO_OLD.wav"};
    voice.play(prompts, "DENY-TEST_TOO_OLD");
    ASSERT_TRUE(voice.waitIdle(kWait));
    const auto out = dir / "01-DENY-TEST_TOO_OLD.wav";
    ASSERT_TRUE(std::filesystem::exists(out));
    EXPECT_NEAR(soxSeconds(out), soxSeconds(prompts[0]) + soxSeconds(prompts[1]), 0.01);
    EXPECT_EQ(voice.lastError(), "");
}

TEST(AlsaVoice, PlaysIntoTheNullDevice) {
    audio::AlsaVoice voice("null");
    voice.play({kPrompts / "en/decision-PASS.wav", kPrompts / "zh/decision-PASS.wav"}, "PASS-OK");
    ASSERT_TRUE(voice.waitIdle(kWait));
    EXPECT_EQ(voice.lastError(), "");
    EXPECT_EQ(voice.completed(), 1);
    EXPECT_EQ(audio::AlsaVoice::probe("null"), "");
}

TEST(AlsaVoice, AMissingSoundCardIsAnErrorValueNotAFault) {
    audio::AlsaVoice voice("hw:CARD=SentinelNoSuchCard");
    voice.play({kPrompts / "en/decision-PASS.wav"}, "PASS-OK");
    ASSERT_TRUE(voice.waitIdle(kWait));
    EXPECT_NE(voice.lastError().find("cannot open ALSA device"), std::string::npos) << voice.lastError();
    EXPECT_NE(audio::AlsaVoice::probe("hw:CARD=SentinelNoSuchCard"), "");
    // The next announcement tries again (and fails the same way, without hanging).
    voice.play({kPrompts / "en/decision-PASS.wav"}, "PASS-OK");
    EXPECT_TRUE(voice.waitIdle(kWait));
}

TEST(PlaybackThread, ANewAnnouncementCutsThePlayingOneShort) {
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::string> started, cut;
    audio::PlaybackThread thread([&](const audio::PromptRequest& r, const std::function<bool()>& superseded) {
        {
            std::lock_guard lk(m);
            started.push_back(r.name);
        }
        cv.notify_all();
        // "Plays" until superseded (bounded, so a broken supersede fails instead of hanging).
        const auto until = std::chrono::steady_clock::now() + kWait;
        while (!superseded() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
        if (superseded()) {
            std::lock_guard lk(m);
            cut.push_back(r.name);
        }
    });
    thread.submit({{}, "first"});
    {
        std::unique_lock lk(m);
        ASSERT_TRUE(cv.wait_for(lk, kWait, [&] { return !started.empty(); }));
    }
    thread.submit({{}, "second"});
    {
        std::unique_lock lk(m);
        ASSERT_TRUE(cv.wait_for(lk, kWait, [&] { return started.size() == 2; }));
        EXPECT_EQ(started, (std::vector<std::string>{"first", "second"}));
        EXPECT_EQ(cut, (std::vector<std::string>{"first"}));
    }
}

}  // namespace
}  // namespace sentinel

// `sentinel mrz` as a technician uses it (DESIGN §15): pages rendered by tests/mrzsim in OCR-B, read
// from image files by the real command; the lines masked unless --show; an image without a read
// says why.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "firmware/app/Cli.h"
#include "firmware/mrz/MrzReader.h"
#include "tests/mrzsim/PassportSimulator.h"
#include "tests/support/TestSupport.h"

namespace sentinel::app {
namespace {

const std::vector<std::string> kTd3{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"};

class MrzCli : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::filesystem::exists(mrz::kDefaultOcrBFontPath)) GTEST_SKIP() << "fonts-ocr-b is not installed";
    }
    std::string write(const cv::Mat& gray, const std::string& name) {
        const auto path = (dir_ / name).string();
        EXPECT_TRUE(cv::imwrite(path, gray));
        return path;
    }
    // Scene `index` of `category` on development seed 31, written as `name` in the test's folder.
    std::string seed31Scene(std::string_view category, int index, const std::string& name) {
        auto scene = mrzsim::renderScene(31, category, index);
        EXPECT_TRUE(scene.ok()) << scene.error().message;
        return scene.ok() ? write(scene->gray, name) : (dir_ / name).string();
    }
    // `sentinel mrz --json IMAGE`: its exit status and the one JSON line it printed.
    std::pair<int, nlohmann::json> runJson(const std::string& image) {
        const int status = run({"--json", image});
        return {status, nlohmann::json::parse(out_.str())};
    }
    int run(std::vector<std::string> args) {
        out_.str("");
        err_.str("");
        args.insert(args.begin(), {"sentinel", "mrz"});
        CliContext ctx{out_, err_};
        return runCli(args, ctx);
    }
    testing::TempDir dir_;
    std::ostringstream out_, err_;
};

TEST_F(MrzCli, APassportPageIsReadAndItsLinesAreMaskedUnlessShown) {
    mrzsim::RenderOptions o;
    o.pitchPx = 20.0;
    o.rollDeg = 0.0;
    auto scene = mrzsim::renderMrz(20270101, kTd3, o);
    ASSERT_TRUE(scene.ok()) << scene.error().message;
    const std::string page = write(scene->gray, "page.png");

    ASSERT_EQ(kExitOk, run({"--json", page})) << err_.str();
    const auto j = nlohmann::json::parse(out_.str());
    EXPECT_EQ(j["read"], true);
    EXPECT_EQ(j["type"], "TD3");
    EXPECT_EQ(j["checks_ok"], true);
    EXPECT_FALSE(j.contains("why"));
    EXPECT_FALSE(j.contains("lines"));
    EXPECT_EQ(j["masked"][0], "*<***********<<****<*****<<<<<<<<<<<<<<<<<<<");
    EXPECT_EQ(out_.str().find("ERIKSSON"), std::string::npos) << "personal data without --show";
    EXPECT_EQ(out_.str().find("L898902C3"), std::string::npos);

    ASSERT_EQ(kExitOk, run({"--show", page})) << err_.str();
    EXPECT_NE(out_.str().find(kTd3[0]), std::string::npos);
    EXPECT_NE(out_.str().find(kTd3[1]), std::string::npos);
}

// Development seed 31, glare page 44: the reflection's core erased part of a name letter.
TEST_F(MrzCli, APageUnderAReflectionIsNotReadAndTheTechnicianIsToldWhy) {
    const std::string page = seed31Scene("glare", 44, "glare.png");
    const auto [status, j] = runJson(page);
    EXPECT_EQ(kExitFail, status);
    EXPECT_EQ(j["read"], false);
    EXPECT_EQ(j["why"], "reflection");
    EXPECT_EQ(kExitFail, run({page}));
    EXPECT_NE(out_.str().find("a reflection covers part of the zone: tilt the page or move the light"), std::string::npos) << out_.str();
}

TEST_F(MrzCli, AFrameWithoutADocumentSaysSoAndAMissingFileIsAnError) {
    const auto [status, j] = runJson(seed31Scene("empty", 0, "empty.png"));
    EXPECT_EQ(kExitFail, status);
    EXPECT_EQ(j["read"], false);
    EXPECT_TRUE(j["why"] == "no_text" || j["why"] == "no_zone") << j.dump();

    EXPECT_EQ(kExitFail, run({(dir_ / "absent.png").string()}));
    EXPECT_NE(err_.str().find("absent.png"), std::string::npos) << err_.str();
    EXPECT_EQ(kExitUsage, run({}));
}

}  // namespace
}  // namespace sentinel::app

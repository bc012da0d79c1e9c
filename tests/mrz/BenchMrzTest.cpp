// `sentinel bench mrz` on a small rendered set: it reads, scores and never prints MRZ text (the
// specimen's name and number are the canaries).
#include "firmware/mrz/bench/BenchMrz.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "firmware/mrz/MrzReader.h"
#include "tests/mrzsim/PassportSimulator.h"

namespace sentinel::mrz {
namespace {

namespace fs = std::filesystem;

TEST(BenchMrz, ReadsTheSpecimenAndPrintsNoMrzText) {
    if (!fs::exists(kDefaultOcrBFontPath)) GTEST_SKIP() << "fonts-ocr-b is not installed";
    const fs::path dir = fs::temp_directory_path() / ("bench-mrz-" + std::to_string(::getpid()));
    fs::create_directories(dir / "nominal");
    fs::create_directories(dir / "empty");
    mrzsim::RenderOptions o;
    o.pitchPx = 18;
    o.rollDeg = 3;
    auto page = mrzsim::renderMrz(7, {"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"}, o);
    ASSERT_TRUE(page.ok());
    auto empty = mrzsim::renderScene(7, "empty", 0);
    ASSERT_TRUE(empty.ok());
    ASSERT_TRUE(cv::imwrite((dir / "nominal/page.png").string(), page->gray));
    ASSERT_TRUE(cv::imwrite((dir / "empty/scene.png").string(), empty->gray));
    std::ofstream(dir / "manifest.tsv") << "nominal/page.png\t" << page->expected << "\tpitch=18\nempty/scene.png\t\n";

    std::ostringstream out, err;
    ASSERT_EQ(runBenchMrz({"--manifest", (dir / "manifest.tsv").string(), "--json"}, out, err), 0) << err.str();
    const auto j = nlohmann::json::parse(out.str());
    EXPECT_EQ(j["total"], 1);
    EXPECT_EQ(j["read"], 1);
    EXPECT_EQ(j["wrong"], 0);
    EXPECT_EQ(j["pitch_bands"]["13-20"]["read"], 1);
    EXPECT_EQ(j["no_document"]["scenes"], 1);
    EXPECT_EQ(j["no_document"]["wrong"], 0);
    for (const char* canary : {"ERIKSSON", "L898902C3", "740812"}) {
        EXPECT_EQ(out.str().find(canary), std::string::npos) << canary;
        EXPECT_EQ(err.str().find(canary), std::string::npos) << canary;
    }
    fs::remove_all(dir);
}

TEST(BenchMrz, AMissingManifestIsAUsageError) {
    std::ostringstream out, err;
    EXPECT_EQ(runBenchMrz({"--json"}, out, err), 2);
    EXPECT_EQ(runBenchMrz({"--manifest", "/nonexistent/manifest.tsv"}, out, err), 2);
}

}  // namespace
}  // namespace sentinel::mrz

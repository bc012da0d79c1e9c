// The simulator's script language: every step parses, mistakes are named with their line.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "drivers/docreader/SamScript.h"

namespace sentinel::docreader {
namespace {

TEST(SamScript, EveryStepOfTheLanguageParses) {
    const char* script = R"(# a demo
present cn-id name="张 三" number=110105199003077032 birth=19900307
present permit-j
present pr-i name="DOE JOHN" nationality=USA
remove
wait 10
wait-read 5000
wait-find
garbage 40 read
garbage hex:AAAAAA9669FFFF
drip 2
drip off
stall 3000 read after=100
bad-checksum find
status 0x41 read
silent select
pull-mid-read
pull-mid-read after=500
sam-status 0x66
sam-id 05.01-20200101-0000000001-0123456789
echo insert the card now
)";
    auto steps = parseScript(script);
    ASSERT_TRUE(steps) << steps.error().message;
    EXPECT_EQ(steps->size(), 20u);
    EXPECT_EQ(steps->front().text,
              R"(present cn-id name="张 三" number=110105199003077032 birth=19900307)");
}

TEST(SamScript, ShippedExampleScriptsParse) {
    const std::filesystem::path dir =
        std::filesystem::path(SENTINEL_SOURCE_DIR) / "drivers/docreader/scripts";
    int scripts = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        std::ifstream in(entry.path());
        std::ostringstream text;
        text << in.rdbuf();
        auto steps = parseScript(text.str());
        EXPECT_TRUE(steps) << entry.path() << ": " << (steps ? "" : steps.error().message);
        ++scripts;
    }
    EXPECT_GE(scripts, 2);
}

TEST(SamScript, UnknownStepIsNamedWithItsLine) {
    auto steps = parseScript("remove\n\nfrobnicate\n");
    ASSERT_FALSE(steps);
    EXPECT_EQ(steps.error().message, "line 3: unknown step 'frobnicate'");
}

TEST(SamScript, BadArgumentsAreRefused) {
    for (const char* line :
         {"present passport", "present cn-id nosuchfield=1", "present cn-id name", "status 0x1FF",
          "status 0x41 fly", "wait soon", "garbage 0", "garbage hex:ABC", "stall 10 after=x",
          "sam-id 1.2-3", "drip", "remove now", "present cn-id \"open",
          "present cn-id number=1234567890123456789012"}) {
        EXPECT_FALSE(parseScriptLine(line)) << line;
    }
}

TEST(SamScript, BlankAndCommentLinesAreNoSteps) {
    auto blank = parseScriptLine("   ");
    ASSERT_TRUE(blank);
    EXPECT_FALSE(*blank);
    auto comment = parseScriptLine("# nothing");
    ASSERT_TRUE(comment);
    EXPECT_FALSE(*comment);
}

TEST(SamScript, SamIdParsesBackToWhatItPrints) {
    const auto id = parseSamId("05.01-20200101-0000000001-0123456789");
    ASSERT_TRUE(id);
    EXPECT_EQ(formatSamId(*id), "05.01-20200101-0000000001-0123456789");
    EXPECT_FALSE(parseSamId("05.01-20200101-0000000001-01234567890"));
    EXPECT_FALSE(parseSamId("05.01-20200101-9999999999-0123456789"));  // over 32 bits
}

TEST(SamScript, GarbagePatternNeverHoldsAWholePreamble) {
    const auto g = garbagePattern(1000);
    EXPECT_EQ(std::search(g.begin(), g.end(), kPreamble.begin(), kPreamble.end()), g.end());
}

}  // namespace
}  // namespace sentinel::docreader

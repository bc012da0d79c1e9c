// Replays every seed file of one fuzz target through its LLVMFuzzerTestOneInput as an ordinary
// GoogleTest (label fuzz-corpus), so CI exercises the fuzz targets without clang.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

TEST(FuzzCorpus, EverySeedRunsCleanly) {
    const std::filesystem::path dir = SENTINEL_FUZZ_CORPUS_DIR;
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        SCOPED_TRACE(entry.path().filename().string());
        EXPECT_EQ(0, LLVMFuzzerTestOneInput(bytes.data(), bytes.size()));
        ++files;
    }
    EXPECT_GT(files, 0u) << "empty corpus " << dir;
}

TEST(FuzzCorpus, EmptyAndTinyInputsRunCleanly) {
    EXPECT_EQ(0, LLVMFuzzerTestOneInput(nullptr, 0));
    for (int b = 0; b < 256; ++b) {
        const uint8_t one = static_cast<uint8_t>(b);
        EXPECT_EQ(0, LLVMFuzzerTestOneInput(&one, 1));
    }
}

}  // namespace

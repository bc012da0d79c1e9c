#include "firmware/journal/DeviceSecret.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "tests/journal/JournalTestSupport.h"
#include "tests/support/TestSupport.h"

namespace sentinel::journal {
namespace {

using sentinel::testing::TempDir;

mode_t modeOf(const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(0, ::stat(p.c_str(), &st));
    return st.st_mode & 07777;
}

TEST(DeviceSecret, IsCreatedOnFirstStartWith32BytesAndMode0600) {
    TempDir dir;
    auto secret = loadOrCreateDeviceSecret(dir.path());
    ASSERT_TRUE(secret) << secret.error().message;
    EXPECT_EQ(32u, secret->size());
    const auto file = dir / kDeviceSecretFile;
    EXPECT_EQ(0600u, modeOf(file));
    EXPECT_EQ(*secret, testing::readAll(file));
    EXPECT_NE(std::string(32, '\0'), *secret);
}

TEST(DeviceSecret, IsStableAcrossRestarts) {
    TempDir dir;
    auto first = loadOrCreateDeviceSecret(dir.path());
    auto second = loadOrCreateDeviceSecret(dir.path());
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    EXPECT_EQ(*first, *second);
}

TEST(DeviceSecret, DiffersBetweenDevices) {
    TempDir a, b;
    EXPECT_NE(*loadOrCreateDeviceSecret(a.path()), *loadOrCreateDeviceSecret(b.path()));
}

TEST(DeviceSecret, CreatesAMissingStateDirectoryPrivately) {
    TempDir dir;
    auto state = dir / "var-lib-sentinel";
    ASSERT_TRUE(loadOrCreateDeviceSecret(state));
    EXPECT_EQ(0700u, modeOf(state));
}

TEST(DeviceSecret, ATruncatedSecretIsAnErrorNotReplaced) {
    TempDir dir;
    ASSERT_TRUE(loadOrCreateDeviceSecret(dir.path()));
    std::filesystem::resize_file(dir / kDeviceSecretFile, 10);
    auto again = loadOrCreateDeviceSecret(dir.path());
    EXPECT_FALSE(again);
    EXPECT_EQ(10u, std::filesystem::file_size(dir / kDeviceSecretFile));
}

TEST(DeviceSecret, GroupAndOtherPermissionsAreRemoved) {
    TempDir dir;
    ASSERT_TRUE(loadOrCreateDeviceSecret(dir.path()));
    ASSERT_EQ(0, ::chmod((dir / kDeviceSecretFile).c_str(), 0644));
    ASSERT_TRUE(loadOrCreateDeviceSecret(dir.path()));
    EXPECT_EQ(0600u, modeOf(dir / kDeviceSecretFile));
}

TEST(DeviceSecret, ConcurrentFirstStartsAgreeOnOneSecret) {
    TempDir dir;
    std::vector<std::string> seen(8);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < seen.size(); ++i) {
        threads.emplace_back([&, i] {
            auto s = loadOrCreateDeviceSecret(dir.path());
            seen[i] = s ? *s : "error: " + s.error().message;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(1u, std::set<std::string>(seen.begin(), seen.end()).size()) << seen[0];
    EXPECT_EQ(32u, seen[0].size()) << seen[0];
    std::size_t leftovers = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) leftovers += e.path() != dir / kDeviceSecretFile;
    EXPECT_EQ(0u, leftovers);
}


}  // namespace
}  // namespace sentinel::journal

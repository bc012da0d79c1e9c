// A million-entry index is built, written, mapped and validated whole (no timing assertion: the
// figures are `sentinel bench revocation`'s).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>

#include "firmware/trust/RevocationIndex.h"
#include "tests/support/TestSupport.h"

namespace sentinel::trust {
namespace {

TEST(RevocationIndexLarge, MillionEntriesBuildLoadAndAnswer) {
    constexpr std::size_t kEntries = 1'000'000;
    std::mt19937_64 rng(29);
    std::vector<RevocationHash> hashes(kEntries);
    for (auto& h : hashes) {
        const uint64_t a = rng(), b = rng();
        std::memcpy(h.data(), &a, 8);
        std::memcpy(h.data() + 8, &b, 8);
    }
    const std::vector<RevocationHash> probes(hashes.begin(), hashes.begin() + 1000);
    RevocationIndexBuilder builder;
    ASSERT_TRUE(builder.addList({}, static_cast<uint8_t>(RevocationHashType::Uci), std::nullopt, std::move(hashes)));
    const auto bytes = builder.build(UtcTime{std::chrono::hours{500000}});
    sentinel::testing::TempDir dir;
    {
        std::ofstream out(dir / "million.idx", std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    auto index = RevocationIndex::load(dir / "million.idx", RevocationDigest{sha256Of(bytes), kEntries});
    ASSERT_TRUE(index) << index.error().message;
    EXPECT_EQ(kEntries, (*index)->entries());
    const UtcTime at{std::chrono::hours{500001}};
    for (const auto& h : probes) EXPECT_TRUE((*index)->contains({}, RevocationHashType::Uci, h, at));
    std::mt19937_64 other(2029);
    int falsePositives = 0;
    for (int i = 0; i < 100000; ++i) {
        RevocationHash h{};
        const uint64_t a = other(), b = other();
        std::memcpy(h.data(), &a, 8);
        std::memcpy(h.data() + 8, &b, 8);
        falsePositives += (*index)->contains({}, RevocationHashType::Uci, h, at) ? 1 : 0;
    }
    EXPECT_EQ(0, falsePositives);
}

}  // namespace
}  // namespace sentinel::trust

#include "firmware/trust/RevocationIndex.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "tests/support/TestSupport.h"

namespace sentinel::trust {
namespace {

using namespace std::chrono_literals;
using sentinel::testing::TempDir;

const UtcTime kIssued = *parseRfc3339("2026-12-01T00:00:00Z");
const UtcTime kNow = *parseRfc3339("2026-12-01T06:00:00Z");
const std::vector<uint8_t> kKidA{1, 2, 3, 4, 5, 6, 7, 8};
const std::vector<uint8_t> kKidB{8, 7, 6, 5, 4, 3, 2, 1};
constexpr uint8_t kUci = static_cast<uint8_t>(RevocationHashType::Uci);
constexpr uint8_t kCountry = static_cast<uint8_t>(RevocationHashType::CountryCodeUci);
constexpr uint8_t kSignature = static_cast<uint8_t>(RevocationHashType::Signature);

// Header and list-table offsets of the format (RevocationIndex.h), for hand-made damage.
constexpr std::size_t kHeaderBytes = 64, kListBytes = 48, kTrailerBytes = 32;

RevocationHash hashOf(uint64_t n) {
    RevocationHash h{};
    for (int i = 0; i < 8; ++i) h[15 - i] = static_cast<uint8_t>(n >> (8 * i));
    h[0] = static_cast<uint8_t>(n * 37);  // spread over the first byte too
    return h;
}

std::vector<RevocationHash> hashes(uint64_t from, uint64_t count) {
    std::vector<RevocationHash> out;
    for (uint64_t i = from; i < from + count; ++i) out.push_back(hashOf(i));
    return out;
}

std::shared_ptr<const RevocationIndex> indexOf(const RevocationIndexBuilder& b) {
    auto r = RevocationIndex::fromBytes(b.build(kIssued));
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : nullptr;
}

void writeFile(const std::filesystem::path& p, const std::vector<uint8_t>& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Recomputes the trailer so that only the structural checks can refuse the bytes.
void resealTrailer(std::vector<uint8_t>& bytes) {
    const auto d = sha256Of(std::span(bytes.data(), bytes.size() - kTrailerBytes));
    std::copy(d.begin(), d.end(), bytes.end() - kTrailerBytes);
}

std::vector<uint8_t> twoListBytes() {
    RevocationIndexBuilder b;
    EXPECT_TRUE(b.addList(kKidA, kUci, std::nullopt, hashes(0, 100)));
    EXPECT_TRUE(b.addList({}, kSignature, std::nullopt, hashes(1000, 50)));
    return b.build(kIssued);
}

TEST(RevocationIndex, FindsEveryMemberAndNoOther) {
    RevocationIndexBuilder b;
    ASSERT_TRUE(b.addList({}, kUci, std::nullopt, hashes(0, 1000)));
    const auto index = indexOf(b);
    ASSERT_TRUE(index);
    EXPECT_EQ(1000u, index->entries());
    for (uint64_t i = 0; i < 1000; ++i) EXPECT_TRUE(index->contains(kKidA, RevocationHashType::Uci, hashOf(i), kNow)) << i;
    for (uint64_t i = 1000; i < 3000; ++i) EXPECT_FALSE(index->contains(kKidA, RevocationHashType::Uci, hashOf(i), kNow)) << i;
}

TEST(RevocationIndex, FindsTheSmallestAndLargestHashes) {
    RevocationHash zero{}, ones{};
    ones.fill(0xFF);
    RevocationIndexBuilder b;
    ASSERT_TRUE(b.addList({}, kUci, std::nullopt, {ones, hashOf(5), zero}));
    const auto index = indexOf(b);
    EXPECT_TRUE(index->contains({}, RevocationHashType::Uci, zero, kNow));
    EXPECT_TRUE(index->contains({}, RevocationHashType::Uci, ones, kNow));
    RevocationHash almost = ones;
    almost[15] = 0xFE;
    EXPECT_FALSE(index->contains({}, RevocationHashType::Uci, almost, kNow));
}

TEST(RevocationIndex, KidListAppliesOnlyToItsKid) {
    RevocationIndexBuilder b;
    ASSERT_TRUE(b.addList(kKidA, kUci, std::nullopt, hashes(0, 10)));
    const auto index = indexOf(b);
    EXPECT_TRUE(index->contains(kKidA, RevocationHashType::Uci, hashOf(3), kNow));
    EXPECT_FALSE(index->contains(kKidB, RevocationHashType::Uci, hashOf(3), kNow));
    EXPECT_FALSE(index->contains({}, RevocationHashType::Uci, hashOf(3), kNow));
    const std::vector<uint8_t> prefixOfA(kKidA.begin(), kKidA.begin() + 4);
    EXPECT_FALSE(index->contains(prefixOfA, RevocationHashType::Uci, hashOf(3), kNow));
}

TEST(RevocationIndex, WildcardListAppliesToEveryKid) {
    RevocationIndexBuilder b;
    ASSERT_TRUE(b.addList({}, kUci, std::nullopt, hashes(0, 10)));
    const auto index = indexOf(b);
    EXPECT_TRUE(index->contains(kKidA, RevocationHashType::Uci, hashOf(3), kNow));
    EXPECT_TRUE(index->contains(kKidB, RevocationHashType::Uci, hashOf(3), kNow));
}

TEST(RevocationIndex, ListCountsOnlyForItsHashTypes) {
    RevocationIndexBuilder b;
    ASSERT_TRUE(b.addList({}, kUci, std::nullopt, hashes(0, 10)));
    const auto index = indexOf(b);
    EXPECT_FALSE(index->contains({}, RevocationHashType::Signature, hashOf(3), kNow));
    EXPECT_FALSE(index->contains({}, RevocationHashType::CountryCodeUci, hashOf(3), kNow));
}

TEST(RevocationIndex, ListWithSeveralTypesCountsForEach) {
    RevocationIndexBuilder b;
    ASSERT_TRUE(b.addList({}, kUci | kSignature, std::nullopt, hashes(0, 10)));
    const auto index = indexOf(b);
    EXPECT_TRUE(index->contains({}, RevocationHashType::Uci, hashOf(3), kNow));
    EXPECT_TRUE(index->contains({}, RevocationHashType::Signature, hashOf(3), kNow));
    EXPECT_FALSE(index->contains({}, RevocationHashType::CountryCodeUci, hashOf(3), kNow));
}

TEST(RevocationIndex, EntryCountsUntilItsListExpiresOnTheValidationClock) {
    RevocationIndexBuilder b;
    ASSERT_TRUE(b.addList({}, kUci, kNow, hashes(0, 10)));
    const auto index = indexOf(b);
    EXPECT_TRUE(index->contains({}, RevocationHashType::Uci, hashOf(3), kNow - 1h));
    EXPECT_TRUE(index->contains({}, RevocationHashType::Uci, hashOf(3), kNow));  // at the instant: still counts
    EXPECT_FALSE(index->contains({}, RevocationHashType::Uci, hashOf(3), kNow + 1ms));
}

TEST(RevocationIndex, ExpiredListIsIgnoredNotRefused) {
    RevocationIndexBuilder b;
    ASSERT_TRUE(b.addList({}, kUci, kNow - 24h, hashes(0, 10)));
    ASSERT_TRUE(b.addList({}, kUci, std::nullopt, hashes(100, 10)));
    const auto index = indexOf(b);
    ASSERT_TRUE(index);
    EXPECT_FALSE(index->contains({}, RevocationHashType::Uci, hashOf(3), kNow));
    EXPECT_TRUE(index->contains({}, RevocationHashType::Uci, hashOf(103), kNow));
}

TEST(RevocationIndex, TypesForNamesTheTypesOfTheListsThatApply) {
    RevocationIndexBuilder b;
    ASSERT_TRUE(b.addList(kKidA, kUci, std::nullopt, hashes(0, 10)));
    ASSERT_TRUE(b.addList(kKidB, kSignature, std::nullopt, hashes(0, 10)));
    ASSERT_TRUE(b.addList({}, kCountry, kNow - 1h, hashes(0, 10)));
    const auto index = indexOf(b);
    EXPECT_EQ(kUci, index->typesFor(kKidA, kNow));
    EXPECT_EQ(kSignature, index->typesFor(kKidB, kNow));
    EXPECT_EQ(kCountry | kUci, index->typesFor(kKidA, kNow - 2h));
    EXPECT_EQ(0, index->typesFor(std::vector<uint8_t>{9, 9, 9, 9, 9, 9, 9, 9}, kNow));
}

TEST(RevocationIndex, ManyKidListsAreEachFoundByTheirKid) {
    RevocationIndexBuilder b;
    for (uint8_t k = 0; k < 200; ++k) {
        ASSERT_TRUE(b.addList({k, static_cast<uint8_t>(255 - k), 0, 0, 0, 0, 0, 1}, kUci, std::nullopt, hashes(k * 10u, 10)));
    }
    const auto index = indexOf(b);
    for (uint8_t k = 0; k < 200; ++k) {
        const std::vector<uint8_t> kid{k, static_cast<uint8_t>(255 - k), 0, 0, 0, 0, 0, 1};
        EXPECT_TRUE(index->contains(kid, RevocationHashType::Uci, hashOf(k * 10u + 9), kNow)) << int(k);
        EXPECT_FALSE(index->contains(kid, RevocationHashType::Uci, hashOf(k * 10u + 10), kNow)) << int(k);
    }
}

TEST(RevocationIndex, BuilderDropsDuplicatesAndSorts) {
    RevocationIndexBuilder b;
    auto h = hashes(0, 10);
    h.insert(h.end(), h.begin(), h.end());
    std::reverse(h.begin(), h.end());
    ASSERT_TRUE(b.addList({}, kUci, std::nullopt, h));
    EXPECT_EQ(10u, b.entries());
    EXPECT_TRUE(indexOf(b));
}

TEST(RevocationIndex, EmptyIndexIsValidAndHoldsNothing) {
    RevocationIndexBuilder b;
    const auto index = indexOf(b);
    ASSERT_TRUE(index);
    EXPECT_EQ(0u, index->entries());
    EXPECT_EQ(0u, index->listCount());
    EXPECT_FALSE(index->contains(kKidA, RevocationHashType::Uci, hashOf(1), kNow));
}

TEST(RevocationIndex, ListsReadBackAsBuilt) {
    RevocationIndexBuilder b;
    ASSERT_TRUE(b.addList(kKidA, kUci, kNow, hashes(0, 7)));
    const auto index = indexOf(b);
    ASSERT_EQ(1u, index->listCount());
    const auto l = index->list(0);
    EXPECT_EQ(kKidA, l.kid);
    EXPECT_EQ(kUci, l.types);
    EXPECT_EQ(kNow, l.expiresAt);
    EXPECT_EQ(7u, l.entries);
    EXPECT_EQ(7u * kRevocationHashBytes, index->listHashes(0).size());
    EXPECT_EQ(kIssued, index->issuedAt());
}

TEST(RevocationIndex, BuilderRefusesAKidOverSixteenBytesAndABadMask) {
    RevocationIndexBuilder b;
    EXPECT_FALSE(b.addList(std::vector<uint8_t>(17, 1), kUci, std::nullopt, {}));
    EXPECT_FALSE(b.addList(kKidA, 0, std::nullopt, {}));
    EXPECT_FALSE(b.addList(kKidA, 8, std::nullopt, {}));
}

TEST(RevocationIndexFile, LoadsByMmapWithItsDigestAndCount) {
    TempDir dir;
    const auto bytes = twoListBytes();
    writeFile(dir / "r.idx", bytes);
    auto index = RevocationIndex::load(dir / "r.idx");
    ASSERT_TRUE(index) << index.error().message;
    EXPECT_EQ(sha256Of(bytes), (*index)->sha256());
    EXPECT_EQ(150u, (*index)->entries());
    EXPECT_EQ(bytes.size(), (*index)->fileBytes());
    EXPECT_EQ((dir / "r.idx").string(), (*index)->source());
    EXPECT_TRUE((*index)->contains(kKidA, RevocationHashType::Uci, hashOf(42), kNow));
}

TEST(RevocationIndexFile, MatchingBundleDigestIsAccepted) {
    TempDir dir;
    const auto bytes = twoListBytes();
    writeFile(dir / "r.idx", bytes);
    EXPECT_TRUE(RevocationIndex::load(dir / "r.idx", RevocationDigest{sha256Of(bytes), 150}));
}

TEST(RevocationIndexFile, WrongBundleDigestIsRefused) {
    TempDir dir;
    const auto bytes = twoListBytes();
    writeFile(dir / "r.idx", bytes);
    auto digest = sha256Of(bytes);
    digest[0] ^= 1;
    const auto r = RevocationIndex::load(dir / "r.idx", RevocationDigest{digest, 150});
    ASSERT_FALSE(r);
    EXPECT_NE(std::string::npos, r.error().message.find("not the one the bundle names"));
}

TEST(RevocationIndexFile, WrongBundleCountIsRefused) {
    TempDir dir;
    const auto bytes = twoListBytes();
    writeFile(dir / "r.idx", bytes);
    EXPECT_FALSE(RevocationIndex::load(dir / "r.idx", RevocationDigest{sha256Of(bytes), 151}));
}

TEST(RevocationIndexFile, EveryTruncationIsRefused) {
    TempDir dir;
    const auto bytes = twoListBytes();
    for (std::size_t keep : {std::size_t{0}, std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{95}, kHeaderBytes + kListBytes,
                             bytes.size() / 2, bytes.size() - kTrailerBytes, bytes.size() - 1}) {
        writeFile(dir / "r.idx", std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep)));
        EXPECT_FALSE(RevocationIndex::load(dir / "r.idx")) << keep;
    }
}

TEST(RevocationIndexFile, TrailingBytesAreRefused) {
    auto bytes = twoListBytes();
    bytes.push_back(0);
    EXPECT_FALSE(RevocationIndex::fromBytes(bytes));
}

TEST(RevocationIndexFile, EverySingleBitFlipIsRefused) {
    const auto bytes = twoListBytes();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        for (int bit : {0, 7}) {
            auto damaged = bytes;
            damaged[i] ^= static_cast<uint8_t>(1u << bit);
            EXPECT_FALSE(RevocationIndex::fromBytes(damaged)) << "byte " << i << " bit " << bit;
        }
    }
}

TEST(RevocationIndexFile, MissingFileIsRefusedWithItsName) {
    TempDir dir;
    const auto r = RevocationIndex::load(dir / "absent.idx");
    ASSERT_FALSE(r);
    EXPECT_NE(std::string::npos, r.error().message.find("absent.idx"));
}

TEST(RevocationIndexFile, UnsortedListIsRefusedEvenWithAGoodDigest) {
    auto bytes = twoListBytes();
    const std::size_t hashesAt = bytes.size() - kTrailerBytes - 150 * kRevocationHashBytes;
    std::swap_ranges(bytes.begin() + static_cast<std::ptrdiff_t>(hashesAt),
                     bytes.begin() + static_cast<std::ptrdiff_t>(hashesAt + kRevocationHashBytes),
                     bytes.begin() + static_cast<std::ptrdiff_t>(hashesAt + kRevocationHashBytes));
    resealTrailer(bytes);
    const auto r = RevocationIndex::fromBytes(bytes);
    ASSERT_FALSE(r);
    EXPECT_NE(std::string::npos, r.error().message.find("ascending"));
}

TEST(RevocationIndexFile, DuplicateEntryIsRefusedEvenWithAGoodDigest) {
    auto bytes = twoListBytes();
    const std::size_t hashesAt = bytes.size() - kTrailerBytes - 150 * kRevocationHashBytes;
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(hashesAt), kRevocationHashBytes,
                bytes.begin() + static_cast<std::ptrdiff_t>(hashesAt + kRevocationHashBytes));
    resealTrailer(bytes);
    EXPECT_FALSE(RevocationIndex::fromBytes(bytes));
}

TEST(RevocationIndexFile, ListRangesThatDoNotAddUpAreRefusedEvenWithAGoodDigest) {
    auto bytes = twoListBytes();
    bytes[kHeaderBytes + 40] = 99;  // list 0's entry count: 100 → 99, list 1 no longer follows it
    resealTrailer(bytes);
    EXPECT_FALSE(RevocationIndex::fromBytes(bytes));
}

TEST(RevocationIndexFile, UnknownHashTypeBitIsRefusedEvenWithAGoodDigest) {
    auto bytes = twoListBytes();
    bytes[kHeaderBytes + 17] |= 0x80;
    resealTrailer(bytes);
    EXPECT_FALSE(RevocationIndex::fromBytes(bytes));
}

TEST(RevocationIndexFile, NonZeroReservedBytesAreRefusedEvenWithAGoodDigest) {
    for (std::size_t at : {std::size_t{28}, std::size_t{56}, kHeaderBytes + 18, kHeaderBytes + 23}) {
        auto bytes = twoListBytes();
        bytes[at] = 1;
        resealTrailer(bytes);
        EXPECT_FALSE(RevocationIndex::fromBytes(bytes)) << at;
    }
}

TEST(RevocationIndexFile, OtherFormatVersionIsRefused) {
    auto bytes = twoListBytes();
    bytes[8] = 2;
    resealTrailer(bytes);
    const auto r = RevocationIndex::fromBytes(bytes);
    ASSERT_FALSE(r);
    EXPECT_NE(std::string::npos, r.error().message.find("version"));
}

TEST(RevocationHolder, BadFileIsRefusedAndThePreviousIndexKeepsServing) {
    TempDir dir;
    writeFile(dir / "good.idx", twoListBytes());
    RevocationHolder holder;
    ASSERT_TRUE(holder.loadAndSwap(dir / "good.idx"));
    const auto before = holder.current();
    auto bad = twoListBytes();
    bad[bad.size() / 2] ^= 0x10;
    writeFile(dir / "bad.idx", bad);
    EXPECT_FALSE(holder.loadAndSwap(dir / "bad.idx"));
    EXPECT_EQ(before, holder.current());
    EXPECT_TRUE(holder.current()->contains(kKidA, RevocationHashType::Uci, hashOf(42), kNow));
}

TEST(RevocationHolder, SnapshotTakenBeforeASwapStaysUsable) {
    TempDir dir;
    writeFile(dir / "a.idx", twoListBytes());
    RevocationIndexBuilder other;
    ASSERT_TRUE(other.addList({}, kUci, std::nullopt, hashes(5000, 3)));
    writeFile(dir / "b.idx", other.build(kIssued));
    RevocationHolder holder;
    ASSERT_TRUE(holder.loadAndSwap(dir / "a.idx"));
    const auto snapshot = holder.current();
    ASSERT_TRUE(holder.loadAndSwap(dir / "b.idx"));
    EXPECT_NE(snapshot, holder.current());
    EXPECT_TRUE(snapshot->contains(kKidA, RevocationHashType::Uci, hashOf(42), kNow));
    EXPECT_TRUE(holder.current()->contains(kKidA, RevocationHashType::Uci, hashOf(5001), kNow));
    EXPECT_FALSE(holder.current()->contains(kKidA, RevocationHashType::Uci, hashOf(42), kNow));
}

TEST(RevocationFreshness, NoIndexIsStaleOnlyWhenRequired) {
    EXPECT_FALSE(revocationStale(nullptr, kNow, {48h, false}));
    EXPECT_TRUE(revocationStale(nullptr, kNow, {48h, true}));
}

TEST(RevocationFreshness, IndexIsStaleOnceOlderThanTheMaximumAge) {
    RevocationIndexBuilder b;
    const auto index = indexOf(b);
    EXPECT_FALSE(revocationStale(index.get(), kIssued + 48h, {48h, true}));
    EXPECT_TRUE(revocationStale(index.get(), kIssued + 48h + 1ms, {48h, false}));
}

TEST(RevocationFreshness, SummaryShowsAgeEntriesAndSource) {
    RevocationIndexBuilder b;
    ASSERT_TRUE(b.addList({}, kUci, std::nullopt, hashes(0, 5)));
    const auto index = indexOf(b);
    const auto s = summarise(index.get(), kNow, {48h, false});
    EXPECT_TRUE(s.loaded);
    EXPECT_FALSE(s.stale);
    EXPECT_DOUBLE_EQ(6.0, s.ageHours);
    EXPECT_EQ(5u, s.entries);
    EXPECT_EQ(1u, s.lists);
    EXPECT_EQ("memory", s.source);
    EXPECT_EQ(64u, s.sha256Hex.size());
    EXPECT_FALSE(summarise(nullptr, kNow, {48h, false}).loaded);
}

TEST(RevocationHashTypeNames, RoundTrip) {
    for (auto t : kRevocationHashTypes) EXPECT_EQ(t, revocationHashTypeFromString(toString(t)));
    EXPECT_FALSE(revocationHashTypeFromString("DRL"));
    EXPECT_EQ("UCI,SIGNATURE", revocationTypesText(kUci | kSignature));
}

}  // namespace
}  // namespace sentinel::trust

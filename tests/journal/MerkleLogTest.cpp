// The Merkle log's pure core (DESIGN §16): RFC 9162 hashing, the compact range, proofs — against
// the transparency-dev/merkle proof vectors and the RFC 6962 test-leaf roots in ../shared/testdata/tlog.

#include "firmware/journal/MerkleLog.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "firmware/journal/Base64.h"
#include "tests/support/TestSupport.h"

namespace sentinel::journal::tlog {
namespace {

std::string unhex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    return out;
}

// The eight RFC 6962 test leaves and the roots of their first N (testdata/tlog/README.md).
const std::vector<std::string> kLeaves = {"", unhex("00"), unhex("10"), unhex("2021"), unhex("3031"), unhex("40414243"),
                                          unhex("5051525354555657"), unhex("606162636465666768696a6b6c6d6e6f")};
const std::vector<std::string> kRoots = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

// RFC 9162 §2.1.1 MTH, written out recursively: the reference the compact range is checked against.
Hash referenceRoot(const std::vector<Hash>& leaves, std::size_t begin, std::size_t end) {
    if (end == begin) return emptyRoot();
    if (end - begin == 1) return leaves[begin];
    std::size_t k = 1;
    while (k * 2 < end - begin) k *= 2;
    return nodeHash(referenceRoot(leaves, begin, begin + k), referenceRoot(leaves, begin + k, end));
}

std::vector<Hash> randomLeaves(std::size_t n, std::mt19937& rng) {
    std::vector<Hash> leaves;
    for (std::size_t i = 0; i < n; ++i) leaves.push_back(leafHash(std::to_string(rng())));
    return leaves;
}

TreeSource sourceOf(const std::vector<Hash>& leaves, std::uint64_t prunedSize = 0) {
    TreeSource t;
    for (std::uint64_t i = 0; i < prunedSize; ++i) t.pruned.append(leaves[i]);
    t.leaf = [&leaves, prunedSize](std::uint64_t i) -> Result<Hash> {
        if (i < prunedSize || i >= leaves.size()) return makeError("no leaf");
        return leaves[i];
    };
    return t;
}

std::vector<std::string> raw(const std::vector<Hash>& hashes) {
    std::vector<std::string> out;
    for (const auto& h : hashes) out.emplace_back(bytesOf(h));
    return out;
}

std::vector<std::filesystem::path> vectorFiles(const std::string& kind) {
    std::vector<std::filesystem::path> files;
    const auto dir = sentinel::testing::testdataDir() / "tlog" / kind;
    if (!std::filesystem::exists(dir)) return files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
        if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

nlohmann::json load(const std::filesystem::path& p) {
    std::ifstream in(p);
    return nlohmann::json::parse(in);
}

std::string decoded(const nlohmann::json& j) {
    return base64Decode(j.get<std::string>()).value_or("<not base64>");
}

std::vector<std::string> decodedList(const nlohmann::json& j) {
    std::vector<std::string> out;
    if (j.is_null()) return out;
    for (const auto& h : j) out.push_back(decoded(h));
    return out;
}

TEST(MerkleLogTest, RootsOfTheRfc6962TestLeavesMatchTheTable) {
    CompactRange range;
    for (std::size_t n = 0; n < kLeaves.size(); ++n) {
        range.append(leafHash(kLeaves[n]));
        EXPECT_EQ(kRoots[n], toHex(range.root())) << "first " << n + 1 << " leaves";
    }
}

TEST(MerkleLogTest, TheEmptyTreeHasTheRootOfNothing) {
    EXPECT_EQ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", toHex(CompactRange{}.root()));
}

TEST(MerkleLogTest, EveryInclusionVectorIsAcceptedExactlyWhenItHasNoWantErr) {
    const auto files = vectorFiles("inclusion");
    if (files.empty()) GTEST_SKIP() << "testdata/tlog/inclusion is absent";
    int accepted = 0, refused = 0;
    for (const auto& f : files) {
        const auto v = load(f);
        const bool ok = verifyInclusion(v["leafIdx"].get<std::uint64_t>(), v["treeSize"].get<std::uint64_t>(),
                                        decoded(v["leafHash"]), decodedList(v["proof"]), decoded(v["root"]))
                            .ok();
        EXPECT_EQ(!v["wantErr"].get<bool>(), ok) << f << ": " << v["desc"];
        (ok ? accepted : refused)++;
    }
    std::cout << "inclusion vectors: " << files.size() << " (" << accepted << " accepted, " << refused << " refused)\n";
}

TEST(MerkleLogTest, EveryConsistencyVectorIsAcceptedExactlyWhenItHasNoWantErr) {
    const auto files = vectorFiles("consistency");
    if (files.empty()) GTEST_SKIP() << "testdata/tlog/consistency is absent";
    int accepted = 0, refused = 0;
    for (const auto& f : files) {
        const auto v = load(f);
        const bool ok = verifyConsistency(v["size1"].get<std::uint64_t>(), v["size2"].get<std::uint64_t>(),
                                          decodedList(v["proof"]), decoded(v["root1"]), decoded(v["root2"]))
                            .ok();
        EXPECT_EQ(!v["wantErr"].get<bool>(), ok) << f << ": " << v["desc"];
        (ok ? accepted : refused)++;
    }
    std::cout << "consistency vectors: " << files.size() << " (" << accepted << " accepted, " << refused << " refused)\n";
}

TEST(MerkleLogTest, CompactRangeRootEqualsTheRecursiveTreeHashAtEverySize) {
    std::mt19937 rng(28);
    const auto leaves = randomLeaves(300, rng);
    CompactRange range;
    for (std::size_t n = 0; n <= leaves.size(); ++n) {
        ASSERT_EQ(referenceRoot(leaves, 0, n), range.root()) << n;
        ASSERT_EQ(static_cast<std::size_t>(std::popcount(n)), range.nodes().size());
        auto copy = CompactRange::fromBytes(range.size(), range.toBytes());
        ASSERT_TRUE(copy);
        ASSERT_EQ(range, *copy);
        if (n < leaves.size()) range.append(leaves[n]);
    }
}

TEST(MerkleLogTest, ACompactRangeOfTheWrongLengthIsRefused) {
    CompactRange r;
    r.append(leafHash("a"));
    r.append(leafHash("b"));
    r.append(leafHash("c"));  // size 3: two nodes
    EXPECT_FALSE(CompactRange::fromBytes(3, r.toBytes().substr(32)));
    EXPECT_FALSE(CompactRange::fromBytes(4, r.toBytes()));
    EXPECT_TRUE(CompactRange::fromBytes(3, r.toBytes()));
}

TEST(MerkleLogTest, MadeInclusionProofsVerifyAndFailForAnyOtherLeafOrRoot) {
    std::mt19937 rng(7);
    const auto leaves = randomLeaves(70, rng);
    const auto tree = sourceOf(leaves);
    for (std::uint64_t size = 1; size <= leaves.size(); ++size) {
        const Hash root = referenceRoot(leaves, 0, size);
        for (std::uint64_t i = 0; i < size; ++i) {
            auto proof = inclusionProof(tree, i, size);
            ASSERT_TRUE(proof) << proof.error().message;
            ASSERT_TRUE(verifyInclusion(i, size, bytesOf(leaves[i]), raw(*proof), bytesOf(root))) << i << "/" << size;
            EXPECT_FALSE(verifyInclusion(i, size, bytesOf(leafHash("other")), raw(*proof), bytesOf(root)));
            if (size > 1) {
                EXPECT_FALSE(verifyInclusion((i + 1) % size, size, bytesOf(leaves[i]), raw(*proof), bytesOf(root)));
            }
        }
    }
}

TEST(MerkleLogTest, MadeConsistencyProofsVerifyBetweenEverySizePair) {
    std::mt19937 rng(9);
    const auto leaves = randomLeaves(40, rng);
    const auto tree = sourceOf(leaves);
    for (std::uint64_t s2 = 1; s2 <= leaves.size(); ++s2) {
        for (std::uint64_t s1 = 1; s1 <= s2; ++s1) {
            auto proof = consistencyProof(tree, s1, s2);
            ASSERT_TRUE(proof);
            const Hash r1 = referenceRoot(leaves, 0, s1), r2 = referenceRoot(leaves, 0, s2);
            ASSERT_TRUE(verifyConsistency(s1, s2, raw(*proof), bytesOf(r1), bytesOf(r2))) << s1 << "→" << s2;
            if (s1 < s2) {
                EXPECT_FALSE(verifyConsistency(s1, s2, raw(*proof), bytesOf(r2), bytesOf(r1)));
            }
        }
    }
}

// Retention keeps only the pruned prefix's compact range: every proof for a leaf after it can
// still be made, and verifies against the root of the whole tree.
TEST(MerkleLogTest, ProofsForLeavesAfterAPrunedPrefixNeedOnlyItsCompactRange) {
    std::mt19937 rng(11);
    const auto leaves = randomLeaves(90, rng);
    for (std::uint64_t pruned = 0; pruned <= 64; ++pruned) {
        const auto tree = sourceOf(leaves, pruned);
        for (std::uint64_t size = std::max<std::uint64_t>(pruned, 1); size <= leaves.size(); size += 7) {
            const Hash root = referenceRoot(leaves, 0, size);
            ASSERT_EQ(root, *subtreeHash(tree, 0, size)) << pruned << "/" << size;
            for (std::uint64_t i = pruned; i < size; ++i) {
                auto proof = inclusionProof(tree, i, size);
                ASSERT_TRUE(proof) << "pruned " << pruned << ", leaf " << i << " of " << size << ": " << proof.error().message;
                ASSERT_TRUE(verifyInclusion(i, size, bytesOf(leaves[i]), raw(*proof), bytesOf(root)));
            }
        }
    }
}

TEST(MerkleLogTest, Base64IsStandardPaddedAndStrict) {
    EXPECT_EQ("", base64Encode(""));
    EXPECT_EQ("Zg==", base64Encode("f"));
    EXPECT_EQ("Zm8=", base64Encode("fo"));
    EXPECT_EQ("Zm9vYmFy", base64Encode("foobar"));
    EXPECT_EQ("foobar", base64Decode("Zm9vYmFy"));
    EXPECT_EQ("f", base64Decode("Zg=="));
    EXPECT_FALSE(base64Decode("Zg="));     // length
    EXPECT_FALSE(base64Decode("Zh=="));    // non-zero padding bits
    EXPECT_FALSE(base64Decode("Zm9v YmFy"));
    EXPECT_FALSE(base64Decode("Zm9_"));    // base64url is another alphabet
    EXPECT_FALSE(base64Decode("Z==="));
    EXPECT_FALSE(base64Decode("=Zg="));
}

}  // namespace
}  // namespace sentinel::journal::tlog

#pragma once
// The journal's Merkle log (DESIGN §16), pure: no I/O, no threads. Hashing per RFC 9162 §2.1.1
// (SHA-256; leaf = H(0x00 || line), node = H(0x01 || left || right), the empty tree = H("")); the
// compact range that appends a leaf in O(log n) and gives the root; inclusion and consistency proofs
// (RFC 9162 §2.1.3, §2.1.4), made and verified.

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::journal::tlog {

inline constexpr std::size_t kHashBytes = 32;  // SHA-256
using Hash = std::array<std::uint8_t, kHashBytes>;

Hash leafHash(std::string_view leaf);
Hash nodeHash(const Hash& left, const Hash& right);
Hash emptyRoot();  // the root of a tree with no leaves: SHA-256 of nothing

std::string_view bytesOf(const Hash& h);                 // the 32 bytes, as a view
std::optional<Hash> hashFromBytes(std::string_view bytes);  // nullopt unless exactly 32 bytes
std::string toBase64(const Hash& h);
std::optional<Hash> hashFromBase64(std::string_view text);
std::string toHex(const Hash& h);

// The right edge of a tree of size() leaves: the roots of its perfect subtrees, one per set bit of
// size(), leftmost (largest) first. Enough to append and to compute the root; it is also what the
// journal keeps of a pruned prefix.
class CompactRange {
public:
    CompactRange() = default;
    // nullopt unless `bytes` holds exactly popcount(size) hashes.
    static std::optional<CompactRange> fromBytes(std::uint64_t size, std::string_view bytes);
    std::string toBytes() const;  // the hashes concatenated

    std::uint64_t size() const { return size_; }
    const std::vector<Hash>& nodes() const { return nodes_; }
    void append(const Hash& leaf);
    Hash root() const;
    // The subtree hash of [begin, end) when it is one of nodes(); nullopt otherwise.
    std::optional<Hash> node(std::uint64_t begin, std::uint64_t end) const;

    bool operator==(const CompactRange&) const = default;

private:
    std::uint64_t size_ = 0;
    std::vector<Hash> nodes_;
};

// Proof verification. Hashes are raw bytes (32 for SHA-256; a proof element or leaf hash of any other
// length fails). Errors say why the proof does not hold.
Status verifyInclusion(std::uint64_t index, std::uint64_t size, std::string_view leafHash,
                       const std::vector<std::string>& proof, std::string_view root);
// Sizes equal: the proof must be empty and the roots equal (and the empty tree's root for size 0).
// size1 = 0 < size2 proves nothing and fails, as does size1 > size2.
Status verifyConsistency(std::uint64_t size1, std::uint64_t size2, const std::vector<std::string>& proof,
                         std::string_view root1, std::string_view root2);

// The leaves proofs are made from: those of [pruned.size(), …) by index, the pruned prefix only as
// its compact range (a proof that needs a node inside the prefix that is not one of the range's
// nodes fails). `leaf` returns an error for an index it does not have.
struct TreeSource {
    CompactRange pruned;
    std::function<Result<Hash>(std::uint64_t index)> leaf;
};
Result<Hash> subtreeHash(const TreeSource& tree, std::uint64_t begin, std::uint64_t end);
// RFC 9162 §2.1.3.1 PATH: from the leaf's sibling up to the root's child.
Result<std::vector<Hash>> inclusionProof(const TreeSource& tree, std::uint64_t index, std::uint64_t size);
// RFC 9162 §2.1.4.1 PROOF, 0 < size1 ≤ size2.
Result<std::vector<Hash>> consistencyProof(const TreeSource& tree, std::uint64_t size1, std::uint64_t size2);

}  // namespace sentinel::journal::tlog

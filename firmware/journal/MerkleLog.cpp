#include "firmware/journal/MerkleLog.h"

#include <algorithm>
#include <bit>
#include <initializer_list>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "firmware/journal/Base64.h"

namespace sentinel::journal::tlog {
namespace {

// RFC 9162 §2.1.1 domain separation.
constexpr std::uint8_t kLeafPrefix = 0x00;
constexpr std::uint8_t kNodePrefix = 0x01;

// The largest power of two smaller than n (n ≥ 2): where RFC 9162 splits a tree of n leaves.
std::uint64_t splitPoint(std::uint64_t n) { return std::bit_floor(n - 1); }

// SHA-256 of the parts, through a digest context per thread with the algorithm fetched once
// (OpenSSL 3's one-shot SHA256() fetches it on every call, which costs more than hashing a line).
Hash sha256(std::initializer_list<std::string_view> parts) {
    struct Sha256 {
        EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        ~Sha256() {
            EVP_MD_CTX_free(ctx);
            EVP_MD_free(md);
        }
    };
    thread_local Sha256 sha;
    Hash out;
    unsigned int len = 0;
    bool ok = sha.md && sha.ctx && EVP_DigestInit_ex(sha.ctx, sha.md, nullptr) == 1;
    for (auto p : parts) ok = ok && EVP_DigestUpdate(sha.ctx, p.data(), p.size()) == 1;
    if (ok && EVP_DigestFinal_ex(sha.ctx, out.data(), &len) == 1 && len == kHashBytes) return out;
    // Without a context (out of memory): the one-shot way.
    std::string all;
    for (auto p : parts) all.append(p);
    SHA256(reinterpret_cast<const unsigned char*>(all.data()), all.size(), out.data());
    return out;
}

// Both inputs are 32 bytes (checked by the callers).
Hash nodeHashBytes(std::string_view left, std::string_view right) {
    return sha256({std::string_view(reinterpret_cast<const char*>(&kNodePrefix), 1), left, right});
}

Result<std::vector<Hash>> path(const TreeSource& tree, std::uint64_t m, std::uint64_t begin, std::uint64_t end);
Result<std::vector<Hash>> subproof(const TreeSource& tree, std::uint64_t m, std::uint64_t begin, std::uint64_t end,
                                   bool whole);

}  // namespace

Hash leafHash(std::string_view leaf) {
    return sha256({std::string_view(reinterpret_cast<const char*>(&kLeafPrefix), 1), leaf});
}

Hash nodeHash(const Hash& left, const Hash& right) { return nodeHashBytes(bytesOf(left), bytesOf(right)); }

Hash emptyRoot() {
    Hash out;
    SHA256(nullptr, 0, out.data());
    return out;
}

std::string_view bytesOf(const Hash& h) { return {reinterpret_cast<const char*>(h.data()), h.size()}; }

std::optional<Hash> hashFromBytes(std::string_view bytes) {
    if (bytes.size() != kHashBytes) return std::nullopt;
    Hash h;
    for (std::size_t i = 0; i < kHashBytes; ++i) h[i] = static_cast<std::uint8_t>(bytes[i]);
    return h;
}

std::string toBase64(const Hash& h) { return base64Encode(bytesOf(h)); }

std::optional<Hash> hashFromBase64(std::string_view text) {
    auto bytes = base64Decode(text);
    if (!bytes) return std::nullopt;
    return hashFromBytes(*bytes);
}

std::string toHex(const Hash& h) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    s.reserve(2 * kHashBytes);
    for (auto b : h) {
        s += kDigits[b >> 4];
        s += kDigits[b & 15];
    }
    return s;
}

// --- compact range ------------------------------------------------------------------------------

std::optional<CompactRange> CompactRange::fromBytes(std::uint64_t size, std::string_view bytes) {
    const auto count = static_cast<std::size_t>(std::popcount(size));
    if (bytes.size() != count * kHashBytes) return std::nullopt;
    CompactRange r;
    r.size_ = size;
    for (std::size_t i = 0; i < count; ++i) r.nodes_.push_back(*hashFromBytes(bytes.substr(i * kHashBytes, kHashBytes)));
    return r;
}

std::string CompactRange::toBytes() const {
    std::string out;
    out.reserve(nodes_.size() * kHashBytes);
    for (const auto& h : nodes_) out += bytesOf(h);
    return out;
}

void CompactRange::append(const Hash& leaf) {
    nodes_.push_back(leaf);
    // Each trailing one bit of the old size is a perfect subtree the new leaf's subtree now pairs with.
    for (std::uint64_t s = size_; (s & 1) != 0; s >>= 1) {
        const Hash right = nodes_.back();
        nodes_.pop_back();
        nodes_.back() = nodeHash(nodes_.back(), right);
    }
    ++size_;
}

Hash CompactRange::root() const {
    if (nodes_.empty()) return emptyRoot();
    Hash r = nodes_.back();
    for (auto i = nodes_.size() - 1; i-- > 0;) r = nodeHash(nodes_[i], r);
    return r;
}

std::optional<Hash> CompactRange::node(std::uint64_t begin, std::uint64_t end) const {
    std::uint64_t at = 0;
    std::size_t i = 0;
    for (int bit = 63; bit >= 0; --bit) {
        const std::uint64_t width = std::uint64_t{1} << bit;
        if ((size_ & width) == 0) continue;
        if (at == begin && at + width == end) return nodes_[i];
        at += width;
        ++i;
    }
    return std::nullopt;
}

// --- proof verification (RFC 9162 §2.1.3.2, §2.1.4.2) -------------------------------------------

Status verifyInclusion(std::uint64_t index, std::uint64_t size, std::string_view leafHashBytes,
                       const std::vector<std::string>& proof, std::string_view root) {
    if (index >= size) return makeError("index " + std::to_string(index) + " is not below the tree size " + std::to_string(size));
    if (leafHashBytes.size() != kHashBytes) return makeError("leaf hash is not 32 bytes");
    for (const auto& p : proof) {
        if (p.size() != kHashBytes) return makeError("a proof hash is not 32 bytes");
    }
    std::uint64_t fn = index, sn = size - 1;
    std::string r(leafHashBytes);
    for (const auto& p : proof) {
        if (sn == 0) return makeError("proof is longer than the path to the root");
        if ((fn & 1) != 0 || fn == sn) {
            r = std::string(bytesOf(nodeHashBytes(p, r)));
            if ((fn & 1) == 0) {
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = std::string(bytesOf(nodeHashBytes(r, p)));
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) return makeError("proof is shorter than the path to the root");
    if (r != root) return makeError("the proof leads to another root");
    return Ok{};
}

Status verifyConsistency(std::uint64_t size1, std::uint64_t size2, const std::vector<std::string>& proof,
                         std::string_view root1, std::string_view root2) {
    if (size1 > size2) return makeError("the first tree is larger than the second");
    if (size1 == size2) {
        if (!proof.empty()) return makeError("trees of equal size need an empty proof");
        if (root1 != root2) return makeError("trees of equal size have different roots");
        if (size1 == 0 && root1 != bytesOf(emptyRoot())) return makeError("an empty tree's root is SHA-256 of nothing");
        return Ok{};
    }
    if (size1 == 0) return makeError("a consistency proof from the empty tree proves nothing");
    if (proof.empty()) return makeError("empty proof");
    if (root1.size() != kHashBytes || root2.size() != kHashBytes) return makeError("a root is not 32 bytes");
    for (const auto& p : proof) {
        if (p.size() != kHashBytes) return makeError("a proof hash is not 32 bytes");
    }
    std::vector<std::string_view> path;
    if (std::has_single_bit(size1)) path.push_back(root1);
    for (const auto& p : proof) path.push_back(p);
    std::uint64_t fn = size1 - 1, sn = size2 - 1;
    while ((fn & 1) != 0) {
        fn >>= 1;
        sn >>= 1;
    }
    std::string fr(path[0]), sr(path[0]);
    for (std::size_t i = 1; i < path.size(); ++i) {
        const auto c = path[i];
        if (sn == 0) return makeError("proof is longer than needed");
        if ((fn & 1) != 0 || fn == sn) {
            fr = std::string(bytesOf(nodeHashBytes(c, fr)));
            sr = std::string(bytesOf(nodeHashBytes(c, sr)));
            if ((fn & 1) == 0) {
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = std::string(bytesOf(nodeHashBytes(sr, c)));
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) return makeError("proof is shorter than needed");
    if (fr != root1) return makeError("the proof does not lead to the first root");
    if (sr != root2) return makeError("the proof does not lead to the second root");
    return Ok{};
}

// --- proof generation (RFC 9162 §2.1.3.1, §2.1.4.1) ---------------------------------------------

Result<Hash> subtreeHash(const TreeSource& tree, std::uint64_t begin, std::uint64_t end) {
    const std::uint64_t n = end - begin;
    if (n == 0) return emptyRoot();
    if (end <= tree.pruned.size()) {
        if (auto h = tree.pruned.node(begin, end)) return *h;
        if (n == 1) {
            return makeError("leaf " + std::to_string(begin) + " was pruned");
        }
    } else if (n == 1) {
        return tree.leaf(begin);
    }
    const std::uint64_t k = splitPoint(n);
    auto left = subtreeHash(tree, begin, begin + k);
    if (!left) return left.error();
    auto right = subtreeHash(tree, begin + k, end);
    if (!right) return right.error();
    return nodeHash(*left, *right);
}

namespace {

Result<std::vector<Hash>> path(const TreeSource& tree, std::uint64_t m, std::uint64_t begin, std::uint64_t end) {
    const std::uint64_t n = end - begin;
    if (n == 1) return std::vector<Hash>{};
    const std::uint64_t k = splitPoint(n);
    Result<std::vector<Hash>> below = m < k ? path(tree, m, begin, begin + k) : path(tree, m - k, begin + k, end);
    if (!below) return below;
    auto sibling = m < k ? subtreeHash(tree, begin + k, end) : subtreeHash(tree, begin, begin + k);
    if (!sibling) return sibling.error();
    below->push_back(*sibling);
    return below;
}

Result<std::vector<Hash>> subproof(const TreeSource& tree, std::uint64_t m, std::uint64_t begin, std::uint64_t end,
                                   bool whole) {
    const std::uint64_t n = end - begin;
    if (m == n) {
        if (whole) return std::vector<Hash>{};
        auto h = subtreeHash(tree, begin, end);
        if (!h) return h.error();
        return std::vector<Hash>{*h};
    }
    const std::uint64_t k = splitPoint(n);
    Result<std::vector<Hash>> below =
        m <= k ? subproof(tree, m, begin, begin + k, whole) : subproof(tree, m - k, begin + k, end, false);
    if (!below) return below;
    auto other = m <= k ? subtreeHash(tree, begin + k, end) : subtreeHash(tree, begin, begin + k);
    if (!other) return other.error();
    below->push_back(*other);
    return below;
}

}  // namespace

Result<std::vector<Hash>> inclusionProof(const TreeSource& tree, std::uint64_t index, std::uint64_t size) {
    if (index >= size) return makeError("index " + std::to_string(index) + " is not below the tree size " + std::to_string(size));
    return path(tree, index, 0, size);
}

Result<std::vector<Hash>> consistencyProof(const TreeSource& tree, std::uint64_t size1, std::uint64_t size2) {
    if (size1 == 0 || size1 > size2) return makeError("a consistency proof needs 0 < size1 <= size2");
    return subproof(tree, size1, 0, size2, true);
}

}  // namespace sentinel::journal::tlog

#pragma once
// DESIGN §17: the HC1 revocation index — sorted 16-byte hashes in lists (kid or `*`, hash types,
// expiry), in one compact binary file loaded by mmap, validated whole before use and swapped
// atomically (RevocationHolder). Loading reads a file; lookups are pure and allocate nothing.
//
// File format (version 1, every integer little-endian, offsets from the start of the file):
//
//   header, 64 bytes
//     0  8  magic "SNTLREVX"
//     8  4  u32 version = 1
//    12  4  u32 header bytes = 64
//    16  8  i64 issued_at, UTC epoch ms (the list's age, for REVOCATION_LIST_STALE)
//    24  4  u32 list count (≤ kMaxRevocationLists)
//    28  4  u32 reserved = 0
//    32  8  u64 entry count (all lists; ≤ kMaxRevocationEntries)
//    40  8  u64 hashes offset = 64 + 48 × list count, rounded up to 16
//    48  8  u64 file bytes (the whole file, trailer included)
//    56  8  reserved = 0
//   list table, 48 bytes a list
//     0 16  kid, zero-padded
//    16  1  kid bytes: 0 = `*` (every kid), else 1–16
//    17  1  hash types: a mask of RevocationHashType, not 0, no unknown bit
//    18  6  reserved = 0
//    24  8  i64 expires_at, UTC epoch ms; INT64_MAX = never
//    32  8  u64 first entry (lists are contiguous, in table order, from entry 0)
//    40  8  u64 entry count
//   zero padding to the hashes offset
//   hashes: entry count × 16 bytes; within each list strictly ascending (bytewise), no duplicates
//   trailer: SHA-256 over every byte before it (32 bytes)
//
// A bundle names the SHA-256 of the whole file (trailer included) and the entry count
// (RevocationDigest); load() checks both, the trailer, every bound, every reserved byte, the list
// ranges and the order of every list before the index is used: a bad or truncated file is refused
// whole. The file must be replaced by rename (a new inode), never rewritten in place, while mapped.
//
// Clocks: an entry counts while the *validation* clock (the decision's `now`, `verify --at`) is at
// or before its list's expires_at — the same convention as a credential's exp. Freshness
// (issued_at against trust.revocation_max_age_h) is measured on the kiosk's *trusted* clock
// (DESIGN §17), by revocationStale() below, never on a credential's validation clock.

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::trust {

// EU DCC revocation (eHealth Network, "DCC revocation" technical specification): the first 128
// bits of SHA-256. The values are the bits of a list's type mask.
enum class RevocationHashType : uint8_t { Uci = 1, CountryCodeUci = 2, Signature = 4 };
inline constexpr uint8_t kAllRevocationHashTypes = 1 | 2 | 4;
// Lookup order: when several types of one credential hit, the record names the first.
inline constexpr std::array<RevocationHashType, 3> kRevocationHashTypes{
    RevocationHashType::Uci, RevocationHashType::CountryCodeUci, RevocationHashType::Signature};

std::string_view toString(RevocationHashType t);  // "UCI", "COUNTRYCODEUCI", "SIGNATURE"
std::optional<RevocationHashType> revocationHashTypeFromString(std::string_view name);
// "UCI,SIGNATURE" for a mask.
std::string revocationTypesText(uint8_t mask);

inline constexpr std::size_t kRevocationHashBytes = 16;  // the spec's 128-bit truncation
using RevocationHash = std::array<uint8_t, kRevocationHashBytes>;
inline constexpr std::size_t kSha256Bytes = 32;
using Sha256Digest = std::array<uint8_t, kSha256Bytes>;

// Bounds of the format: a kid of the trust list is 8 bytes (HCERT §3.3.1), 16 leaves room; a few
// thousand DSCs each with a list per type is far below 65 536 lists; 64 Mi entries (1 GiB) is ten
// times the EU's whole revocation volume at its peak.
inline constexpr std::size_t kMaxRevocationKidBytes = 16;
inline constexpr std::uint32_t kMaxRevocationLists = 65536;
inline constexpr std::uint64_t kMaxRevocationEntries = std::uint64_t{1} << 26;
inline constexpr std::uint32_t kRevocationFormatVersion = 1;

// What a signed bundle names for an index file: SHA-256 of the whole file and its entry count.
struct RevocationDigest {
    Sha256Digest sha256{};
    std::uint64_t entries = 0;
};

struct RevocationListInfo {
    std::vector<uint8_t> kid;  // empty = `*`
    uint8_t types = 0;         // RevocationHashType mask
    std::optional<UtcTime> expiresAt;  // nullopt = never
    std::uint64_t entries = 0;
};

class RevocationIndex {
public:
    // Maps `path` read-only and validates it whole (see the format above); with `expected`, the
    // file's SHA-256 and entry count must equal it. Errors name the file and what is wrong; nothing
    // of a refused file is used.
    static Result<std::shared_ptr<const RevocationIndex>> load(const std::filesystem::path& path,
                                                               const std::optional<RevocationDigest>& expected = std::nullopt);
    // The same validation on bytes in memory (tests, the fuzz target).
    static Result<std::shared_ptr<const RevocationIndex>> fromBytes(std::vector<uint8_t> bytes,
                                                                    const std::optional<RevocationDigest>& expected = std::nullopt);

    ~RevocationIndex();
    RevocationIndex(const RevocationIndex&) = delete;
    RevocationIndex& operator=(const RevocationIndex&) = delete;

    // The hash types held by some list that applies to `kid` (its kid or `*`) and has not expired
    // at `validationTime`: the types worth hashing. 0 = nothing to look up.
    uint8_t typesFor(std::span<const uint8_t> kid, UtcTime validationTime) const;
    // Whether `hash` is in a list that applies to `kid`, holds `type` and has not expired at
    // `validationTime`. Binary search in each such list; no allocation.
    bool contains(std::span<const uint8_t> kid, RevocationHashType type, const RevocationHash& hash, UtcTime validationTime) const;

    UtcTime issuedAt() const { return issuedAt_; }
    std::uint64_t entries() const { return entries_; }
    std::size_t listCount() const { return lists_.size(); }
    RevocationListInfo list(std::size_t i) const;
    // The sorted hashes of list i (entries × 16 bytes), inside the mapping.
    std::span<const uint8_t> listHashes(std::size_t i) const;
    const Sha256Digest& sha256() const { return sha256_; }  // of the whole file: what a bundle names
    std::uint64_t fileBytes() const { return size_; }
    const std::string& source() const { return source_; }   // the path, or "memory"

private:
    struct List {
        std::array<uint8_t, kMaxRevocationKidBytes> kid{};
        uint8_t kidBytes = 0;
        uint8_t types = 0;
        std::int64_t expiresAtMs = 0;
        std::uint64_t first = 0, count = 0;
    };
    class Storage;

    RevocationIndex() = default;
    static Result<std::shared_ptr<const RevocationIndex>> validate(std::unique_ptr<Storage> storage, std::string source,
                                                                   const std::optional<RevocationDigest>& expected);
    template <class F>
    void forEachApplicable(std::span<const uint8_t> kid, UtcTime validationTime, F&& f) const;
    bool listContains(const List& l, const RevocationHash& hash) const;

    std::unique_ptr<Storage> storage_;
    const uint8_t* data_ = nullptr;
    std::uint64_t size_ = 0;
    const uint8_t* hashes_ = nullptr;
    std::vector<List> lists_;
    std::vector<std::uint32_t> wildcard_;  // lists with kid `*`
    std::vector<std::uint32_t> byKid_;     // the other lists, sorted by kid
    UtcTime issuedAt_{};
    std::uint64_t entries_ = 0;
    Sha256Digest sha256_{};
    std::string source_;
};

// Writes index files (`sentinel fleet revocation build`). Pure: build() returns the bytes.
class RevocationIndexBuilder {
public:
    // One list. `kid` empty = `*`; `types` a non-zero RevocationHashType mask; `hashes` in any
    // order, duplicates dropped. Errors: a kid over kMaxRevocationKidBytes, a bad mask, too many
    // lists or entries.
    Status addList(std::vector<uint8_t> kid, uint8_t types, std::optional<UtcTime> expiresAt, std::vector<RevocationHash> hashes);
    // Every list of an existing index, as it is.
    Status addLists(const RevocationIndex& index);
    std::uint64_t entries() const { return entries_; }
    std::vector<uint8_t> build(UtcTime issuedAt) const;

private:
    struct List {
        std::vector<uint8_t> kid;
        uint8_t types = 0;
        std::optional<UtcTime> expiresAt;
        std::vector<RevocationHash> hashes;  // sorted, unique
    };
    std::vector<List> lists_;
    std::uint64_t entries_ = 0;
};

// §17 freshness, on the kiosk's trusted clock: stale when no index is in force while `required`
// (trust.require_revocation), or when the one in force was issued more than `maxAge`
// (trust.revocation_max_age_h) before `trustedNow`. No index and not required → not stale.
struct RevocationFreshness {
    std::chrono::hours maxAge{48};
    bool required = false;
};
bool revocationStale(const RevocationIndex* index, UtcTime trustedNow, const RevocationFreshness& freshness);

// What status, diag and the fleet status show about the index in force.
struct RevocationSummary {
    bool loaded = false;
    bool stale = false;
    std::optional<UtcTime> issuedAt;
    double ageHours = 0.0;  // on the trusted clock given
    std::uint64_t entries = 0;
    std::size_t lists = 0;
    std::string sha256Hex;
    std::string source;
};
RevocationSummary summarise(const RevocationIndex* index, UtcTime trustedNow, const RevocationFreshness& freshness);

// The index in force, swapped atomically while decisions go on (the TrustStore pattern): a
// decision takes one snapshot and keeps it, even if a new index is swapped in meanwhile. Loading
// and validating happen outside the lock; the lock covers only the pointer swap.
class RevocationHolder {
public:
    RevocationHolder() = default;
    explicit RevocationHolder(std::shared_ptr<const RevocationIndex> initial) : index_(std::move(initial)) {}

    std::shared_ptr<const RevocationIndex> current() const {
        std::lock_guard lock(mutex_);
        return index_;
    }
    // Returns the index it replaced (released by the caller, outside the lock).
    std::shared_ptr<const RevocationIndex> replace(std::shared_ptr<const RevocationIndex> next) {
        std::lock_guard lock(mutex_);
        index_.swap(next);
        return next;
    }
    // Loads and validates `path`; swaps it in only when it is good. On an error the index in force
    // stays and keeps deciding.
    Result<std::shared_ptr<const RevocationIndex>> loadAndSwap(const std::filesystem::path& path,
                                                               const std::optional<RevocationDigest>& expected = std::nullopt);

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const RevocationIndex> index_;
};

// Lowercase hex of bytes.
std::string hexOf(std::span<const uint8_t> bytes);
// SHA-256 of bytes (OpenSSL stays private to this module).
Sha256Digest sha256Of(std::span<const uint8_t> bytes);

}  // namespace sentinel::trust

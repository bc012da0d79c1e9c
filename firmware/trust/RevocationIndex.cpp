#include "firmware/trust/RevocationIndex.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>

namespace sentinel::trust {
namespace {

constexpr std::array<uint8_t, 8> kMagic{'S', 'N', 'T', 'L', 'R', 'E', 'V', 'X'};
constexpr std::size_t kHeaderBytes = 64;
constexpr std::size_t kListBytes = 48;
constexpr std::size_t kHashesAlignment = 16;  // each hash starts on its own 16-byte boundary
constexpr std::int64_t kNeverMs = std::numeric_limits<std::int64_t>::max();
// Times beyond ±10^14 ms (about year 5138) are no date a list is issued or expires at; bounding
// them keeps the arithmetic on them far from overflow.
constexpr std::int64_t kMaxEpochMs = 100'000'000'000'000;
constexpr double kMsPerHour = 3600.0 * 1000.0;

// Header field offsets (see the header comment of RevocationIndex.h).
constexpr std::size_t kOffVersion = 8, kOffHeaderBytes = 12, kOffIssuedAt = 16, kOffListCount = 24, kOffReserved1 = 28,
                      kOffEntryCount = 32, kOffHashesOffset = 40, kOffFileBytes = 48, kOffReserved2 = 56;
// List record field offsets.
constexpr std::size_t kListOffKidBytes = 16, kListOffTypes = 17, kListOffReserved = 18, kListReservedBytes = 6,
                      kListOffExpires = 24, kListOffFirst = 32, kListOffCount = 40;

template <class T>
T readLe(const uint8_t* p) {
    T v{};
    for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>(v | (static_cast<T>(p[i]) << (8 * i)));
    return v;
}

template <class T>
void writeLe(uint8_t* p, T v) {
    using U = std::make_unsigned_t<T>;
    const U u = static_cast<U>(v);
    for (std::size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<uint8_t>(u >> (8 * i));
}

// Big-endian 64-bit load: comparing two of these in a row is the bytewise order of 16 bytes.
inline std::uint64_t loadBe64(const uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
    return v;
}

inline bool lessThan(std::uint64_t ahi, std::uint64_t alo, std::uint64_t bhi, std::uint64_t blo) {
    return ahi < bhi || (ahi == bhi && alo < blo);
}

std::uint64_t alignUp(std::uint64_t n, std::uint64_t a) { return (n + a - 1) / a * a; }

bool allZero(const uint8_t* p, std::size_t n) {
    return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

bool kidLess(const uint8_t* a, std::size_t an, const uint8_t* b, std::size_t bn) {
    return std::lexicographical_compare(a, a + an, b, b + bn);
}

}  // namespace

// The bytes of an index: a read-only mapping of a file, or a buffer (tests, fuzzing).
class RevocationIndex::Storage {
public:
    explicit Storage(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)), data_(bytes_.data()), size_(bytes_.size()) {}
    Storage(void* mapping, std::size_t size) : mapping_(mapping), data_(static_cast<const uint8_t*>(mapping)), size_(size) {}
    ~Storage() {
        if (mapping_ != nullptr) ::munmap(mapping_, size_);
    }
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;

    const uint8_t* data() const { return data_; }
    std::size_t size() const { return size_; }

private:
    std::vector<uint8_t> bytes_;
    void* mapping_ = nullptr;
    const uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

std::string_view toString(RevocationHashType t) {
    switch (t) {
        case RevocationHashType::Uci: return "UCI";
        case RevocationHashType::CountryCodeUci: return "COUNTRYCODEUCI";
        case RevocationHashType::Signature: return "SIGNATURE";
    }
    return "UNKNOWN";
}

std::optional<RevocationHashType> revocationHashTypeFromString(std::string_view name) {
    for (auto t : kRevocationHashTypes) {
        if (toString(t) == name) return t;
    }
    return std::nullopt;
}

std::string revocationTypesText(uint8_t mask) {
    std::string out;
    for (auto t : kRevocationHashTypes) {
        if ((mask & static_cast<uint8_t>(t)) == 0) continue;
        if (!out.empty()) out += ',';
        out += toString(t);
    }
    return out;
}

std::string hexOf(std::span<const uint8_t> bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (uint8_t b : bytes) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0x0F]);
    }
    return out;
}

Sha256Digest sha256Of(std::span<const uint8_t> bytes) {
    Sha256Digest d{};
    unsigned int len = 0;
    EVP_Digest(bytes.data(), bytes.size(), d.data(), &len, EVP_sha256(), nullptr);
    return d;
}

RevocationIndex::~RevocationIndex() = default;

Result<std::shared_ptr<const RevocationIndex>> RevocationIndex::load(const std::filesystem::path& path,
                                                                     const std::optional<RevocationDigest>& expected) {
    const std::string name = path.string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return makeError(name + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        return makeError(name + ": cannot stat: " + std::strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return makeError(name + ": not a regular file");
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size < kHeaderBytes + kSha256Bytes) {
        ::close(fd);
        return makeError(name + ": truncated (" + std::to_string(size) + " bytes, less than a header and its digest)");
    }
    const std::uint64_t maxBytes = alignUp(kHeaderBytes + kListBytes * kMaxRevocationLists, kHashesAlignment) +
                                   kMaxRevocationEntries * kRevocationHashBytes + kSha256Bytes;
    if (size > maxBytes) {
        ::close(fd);
        return makeError(name + ": " + std::to_string(size) + " bytes is larger than any index can be");
    }
    void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int mapErrno = errno;
    ::close(fd);  // the mapping keeps the file
    if (mapping == MAP_FAILED) return makeError(name + ": cannot map: " + std::strerror(mapErrno));
    return validate(std::make_unique<Storage>(mapping, size), name, expected);
}

Result<std::shared_ptr<const RevocationIndex>> RevocationIndex::fromBytes(std::vector<uint8_t> bytes,
                                                                          const std::optional<RevocationDigest>& expected) {
    return validate(std::make_unique<Storage>(std::move(bytes)), "memory", expected);
}

Result<std::shared_ptr<const RevocationIndex>> RevocationIndex::validate(std::unique_ptr<Storage> storage, std::string source,
                                                                         const std::optional<RevocationDigest>& expected) {
    const uint8_t* d = storage->data();
    const std::uint64_t size = storage->size();
    auto refuse = [&](const std::string& why) { return makeError(source + ": revocation index refused: " + why); };

    if (size < kHeaderBytes + kSha256Bytes) return refuse("truncated (shorter than a header and its digest)");
    if (!std::equal(kMagic.begin(), kMagic.end(), d)) return refuse("not a revocation index (bad magic)");
    if (const auto v = readLe<std::uint32_t>(d + kOffVersion); v != kRevocationFormatVersion) {
        return refuse("format version " + std::to_string(v) + " is not supported (expected " +
                      std::to_string(kRevocationFormatVersion) + ")");
    }
    if (readLe<std::uint32_t>(d + kOffHeaderBytes) != kHeaderBytes) return refuse("bad header size");
    if (readLe<std::uint32_t>(d + kOffReserved1) != 0 || readLe<std::uint64_t>(d + kOffReserved2) != 0) {
        return refuse("reserved header bytes are not zero");
    }
    const auto issuedAtMs = readLe<std::int64_t>(d + kOffIssuedAt);
    if (issuedAtMs < -kMaxEpochMs || issuedAtMs > kMaxEpochMs) return refuse("issued_at out of range");
    const auto listCount = readLe<std::uint32_t>(d + kOffListCount);
    if (listCount > kMaxRevocationLists) return refuse("too many lists");
    const auto entryCount = readLe<std::uint64_t>(d + kOffEntryCount);
    if (entryCount > kMaxRevocationEntries) return refuse("too many entries");
    const std::uint64_t hashesOffset = alignUp(kHeaderBytes + kListBytes * std::uint64_t{listCount}, kHashesAlignment);
    if (readLe<std::uint64_t>(d + kOffHashesOffset) != hashesOffset) return refuse("bad hashes offset");
    const std::uint64_t wantBytes = hashesOffset + entryCount * kRevocationHashBytes + kSha256Bytes;
    if (readLe<std::uint64_t>(d + kOffFileBytes) != wantBytes) return refuse("the header's file size does not match its counts");
    if (size < wantBytes) {
        return refuse("truncated (" + std::to_string(size) + " of " + std::to_string(wantBytes) + " bytes)");
    }
    if (size > wantBytes) return refuse("trailing bytes after the digest");
    const uint8_t* tableEnd = d + kHeaderBytes + kListBytes * listCount;
    if (!allZero(tableEnd, static_cast<std::size_t>(d + hashesOffset - tableEnd))) return refuse("padding bytes are not zero");

    std::shared_ptr<RevocationIndex> index(new RevocationIndex());
    index->lists_.reserve(listCount);
    std::uint64_t next = 0;
    for (std::uint32_t i = 0; i < listCount; ++i) {
        const uint8_t* r = d + kHeaderBytes + kListBytes * i;
        const std::string which = "list " + std::to_string(i) + ": ";
        List l;
        l.kidBytes = r[kListOffKidBytes];
        l.types = r[kListOffTypes];
        if (l.kidBytes > kMaxRevocationKidBytes) return refuse(which + "kid longer than 16 bytes");
        if (!allZero(r + l.kidBytes, kMaxRevocationKidBytes - l.kidBytes)) return refuse(which + "kid padding is not zero");
        std::copy(r, r + kMaxRevocationKidBytes, l.kid.begin());
        if (l.types == 0 || (l.types & ~kAllRevocationHashTypes) != 0) return refuse(which + "bad hash-type mask");
        if (!allZero(r + kListOffReserved, kListReservedBytes)) return refuse(which + "reserved bytes are not zero");
        l.expiresAtMs = readLe<std::int64_t>(r + kListOffExpires);
        if (l.expiresAtMs != kNeverMs && (l.expiresAtMs < -kMaxEpochMs || l.expiresAtMs > kMaxEpochMs)) {
            return refuse(which + "expires_at out of range");
        }
        l.first = readLe<std::uint64_t>(r + kListOffFirst);
        l.count = readLe<std::uint64_t>(r + kListOffCount);
        if (l.first != next) return refuse(which + "entries do not follow the previous list's");
        if (l.count > entryCount - next) return refuse(which + "entries run past the entry count");
        next += l.count;
        index->lists_.push_back(l);
    }
    if (next != entryCount) return refuse("the lists hold " + std::to_string(next) + " entries, the header says " + std::to_string(entryCount));

    // One pass for both digests: the trailer covers everything before it; a bundle names the
    // whole file's.
    {
        const std::uint64_t body = size - kSha256Bytes;
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> whole(EVP_MD_CTX_new(), EVP_MD_CTX_free);
        Sha256Digest trailer{};
        unsigned int len = 0;
        if (!ctx || !whole || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
            EVP_DigestUpdate(ctx.get(), d, body) != 1 || EVP_MD_CTX_copy_ex(whole.get(), ctx.get()) != 1 ||
            EVP_DigestFinal_ex(ctx.get(), trailer.data(), &len) != 1 ||
            EVP_DigestUpdate(whole.get(), d + body, kSha256Bytes) != 1 ||
            EVP_DigestFinal_ex(whole.get(), index->sha256_.data(), &len) != 1) {
            return refuse("SHA-256 failed");
        }
        if (!std::equal(trailer.begin(), trailer.end(), d + body)) return refuse("digest mismatch (the file is damaged)");
    }
    if (expected) {
        if (expected->sha256 != index->sha256_) {
            return refuse("SHA-256 " + hexOf(index->sha256_) + " is not the one the bundle names (" + hexOf(expected->sha256) + ")");
        }
        if (expected->entries != entryCount) {
            return refuse(std::to_string(entryCount) + " entries, the bundle names " + std::to_string(expected->entries));
        }
    }

    const uint8_t* hashes = d + hashesOffset;
    for (std::size_t i = 0; i < index->lists_.size(); ++i) {
        const List& l = index->lists_[i];
        const uint8_t* p = hashes + l.first * kRevocationHashBytes;
        for (std::uint64_t k = 1; k < l.count; ++k, p += kRevocationHashBytes) {
            if (!lessThan(loadBe64(p), loadBe64(p + 8), loadBe64(p + kRevocationHashBytes), loadBe64(p + kRevocationHashBytes + 8))) {
                return refuse("list " + std::to_string(i) + ": entries are not strictly ascending");
            }
        }
    }

    for (std::uint32_t i = 0; i < index->lists_.size(); ++i) {
        (index->lists_[i].kidBytes == 0 ? index->wildcard_ : index->byKid_).push_back(i);
    }
    const auto& lists = index->lists_;
    std::stable_sort(index->byKid_.begin(), index->byKid_.end(), [&](std::uint32_t a, std::uint32_t b) {
        return kidLess(lists[a].kid.data(), lists[a].kidBytes, lists[b].kid.data(), lists[b].kidBytes);
    });
    index->data_ = d;
    index->size_ = size;
    index->hashes_ = hashes;
    index->issuedAt_ = UtcTime{std::chrono::milliseconds{issuedAtMs}};
    index->entries_ = entryCount;
    index->source_ = std::move(source);
    index->storage_ = std::move(storage);
    return std::shared_ptr<const RevocationIndex>(std::move(index));
}

template <class F>
void RevocationIndex::forEachApplicable(std::span<const uint8_t> kid, UtcTime validationTime, F&& f) const {
    const std::int64_t atMs = validationTime.time_since_epoch().count();
    auto live = [&](const List& l) { return atMs <= l.expiresAtMs; };
    for (std::uint32_t i : wildcard_) {
        if (live(lists_[i])) f(lists_[i]);
    }
    if (kid.empty() || kid.size() > kMaxRevocationKidBytes || byKid_.empty()) return;
    auto first = std::lower_bound(byKid_.begin(), byKid_.end(), kid, [&](std::uint32_t i, std::span<const uint8_t> k) {
        return kidLess(lists_[i].kid.data(), lists_[i].kidBytes, k.data(), k.size());
    });
    for (auto it = first; it != byKid_.end(); ++it) {
        const List& l = lists_[*it];
        if (l.kidBytes != kid.size() || !std::equal(kid.begin(), kid.end(), l.kid.begin())) break;
        if (live(l)) f(l);
    }
}

bool RevocationIndex::listContains(const List& l, const RevocationHash& hash) const {
    const uint8_t* base = hashes_ + l.first * kRevocationHashBytes;
    const std::uint64_t khi = loadBe64(hash.data()), klo = loadBe64(hash.data() + 8);
    std::uint64_t lo = 0, n = l.count;
    while (n > 0) {
        const std::uint64_t half = n / 2;
        const uint8_t* p = base + (lo + half) * kRevocationHashBytes;
        if (lessThan(loadBe64(p), loadBe64(p + 8), khi, klo)) {
            lo += half + 1;
            n -= half + 1;
        } else {
            n = half;
        }
    }
    if (lo >= l.count) return false;
    const uint8_t* p = base + lo * kRevocationHashBytes;
    return loadBe64(p) == khi && loadBe64(p + 8) == klo;
}

uint8_t RevocationIndex::typesFor(std::span<const uint8_t> kid, UtcTime validationTime) const {
    uint8_t mask = 0;
    forEachApplicable(kid, validationTime, [&](const List& l) { mask = static_cast<uint8_t>(mask | l.types); });
    return mask;
}

bool RevocationIndex::contains(std::span<const uint8_t> kid, RevocationHashType type, const RevocationHash& hash,
                               UtcTime validationTime) const {
    bool hit = false;
    forEachApplicable(kid, validationTime, [&](const List& l) {
        if (!hit && (l.types & static_cast<uint8_t>(type)) != 0) hit = listContains(l, hash);
    });
    return hit;
}

RevocationListInfo RevocationIndex::list(std::size_t i) const {
    const List& l = lists_.at(i);
    RevocationListInfo info;
    info.kid.assign(l.kid.begin(), l.kid.begin() + l.kidBytes);
    info.types = l.types;
    if (l.expiresAtMs != kNeverMs) info.expiresAt = UtcTime{std::chrono::milliseconds{l.expiresAtMs}};
    info.entries = l.count;
    return info;
}

std::span<const uint8_t> RevocationIndex::listHashes(std::size_t i) const {
    const List& l = lists_.at(i);
    return {hashes_ + l.first * kRevocationHashBytes, static_cast<std::size_t>(l.count * kRevocationHashBytes)};
}

Status RevocationIndexBuilder::addList(std::vector<uint8_t> kid, uint8_t types, std::optional<UtcTime> expiresAt,
                                       std::vector<RevocationHash> hashes) {
    if (kid.size() > kMaxRevocationKidBytes) return makeError("a kid is at most 16 bytes");
    if (types == 0 || (types & ~kAllRevocationHashTypes) != 0) return makeError("bad hash-type mask");
    if (lists_.size() >= kMaxRevocationLists) return makeError("too many lists");
    if (expiresAt) {
        const auto ms = expiresAt->time_since_epoch().count();
        if (ms < -kMaxEpochMs || ms > kMaxEpochMs) return makeError("expiry out of range");
    }
    std::sort(hashes.begin(), hashes.end());
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
    if (hashes.size() > kMaxRevocationEntries - entries_) return makeError("too many entries (at most 67108864)");
    entries_ += hashes.size();
    lists_.push_back(List{std::move(kid), types, expiresAt, std::move(hashes)});
    return Ok{};
}

Status RevocationIndexBuilder::addLists(const RevocationIndex& index) {
    for (std::size_t i = 0; i < index.listCount(); ++i) {
        auto info = index.list(i);
        const auto bytes = index.listHashes(i);
        std::vector<RevocationHash> hashes(bytes.size() / kRevocationHashBytes);
        if (!bytes.empty()) std::memcpy(hashes.data(), bytes.data(), bytes.size());
        if (auto s = addList(std::move(info.kid), info.types, info.expiresAt, std::move(hashes)); !s) return s;
    }
    return Ok{};
}

std::vector<uint8_t> RevocationIndexBuilder::build(UtcTime issuedAt) const {
    const std::uint64_t hashesOffset = alignUp(kHeaderBytes + kListBytes * lists_.size(), kHashesAlignment);
    const std::uint64_t fileBytes = hashesOffset + entries_ * kRevocationHashBytes + kSha256Bytes;
    std::vector<uint8_t> out(fileBytes, 0);
    uint8_t* d = out.data();
    std::copy(kMagic.begin(), kMagic.end(), d);
    writeLe<std::uint32_t>(d + kOffVersion, kRevocationFormatVersion);
    writeLe<std::uint32_t>(d + kOffHeaderBytes, kHeaderBytes);
    writeLe<std::int64_t>(d + kOffIssuedAt, issuedAt.time_since_epoch().count());
    writeLe<std::uint32_t>(d + kOffListCount, static_cast<std::uint32_t>(lists_.size()));
    writeLe<std::uint64_t>(d + kOffEntryCount, entries_);
    writeLe<std::uint64_t>(d + kOffHashesOffset, hashesOffset);
    writeLe<std::uint64_t>(d + kOffFileBytes, fileBytes);
    std::uint64_t first = 0;
    for (std::size_t i = 0; i < lists_.size(); ++i) {
        const List& l = lists_[i];
        uint8_t* r = d + kHeaderBytes + kListBytes * i;
        std::copy(l.kid.begin(), l.kid.end(), r);
        r[kListOffKidBytes] = static_cast<uint8_t>(l.kid.size());
        r[kListOffTypes] = l.types;
        writeLe<std::int64_t>(r + kListOffExpires, l.expiresAt ? l.expiresAt->time_since_epoch().count() : kNeverMs);
        writeLe<std::uint64_t>(r + kListOffFirst, first);
        writeLe<std::uint64_t>(r + kListOffCount, l.hashes.size());
        if (!l.hashes.empty())
            std::memcpy(d + hashesOffset + first * kRevocationHashBytes, l.hashes.data(), l.hashes.size() * kRevocationHashBytes);
        first += l.hashes.size();
    }
    const auto digest = sha256Of(std::span(d, fileBytes - kSha256Bytes));
    std::copy(digest.begin(), digest.end(), d + fileBytes - kSha256Bytes);
    return out;
}

bool revocationStale(const RevocationIndex* index, UtcTime trustedNow, const RevocationFreshness& freshness) {
    if (index == nullptr) return freshness.required;
    return trustedNow - index->issuedAt() > freshness.maxAge;
}

RevocationSummary summarise(const RevocationIndex* index, UtcTime trustedNow, const RevocationFreshness& freshness) {
    RevocationSummary s;
    s.stale = revocationStale(index, trustedNow, freshness);
    if (index == nullptr) return s;
    s.loaded = true;
    s.issuedAt = index->issuedAt();
    s.ageHours = static_cast<double>((trustedNow - index->issuedAt()).count()) / kMsPerHour;
    s.entries = index->entries();
    s.lists = index->listCount();
    s.sha256Hex = hexOf(index->sha256());
    s.source = index->source();
    return s;
}

Result<std::shared_ptr<const RevocationIndex>> RevocationHolder::loadAndSwap(const std::filesystem::path& path,
                                                                             const std::optional<RevocationDigest>& expected) {
    auto loaded = RevocationIndex::load(path, expected);
    if (!loaded) return loaded.error();
    auto previous = replace(*loaded);
    previous.reset();  // outside the lock; a decision still holding it keeps it until it ends
    return *loaded;
}

}  // namespace sentinel::trust

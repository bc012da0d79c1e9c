// libFuzzer target: the revocation index loader (§17). Arbitrary bytes must be refused or accepted
// whole, never crash or read out of bounds. Each input is tried as it is, and again with its last
// 32 bytes replaced by the SHA-256 of the rest, so that the checks behind the digest (list ranges,
// order) and the lookups on an accepted index are reached too.
#include <algorithm>
#include <span>
#include <vector>

#include "firmware/trust/RevocationIndex.h"

namespace {

using namespace sentinel;

void exercise(const trust::RevocationIndex& index) {
    const UtcTime at{std::chrono::milliseconds{0}};
    for (std::size_t i = 0; i < index.listCount(); ++i) {
        const auto list = index.list(i);
        const auto hashes = index.listHashes(i);
        trust::RevocationHash probe{};
        if (hashes.size() >= probe.size()) std::copy_n(hashes.begin(), probe.size(), probe.begin());
        for (auto t : trust::kRevocationHashTypes) {
            (void)index.contains(list.kid, t, probe, at);
            probe.back() ^= 1;
            (void)index.contains(list.kid, t, probe, at);
        }
        (void)index.typesFor(list.kid, at);
    }
}

void tryLoad(std::vector<uint8_t> bytes) {
    auto index = trust::RevocationIndex::fromBytes(std::move(bytes));
    if (index) exercise(**index);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> bytes(data, data + size);
    tryLoad(bytes);
    if (size >= trust::kSha256Bytes) {
        const auto digest = trust::sha256Of(std::span(data, size - trust::kSha256Bytes));
        std::copy(digest.begin(), digest.end(), bytes.end() - trust::kSha256Bytes);
        tryLoad(std::move(bytes));
    }
    return 0;
}

// libFuzzer target: our CBOR reader (depth, declared lengths, UTF-8, trailing bytes).
#include <span>

#include "firmware/credential/Cbor.h"

namespace {
// Touches every node so lazily wrong trees would show up under ASan.
size_t walk(const sentinel::credential::CborValue& v) {
    size_t n = 1 + v.bytes.size() + v.text.size();
    if (v.type == sentinel::credential::CborType::Map) n += v.hasDuplicateKeys() ? 1 : 0;
    for (const auto& child : v.items) n += walk(child);
    return n;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto v = sentinel::credential::cborDecode(std::span(data, size));
    if (v) {
        volatile size_t sink = walk(v.value());
        (void)sink;
    }
    return 0;
}

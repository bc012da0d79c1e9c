// libFuzzer target: strict Base45 decode. Oracle: a text that decodes re-encodes to itself (RFC 9285
// strict decoding is a bijection), and the output is at most 2/3 of the input.
#include <cstdlib>
#include <string_view>

#include "firmware/credential/Base45.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto decoded = sentinel::credential::base45Decode(text);
    if (decoded) {
        if (decoded->size() * 3 > size * 2 + 2) std::abort();
        if (sentinel::credential::base45Encode(decoded.value()) != text) std::abort();
    }
    return 0;
}

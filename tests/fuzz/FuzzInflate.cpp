// libFuzzer target: bounded zlib inflate. Oracle: never more than the cap; accepted output deflates
// and inflates back to itself.
#include <cstdlib>
#include <span>

#include "firmware/credential/Zlib.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sentinel::credential;
    const auto out = inflateZlib(std::span(data, size));
    if (out) {
        if (out->size() > kMaxInflatedBytes) std::abort();
        const auto again = inflateZlib(deflateZlib(out.value()));
        if (!again || again.value() != out.value()) std::abort();
    }
    return 0;
}

#include "firmware/base/Secret.h"

#include <cstring>

namespace sentinel {

void secureZero(void* p, std::size_t n) {
    if (p == nullptr || n == 0) return;
    // explicit_bzero (glibc ≥ 2.25) is never optimised away.
    ::explicit_bzero(p, n);
}

void SecretString::wipe() noexcept {
    // The whole buffer, not only size(): an earlier, longer value may still sit beyond it.
    s_.resize(s_.capacity());
    secureZero(s_.data(), s_.size());
    s_.clear();
}

}  // namespace sentinel

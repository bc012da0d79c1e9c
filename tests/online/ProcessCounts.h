#pragma once
// Thread and file-descriptor counts of this process, from /proc (Linux).

#include <filesystem>

namespace sentinel::testing {

inline int countEntries(const char* dir) {
    int n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec)) {
        ++n;
    }
    return n;
}
inline int threadCount() { return countEntries("/proc/self/task"); }
inline int fdCount() { return countEntries("/proc/self/fd"); }

}  // namespace sentinel::testing

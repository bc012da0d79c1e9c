#include "tests/support/TestSupport.h"

#include <cstdlib>
#include <random>
#include <stdexcept>

namespace sentinel::testing {

TempDir::TempDir() {
    std::random_device rd;
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto candidate = std::filesystem::temp_directory_path() / ("sentinel-test-" + std::to_string(rd()));
        std::error_code ec;
        if (std::filesystem::create_directory(candidate, ec)) {
            path_ = candidate;
            return;
        }
    }
    throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::filesystem::path testdataDir() {
    if (const char* env = std::getenv("SENTINEL_TESTDATA")) {
        if (std::filesystem::is_directory(env)) return env;
    }
    std::filesystem::path p = SENTINEL_TESTDATA;
    return std::filesystem::is_directory(p) ? p : std::filesystem::path{};
}

}  // namespace sentinel::testing

#pragma once
// Journal check: integrity (SQLite quick_check on a read-only connection: never changes or moves
// the file, safe while `sentinel run` writes), record count and newest record, free space.

#include <cstdint>
#include <filesystem>

#include "firmware/diag/Check.h"

namespace sentinel::diag {

struct JournalCheckOptions {
    std::uintmax_t minFreeBytes = 64ull << 20;   // under this → fail: appends start failing soon
    std::uintmax_t warnFreeBytes = 512ull << 20; // under this → warn
};

// Missing file → warn (created by the first `sentinel run`); damaged → fail.
Outcome checkJournal(const std::filesystem::path& path, const JournalCheckOptions& options = {});

}  // namespace sentinel::diag

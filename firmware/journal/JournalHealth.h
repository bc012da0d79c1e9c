#pragma once
// Journal checks for `sentinel diag` (DESIGN §7 "journal integrity and free space"): read-only,
// safe while `sentinel run` writes.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::journal {

struct JournalHealth {
    bool integrityOk = false;
    std::string integrityDetail;  // "ok" or the first integrity_check message
    std::uint64_t fileBytes = 0;  // database + WAL on disk
    std::uint64_t freeBytes = 0;  // available to this user on the journal's file system
    std::uint64_t records = 0;
    std::optional<std::int64_t> lastSeq;
    std::int64_t uploadAckedThrough = 0;
    std::uint64_t uploadBacklog = 0;  // records not yet acknowledged by the collector
    std::uint64_t uploadSkipped = 0;  // deleted by retention before upload
    // `<name>.damaged-*` files beside the journal: a damaged journal was moved aside (REFER-level alarm).
    std::vector<std::filesystem::path> damagedFiles;
};

// Opens `path` read-only (never creates it) and runs PRAGMA integrity_check. A damaged database
// is a value (integrityOk false); a missing or unreadable file is an error naming the path.
Result<JournalHealth> checkJournal(const std::filesystem::path& path);

}  // namespace sentinel::journal

#pragma once
// Internal to the journal module: the SQLite schema (docs/journal.md documents it) and the
// queries shared by Journal, readJournalStats and Uploader.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "firmware/base/Result.h"
#include "firmware/base/Time.h"
#include "firmware/journal/Journal.h"
#include "firmware/journal/JournalStats.h"
#include "firmware/journal/Sqlite.h"

namespace sentinel::journal::detail {

// PRAGMA user_version. 2: decisions.overrides (§11). 3: staff, route, risk_level, risk_list,
// policy_version, revocation, binding (§11, §13.1, §14, §15, §17). Columns are added by presence,
// not by version number, so an older file gains them whatever version it claims.
inline constexpr int kSchemaVersion = 3;
inline constexpr int kBusyTimeoutMs = 2000;  // writer/uploader/stats contention: transactions last ms

Status createSchema(Connection& db);
Result<std::string> journalId(Connection& db);
Result<JournalStats> computeStats(Connection& db, std::optional<UtcTime> since);
Result<std::vector<JournalEntry>> readEntries(Connection& db, std::int64_t fromSeq, std::size_t limit);

}  // namespace sentinel::journal::detail

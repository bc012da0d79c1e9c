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
#include "firmware/journal/Checkpoint.h"
#include "firmware/journal/JournalStats.h"
#include "firmware/journal/MerkleLog.h"
#include "firmware/journal/RecordRow.h"
#include "firmware/journal/Sqlite.h"

namespace sentinel::journal::detail {

// PRAGMA user_version. 2: decisions.overrides (§11). 3: staff, route, risk_level, risk_list,
// policy_version, revocation, binding (§11, §13.1, §14, §15, §17). 4: decisions.leaf_hash, the tlog
// and checkpoints tables (§16). Columns and tables are added by presence, not by version number, so
// an older file gains them whatever version it claims.
inline constexpr int kSchemaVersion = 4;
inline constexpr int kBusyTimeoutMs = 2000;  // writer/uploader/stats contention: transactions last ms

Status createSchema(Connection& db);
Result<std::string> journalId(Connection& db);
Result<JournalStats> computeStats(Connection& db, std::optional<UtcTime> since);
Result<std::vector<JournalEntry>> readEntries(Connection& db, std::int64_t fromSeq, std::size_t limit);

// One record as stored, for the log: its columns and its leaf_hash value (any storage class).
struct StoredRecord {
    std::int64_t seq = 0;
    RecordRow row;
    SqlValue leafHash;
};
Result<std::vector<StoredRecord>> readStoredRecords(Connection& db, std::int64_t afterSeq, std::size_t limit);

// The `tlog` row: the log's compact range (size = the highest seq logged), the pruned prefix's, and
// the migration note of a journal that predates the log.
struct LogState {
    tlog::CompactRange range;
    tlog::CompactRange pruned;
    std::optional<Migration> migration;
};
// nullopt when the file has no log yet (older firmware).
Result<std::optional<LogState>> readLogState(Connection& db);
Result<std::vector<StoredCheckpoint>> readCheckpoints(Connection& db, std::uint64_t minSize = 0);
// Adds the log to a journal that has none (in one transaction): each record, rewritten in its
// canonical form, becomes the leaf at seq − 1; seqs without a record stand as leafHash("") and are
// named in the migration note (a leading run of them becomes the pruned prefix). Returns the state.
Result<LogState> migrateLog(Connection& db, const std::string& journalId);

}  // namespace sentinel::journal::detail

#pragma once
// Internal to the journal module: one decision record as the columns it is stored in, and the one
// canonical spelling of those columns (DESIGN §16: "every stored column is covered").
//
// append() stores encodeRow(storedEntry(record…)) and logs the line of decodeRow() of that row; read()
// returns decodeRow() of what it finds. A row is canonical when encodeRow(decodeRow(row)) == row,
// value and SQLite type alike: then the row and its leaf line determine each other, so an edit to
// any stored column either changes the line (its leaf no longer matches) or makes the row
// non-canonical. Numbers are stored as the line prints them (latencies and test age to 0.01).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "firmware/journal/Journal.h"
#include "firmware/journal/Sqlite.h"

namespace sentinel::journal::detail {

struct Blob {
    std::string bytes;
    bool operator==(const Blob&) const = default;
};
// One SQLite value with its storage class: NULL, INTEGER, REAL, TEXT, BLOB.
using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string, Blob>;

// The record columns of `decisions` after `seq`, in table order (Schema.cpp creates them).
inline constexpr std::array<std::string_view, 25> kRecordColumns = {
    "utc_ms",    "mono_ms",   "boot_id",    "kiosk_id",   "format",     "decision", "reason",
    "test_type", "test_age_h", "test_result", "code",      "stages",     "decode_ms", "verify_ms",
    "backend_ms", "total_ms", "subject",    "overrides",  "staff",      "route",    "risk_level",
    "risk_list", "policy_version", "revocation", "binding"};
using RecordRow = std::array<SqlValue, kRecordColumns.size()>;

// "utc_ms, mono_ms, …, binding".
std::string recordColumnList();

// What append() stores for `record`: the record as read() gives it back (file, rules and
// test.collected_at are never stored; numbers as the line prints them).
JournalEntry storedEntry(const DecisionRecord& record, std::int64_t seq, UtcTime utc, std::int64_t monoMs,
                         const std::string& bootId, const std::string& kioskId);
RecordRow encodeRow(const JournalEntry& entry);
// Lenient: a value of an unexpected type or spelling reads as the nearest thing (as read() always
// has); the canonical check tells such a row apart.
JournalEntry decodeRow(std::int64_t seq, const RecordRow& row);
bool isCanonical(const RecordRow& row);
// The first column whose value is not the canonical one ("" when canonical); `decoded` is
// decodeRow() of the row (given, so a caller that needs it anyway decodes once).
std::string_view firstNonCanonicalColumn(const RecordRow& row, const JournalEntry& decoded);
std::string_view firstNonCanonicalColumn(const RecordRow& row);

bool isValidUtf8(std::string_view s);
// toUploadLine as nlohmann::json writes it: the reference the fast writer must equal byte for byte
// (and its path for text that is not valid UTF-8).
std::string uploadLineReference(const JournalEntry& entry, const std::string& journalId);

// Binds the row to parameters first, first+1, … of `s`.
void bindRow(Statement& s, int first, const RecordRow& row);
// Reads columns first, first+1, … of the current result row of `s`.
RecordRow readRow(const Statement& s, int first);
SqlValue readValue(const Statement& s, int column);

}  // namespace sentinel::journal::detail

#pragma once
// How many decision records a kiosk's journal file holds, read as an outside observer would (read
// only, waiting up to 1 s on the writer's lock): for tests that run a real `sentinel run` and watch
// its journal grow. -1 when the file cannot be read. Header-only: link SQLite::SQLite3.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>

namespace sentinel::testing {

inline std::int64_t journalRecordCount(const std::filesystem::path& db) {
    constexpr int kBusyTimeoutMs = 1000;
    sqlite3* h = nullptr;
    std::int64_t n = -1;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(h, kBusyTimeoutMs);
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(h, "SELECT count(*) FROM decisions", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
            n = sqlite3_column_int64(s, 0);
        }
        sqlite3_finalize(s);
    }
    sqlite3_close(h);
    return n;
}

}  // namespace sentinel::testing

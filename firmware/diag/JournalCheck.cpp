#include "firmware/diag/JournalCheck.h"

#include <sqlite3.h>

#include <cstdio>
#include <string>

#include "firmware/journal/JournalStats.h"

namespace sentinel::diag {
namespace {

std::string fmtMiB(std::uintmax_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return buf;
}

// "ok" or the first problem PRAGMA quick_check reports.
std::string quickCheck(const std::filesystem::path& path) {
    sqlite3* db = nullptr;
    const std::string uri = "file:" + path.string() + "?mode=ro";
    if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) != SQLITE_OK) {
        std::string e = db ? sqlite3_errmsg(db) : "cannot open";
        sqlite3_close(db);
        return e;
    }
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt* st = nullptr;
    std::string result;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, nullptr) != SQLITE_OK) {
        result = sqlite3_errmsg(db);
    } else {
        const int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const auto* text = sqlite3_column_text(st, 0);
            result = text ? reinterpret_cast<const char*>(text) : "no answer";
        } else {
            result = sqlite3_errmsg(db);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return result;
}

}  // namespace

Outcome checkJournal(const std::filesystem::path& path, const JournalCheckOptions& options) {
    std::error_code ec;
    const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    auto space = std::filesystem::space(dir, ec);
    const std::string freeText = ec ? std::string("free space unknown") : fmtMiB(space.available) + " free";
    if (!std::filesystem::exists(path, ec)) {
        if (!ec && space.available < options.minFreeBytes)
            return Outcome::fail(path.string() + " not created yet; " + freeText, "free space on the state partition");
        return Outcome::warn(path.string() + " not created yet; " + freeText, "start the kiosk once (`systemctl start sentinel`)");
    }
    const std::string integrity = quickCheck(path);
    if (integrity != "ok")
        return Outcome::fail(path.string() + ": integrity check: " + integrity,
                             "stop the kiosk and start it again: the damaged journal is moved aside and a new one started");
    std::string detail = path.string() + ": integrity ok";
    auto stats = journal::readJournalStats(path, std::nullopt);
    if (stats) {
        detail += ", " + std::to_string(stats->records) + " record(s)";
        if (stats->newest) detail += ", newest " + formatRfc3339(*stats->newest);
    } else {
        detail += ", statistics unreadable (" + stats.error().message + ")";
    }
    detail += "; " + freeText;
    if (!ec && space.available < options.minFreeBytes)
        return Outcome::fail(detail, "free space on the state partition; lower journal.retain_mb");
    if (!ec && space.available < options.warnFreeBytes)
        return Outcome::warn(detail, "free space on the state partition soon; lower journal.retain_mb");
    return Outcome::ok(detail);
}

}  // namespace sentinel::diag

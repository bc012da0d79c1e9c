#include "firmware/journal/JournalHealth.h"

#include <sys/statvfs.h>

#include "firmware/journal/Schema.h"
#include "firmware/journal/Sqlite.h"

namespace sentinel::journal {

Result<JournalHealth> checkJournal(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return makeError("no journal at " + path.string());
    JournalHealth h;
    h.fileBytes = std::filesystem::file_size(path, ec);
    if (auto wal = std::filesystem::file_size(path.string() + "-wal", ec); !ec) h.fileBytes += wal;
    const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    struct statvfs fs {};
    if (::statvfs(dir.c_str(), &fs) == 0) h.freeBytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
    const std::string prefix = path.filename().string() + ".damaged-";
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const auto name = e.path().filename().string();
        if (name.rfind(prefix, 0) == 0 && name.find("-wal") == std::string::npos &&
            name.find("-shm") == std::string::npos) {
            h.damagedFiles.push_back(e.path());
        }
    }

    auto db = detail::Connection::open(path, SQLITE_OPEN_READONLY);
    if (!db) return db.error();
    sqlite3_busy_timeout(db->get(), detail::kBusyTimeoutMs);
    auto check = db->prepare("PRAGMA integrity_check");
    if (!check.valid()) {
        h.integrityDetail = db->error("integrity_check").message;
        return h;
    }
    int rc = check.step();
    if (rc != SQLITE_ROW) {
        h.integrityDetail = db->error("integrity_check").message;
        return h;
    }
    h.integrityDetail = check.columnText(0);
    h.integrityOk = h.integrityDetail == "ok" && check.step() == SQLITE_DONE;
    check = {};
    if (!h.integrityOk) return h;

    auto q = db->prepare(
        "SELECT (SELECT count(*) FROM decisions), (SELECT max(seq) FROM decisions), u.acked_through, u.skipped, "
        "(SELECT count(*) FROM decisions WHERE seq > u.acked_through) FROM upload_state u WHERE u.id = 1");
    if (!q.valid() || q.step() != SQLITE_ROW) return db->error("journal " + path.string());
    h.records = static_cast<std::uint64_t>(q.columnInt(0));
    if (!q.columnIsNull(1)) h.lastSeq = q.columnInt(1);
    h.uploadAckedThrough = q.columnInt(2);
    h.uploadSkipped = static_cast<std::uint64_t>(q.columnInt(3));
    h.uploadBacklog = static_cast<std::uint64_t>(q.columnInt(4));
    return h;
}

}  // namespace sentinel::journal

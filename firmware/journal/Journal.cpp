#include "firmware/journal/Journal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "firmware/base/Log.h"
#include "firmware/journal/Schema.h"
#include "firmware/journal/Sqlite.h"

namespace sentinel::journal {
namespace {

using detail::Connection;

constexpr const char* kBootIdPath = "/proc/sys/kernel/random/boot_id";
// Bounded work per retention step inside append(): a few ms of deletes at most (measured ~1 µs/row).
constexpr std::size_t kRetentionRowsPerStep = 2000;
// After the size limit is hit, delete down to this fraction of it, so retention runs in bursts
// rather than on every append.
constexpr double kSizeRetentionTarget = 0.9;
// The WAL is truncated to this after a checkpoint (it otherwise keeps its high-water size).
constexpr std::int64_t kWalSizeLimitBytes = 4 << 20;
constexpr auto kDecodeFailureFlushInterval = std::chrono::minutes{1};
constexpr std::int64_t kMsPerHour = 3600 * 1000;
// Field limits: a record holds identifiers and hashes only, never free text (STYLE rule 11).
constexpr std::size_t kMaxSubjectChars = 128;  // SHA-512 hex at most; HMAC-SHA-256 gives 64
constexpr std::size_t kMaxFormatChars = 8;
constexpr std::size_t kMaxCodeChars = 16;
constexpr std::size_t kMaxLabelChars = 40;  // an RFC 3339 time with fractions, a list version, a staff number

std::string readBootId() {
    std::ifstream in(kBootIdPath);
    std::string id;
    std::getline(in, id);
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    return id;
}

bool allOf(const std::string& s, std::size_t maxLen, bool (*ok)(char)) {
    return s.size() <= maxLen && std::all_of(s.begin(), s.end(), ok);
}
bool isLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool isFormatChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool isCodeChar(char c) { return c >= 'a' && c <= 'z'; }
// Labels: staff numbers, routes, list versions, RFC 3339 times ("2026-12-08.1", "2026-12-07T20:00:00Z").
bool isLabelChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':' ||
           c == '_' || c == '+';
}

Status validate(const DecisionRecord& r) {
    if (!allOf(r.subject, kMaxSubjectChars, isLowerHex)) {
        return makeError("refusing to store a subject that is not a lowercase hex hash");
    }
    if (!allOf(r.format, kMaxFormatChars, isFormatChar)) return makeError("refusing to store a malformed format");
    if (r.code && (r.code->empty() || !allOf(*r.code, kMaxCodeChars, isCodeChar))) {
        return makeError("refusing to store a malformed code colour");
    }
    if (r.test && !allOf(r.test->result, kMaxCodeChars, isCodeChar)) {
        return makeError("refusing to store a malformed test result");
    }
    // Short identifiers only: none of these may carry personal data or free text.
    for (const auto* field : {&r.staff, &r.route, &r.revocation, &r.binding}) {
        if (*field && (field->value().empty() || !allOf(**field, kMaxLabelChars, isLabelChar))) {
            return makeError("refusing to store a malformed staff, route, revocation or binding field");
        }
    }
    if (r.risk && (!allOf(r.risk->level, kMaxCodeChars, isCodeChar) || !allOf(r.risk->list, kMaxLabelChars, isLabelChar))) {
        return makeError("refusing to store a malformed risk outcome");
    }
    if (!allOf(r.policyVersion, kMaxLabelChars, isLabelChar)) return makeError("refusing to store a malformed policy_version");
    // §11: a STAFF_OVERRIDE record names the record it overrides, and only such a record does.
    if ((r.reason == Reason::StaffOverride) != r.overrides.has_value() || (r.overrides && *r.overrides < 1)) {
        return makeError("refusing to store a STAFF_OVERRIDE without the seq it overrides (or overrides without one)");
    }
    return Ok{};
}

char stageChar(const std::optional<bool>& s) { return s ? (*s ? 'T' : 'F') : '-'; }

std::string encodeStages(const Stages& s) {
    return {stageChar(s.prefix), stageChar(s.base45),    stageChar(s.inflate), stageChar(s.cbor),
            stageChar(s.signature), stageChar(s.keyUsage), stageChar(s.expiry), stageChar(s.policy)};
}

std::string damagedName(const std::filesystem::path& path, UtcTime now) {
    std::string stamp = formatRfc3339(std::chrono::time_point_cast<std::chrono::seconds>(now));
    stamp.erase(std::remove(stamp.begin(), stamp.end(), ':'), stamp.end());
    stamp.erase(std::remove(stamp.begin(), stamp.end(), '-'), stamp.end());
    return path.string() + ".damaged-" + stamp;  // e.g. journal.db.damaged-20261123T001300Z
}

// Renames the database and its -wal/-shm aside; returns the new database path. The WAL goes first:
// a fresh database must never meet the old WAL (SQLite would replay its frames into it).
Result<std::filesystem::path> moveAside(const std::filesystem::path& path, UtcTime now) {
    std::string base = damagedName(path, now);
    std::filesystem::path target = base;
    for (int n = 1; std::filesystem::exists(target); ++n) target = base + "-" + std::to_string(n);
    std::error_code ec;
    for (const char* suffix : {"-wal", "-shm"}) {
        std::filesystem::path side = path.string() + suffix;
        if (std::filesystem::exists(side, ec)) {
            std::filesystem::rename(side, target.string() + suffix, ec);
            if (ec) std::filesystem::remove(side, ec);
            if (std::filesystem::exists(side)) return makeError("cannot move " + side.string() + " aside");
        }
    }
    std::filesystem::rename(path, target, ec);
    if (ec) return makeError("cannot move damaged journal " + path.string() + " aside: " + ec.message());
    return target;
}

struct Probe {
    bool damaged = false;
    std::string detail;
};

// PRAGMA integrity_check on an existing file, through a read-only connection: it sees what the WAL
// holds (after a crash, too) but never checkpoints or truncates anything, so a damaged journal is
// moved aside exactly as it was found. Damage is a value; I/O and permission problems are errors.
Result<Probe> probeIntegrity(const std::filesystem::path& path, const char* vfs) {
    auto db = Connection::open(path, SQLITE_OPEN_READONLY, vfs);
    if (!db) return db.error();
    sqlite3_busy_timeout(db->get(), detail::kBusyTimeoutMs);
    auto check = db->prepare("PRAGMA integrity_check");
    if (!check.valid()) {
        if (detail::isDamageCode(check.prepareCode()) || detail::isDamageCode(db->extendedErrorCode())) {
            return Probe{true, db->error("integrity_check").message};
        }
        return db->error("integrity_check of " + path.string());
    }
    std::string first;
    int rows = 0, rc;
    while ((rc = check.step()) == SQLITE_ROW) {
        if (rows++ == 0) first = check.columnText(0);
    }
    if (rc != SQLITE_DONE) {
        if (detail::isDamageCode(rc)) return Probe{true, db->error("integrity_check").message};
        return db->error("integrity_check of " + path.string());
    }
    if (rows == 1 && first == "ok") return Probe{};
    return Probe{true, "integrity_check: " + first};
}

}  // namespace

std::string toUploadLine(const JournalEntry& entry, const std::string& journalId) {
    nlohmann::json j = toJson(entry.record);
    j.erase("file");
    if (entry.record.test) j["test"].erase("collected_at");
    j["seq"] = entry.seq;
    j["journal_id"] = journalId;
    j["kiosk_id"] = entry.kioskId;
    j["boot_id"] = entry.bootId;
    j["utc"] = formatRfc3339(entry.utc);
    j["mono_ms"] = entry.monoMs;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Journal::Journal(JournalOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock), db_(std::make_unique<Connection>()) {}

Journal::~Journal() {
    std::lock_guard lock(mutex_);
    if (db_ && db_->isOpen() && !pendingDecodeFailures_.empty()) (void)flushLocked();
}

Result<std::unique_ptr<Journal>> Journal::open(const JournalOptions& options, const Clock& clock) {
    if (options.path.empty()) return makeError("journal.path is empty");
    const char* vfs = nullptr;
    if (options.faults) {
        if (options.faults->vfsName().empty()) return makeError("fault injector has no VFS");
        vfs = options.faults->vfsName().c_str();
    }
    std::unique_ptr<Journal> j(new Journal(options, clock));
    j->bootId_ = readBootId();
    j->lastFlush_ = clock.monotonic();

    std::error_code ec;
    if (auto parent = options.path.parent_path(); !parent.empty()) std::filesystem::create_directories(parent, ec);
    if (std::filesystem::exists(options.path, ec)) {
        auto probe = probeIntegrity(options.path, vfs);
        if (!probe) return probe.error();
        if (probe->damaged) {
            auto moved = moveAside(options.path, clock.now());
            if (!moved) return moved.error();
            j->damagedPath_ = *moved;
            SLOG("Journal", Error) << "journal " << options.path.string() << " is damaged (" << probe->detail
                                   << "); moved to " << moved->string() << ", starting a fresh journal";
        }
    }

    auto db = Connection::open(options.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, vfs);
    if (!db) return db.error();
    sqlite3_busy_timeout(db->get(), detail::kBusyTimeoutMs);
    auto mode = db->queryText("PRAGMA journal_mode = WAL");
    if (!mode) return mode.error();
    if (*mode != "wal") return makeError("journal " + options.path.string() + ": cannot enable WAL (mode " + *mode + ")");
    // FULL: every commit fsyncs the WAL, so a record is on the medium before append() returns.
    if (auto st = db->exec("PRAGMA synchronous = FULL; PRAGMA journal_size_limit = " +
                           std::to_string(kWalSizeLimitBytes));
        !st) {
        return st.error();
    }
    if (auto st = detail::createSchema(*db); !st) {
        db->rollbackIfInTransaction();
        return makeError("journal " + options.path.string() + ": " + st.error().message);
    }
    auto id = detail::journalId(*db);
    if (!id) return id.error();
    j->journalId_ = *id;
    *j->db_ = std::move(*db);
    if (auto r = j->enforceRetention(); !r) {
        SLOG("Journal", Warn) << "retention at start failed: " << r.error().message;
    }
    return j;
}

Result<std::int64_t> Journal::append(const DecisionRecord& record) {
    if (auto st = validate(record); !st) return st.error();
    std::lock_guard lock(mutex_);
    Connection& db = *db_;
    const auto utcMs = clock_.now().time_since_epoch().count();
    const auto monoMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.monotonic().time_since_epoch()).count();

    auto fail = [&](std::string_view what) -> Error {
        Error e = db.error(std::string("journal append (") + std::string(what) + ")");
        db.rollbackIfInTransaction();
        SLOG("Journal", Error) << e.message;
        return e;
    };

    if (auto st = db.exec("BEGIN IMMEDIATE"); !st) {
        db.rollbackIfInTransaction();
        return makeError("journal append (begin): " + st.error().message);
    }
    auto ins = db.prepare(
        "INSERT INTO decisions(utc_ms, mono_ms, boot_id, kiosk_id, format, decision, reason, test_type, "
        "test_age_h, test_result, code, stages, decode_ms, verify_ms, backend_ms, total_ms, subject, overrides, "
        "staff, route, risk_level, risk_list, policy_version, revocation, binding) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, "
        "?24, ?25)");
    if (!ins.valid()) return fail("prepare");
    ins.bind(1, static_cast<std::int64_t>(utcMs));
    ins.bind(2, static_cast<std::int64_t>(monoMs));
    ins.bind(3, bootId_);
    ins.bind(4, options_.kioskId);
    if (record.format.empty()) ins.bindNull(5); else ins.bind(5, record.format);
    ins.bind(6, toString(record.decision));
    ins.bind(7, toString(record.reason));
    if (record.test) {
        ins.bind(8, toString(record.test->type));
        ins.bind(9, record.test->ageHours);
        ins.bind(10, record.test->result);
    } else {
        ins.bindNull(8);
        ins.bindNull(9);
        ins.bindNull(10);
    }
    if (record.code) ins.bind(11, *record.code); else ins.bindNull(11);
    ins.bind(12, encodeStages(record.stages));
    ins.bind(13, record.latency.decodeMs);
    ins.bind(14, record.latency.verifyMs);
    ins.bind(15, record.latency.backendMs);
    ins.bind(16, record.latency.totalMs);
    if (record.subject.empty()) ins.bindNull(17); else ins.bind(17, record.subject);
    if (record.overrides) ins.bind(18, *record.overrides); else ins.bindNull(18);
    auto bindOpt = [&ins](int i, const std::optional<std::string>& v) {
        if (v) ins.bind(i, *v); else ins.bindNull(i);
    };
    bindOpt(19, record.staff);
    bindOpt(20, record.route);
    bindOpt(21, record.risk ? std::optional<std::string>(record.risk->level) : std::nullopt);
    bindOpt(22, record.risk ? std::optional<std::string>(record.risk->list) : std::nullopt);
    bindOpt(23, record.policyVersion.empty() ? std::nullopt : std::optional<std::string>(record.policyVersion));
    bindOpt(24, record.revocation);
    bindOpt(25, record.binding);
    if (ins.step() != SQLITE_DONE) return fail("insert");
    const std::int64_t seq = sqlite3_last_insert_rowid(db.get());

    // Decode failures counted since the last write ride on this transaction (no extra fsync).
    if (!pendingDecodeFailures_.empty()) {
        auto up = db.prepare(
            "INSERT INTO decode_failures(hour_utc, count) VALUES (?1, ?2) "
            "ON CONFLICT(hour_utc) DO UPDATE SET count = count + excluded.count");
        for (const auto& [hour, n] : pendingDecodeFailures_) {
            up.bind(1, hour);
            up.bind(2, static_cast<std::int64_t>(n));
            if (up.step() != SQLITE_DONE) return fail("decode failures");
            up.reset();
        }
    }
    if (auto st = db.exec("COMMIT"); !st) {
        db.rollbackIfInTransaction();
        SLOG("Journal", Error) << "journal append (commit): " << st.error().message;
        return makeError("journal append (commit): " + st.error().message);
    }
    pendingDecodeFailures_.clear();
    lastFlush_ = clock_.monotonic();

    if (++appendsSinceRetention_ >= kRetentionEveryAppends) {
        appendsSinceRetention_ = 0;
        if (auto r = retentionStep(kRetentionRowsPerStep); !r) {
            SLOG("Journal", Warn) << "retention failed: " << r.error().message;
        }
    }
    return seq;
}

void Journal::noteDecodeFailure() {
    std::lock_guard lock(mutex_);
    ++pendingDecodeFailures_[clock_.now().time_since_epoch().count() / kMsPerHour];
    if (clock_.monotonic() - lastFlush_ >= kDecodeFailureFlushInterval) (void)flushLocked();
}

Status Journal::flush() {
    std::lock_guard lock(mutex_);
    return flushLocked();
}

Status Journal::flushLocked() {
    lastFlush_ = clock_.monotonic();
    if (pendingDecodeFailures_.empty()) return Ok{};
    Connection& db = *db_;
    if (auto st = db.exec("BEGIN IMMEDIATE"); !st) {
        db.rollbackIfInTransaction();
        return st.error();
    }
    auto up = db.prepare(
        "INSERT INTO decode_failures(hour_utc, count) VALUES (?1, ?2) "
        "ON CONFLICT(hour_utc) DO UPDATE SET count = count + excluded.count");
    for (const auto& [hour, n] : pendingDecodeFailures_) {
        up.bind(1, hour);
        up.bind(2, static_cast<std::int64_t>(n));
        if (up.step() != SQLITE_DONE) {
            Error e = db.error("decode failures");
            db.rollbackIfInTransaction();
            return e;
        }
        up.reset();
    }
    if (auto st = db.exec("COMMIT"); !st) {
        db.rollbackIfInTransaction();
        return st.error();
    }
    pendingDecodeFailures_.clear();
    return Ok{};
}

Result<JournalStats> Journal::stats(std::optional<UtcTime> since) const {
    // Its own read-only connection: a long count (seconds on a full journal) never holds up append().
    return readJournalStats(options_.path, since);
}

Result<std::vector<JournalEntry>> Journal::read(std::int64_t fromSeq, std::size_t limit) const {
    std::lock_guard lock(mutex_);
    return detail::readEntries(*db_, fromSeq, limit);
}

Result<RetentionReport> Journal::enforceRetention() {
    std::lock_guard lock(mutex_);
    RetentionReport total;
    for (;;) {
        auto step = retentionStep(kRetentionRowsPerStep);
        if (!step) return step.error();
        total.deletedByAge += step->deletedByAge;
        total.deletedBySize += step->deletedBySize;
        if (step->deletedByAge + step->deletedBySize == 0) return total;
    }
}

Result<RetentionReport> Journal::retentionStep(std::size_t maxRows) {
    Connection& db = *db_;
    RetentionReport report;
    const std::int64_t cutoffMs =
        (clock_.now() - std::chrono::duration_cast<std::chrono::milliseconds>(options_.retainAge))
            .time_since_epoch()
            .count();
    auto byAge = db.prepare(
        "DELETE FROM decisions WHERE seq IN (SELECT seq FROM decisions WHERE utc_ms < ?1 ORDER BY seq LIMIT ?2)");
    if (!byAge.valid()) return db.error("retention");
    byAge.bind(1, cutoffMs);
    byAge.bind(2, static_cast<std::int64_t>(maxRows));
    if (byAge.step() != SQLITE_DONE) {
        Error e = db.error("retention by age");
        db.rollbackIfInTransaction();
        return e;
    }
    report.deletedByAge = static_cast<std::uint64_t>(sqlite3_changes(db.get()));
    auto hours = db.prepare("DELETE FROM decode_failures WHERE hour_utc < ?1");
    hours.bind(1, cutoffMs / kMsPerHour);
    hours.step();

    auto pages = db.queryInt("PRAGMA page_count");
    auto freePages = db.queryInt("PRAGMA freelist_count");
    auto pageSize = db.queryInt("PRAGMA page_size");
    if (!pages || !freePages || !pageSize) return db.error("retention size");
    const auto liveBytes = static_cast<std::uint64_t>((*pages - *freePages) * *pageSize);
    if (liveBytes <= options_.retainMaxBytes) return report;
    auto rows = db.queryInt("SELECT count(*) FROM decisions");
    if (!rows) return rows.error();
    if (*rows == 0) return report;
    const double target = kSizeRetentionTarget * static_cast<double>(options_.retainMaxBytes);
    const double excess = static_cast<double>(liveBytes) - target;
    auto toDelete = static_cast<std::int64_t>(std::ceil(excess / static_cast<double>(liveBytes) * static_cast<double>(*rows)));
    toDelete = std::clamp<std::int64_t>(toDelete, 1, static_cast<std::int64_t>(maxRows));
    auto bySize = db.prepare("DELETE FROM decisions WHERE seq IN (SELECT seq FROM decisions ORDER BY seq LIMIT ?1)");
    bySize.bind(1, toDelete);
    if (bySize.step() != SQLITE_DONE) {
        Error e = db.error("retention by size");
        db.rollbackIfInTransaction();
        return e;
    }
    report.deletedBySize = static_cast<std::uint64_t>(sqlite3_changes(db.get()));
    SLOG("Journal", Info) << "retention: " << report.deletedByAge << " records past age, " << report.deletedBySize
                          << " oldest records over " << options_.retainMaxBytes << " bytes";
    return report;
}

Result<std::int64_t> commitDecision(Journal& journal, DecisionRecord& record) {
    auto seq = journal.append(record);
    if (!seq) record.decide(Reason::JournalFault);  // REFER: the gate stays shut
    return seq;
}

}  // namespace sentinel::journal

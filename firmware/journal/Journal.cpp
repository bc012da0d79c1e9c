#include "firmware/journal/Journal.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "firmware/base/Log.h"
#include "firmware/journal/RecordRow.h"
#include "firmware/journal/Schema.h"
#include "firmware/journal/SignedNote.h"
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
// A typical line is ≈ 600 bytes (docs/PERFORMANCE.md): one allocation for most.
constexpr std::size_t kUploadLineReserve = 768;
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

namespace {

// --- the upload line, written directly (it is on every append's path: the log hashes it) ---------
//
// Byte for byte what uploadLineReference() gives (nlohmann::json's dump of the same object: keys
// sorted, no spaces, nlohmann's number format), about ten times faster. Strings that are not valid
// UTF-8 take the reference path (its replacement of bad bytes is not repeated here).

bool isValidUtf8(std::string_view s) { return detail::isValidUtf8(s); }

void putString(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    std::size_t run = 0;  // start of the bytes not yet copied: runs that need no escape go in whole
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c > 0x1f && c != '"' && c != '\\') continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\u00";
                out += kHex[c >> 4];
                out += kHex[c & 15];
        }
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

// formatRfc3339 without snprintf (it is on every line): the same text, tested against it.
std::string rfc3339(UtcTime t) {
    using namespace std::chrono;
    const auto dp = floor<days>(t);
    const year_month_day ymd{dp};
    const hh_mm_ss hms{t - dp};
    const int year = static_cast<int>(ymd.year());
    if (year < 0 || year > 9999) return formatRfc3339(t);
    char buf[32];
    char* p = buf;
    auto two = [&p](long long v) {
        *p++ = static_cast<char>('0' + v / 10);
        *p++ = static_cast<char>('0' + v % 10);
    };
    two(year / 100);
    two(year % 100);
    *p++ = '-';
    two(static_cast<unsigned>(ymd.month()));
    *p++ = '-';
    two(static_cast<unsigned>(ymd.day()));
    *p++ = 'T';
    two(hms.hours().count());
    *p++ = ':';
    two(hms.minutes().count());
    *p++ = ':';
    two(hms.seconds().count());
    if (const long long ms = hms.subseconds().count(); ms != 0) {
        *p++ = '.';
        *p++ = static_cast<char>('0' + ms / 100);
        two(ms % 100);
    }
    *p++ = 'Z';
    return std::string(buf, p);
}

void putInt(std::string& out, std::int64_t v) {
    char buf[24];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
}

// nlohmann's float format (Grisu2 shortest round trip, ".0" on integers, null for NaN/inf).
void putDouble(std::string& out, double v) {
    if (!std::isfinite(v)) {
        out += "null";
        return;
    }
    char buf[64];
    char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
}

// DecisionRecord.cpp rounds these to 0.01 for the record's JSON.
double hundredths(double v) { return std::round(v * 100.0) / 100.0; }

void putOptMs(std::string& out, const std::optional<double>& v) {
    if (v) putDouble(out, hundredths(*v));
    else out += "null";
}

void putStage(std::string& out, const std::optional<bool>& v) { out += v ? (*v ? "true" : "false") : "null"; }

void key(std::string& out, std::string_view k, bool& first) {
    if (!first) out += ',';
    first = false;
    out += '"';
    out += k;
    out += "\":";
}

bool allValid(const JournalEntry& e, const std::string& journalId) {
    const DecisionRecord& r = e.record;
    for (const std::string* s : {&journalId, &e.kioskId, &e.bootId, &r.format, &r.subject, &r.policyVersion}) {
        if (!isValidUtf8(*s)) return false;
    }
    for (const auto* o : {&r.code, &r.staff, &r.route, &r.revocation, &r.binding}) {
        if (*o && !isValidUtf8(**o)) return false;
    }
    if (r.test && !isValidUtf8(r.test->result)) return false;
    if (r.risk && (!isValidUtf8(r.risk->level) || !isValidUtf8(r.risk->list))) return false;
    if (r.rules) {
        if (!isValidUtf8(r.rules->set)) return false;
        for (const auto& f : r.rules->failed) {
            if (!isValidUtf8(f)) return false;
        }
    }
    return true;
}

}  // namespace

std::string detail::uploadLineReference(const JournalEntry& entry, const std::string& journalId) {
    nlohmann::json j = toJson(entry.record);
    j.erase("file");
    if (entry.record.test) j["test"].erase("collected_at");
    j["seq"] = entry.seq;
    j["journal_id"] = journalId;
    j["kiosk_id"] = entry.kioskId;
    j["boot_id"] = entry.bootId;
    j["utc"] = formatRfc3339(entry.utc);
    j["at"] = j["utc"];  // DESIGN §13: published records carry `at`
    j["mono_ms"] = entry.monoMs;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string toUploadLine(const JournalEntry& entry, const std::string& journalId) {
    if (!allValid(entry, journalId)) return detail::uploadLineReference(entry, journalId);
    const DecisionRecord& r = entry.record;
    const std::string utc = rfc3339(entry.utc);
    std::string out;
    out.reserve(kUploadLineReserve);
    bool first = true;
    out += '{';
    // Keys in byte order, as nlohmann's std::map keeps them.
    key(out, "at", first);
    putString(out, utc);
    if (r.binding) {
        key(out, "binding", first);
        putString(out, *r.binding);
    }
    key(out, "boot_id", first);
    putString(out, entry.bootId);
    key(out, "code", first);
    if (r.code) putString(out, *r.code);
    else out += "null";
    key(out, "decision", first);
    putString(out, toString(r.decision));
    key(out, "format", first);
    if (r.format.empty()) out += "null";
    else putString(out, r.format);
    key(out, "journal_id", first);
    putString(out, journalId);
    key(out, "kiosk_id", first);
    putString(out, entry.kioskId);
    key(out, "latency_ms", first);
    out += "{\"backend\":";
    putOptMs(out, r.latency.backendMs);
    out += ",\"decode\":";
    putOptMs(out, r.latency.decodeMs);
    out += ",\"total\":";
    putOptMs(out, r.latency.totalMs);
    out += ",\"verify\":";
    putOptMs(out, r.latency.verifyMs);
    out += '}';
    key(out, "mono_ms", first);
    putInt(out, entry.monoMs);
    if (r.overrides) {
        key(out, "overrides", first);
        putInt(out, *r.overrides);
    }
    if (!r.policyVersion.empty()) {
        key(out, "policy_version", first);
        putString(out, r.policyVersion);
    }
    key(out, "reason", first);
    putString(out, toString(r.reason));
    if (r.revocation) {
        key(out, "revocation", first);
        out += "{\"type\":";
        putString(out, *r.revocation);
        out += '}';
    }
    if (r.risk) {
        key(out, "risk", first);
        out += "{\"level\":";
        putString(out, r.risk->level);
        out += ",\"list\":";
        putString(out, r.risk->list);
        out += '}';
    }
    key(out, "route", first);
    if (r.route) putString(out, *r.route);
    else out += "null";
    if (r.rules) {
        key(out, "rules", first);
        out += "{\"failed\":[";
        for (std::size_t i = 0; i < r.rules->failed.size(); ++i) {
            if (i > 0) out += ',';
            putString(out, r.rules->failed[i]);
        }
        out += "],\"set\":";
        putString(out, r.rules->set);
        out += '}';
    }
    key(out, "seq", first);
    putInt(out, entry.seq);
    if (r.staff) {
        key(out, "staff", first);
        putString(out, *r.staff);
    }
    key(out, "stages", first);
    const Stages& st = r.stages;
    out += "{\"base45\":";
    putStage(out, st.base45);
    out += ",\"cbor\":";
    putStage(out, st.cbor);
    out += ",\"expiry\":";
    putStage(out, st.expiry);
    out += ",\"inflate\":";
    putStage(out, st.inflate);
    out += ",\"key_usage\":";
    putStage(out, st.keyUsage);
    out += ",\"policy\":";
    putStage(out, st.policy);
    out += ",\"prefix\":";
    putStage(out, st.prefix);
    out += ",\"signature\":";
    putStage(out, st.signature);
    out += '}';
    key(out, "subject", first);
    if (r.subject.empty()) out += "null";
    else putString(out, r.subject);
    key(out, "test", first);
    if (r.test) {
        out += "{\"age_h\":";
        putDouble(out, hundredths(r.test->ageHours));
        out += ",\"result\":";
        putString(out, r.test->result);
        out += ",\"type\":";
        putString(out, toString(r.test->type));
        out += '}';
    } else {
        out += "null";
    }
    key(out, "utc", first);
    putString(out, utc);
    out += '}';
    return out;
}

Journal::Journal(JournalOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock), db_(std::make_unique<Connection>()) {}

Journal::~Journal() {
    std::lock_guard lock(mutex_);
    if (db_ && db_->isOpen() && !pendingDecodeFailures_.empty()) (void)flushLocked();
}

Result<std::unique_ptr<Journal>> Journal::open(const JournalOptions& options, const Clock& clock) {
    if (options.path.empty()) return makeError("journal.path is empty");
    // The leaf line replaces invalid UTF-8; a kiosk id the line cannot carry exactly is refused.
    if (!detail::isValidUtf8(options.kioskId)) return makeError("kiosk.id is not valid UTF-8");
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
    auto log = detail::migrateLog(*db, *id);
    if (!log) return makeError("journal " + options.path.string() + ": " + log.error().message);
    auto maxSeq = db->queryInt("SELECT coalesce(max(seq), 0) FROM decisions");
    if (!maxSeq) return maxSeq.error();
    if (options.maintainLog && static_cast<std::uint64_t>(*maxSeq) > log->range.size()) {
        return makeError("journal " + options.path.string() + " holds records beyond its log (seq " + std::to_string(*maxSeq) +
                         " > log size " + std::to_string(log->range.size()) +
                         "): it was altered; `sentinel journal verify` names them; move the file aside to start afresh");
    }
    if (log->migration && log->migration->size > 0 && log->range.size() == static_cast<std::uint64_t>(log->migration->size)) {
        SLOG("Journal", Info) << "journal " << options.path.string() << ": " << formatMigrationLine(*log->migration)
                              << " (records that predate the log are its first leaves)";
    }
    j->range_ = std::move(log->range);
    j->pruned_ = std::move(log->pruned);
    j->migration_ = std::move(log->migration);
    *j->db_ = std::move(*db);
    if (auto r = j->enforceRetention(); !r) {
        SLOG("Journal", Warn) << "retention at start failed: " << r.error().message;
    }
    return j;
}

Result<std::int64_t> Journal::append(const DecisionRecord& record) {
    if (auto st = validate(record); !st) return st.error();
    std::lock_guard lock(mutex_);
    return appendLocked({record});
}

Result<std::int64_t> Journal::appendBatch(const std::vector<DecisionRecord>& records) {
    if (records.empty()) return makeError("journal append: no records");
    for (const auto& r : records) {
        if (auto st = validate(r); !st) return st.error();
    }
    std::lock_guard lock(mutex_);
    return appendLocked(records);
}

Result<std::int64_t> Journal::appendLocked(const std::vector<DecisionRecord>& records) {
    Connection& db = *db_;
    const auto utc = clock_.now();
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
    const int leafParam = static_cast<int>(detail::kRecordColumns.size()) + 2;
    auto ins = db.prepare(options_.maintainLog
                              ? "INSERT INTO decisions(seq, " + detail::recordColumnList() + ", leaf_hash) VALUES (?1" +
                                    [] {
                                        std::string p;
                                        for (std::size_t i = 0; i <= detail::kRecordColumns.size(); ++i) p += ", ?" + std::to_string(i + 2);
                                        return p;
                                    }() + ")"
                              : "INSERT INTO decisions(" + detail::recordColumnList() + ") VALUES (" + [] {
                                    std::string p;
                                    for (std::size_t i = 0; i < detail::kRecordColumns.size(); ++i) p += (i ? ", ?" : "?") + std::to_string(i + 1);
                                    return p;
                                }() + ")");
    if (!ins.valid()) return fail("prepare");
    tlog::CompactRange next = range_;
    std::chrono::nanoseconds logWork{0};
    std::int64_t seq = 0;
    for (const auto& record : records) {
        if (!options_.maintainLog) {
            const auto row = detail::encodeRow(detail::storedEntry(record, 0, utc, monoMs, bootId_, options_.kioskId));
            detail::bindRow(ins, 1, row);
            if (ins.step() != SQLITE_DONE) return fail("insert");
            ins.reset();
            seq = sqlite3_last_insert_rowid(db.get());
            continue;
        }
        // The next leaf's index is the log's size: seq = size + 1, never reused (DESIGN §16).
        seq = static_cast<std::int64_t>(next.size()) + 1;
        const JournalEntry entry = detail::storedEntry(record, seq, utc, monoMs, bootId_, options_.kioskId);
        const auto row = detail::encodeRow(entry);
        const auto t0 = std::chrono::steady_clock::now();
        // The leaf is the line of the entry as read() will return it: storedEntry() is that entry
        // (decodeRow(encodeRow(e)) gives e back; UploadLineTest checks it on random records).
        const tlog::Hash leaf = tlog::leafHash(toUploadLine(entry, journalId_));
        next.append(leaf);
        logWork += std::chrono::steady_clock::now() - t0;
        ins.bind(1, seq);
        detail::bindRow(ins, 2, row);
        ins.bindBlob(leafParam, tlog::bytesOf(leaf));
        if (ins.step() != SQLITE_DONE) return fail("insert");
        ins.reset();
    }
    if (options_.maintainLog) {
        auto log = db.prepare("UPDATE tlog SET size = ?1, range = ?2 WHERE id = 1");
        log.bind(1, static_cast<std::int64_t>(next.size()));
        log.bindBlob(2, next.toBytes());
        if (log.step() != SQLITE_DONE) return fail("log");
        if (sqlite3_changes(db.get()) != 1) {
            db.rollbackIfInTransaction();
            return makeError("journal append: the log's state row is missing (the file was altered)");
        }
    }

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
    if (options_.maintainLog) {
        range_ = std::move(next);
        lastLogWork_ = logWork;
        if (commitListener_) commitListener_(range_.size());
    }

    appendsSinceRetention_ += records.size();
    if (appendsSinceRetention_ >= kRetentionEveryAppends) {
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
    auto hours = db.prepare("DELETE FROM decode_failures WHERE hour_utc < ?1");
    hours.bind(1, cutoffMs / kMsPerHour);
    hours.step();

    const std::uint64_t prunedSize = pruned_.size();
    const std::uint64_t logSize = range_.size();
    if (prunedSize >= logSize) return report;
    // Nothing goes that no checkpoint covers: without one beyond the pruned prefix, stop here (and
    // never scan an old journal on the decision thread for nothing).
    auto latest = db.queryInt("SELECT coalesce(max(size), 0) FROM checkpoints");
    if (!latest) return latest.error();
    const auto covered = static_cast<std::uint64_t>(*latest);
    if (covered <= prunedSize) return report;
    // By age: every record before the first one inside the age limit (a prefix: the log prunes
    // nothing else), looked for among the covered ones only. NOT INDEXED: walk seq order from the
    // oldest, not the utc index.
    std::uint64_t ageCut = covered;
    auto young = db.prepare(
        "SELECT seq FROM decisions NOT INDEXED WHERE seq > ?1 AND seq <= ?2 AND utc_ms >= ?3 ORDER BY seq LIMIT 1");
    if (!young.valid()) return db.error("retention");
    young.bind(1, static_cast<std::int64_t>(prunedSize));
    young.bind(2, static_cast<std::int64_t>(covered));
    young.bind(3, cutoffMs);
    int rc = young.step();
    if (rc == SQLITE_ROW) ageCut = static_cast<std::uint64_t>(young.columnInt(0) - 1);
    else if (rc != SQLITE_DONE) return db.error("retention by age");
    // By size: the oldest records while the live pages exceed the limit.
    std::uint64_t sizeCut = prunedSize;
    auto pages = db.queryInt("PRAGMA page_count");
    auto freePages = db.queryInt("PRAGMA freelist_count");
    auto pageSize = db.queryInt("PRAGMA page_size");
    if (!pages || !freePages || !pageSize) return db.error("retention size");
    const auto liveBytes = static_cast<std::uint64_t>((*pages - *freePages) * *pageSize);
    if (liveBytes > options_.retainMaxBytes) {
        auto rows = db.queryInt("SELECT count(*) FROM decisions");
        if (!rows) return rows.error();
        const double target = kSizeRetentionTarget * static_cast<double>(options_.retainMaxBytes);
        const double excess = static_cast<double>(liveBytes) - target;
        const auto toDelete = static_cast<std::uint64_t>(
            std::ceil(excess / static_cast<double>(liveBytes) * static_cast<double>(std::max<std::int64_t>(*rows, 1))));
        sizeCut = std::min(logSize, prunedSize + std::max<std::uint64_t>(toDelete, 1));
    }
    const std::uint64_t wanted = std::max(ageCut, sizeCut);
    if (wanted <= prunedSize) return report;
    // The cut is a checkpoint's size: the largest within this step's bound, else the first beyond it.
    const std::uint64_t bounded = std::min<std::uint64_t>(wanted, prunedSize + maxRows);
    auto pick = [&](const char* sql, std::uint64_t upTo) -> Result<std::uint64_t> {
        auto q = db.prepare(sql);
        if (!q.valid()) return db.error("retention");
        q.bind(1, static_cast<std::int64_t>(prunedSize));
        q.bind(2, static_cast<std::int64_t>(upTo));
        if (q.step() != SQLITE_ROW) return db.error("retention");
        return q.columnIsNull(0) ? 0 : static_cast<std::uint64_t>(q.columnInt(0));
    };
    auto cut = pick("SELECT max(size) FROM checkpoints WHERE size > ?1 AND size <= ?2", bounded);
    if (!cut) return cut.error();
    if (*cut == 0) {
        cut = pick("SELECT min(size) FROM checkpoints WHERE size > ?1 AND size <= ?2", wanted);
        if (!cut) return cut.error();
    }
    if (*cut == 0) return report;  // no checkpoint covers what should go yet: it waits for one
    auto deleted = pruneTo(*cut);
    if (!deleted) return deleted.error();
    (ageCut >= *cut ? report.deletedByAge : report.deletedBySize) = *deleted;
    SLOG("Journal", Info) << "retention: records up to seq " << *cut << " deleted (" << *deleted << " rows, "
                          << (ageCut >= *cut ? "past the age limit" : "over the size limit") << "), kept as the log's pruned prefix";
    return report;
}

Result<std::uint64_t> Journal::pruneTo(std::uint64_t cut) {
    Connection& db = *db_;
    auto fail = [&db](std::string what) -> Error {
        db.rollbackIfInTransaction();
        return makeError("retention: " + what);
    };
    if (auto st = db.exec("BEGIN IMMEDIATE"); !st) {
        db.rollbackIfInTransaction();
        return st.error();
    }
    // The pruned prefix's compact range grows by the stored leaves; the checkpoint at the cut must
    // agree, or the file was altered and nothing is deleted (the evidence stays).
    tlog::CompactRange pruned = pruned_;
    const tlog::Hash absentLeaf = tlog::leafHash("");
    auto leaves = db.prepare("SELECT seq, leaf_hash FROM decisions WHERE seq > ?1 AND seq <= ?2 ORDER BY seq");
    leaves.bind(1, static_cast<std::int64_t>(pruned.size()));
    leaves.bind(2, static_cast<std::int64_t>(cut));
    auto fillTo = [&](std::uint64_t seq) -> bool {  // absent seqs (migration) up to seq − 1
        while (pruned.size() + 1 < seq) {
            if (!migration_ || !migration_->isAbsent(static_cast<std::int64_t>(pruned.size() + 1))) return false;
            pruned.append(absentLeaf);
        }
        return true;
    };
    int rc;
    while ((rc = leaves.step()) == SQLITE_ROW) {
        const auto seq = static_cast<std::uint64_t>(leaves.columnInt(0));
        if (!fillTo(seq)) return fail("record " + std::to_string(pruned.size() + 1) + " is missing; not pruning");
        auto leaf = leaves.columnType(1) == SQLITE_BLOB ? tlog::hashFromBytes(leaves.columnBlob(1)) : std::nullopt;
        if (!leaf) return fail("record " + std::to_string(seq) + " has no leaf hash; not pruning");
        pruned.append(*leaf);
    }
    if (rc != SQLITE_DONE) return fail(db.error("read").message);
    if (!fillTo(cut + 1)) return fail("record " + std::to_string(pruned.size() + 1) + " is missing; not pruning");
    auto note = db.prepare("SELECT note FROM checkpoints WHERE size = ?1");
    note.bind(1, static_cast<std::int64_t>(cut));
    if (note.step() != SQLITE_ROW) return fail("no checkpoint at " + std::to_string(cut));
    auto parsed = parseNote(note.columnText(0));
    auto body = parsed ? parseCheckpointBody(parsed->text) : Result<CheckpointBody>(parsed.error());
    if (!body || body->size != cut || body->root != pruned.root()) {
        return fail("checkpoint " + std::to_string(cut) + " does not match the stored log; not pruning (run `sentinel journal verify`)");
    }
    auto del = db.prepare("DELETE FROM decisions WHERE seq <= ?1");
    del.bind(1, static_cast<std::int64_t>(cut));
    if (del.step() != SQLITE_DONE) return fail(db.error("delete").message);
    const auto deleted = static_cast<std::uint64_t>(sqlite3_changes(db.get()));
    auto oldCheckpoints = db.prepare("DELETE FROM checkpoints WHERE size < ?1");
    oldCheckpoints.bind(1, static_cast<std::int64_t>(cut));
    if (oldCheckpoints.step() != SQLITE_DONE) return fail(db.error("delete checkpoints").message);
    auto st = db.prepare("UPDATE tlog SET pruned_size = ?1, pruned_range = ?2 WHERE id = 1");
    st.bind(1, static_cast<std::int64_t>(cut));
    st.bindBlob(2, pruned.toBytes());
    if (st.step() != SQLITE_DONE) return fail(db.error("log").message);
    if (auto c = db.exec("COMMIT"); !c) return fail(c.error().message);
    pruned_ = std::move(pruned);
    return deleted;
}

LogHead Journal::logHead() const {
    std::lock_guard lock(mutex_);
    return {range_.size(), range_.root()};
}

std::uint64_t Journal::prunedSize() const {
    std::lock_guard lock(mutex_);
    return pruned_.size();
}

std::vector<std::string> Journal::checkpointExtensions() const {
    std::lock_guard lock(mutex_);
    if (!migration_) return {};
    return {formatMigrationLine(*migration_)};
}

Result<bool> Journal::storeCheckpoint(const StoredCheckpoint& checkpoint) {
    auto note = parseNote(checkpoint.note);
    if (!note) return makeError("checkpoint: " + note.error().message);
    auto body = parseCheckpointBody(note->text);
    if (!body) return makeError("checkpoint: " + body.error().message);
    if (body->size != checkpoint.size) return makeError("checkpoint: the note's size is not the size given");
    std::lock_guard lock(mutex_);
    // Never a checkpoint over records that are not durable: only committed sizes.
    if (checkpoint.size > range_.size()) {
        return makeError("checkpoint of size " + std::to_string(checkpoint.size) + " exceeds the committed log (" +
                         std::to_string(range_.size()) + ")");
    }
    if (checkpoint.size == range_.size() && body->root != range_.root()) return makeError("checkpoint: root is not the log's");
    auto ins = db_->prepare("INSERT OR IGNORE INTO checkpoints(size, note, utc_ms) VALUES (?1, ?2, ?3)");
    ins.bind(1, static_cast<std::int64_t>(checkpoint.size));
    ins.bind(2, checkpoint.note);
    ins.bind(3, static_cast<std::int64_t>(checkpoint.at.time_since_epoch().count()));
    if (ins.step() != SQLITE_DONE) return db_->error("store checkpoint");
    return sqlite3_changes(db_->get()) == 1;
}

Result<std::optional<StoredCheckpoint>> Journal::latestCheckpoint() const {
    std::lock_guard lock(mutex_);
    auto q = db_->prepare("SELECT size, note, utc_ms FROM checkpoints ORDER BY size DESC LIMIT 1");
    if (!q.valid()) return db_->error("checkpoints");
    const int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<StoredCheckpoint>{};
    if (rc != SQLITE_ROW) return db_->error("checkpoints");
    return std::optional<StoredCheckpoint>{StoredCheckpoint{static_cast<std::uint64_t>(q.columnInt(0)), q.columnText(1),
                                                            UtcTime{std::chrono::milliseconds{q.columnInt(2)}}}};
}

void Journal::setCommitListener(std::function<void(std::uint64_t)> listener) {
    std::lock_guard lock(mutex_);
    commitListener_ = std::move(listener);
}

std::chrono::nanoseconds Journal::lastLogWork() const {
    std::lock_guard lock(mutex_);
    return lastLogWork_;
}

Result<std::int64_t> commitDecision(Journal& journal, DecisionRecord& record) {
    auto seq = journal.append(record);
    if (!seq) record.decide(Reason::JournalFault);  // REFER: the gate stays shut
    return seq;
}

}  // namespace sentinel::journal

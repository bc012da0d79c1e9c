#include "firmware/journal/JournalVerify.h"

#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "firmware/journal/Journal.h"
#include "firmware/journal/RecordRow.h"
#include "firmware/journal/Schema.h"
#include "firmware/journal/Sqlite.h"

namespace sentinel::journal {
namespace {

using detail::Connection;

// Rows per read: bounded memory on a journal of millions of records.
constexpr std::size_t kRowsPerChunk = 10000;

struct ReadTransaction {
    Connection& db;
    ~ReadTransaction() { (void)db.exec("COMMIT"); }
};

Result<Connection> openReadOnly(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return makeError(path.string() + ": no such journal");
    auto db = Connection::open(path, SQLITE_OPEN_READONLY);
    if (!db) return db.error();
    sqlite3_busy_timeout(db->get(), detail::kBusyTimeoutMs);
    return db;
}

std::string span(std::int64_t from, std::int64_t to) {
    return from == to ? std::to_string(from) : std::to_string(from) + "–" + std::to_string(to);
}

std::string spanText(const SeqSpan& s) { return s.empty() ? "none" : span(s.from, s.to); }

// The stored leaf hash when it is one (a 32-byte blob).
std::optional<tlog::Hash> storedLeaf(const detail::SqlValue& v) {
    const auto* b = std::get_if<detail::Blob>(&v);
    return b ? tlog::hashFromBytes(b->bytes) : std::nullopt;
}

}  // namespace

Result<VerifyReport> verifyJournal(const std::filesystem::path& path, const NoteVerifier* key) {
    auto opened = openReadOnly(path);
    if (!opened) return opened.error();
    Connection& db = *opened;
    if (auto st = db.exec("BEGIN"); !st) return st.error();
    ReadTransaction tx{db};

    VerifyReport report;
    report.path = path.string();
    std::vector<Problem> problems;
    auto id = detail::journalId(db);
    if (!id) return makeError(path.string() + ": not a journal (" + id.error().message + ")");
    report.journalId = *id;
    if (key) report.key = key->toString();
    auto log = detail::readLogState(db);
    if (!log) {
        report.problems.push_back({0, "log_state", log.error().message});
        report.problemCount = 1;
        return report;
    }
    if (!*log) {
        report.problems.push_back({0, "no_log", "this journal has no Merkle log (start the kiosk once to add it)"});
        report.problemCount = 1;
        return report;
    }
    const detail::LogState& state = **log;
    report.logSize = state.range.size();
    report.migration = state.migration;
    const auto prunedSize = static_cast<std::int64_t>(state.pruned.size());
    const auto logSize = static_cast<std::int64_t>(state.range.size());
    report.pruned = {1, prunedSize};

    // Checkpoints: parsed, signature checked with the key, origin this journal's.
    const std::optional<std::string> kiosk = key ? kioskOfKeyName(key->name()) : std::nullopt;
    auto stored = detail::readCheckpoints(db);
    if (!stored) return stored.error();
    std::vector<CheckpointClaim> claims;
    for (const auto& c : *stored) {
        auto claim = readClaim(c.note, key);
        if (!claim || claim->size != c.size) {
            problems.push_back({0, "malformed", "checkpoint " + std::to_string(c.size) + ": " +
                                                    (claim ? "its note is of another size" : claim.error().message)});
            continue;
        }
        const bool ours = kiosk ? claim->origin == checkpointOrigin(*kiosk, report.journalId)
                                : claim->origin.starts_with("sentinel.kiosk/") && claim->origin.ends_with("/" + report.journalId);
        if (!ours) {
            problems.push_back({0, "origin", "checkpoint " + std::to_string(c.size) + " is of another log (" + claim->origin + ")"});
            continue;
        }
        report.latestCheckpoint = c.size;
        claims.push_back(std::move(*claim));
    }
    report.checkpoints = claims.size();

    LogReplay replay(state.pruned, std::move(claims));
    const tlog::Hash absentLeaf = tlog::leafHash("");
    const tlog::Hash unknownLeaf{};
    auto isAbsent = [&](std::int64_t seq) { return state.migration && state.migration->isAbsent(seq); };
    std::int64_t expect = prunedSize + 1;
    std::int64_t missingFrom = 0;
    auto flushMissing = [&](std::int64_t upTo) {
        if (missingFrom > 0) {
            problems.push_back({missingFrom, "missing", "record " + span(missingFrom, upTo) + " is not in the journal"});
            missingFrom = 0;
        }
    };
    // Seqs up to `seq` (exclusive) without a record: absent since migration, or missing.
    auto fillTo = [&](std::int64_t seq) {
        for (; expect < seq; ++expect) {
            if (isAbsent(expect)) {
                flushMissing(expect - 1);
                replay.append(absentLeaf);
            } else {
                if (missingFrom == 0) missingFrom = expect;
                replay.lose();
                replay.append(unknownLeaf);
            }
        }
        flushMissing(expect - 1);
    };

    std::int64_t after = std::numeric_limits<std::int64_t>::min();  // rows at seq ≤ 0 are extras too
    for (;;) {
        auto chunk = detail::readStoredRecords(db, after, kRowsPerChunk);
        if (!chunk) {
            problems.push_back({expect, "malformed", "reading the records failed: " + chunk.error().message});
            replay.lose();
            break;
        }
        if (chunk->empty()) break;
        for (const auto& r : *chunk) {
            after = r.seq;
            ++report.records;
            if (r.seq < 1) {
                problems.push_back({0, "extra", "a record with seq " + std::to_string(r.seq) + ", which no log has"});
                continue;
            }
            if (r.seq <= prunedSize) {
                problems.push_back({r.seq, "extra", "record " + std::to_string(r.seq) + " is inside the pruned prefix"});
                continue;
            }
            if (r.seq > logSize) {
                problems.push_back({r.seq, "extra", "record " + std::to_string(r.seq) + " is beyond the log (size " +
                                                        std::to_string(logSize) + ")"});
                continue;
            }
            fillTo(r.seq);
            if (isAbsent(r.seq)) {
                problems.push_back({r.seq, "extra", "record " + std::to_string(r.seq) + " was absent when the log began"});
                replay.append(absentLeaf);
                ++expect;
                continue;
            }
            const JournalEntry entry = detail::decodeRow(r.seq, r.row);
            const tlog::Hash leaf = tlog::leafHash(toUploadLine(entry, report.journalId));
            const auto logged = storedLeaf(r.leafHash);
            if (const auto column = detail::firstNonCanonicalColumn(r.row, entry); !column.empty()) {
                problems.push_back({r.seq, "altered", "record " + std::to_string(r.seq) + ": column " + std::string(column) +
                                                          " is not as logged"});
            } else if (!logged) {
                problems.push_back({r.seq, "altered", "record " + std::to_string(r.seq) + " has no leaf hash"});
            } else if (*logged != leaf) {
                problems.push_back({r.seq, "altered", "record " + std::to_string(r.seq) + " differs from its logged leaf"});
            }
            // The log goes on with the leaf that was logged: whether the log itself was rewritten is
            // the checkpoints' question.
            replay.append(logged ? *logged : leaf);
            ++expect;
        }
    }
    fillTo(logSize + 1);
    replay.finish(state.range.size());
    if (!replay.lost() && !(replay.range() == state.range)) {
        problems.push_back({0, "log_state", "the stored log (size and compact range) is not the records' log"});
    }
    for (const auto& p : replay.problems()) problems.push_back(p);
    report.checkpointsVerified = replay.verifiedClaims();

    narrowSpans(problems);
    sortProblems(problems);
    report.problemCount = problems.size();
    if (problems.size() > kMaxProblemsReported) problems.resize(kMaxProblemsReported);
    report.problems = std::move(problems);
    const auto firstBad = report.firstBadSeq();
    const auto lastGood = static_cast<std::int64_t>(replay.lastVerifiedBelow(firstBad.value_or(INT64_MAX)));
    report.verified = {prunedSize + 1, lastGood};
    report.unattested = {std::max(lastGood, prunedSize) + 1, logSize};
    return report;
}

nlohmann::json toJson(const VerifyReport& r) {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& p : r.problems) problems.push_back(toJson(p));
    nlohmann::json migrated = nullptr;
    if (r.migration) {
        nlohmann::json absent = nlohmann::json::array();
        for (const auto& s : r.migration->absent) absent.push_back(toJson(s));
        migrated = {{"size", r.migration->size}, {"absent", absent}};
    }
    const auto first = r.firstBadSeq();
    return {{"ok", r.intact()},
            {"path", r.path},
            {"journal_id", r.journalId},
            {"log_size", r.logSize},
            {"records", r.records},
            {"pruned", toJson(r.pruned)},
            {"verified", toJson(r.verified)},
            {"unattested", toJson(r.unattested)},
            {"migrated", migrated},
            {"checkpoints", {{"total", r.checkpoints}, {"verified", r.checkpointsVerified},
                             {"latest", r.latestCheckpoint ? nlohmann::json(*r.latestCheckpoint) : nlohmann::json(nullptr)}}},
            {"signatures", r.key.empty() ? "not_checked" : "checked"},
            {"key", r.key.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.key)},
            {"first_bad_seq", first ? nlohmann::json(*first) : nlohmann::json(nullptr)},
            {"problem_count", r.problemCount},
            {"problems", problems}};
}

std::string renderVerifyReport(const VerifyReport& r) {
    std::ostringstream os;
    os << "journal " << r.path << " (journal " << r.journalId << ")\n";
    os << "log: " << r.logSize << " records logged, " << r.records << " present\n";
    os << "pruned:     " << spanText(r.pruned) << (r.pruned.empty() ? "" : " (deleted by retention, kept as the log's compact range)")
       << '\n';
    if (r.migration) os << "migrated:   " << formatMigrationLine(*r.migration) << " (records that predate the log)\n";
    os << "verified:   " << spanText(r.verified) << " (" << r.checkpointsVerified << " of " << r.checkpoints << " checkpoints"
       << (r.key.empty() ? "; roots only: signatures not checked, give --key or --config" : "; signatures checked with " + r.key)
       << ")\n";
    os << "unattested: " << spanText(r.unattested) << (r.unattested.empty() ? "" : " (after the last checkpoint)") << '\n';
    if (r.intact()) {
        os << "intact\n";
    } else {
        const auto first = r.firstBadSeq();
        os << "TAMPERED: " << r.problemCount << " problem(s)";
        if (first) os << ", first bad seq " << *first;
        os << '\n';
        for (const auto& p : r.problems) os << "  " << (p.seq > 0 ? "seq " + std::to_string(p.seq) + ": " : "") << p.kind << ": " << p.detail << '\n';
        if (r.problemCount > r.problems.size()) os << "  … and " << r.problemCount - r.problems.size() << " more\n";
    }
    return os.str();
}

Result<std::string> proveRecord(const std::filesystem::path& path, std::int64_t seq) {
    auto opened = openReadOnly(path);
    if (!opened) return opened.error();
    Connection& db = *opened;
    if (auto st = db.exec("BEGIN"); !st) return st.error();
    ReadTransaction tx{db};
    auto id = detail::journalId(db);
    if (!id) return id.error();
    auto log = detail::readLogState(db);
    if (!log) return log.error();
    if (!*log) return makeError("this journal has no Merkle log");
    const detail::LogState& state = **log;
    const auto prunedSize = static_cast<std::int64_t>(state.pruned.size());
    if (seq < 1 || seq > static_cast<std::int64_t>(state.range.size())) return makeError("no record " + std::to_string(seq) + " in the log");
    if (seq <= prunedSize) return makeError("record " + std::to_string(seq) + " was pruned by retention");
    auto checkpoints = detail::readCheckpoints(db);
    if (!checkpoints) return checkpoints.error();
    if (checkpoints->empty() || static_cast<std::int64_t>(checkpoints->back().size) < seq) {
        return makeError("record " + std::to_string(seq) + " is not covered by a checkpoint yet (unattested)");
    }
    const StoredCheckpoint& cp = checkpoints->back();
    auto note = parseNote(cp.note);
    if (!note) return makeError("checkpoint " + std::to_string(cp.size) + ": " + note.error().message);
    auto body = parseCheckpointBody(note->text);
    if (!body) return makeError("checkpoint " + std::to_string(cp.size) + ": " + body.error().message);

    // The leaves of (pruned, checkpoint]: stored, absent, or — for the record proven — recomputed.
    std::vector<tlog::Hash> leaves;
    leaves.reserve(cp.size - state.pruned.size());
    std::string line;
    std::int64_t next = prunedSize + 1;
    const tlog::Hash absentLeaf = tlog::leafHash("");
    auto fillTo = [&](std::int64_t upTo) -> Status {
        for (; next < upTo; ++next) {
            if (!state.migration || !state.migration->isAbsent(next)) return makeError("record " + std::to_string(next) + " is missing");
            leaves.push_back(absentLeaf);
        }
        return Ok{};
    };
    for (std::int64_t after = prunedSize; after < static_cast<std::int64_t>(cp.size);) {
        auto chunk = detail::readStoredRecords(db, after, kRowsPerChunk);
        if (!chunk) return chunk.error();
        if (chunk->empty()) break;
        for (const auto& r : *chunk) {
            after = r.seq;
            if (r.seq > static_cast<std::int64_t>(cp.size)) break;
            if (auto st = fillTo(r.seq); !st) return st.error();
            auto logged = storedLeaf(r.leafHash);
            if (r.seq == seq) {
                line = toUploadLine(detail::decodeRow(r.seq, r.row), *id);
                if (!detail::isCanonical(r.row) || !logged || *logged != tlog::leafHash(line)) {
                    return makeError("record " + std::to_string(seq) + " is not as logged (run `sentinel journal verify`)");
                }
            }
            if (!logged) return makeError("record " + std::to_string(r.seq) + " has no leaf hash");
            leaves.push_back(*logged);
            ++next;
        }
    }
    if (auto st = fillTo(static_cast<std::int64_t>(cp.size) + 1); !st) return st.error();
    if (line.empty()) return makeError("record " + std::to_string(seq) + " is missing");
    tlog::TreeSource tree{state.pruned, [&](std::uint64_t index) -> Result<tlog::Hash> {
                              const auto i = index - state.pruned.size();
                              if (index < state.pruned.size() || i >= leaves.size()) return makeError("no leaf " + std::to_string(index));
                              return leaves[i];
                          }};
    auto proofPath = tlog::inclusionProof(tree, static_cast<std::uint64_t>(seq - 1), cp.size);
    if (!proofPath) return proofPath.error();
    std::vector<std::string> raw;
    for (const auto& h : *proofPath) raw.emplace_back(tlog::bytesOf(h));
    if (auto ok = tlog::verifyInclusion(static_cast<std::uint64_t>(seq - 1), cp.size, tlog::bytesOf(tlog::leafHash(line)), raw,
                                        tlog::bytesOf(body->root));
        !ok) {
        return makeError("the stored log does not match checkpoint " + std::to_string(cp.size) + " (run `sentinel journal verify`)");
    }
    return formatTlogProof({line, static_cast<std::uint64_t>(seq - 1), std::move(*proofPath), cp.note});
}

}  // namespace sentinel::journal

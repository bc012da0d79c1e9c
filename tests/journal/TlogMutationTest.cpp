// The mutation suite of issue 28: thousands of generated journals, each mutated once, must be
// detected wherever a checkpoint covers the mutation, never raise a false alarm, and report what no
// checkpoint covers as unattested (never as verified).
//
//  * audit: in-memory published lines and signed checkpoint messages (what a subscriber receives),
//    SENTINEL_TLOG_AUDIT_JOURNALS (default 4000) journals;
//  * verify: real journal files changed with SQL, SENTINEL_TLOG_VERIFY_JOURNALS (default 300) —
//    "naive" edits as the sqlite3 shell makes them, and "resealed" ones by an attacker who knows the
//    algorithm (leaves and log state recomputed) but not the key.
// The seed is SENTINEL_TLOG_SEED (default 28). The counts are printed.

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <cstdlib>
#include <map>
#include <random>

#include "firmware/journal/Audit.h"
#include "firmware/journal/Checkpointer.h"
#include "firmware/journal/Journal.h"
#include "firmware/journal/JournalVerify.h"
#include "firmware/journal/RecordRow.h"
#include "firmware/journal/Schema.h"
#include "tests/journal/JournalTestSupport.h"
#include "tests/support/TestSupport.h"

namespace sentinel::journal {
namespace {

using sentinel::testing::ManualClock;
using sentinel::testing::TempDir;
using testing::kTestKiosk;

std::uint64_t envCount(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    return v ? std::strtoull(v, nullptr, 10) : fallback;
}

struct Tally {
    std::uint64_t applied = 0, covered = 0, detectedCovered = 0, detectedUncovered = 0, missed = 0, falseAlarms = 0;
};

void printTallies(const std::string& title, const std::map<std::string, Tally>& tallies) {
    std::printf("\n%s\n%-28s %8s %8s %10s %10s %7s %7s\n", title.c_str(), "mutation", "applied", "covered", "det.cov",
                "det.uncov", "missed", "false");
    Tally total;
    for (const auto& [name, t] : tallies) {
        std::printf("%-28s %8llu %8llu %10llu %10llu %7llu %7llu\n", name.c_str(), (unsigned long long)t.applied,
                    (unsigned long long)t.covered, (unsigned long long)t.detectedCovered,
                    (unsigned long long)t.detectedUncovered, (unsigned long long)t.missed, (unsigned long long)t.falseAlarms);
        total.applied += t.applied;
        total.covered += t.covered;
        total.detectedCovered += t.detectedCovered;
        total.detectedUncovered += t.detectedUncovered;
        total.missed += t.missed;
        total.falseAlarms += t.falseAlarms;
    }
    std::printf("%-28s %8llu %8llu %10llu %10llu %7llu %7llu\n", "total", (unsigned long long)total.applied,
                (unsigned long long)total.covered, (unsigned long long)total.detectedCovered,
                (unsigned long long)total.detectedUncovered, (unsigned long long)total.missed, (unsigned long long)total.falseAlarms);
}

// Records one outcome. `benign`: the change is not tampering (must not alarm). `covered`: a
// checkpoint covers it (must be detected). Otherwise it must at least not be reported verified.
void count(Tally& t, bool benign, bool covered, bool detected, bool reportedVerified, const std::string& what) {
    ++t.applied;
    if (benign) {
        if (detected) {
            ++t.falseAlarms;
            ADD_FAILURE() << "false alarm: " << what;
        }
        return;
    }
    if (covered) {
        ++t.covered;
        if (detected) {
            ++t.detectedCovered;
        } else {
            ++t.missed;
            ADD_FAILURE() << "missed: " << what;
        }
        return;
    }
    if (detected) {
        ++t.detectedUncovered;
    } else if (reportedVerified) {
        ++t.missed;
        ADD_FAILURE() << "an uncovered mutation was reported verified: " << what;
    }
}

// --- audit: generated published lines -----------------------------------------------------------

struct Published {
    std::string journalId;
    std::vector<std::string> lines;        // seq i at index i − 1
    std::vector<std::string> checkpoints;  // checkpoint messages
    std::vector<std::uint64_t> sizes;      // their sizes
    std::uint64_t lastCheckpoint = 0;
};

std::string hex32(std::mt19937& rng) {
    std::string s;
    for (int i = 0; i < 32; ++i) s += "0123456789abcdef"[rng() % 16];
    return s;
}

std::string lineOf(const DecisionRecord& r, std::int64_t seq, const std::string& journalId, std::mt19937& rng) {
    const UtcTime utc{std::chrono::milliseconds{1795000000000LL + seq * 1000 + static_cast<std::int64_t>(rng() % 999)}};
    const auto row = detail::encodeRow(detail::storedEntry(r, seq, utc, 5000 + seq, "boot-1", kTestKiosk));
    return toUploadLine(detail::decodeRow(seq, row), journalId);
}

Published generate(std::mt19937& rng, const NoteSigner& signer) {
    Published p;
    p.journalId = hex32(rng);
    const std::uint64_t n = 5 + rng() % 56;
    const std::uint64_t every = 3 + rng() % 18;
    tlog::CompactRange range;
    for (std::uint64_t seq = 1; seq <= n; ++seq) {
        p.lines.push_back(lineOf(testing::randomRecord(rng), static_cast<std::int64_t>(seq), p.journalId, rng));
        range.append(tlog::leafHash(p.lines.back()));
        if (seq % every == 0 || (seq == n && rng() % 3 == 0)) {
            auto note = signer.sign(formatCheckpointBody({checkpointOrigin(kTestKiosk, p.journalId), seq, range.root(), {}}));
            p.checkpoints.push_back(checkpointMessage(*note, UtcTime{std::chrono::seconds{1795000000}}));
            p.sizes.push_back(seq);
            p.lastCheckpoint = seq;
        }
    }
    return p;
}

std::string joinLines(const std::vector<std::string>& lines, std::mt19937& rng) {
    std::string out;
    for (const auto& l : lines) {
        out += l + "\n";
        if (rng() % 8 == 0) out += "\n";  // mosquitto_sub -F %p: a payload's own newline after a batch
    }
    return out;
}

struct AuditOutcome {
    bool detected = false;
    SeqSpan verified;
};

AuditOutcome runAudit(const std::vector<std::string>& lines, const std::vector<std::string>& checkpoints,
                      const NoteVerifier& key, std::mt19937& rng) {
    const std::string records = joinLines(lines, rng);
    std::string cps;
    for (const auto& c : checkpoints) cps += c + "\n";
    auto report = audit({records, cps, std::nullopt}, key);
    EXPECT_TRUE(report);
    AuditOutcome o;
    o.detected = !report->intact();
    for (const auto& j : report->journals) {
        if (!j.verified.empty()) o.verified = j.verified;
    }
    return o;
}

TEST(TlogMutationTest, AuditDetectsEveryCoveredMutationOfWhatASubscriberReceived) {
    const auto seed = envCount("SENTINEL_TLOG_SEED", 28);
    const auto journals = envCount("SENTINEL_TLOG_AUDIT_JOURNALS", 4000);
    std::mt19937 rng(static_cast<std::uint32_t>(seed));
    const NoteSigner signer = testing::testSigner();
    const NoteSigner forger = testing::testSigner();
    const NoteVerifier& key = signer.verifier();
    std::map<std::string, Tally> tallies;
    enum Kind { kNone, kDelete, kFlip, kSwap, kRepeat, kDuplicateAltered, kInsert, kTruncate, kDropRange, kFork, kCheckpointFlip, kKinds };
    constexpr const char* kNames[] = {"none (control)", "delete one", "flip a byte", "swap two", "repeat (at-least-once)",
                                      "duplicate, other content", "insert forged", "truncate", "drop a range",
                                      "fork, foreign key", "flip a checkpoint byte"};
    for (std::uint64_t n = 0; n < journals; ++n) {
        Published p = generate(rng, signer);
        auto lines = p.lines;
        auto checkpoints = p.checkpoints;
        const auto kind = static_cast<Kind>(n % kKinds);
        const std::size_t size = lines.size();
        const std::size_t i = rng() % size;  // a record index: seq i + 1
        bool benign = false;
        std::int64_t firstSeq = static_cast<std::int64_t>(i) + 1;  // the first seq the mutation touches
        switch (kind) {
            case kNone: benign = true; break;
            case kDelete: lines.erase(lines.begin() + static_cast<long>(i)); break;
            case kFlip: {
                auto& l = lines[i];
                const std::size_t at = rng() % l.size();
                l[at] = static_cast<char>(l[at] ^ (1 << (rng() % 7)));
                break;
            }
            case kSwap: {
                std::size_t k = rng() % size;
                while (size > 1 && k == i) k = rng() % size;
                if (size < 2) {
                    benign = true;
                    break;
                }
                std::swap(lines[i], lines[k]);
                firstSeq = static_cast<std::int64_t>(std::min(i, k)) + 1;
                break;
            }
            case kRepeat: {
                benign = true;
                const std::size_t at = i + rng() % (size - i + 1);
                lines.insert(lines.begin() + static_cast<long>(at), lines[i]);
                break;
            }
            case kDuplicateAltered: {
                std::string copy = lines[i];
                const auto pos = copy.find("\"mono_ms\":");
                copy.insert(pos + 10, "1");
                lines.insert(lines.begin() + static_cast<long>(i + 1), copy);
                break;
            }
            case kInsert: {
                // A forged record under an existing seq, or after the last one.
                const auto seq = static_cast<std::int64_t>(rng() % (size + 1)) + 1;
                lines.insert(lines.begin() + static_cast<long>(std::min<std::size_t>(static_cast<std::size_t>(seq) - 1, size)),
                             lineOf(testing::randomRecord(rng), seq, p.journalId, rng));
                firstSeq = seq;
                break;
            }
            case kTruncate: lines.resize(i); break;
            case kDropRange: {
                const std::size_t end = std::min(size, i + 1 + rng() % 5);
                lines.erase(lines.begin() + static_cast<long>(i), lines.begin() + static_cast<long>(end));
                break;
            }
            case kFork: {
                // Another record at seq i + 1, and every checkpoint re-signed by the forger's key under the
                // kiosk's key name: the roots hold for the forged records.
                lines[i] = lineOf(testing::randomRecord(rng), firstSeq, p.journalId, rng);
                if (lines[i] == p.lines[i]) {
                    benign = true;
                    break;
                }
                tlog::CompactRange range;
                checkpoints.clear();
                std::size_t c = 0;
                for (std::size_t k = 0; k < size; ++k) {
                    range.append(tlog::leafHash(lines[k]));
                    if (c < p.sizes.size() && p.sizes[c] == k + 1) {
                        auto note = forger.sign(formatCheckpointBody({checkpointOrigin(kTestKiosk, p.journalId), k + 1, range.root(), {}}));
                        checkpoints.push_back(checkpointMessage(*note, UtcTime{}));
                        ++c;
                    }
                }
                break;
            }
            case kCheckpointFlip: {
                if (checkpoints.empty()) {
                    benign = true;
                    break;
                }
                // A byte of the signed note (the message's `at` is not signed, and not the kiosk's word).
                auto& c = checkpoints[rng() % checkpoints.size()];
                const std::string field = "\"checkpoint\":\"";
                const std::size_t from = c.find(field) + field.size(), to = c.rfind('"');
                const std::size_t at = from + rng() % (to - from);
                c[at] = static_cast<char>(c[at] ^ (1 << (rng() % 7)));
                firstSeq = 1;
                break;
            }
            case kKinds: break;
        }
        const bool covered = !benign && (kind == kCheckpointFlip || kind == kFork
                                             ? !p.sizes.empty()
                                             : firstSeq <= static_cast<std::int64_t>(p.lastCheckpoint));
        const auto outcome = runAudit(lines, checkpoints, key, rng);
        const bool reportedVerified = outcome.verified.contains(firstSeq);
        count(tallies[kNames[kind]], benign, covered, outcome.detected, reportedVerified,
              std::string(kNames[kind]) + " at seq " + std::to_string(firstSeq) + " of journal " + std::to_string(n) +
                  " (last checkpoint " + std::to_string(p.lastCheckpoint) + ")");
    }
    printTallies("audit mutation suite: " + std::to_string(journals) + " journals, seed " + std::to_string(seed), tallies);
}

// --- verify: real journal files -----------------------------------------------------------------

void exec(const std::filesystem::path& path, const std::string& statements) {
    sqlite3* db = nullptr;
    ASSERT_EQ(SQLITE_OK, sqlite3_open(path.c_str(), &db));
    char* err = nullptr;
    EXPECT_EQ(SQLITE_OK, sqlite3_exec(db, statements.c_str(), nullptr, nullptr, &err)) << statements << ": " << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
}

// Changes one stored value of record `seq` to another value of its storage class (a byte of a text,
// ±1 of an integer, a hundredth or a thousandth of a real, a value where NULL was).
void flipValue(const std::filesystem::path& path, std::int64_t seq, std::mt19937& rng) {
    std::vector<std::string> columns(detail::kRecordColumns.begin(), detail::kRecordColumns.end());
    columns.emplace_back("leaf_hash");
    const std::string column = columns[rng() % columns.size()];
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, ("SELECT " + column + " FROM decisions WHERE seq = ?1").c_str(), -1, &s, nullptr);
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_step(s);
    const int type = sqlite3_column_type(s, 0);
    sqlite3_stmt* u = nullptr;
    sqlite3_prepare_v2(db, ("UPDATE decisions SET " + column + " = ?1 WHERE seq = ?2").c_str(), -1, &u, nullptr);
    if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
        std::string v(static_cast<const char*>(sqlite3_column_blob(s, 0)) ? static_cast<const char*>(sqlite3_column_blob(s, 0)) : "",
                      static_cast<std::size_t>(sqlite3_column_bytes(s, 0)));
        if (v.empty()) {
            v = "x";
        } else {
            const std::size_t at = rng() % v.size();
            v[at] = static_cast<char>(v[at] ^ (1 << (rng() % 7)));
        }
        if (type == SQLITE_TEXT) sqlite3_bind_text(u, 1, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        else sqlite3_bind_blob(u, 1, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    } else if (type == SQLITE_INTEGER) {
        sqlite3_bind_int64(u, 1, sqlite3_column_int64(s, 0) + (rng() % 2 ? 1 : -1));
    } else if (type == SQLITE_FLOAT) {
        sqlite3_bind_double(u, 1, sqlite3_column_double(s, 0) + (rng() % 2 ? 0.01 : 0.001));
    } else {
        sqlite3_bind_text(u, 1, "x", 1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_int64(u, 2, seq);
    sqlite3_finalize(s);
    EXPECT_EQ(SQLITE_DONE, sqlite3_step(u)) << column;
    sqlite3_finalize(u);
    sqlite3_close(db);
}

// The attacker without the key: every leaf recomputed from the records as they now are, seqs
// renumbered without gaps, the log state rewritten to match.
void reseal(const std::filesystem::path& path) {
    auto db = detail::Connection::open(path, SQLITE_OPEN_READWRITE);
    ASSERT_TRUE(db);
    auto id = detail::journalId(*db);
    ASSERT_TRUE(id);
    {
        std::vector<std::int64_t> seqs;
        auto q = db->prepare("SELECT seq FROM decisions ORDER BY seq");
        while (q.step() == SQLITE_ROW) seqs.push_back(q.columnInt(0));
        ASSERT_TRUE(db->exec("UPDATE decisions SET seq = -seq"));
        auto renumber = db->prepare("UPDATE decisions SET seq = ?1 WHERE seq = ?2");
        for (std::size_t i = 0; i < seqs.size(); ++i) {
            renumber.bind(1, static_cast<std::int64_t>(i + 1));
            renumber.bind(2, -seqs[i]);
            ASSERT_EQ(SQLITE_DONE, renumber.step());
            renumber.reset();
        }
    }
    auto rows = detail::readStoredRecords(*db, 0, 1000000);
    ASSERT_TRUE(rows);
    tlog::CompactRange range;
    ASSERT_TRUE(db->exec("BEGIN"));
    auto up = db->prepare("UPDATE decisions SET leaf_hash = ?1 WHERE seq = ?2");
    for (const auto& r : *rows) {
        const auto leaf = tlog::leafHash(toUploadLine(detail::decodeRow(r.seq, r.row), *id));
        range.append(leaf);
        up.bindBlob(1, tlog::bytesOf(leaf));
        up.bind(2, r.seq);
        ASSERT_EQ(SQLITE_DONE, up.step());
        up.reset();
    }
    auto log = db->prepare("UPDATE tlog SET size = ?1, range = ?2");
    log.bind(1, static_cast<std::int64_t>(range.size()));
    log.bindBlob(2, range.toBytes());
    ASSERT_EQ(SQLITE_DONE, log.step());
    ASSERT_TRUE(db->exec("COMMIT"));
}

TEST(TlogMutationTest, VerifyDetectsEveryCoveredMutationOfAJournalFile) {
    const auto seed = envCount("SENTINEL_TLOG_SEED", 28);
    const auto journals = envCount("SENTINEL_TLOG_VERIFY_JOURNALS", 300);
    std::mt19937 rng(static_cast<std::uint32_t>(seed) + 1);
    TempDir dir;
    ManualClock clock;
    const NoteSigner signer = testing::testSigner();
    const NoteSigner forger = testing::testSigner();
    std::map<std::string, Tally> tallies;
    enum Kind { kNone, kDelete, kFlip, kSwap, kDuplicate, kInsert, kTruncate, kDropRange, kSealedEdit, kSealedDelete,
                kSealedTruncate, kFork, kKinds };
    constexpr const char* kNames[] = {"none (control)", "delete one", "flip a byte", "swap two", "duplicate",
                                      "insert", "truncate", "drop a range", "resealed: edit", "resealed: delete",
                                      "resealed: truncate", "fork, foreign key"};
    for (std::uint64_t n = 0; n < journals; ++n) {
        const auto path = dir / ("j" + std::to_string(n) + ".db");
        std::uint64_t lastCheckpoint = 0, size = 0;
        std::vector<std::uint64_t> sizes;
        {
            JournalOptions o;
            o.path = path;
            o.kioskId = kTestKiosk;
            auto j = Journal::open(o, clock);
            ASSERT_TRUE(j) << j.error().message;
            size = 5 + rng() % 36;
            const std::uint64_t every = 3 + rng() % 12;
            std::vector<DecisionRecord> batch;
            for (std::uint64_t seq = 1; seq <= size; ++seq) {
                batch.push_back(testing::randomRecord(rng));
                if (seq % every == 0 || seq == size) {
                    ASSERT_TRUE((*j)->appendBatch(batch));
                    batch.clear();
                    if (seq % every == 0) {
                        ASSERT_TRUE(testing::checkpointNow(**j, signer, clock.now()));
                        sizes.push_back(seq);
                        lastCheckpoint = seq;
                    }
                }
                clock.advance(std::chrono::milliseconds{rng() % 3000});
            }
        }
        const auto kind = static_cast<Kind>(n % kKinds);
        const auto k = static_cast<std::int64_t>(1 + rng() % size);  // the record mutated
        std::int64_t firstSeq = k;
        bool benign = false, alwaysDetectable = true;  // naive edits: stored leaves and log state tell
        const std::string s = std::to_string(k);
        switch (kind) {
            case kNone: benign = true; break;
            case kDelete: exec(path, "DELETE FROM decisions WHERE seq = " + s); break;
            case kFlip: flipValue(path, k, rng); break;
            case kSwap: {
                auto other = static_cast<std::int64_t>(1 + rng() % size);
                if (other == k) other = k == static_cast<std::int64_t>(size) ? k - 1 : k + 1;
                exec(path, "UPDATE decisions SET seq = -1 WHERE seq = " + s + "; UPDATE decisions SET seq = " + s +
                               " WHERE seq = " + std::to_string(other) + "; UPDATE decisions SET seq = " + std::to_string(other) +
                               " WHERE seq = -1;");
                firstSeq = std::min(k, other);
                break;
            }
            case kDuplicate:
                exec(path, "INSERT INTO decisions SELECT " + std::to_string(size + 1) + ", " + detail::recordColumnList() +
                               ", leaf_hash FROM decisions WHERE seq = " + s);
                firstSeq = static_cast<std::int64_t>(size) + 1;
                break;
            case kInsert:
                exec(path, "INSERT INTO decisions(seq, utc_ms, mono_ms, boot_id, kiosk_id, decision, reason, stages) VALUES (" +
                               std::to_string(size + 1) + ", 1, 1, '', 'BJ-WEST-07', 'PASS', 'OK', 'TTTTTTTT')");
                firstSeq = static_cast<std::int64_t>(size) + 1;
                break;
            case kTruncate: exec(path, "DELETE FROM decisions WHERE seq >= " + s); break;
            case kDropRange:
                exec(path, "DELETE FROM decisions WHERE seq BETWEEN " + s + " AND " + std::to_string(k + static_cast<std::int64_t>(rng() % 5)));
                break;
            case kSealedEdit:
                alwaysDetectable = false;
                exec(path, "UPDATE decisions SET decision = CASE decision WHEN 'PASS' THEN 'DENY' ELSE 'PASS' END WHERE seq = " + s);
                reseal(path);
                break;
            case kSealedDelete:
                alwaysDetectable = false;
                exec(path, "DELETE FROM decisions WHERE seq = " + s);
                reseal(path);
                break;
            case kSealedTruncate:
                // Records k.. gone: only a checkpoint beyond k − 1 can tell.
                alwaysDetectable = false;
                exec(path, "DELETE FROM decisions WHERE seq >= " + s);
                reseal(path);
                firstSeq = k;
                break;
            case kFork: {
                exec(path, "UPDATE decisions SET decision = CASE decision WHEN 'PASS' THEN 'DENY' ELSE 'PASS' END WHERE seq = " + s);
                reseal(path);
                // Every checkpoint re-signed over the forged log by the forger's key, same key name.
                auto db = detail::Connection::open(path, SQLITE_OPEN_READWRITE);
                auto id = detail::journalId(*db);
                auto rows = detail::readStoredRecords(*db, 0, 1000000);
                tlog::CompactRange range;
                std::size_t c = 0;
                ASSERT_TRUE(db->exec("DELETE FROM checkpoints"));
                for (const auto& r : *rows) {
                    range.append(*tlog::hashFromBytes(std::get<detail::Blob>(r.leafHash).bytes));
                    if (c < sizes.size() && sizes[c] == range.size()) {
                        auto note = forger.sign(formatCheckpointBody({checkpointOrigin(kTestKiosk, *id), range.size(), range.root(), {}}));
                        auto ins = db->prepare("INSERT INTO checkpoints(size, note, utc_ms) VALUES (?1, ?2, 0)");
                        ins.bind(1, static_cast<std::int64_t>(range.size()));
                        ins.bind(2, std::string_view(*note));
                        ASSERT_EQ(SQLITE_DONE, ins.step());
                        ++c;
                    }
                }
                alwaysDetectable = !sizes.empty();
                break;
            }
            case kKinds: break;
        }
        const bool covered = !benign && (alwaysDetectable || (kind == kSealedTruncate ? firstSeq <= static_cast<std::int64_t>(lastCheckpoint)
                                                                                       : firstSeq <= static_cast<std::int64_t>(lastCheckpoint)));
        auto report = verifyJournal(path, &signer.verifier());
        ASSERT_TRUE(report) << report.error().message;
        const bool detected = !report->intact();
        count(tallies[kNames[kind]], benign, covered, detected, report->verified.contains(firstSeq),
              std::string(kNames[kind]) + " at seq " + std::to_string(firstSeq) + " of journal " + std::to_string(n) +
                  " (size " + std::to_string(size) + ", last checkpoint " + std::to_string(lastCheckpoint) + ")\n" +
                  renderVerifyReport(*report));
        if (!benign && !detected) {
            // Not covered: what the mutation touched lies in the unattested tail (or is gone from it).
            EXPECT_LT(report->verified.to, firstSeq);
        }
        std::filesystem::remove(path);
        std::filesystem::remove(path.string() + "-wal");
        std::filesystem::remove(path.string() + "-shm");
    }
    printTallies("verify mutation suite: " + std::to_string(journals) + " journal files, seed " + std::to_string(seed), tallies);
}

}  // namespace
}  // namespace sentinel::journal

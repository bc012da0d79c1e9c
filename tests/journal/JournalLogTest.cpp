// The Merkle log inside the journal (DESIGN §16), on real SQLite files: the leaf is the line read()
// gives back, leaf and range commit with the record, migration of an older journal, verify names
// the first bad seq for every kind of edit, retention keeps it verifiable, prove and audit.

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <random>

#include <nlohmann/json.hpp>

#include "firmware/journal/Audit.h"
#include "firmware/journal/Checkpointer.h"
#include "firmware/journal/Journal.h"
#include "firmware/journal/JournalVerify.h"
#include "firmware/journal/RecordRow.h"
#include "tests/journal/JournalTestSupport.h"
#include "tests/support/TestSupport.h"

namespace sentinel::journal {
namespace {

using namespace std::chrono_literals;
using sentinel::testing::ManualClock;
using sentinel::testing::TempDir;
using testing::checkpointNow;
using testing::kTestKiosk;
using testing::makeRecord;

// Runs SQL on the file the way an attacker with the sqlite3 shell would.
void sql(const std::filesystem::path& path, const std::string& statements) {
    sqlite3* db = nullptr;
    ASSERT_EQ(SQLITE_OK, sqlite3_open(path.c_str(), &db));
    char* err = nullptr;
    const int rc = sqlite3_exec(db, statements.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(SQLITE_OK, rc) << statements << ": " << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
}

std::string leafHashHex(const std::filesystem::path& path, std::int64_t seq) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT hex(leaf_hash) FROM decisions WHERE seq = ?1", -1, &s, nullptr);
    sqlite3_bind_int64(s, 1, seq);
    std::string out;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0)) out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

class JournalLogTest : public ::testing::Test {
protected:
    JournalOptions options() const {
        JournalOptions o;
        o.path = dir_ / "journal.db";
        o.kioskId = kTestKiosk;
        return o;
    }
    std::unique_ptr<Journal> open(const JournalOptions& o) {
        auto j = Journal::open(o, clock_);
        EXPECT_TRUE(j) << (j ? "" : j.error().message);
        return j ? std::move(j).value() : nullptr;
    }
    std::unique_ptr<Journal> open() { return open(options()); }
    // n records, a checkpoint after each `every` of them.
    void fill(Journal& j, int n, int every) {
        for (int i = 1; i <= n; ++i) {
            ASSERT_TRUE(j.append(makeRecord(i % 3 ? Reason::Ok : Reason::TestTooOld, 4.0 + i % 7, std::string(64, 'a'))));
            clock_.advance(1s);
            if (every > 0 && i % every == 0) {
                ASSERT_TRUE(checkpointNow(j, signer_, clock_.now()));
            }
        }
    }
    VerifyReport verify(bool withKey = true) {
        auto r = verifyJournal(options().path, withKey ? &signer_.verifier() : nullptr);
        EXPECT_TRUE(r) << (r ? "" : r.error().message);
        return r ? *r : VerifyReport{};
    }
    // What a subscriber received: every record's published line, and each stored checkpoint.
    std::pair<std::string, std::string> published(Journal& j) {
        std::string records, checkpoints;
        auto all = j.read(1, 1000000);
        EXPECT_TRUE(all);
        for (const auto& e : *all) records += toUploadLine(e, j.journalId()) + "\n";
        sqlite3* db = nullptr;
        sqlite3_open_v2(options().path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(db, "SELECT note, utc_ms FROM checkpoints ORDER BY size", -1, &s, nullptr);
        while (sqlite3_step(s) == SQLITE_ROW) {
            checkpoints += checkpointMessage(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)),
                                             UtcTime{std::chrono::milliseconds{sqlite3_column_int64(s, 1)}}) +
                           "\n";
        }
        sqlite3_finalize(s);
        sqlite3_close(db);
        return {records, checkpoints};
    }

    TempDir dir_;
    ManualClock clock_;
    NoteSigner signer_ = testing::testSigner();
};

TEST_F(JournalLogTest, TheLeafOfEachRecordIsTheHashOfTheLineReadBackGives) {
    auto j = open();
    std::mt19937 rng(2028);
    constexpr int kN = 300;
    for (int i = 0; i < kN; ++i) {
        auto seq = j->append(testing::randomRecord(rng));
        ASSERT_TRUE(seq) << seq.error().message;
        clock_.advance(std::chrono::milliseconds{rng() % 5000});
    }
    auto entries = j->read(1, kN);
    ASSERT_TRUE(entries);
    ASSERT_EQ(static_cast<std::size_t>(kN), entries->size());
    tlog::CompactRange range;
    for (const auto& e : *entries) {
        const std::string line = toUploadLine(e, j->journalId());
        const tlog::Hash leaf = tlog::leafHash(line);
        ASSERT_EQ(tlog::toHex(leaf), leafHashHex(options().path, e.seq)) << "seq " << e.seq << ": " << line;
        range.append(leaf);
    }
    EXPECT_EQ(range.root(), j->logHead().root);
    EXPECT_EQ(static_cast<std::uint64_t>(kN), j->logHead().size);
    // And after reopening: the same lines, the same log.
    const auto root = j->logHead().root;
    j.reset();
    j = open();
    EXPECT_EQ(root, j->logHead().root);
    EXPECT_TRUE(verify(false).intact());
}

// The line is written by hand for speed; nlohmann's dump of the same object is the reference.
TEST(UploadLineTest, TheLineIsByteForByteNlohmannsDumpOfTheRecord) {
    std::mt19937 rng(16);
    const std::vector<std::string> texts = {"", "BJ-WEST-07", "quote\"back\\slash", "tab\tnl\ncr\rff\fbs\b",
                                            std::string("nul\0x", 5), "\x01\x1f\x7f", "中文 kiosk", "\xF0\x9F\x98\x80",
                                            "bad \xff utf-8", "\xC3\x28"};
    auto text = [&] { return texts[rng() % texts.size()]; };
    for (int i = 0; i < 3000; ++i) {
        JournalEntry e;
        e.seq = static_cast<std::int64_t>(rng());
        e.utc = UtcTime{std::chrono::milliseconds{static_cast<std::int64_t>(rng()) * 1000 + static_cast<std::int64_t>(rng() % 1000)}};
        e.monoMs = static_cast<std::int64_t>(rng()) - (1 << 30);
        e.bootId = text();
        e.kioskId = text();
        e.record = testing::randomRecord(rng);
        if (rng() % 4 == 0) e.record.subject = text();
        if (rng() % 4 == 0) e.record.route = text();
        if (rng() % 8 == 0) e.record.rules = RulesOutcome{text(), {text(), text()}};
        if (e.record.test && rng() % 4 == 0) e.record.test->ageHours = -0.0;
        const std::string journalId = rng() % 10 ? "0123456789abcdef0123456789abcdef" : text();
        ASSERT_EQ(detail::uploadLineReference(e, journalId), toUploadLine(e, journalId)) << i;
    }
}

// append() hashes the line of storedEntry(record); read() returns decodeRow(encodeRow(that)).
TEST(UploadLineTest, TheStoredEntryReadsBackAsItselfSoAppendHashesWhatReadGives) {
    std::mt19937 rng(17);
    for (int i = 0; i < 5000; ++i) {
        const auto stored = detail::storedEntry(testing::randomRecord(rng), i + 1,
                                                UtcTime{std::chrono::milliseconds{1795000000000LL + static_cast<std::int64_t>(rng())}},
                                                static_cast<std::int64_t>(rng()), "boot", kTestKiosk);
        const auto row = detail::encodeRow(stored);
        const auto back = detail::decodeRow(i + 1, row);
        ASSERT_EQ(toUploadLine(stored, "j"), toUploadLine(back, "j")) << i;
        ASSERT_TRUE(detail::isCanonical(row)) << i << ": " << detail::firstNonCanonicalColumn(row);
    }
}

TEST_F(JournalLogTest, TheUploadLineCarriesAtEqualToUtc) {
    auto j = open();
    ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 3)));
    auto e = j->read(1, 1);
    ASSERT_TRUE(e);
    auto json = nlohmann::json::parse(toUploadLine(e->front(), j->journalId()));
    EXPECT_EQ(json["utc"], json["at"]);
}

TEST_F(JournalLogTest, LatenciesAreStoredAsTheLinePrintsThem) {
    auto j = open();
    auto r = makeRecord(Reason::Ok, 3);
    r.latency.decodeMs = 3.14159;
    ASSERT_TRUE(j->append(r));
    auto e = j->read(1, 1);
    ASSERT_TRUE(e);
    EXPECT_EQ(3.14, *e->front().record.latency.decodeMs);
}

TEST_F(JournalLogTest, AnIntactJournalVerifiesWithItsRangesNamed) {
    auto j = open();
    fill(*j, 250, 100);  // checkpoints at 100 and 200
    auto r = verify();
    EXPECT_TRUE(r.intact()) << renderVerifyReport(r);
    EXPECT_EQ((SeqSpan{1, 200}), r.verified);
    EXPECT_EQ((SeqSpan{201, 250}), r.unattested);
    EXPECT_TRUE(r.pruned.empty());
    EXPECT_EQ(2u, r.checkpointsVerified);
    EXPECT_FALSE(r.key.empty());
}

TEST_F(JournalLogTest, WithoutAKeyOnlyRootsAreCheckedAndTheReportSaysSo) {
    auto j = open();
    fill(*j, 20, 10);
    auto r = verify(false);
    EXPECT_TRUE(r.intact());
    EXPECT_EQ("not_checked", toJson(r)["signatures"]);
    EXPECT_NE(std::string::npos, renderVerifyReport(r).find("signatures not checked"));
}

struct Edit {
    const char* name;
    std::string sql;
    std::int64_t firstBad;
};

// Every way the sqlite3 shell can change a record: each must fail verify naming the seq.
TEST_F(JournalLogTest, EveryEditOfAStoredRecordIsNamedBySeq) {
    const std::vector<Edit> edits = {
        {"delete", "DELETE FROM decisions WHERE seq = 7", 7},
        {"utc_ms", "UPDATE decisions SET utc_ms = utc_ms + 1 WHERE seq = 7", 7},
        {"mono_ms", "UPDATE decisions SET mono_ms = mono_ms - 1 WHERE seq = 7", 7},
        {"boot_id", "UPDATE decisions SET boot_id = 'x' WHERE seq = 7", 7},
        {"kiosk_id", "UPDATE decisions SET kiosk_id = 'BJ-WEST-08' WHERE seq = 7", 7},
        {"format", "UPDATE decisions SET format = 'HK1' WHERE seq = 7", 7},
        {"format null", "UPDATE decisions SET format = '' WHERE seq = 7", 7},
        {"decision", "UPDATE decisions SET decision = 'PASS', reason = 'OK' WHERE seq = 8", 8},
        {"reason", "UPDATE decisions SET reason = 'TEST_POSITIVE' WHERE seq = 8", 8},
        {"test_type", "UPDATE decisions SET test_type = 'RAT' WHERE seq = 7", 7},
        {"test_type unknown", "UPDATE decisions SET test_type = 'XYZ' WHERE seq = 7", 7},
        {"test_age_h", "UPDATE decisions SET test_age_h = 3.51 WHERE seq = 7", 7},
        {"test_age_h digits", "UPDATE decisions SET test_age_h = test_age_h + 0.0001 WHERE seq = 7", 7},
        {"test_result", "UPDATE decisions SET test_result = 'positive' WHERE seq = 7", 7},
        {"code", "UPDATE decisions SET code = 'green' WHERE seq = 7", 7},
        {"stages", "UPDATE decisions SET stages = 'TTTTTTTT' WHERE seq = 7", 7},
        {"stages spelling", "UPDATE decisions SET stages = replace(stages, '-', '?') WHERE seq = 7", 7},
        {"decode_ms", "UPDATE decisions SET decode_ms = decode_ms + 1 WHERE seq = 7", 7},
        {"verify_ms digits", "UPDATE decisions SET verify_ms = verify_ms + 0.001 WHERE seq = 7", 7},
        {"backend_ms", "UPDATE decisions SET backend_ms = 1.5 WHERE seq = 7", 7},
        {"total_ms as text", "UPDATE decisions SET total_ms = 'eleven' WHERE seq = 7", 7},
        {"subject", "UPDATE decisions SET subject = replace(subject, 'a', 'b') WHERE seq = 7", 7},
        {"overrides", "UPDATE decisions SET overrides = 3 WHERE seq = 7", 7},
        {"staff", "UPDATE decisions SET staff = 'S-1' WHERE seq = 7", 7},
        {"route", "UPDATE decisions SET route = 'staff' WHERE seq = 7", 7},
        {"risk_level", "UPDATE decisions SET risk_level = 'high' WHERE seq = 7", 7},
        {"risk_list", "UPDATE decisions SET risk_list = 'x' WHERE seq = 7", 7},
        {"policy_version", "UPDATE decisions SET policy_version = 'config' WHERE seq = 7", 7},
        {"revocation", "UPDATE decisions SET revocation = 'UCI' WHERE seq = 7", 7},
        {"binding", "UPDATE decisions SET binding = 'match' WHERE seq = 7", 7},
        {"leaf_hash", "UPDATE decisions SET leaf_hash = zeroblob(32) WHERE seq = 7", 7},
        {"leaf_hash null", "UPDATE decisions SET leaf_hash = NULL WHERE seq = 7", 7},
        {"swap", "UPDATE decisions SET seq = -7 WHERE seq = 7; UPDATE decisions SET seq = 7 WHERE seq = 8; "
                 "UPDATE decisions SET seq = 8 WHERE seq = -7", 7},
        {"insert", "INSERT INTO decisions(seq, utc_ms, mono_ms, boot_id, kiosk_id, decision, reason, stages) "
                   "VALUES (31, 0, 0, '', 'BJ-WEST-07', 'PASS', 'OK', '--------')", 31},
        {"truncate", "DELETE FROM decisions WHERE seq > 25", 26},
        {"drop range", "DELETE FROM decisions WHERE seq BETWEEN 12 AND 14", 12},
        {"journal_id", "UPDATE meta SET value = '0123' WHERE key = 'journal_id'", 1},
    };
    for (const auto& edit : edits) {
        SCOPED_TRACE(edit.name);
        std::filesystem::remove_all(dir_.path());
        std::filesystem::create_directories(dir_.path());
        {
            auto j = open();
            for (int i = 1; i <= 30; ++i) {
                auto r = makeRecord(i % 2 ? Reason::Ok : Reason::TestTooOld, 4.0 + i, std::string(64, 'a'));
                r.latency.backendMs = 0.25;
                ASSERT_TRUE(j->append(r));
                if (i == 20) {
                    ASSERT_TRUE(checkpointNow(*j, signer_, clock_.now()));
                }
            }
        }
        sql(options().path, edit.sql);
        auto r = verify();
        EXPECT_FALSE(r.intact()) << renderVerifyReport(r);
        EXPECT_EQ(edit.firstBad, r.firstBadSeq().value_or(-1)) << renderVerifyReport(r);
    }
}

TEST_F(JournalLogTest, ARewrittenLogWithoutTheKeyFailsAtTheCheckpointThatCoversIt) {
    {
        auto j = open();
        fill(*j, 30, 10);
    }
    // The attacker edits record 15 and rewrites its leaf and the log state (the algorithm is no
    // secret): only the signed checkpoints still hold the old root.
    {
        auto j = open();
        auto all = j->read(1, 100);
        ASSERT_TRUE(all);
        tlog::CompactRange range;
        std::string leaf;
        for (auto e : *all) {
            if (e.seq == 15) {
                e.record.decide(Reason::Ok);
                e.record.test = TestSummary{TestType::Naat, "", 1.0, "negative"};
                leaf = tlog::toHex(tlog::leafHash(toUploadLine(e, j->journalId())));
            }
            range.append(tlog::leafHash(toUploadLine(e, j->journalId())));
        }
        std::string rangeHex;
        for (const auto& h : range.nodes()) rangeHex += tlog::toHex(h);
        j.reset();
        sql(options().path, "UPDATE decisions SET decision = 'PASS', reason = 'OK', test_type = 'NAAT', test_age_h = 1.0, "
                            "test_result = 'negative', leaf_hash = x'" + leaf + "' WHERE seq = 15; "
                            "UPDATE tlog SET range = x'" + rangeHex + "'");
    }
    auto r = verify();
    EXPECT_FALSE(r.intact());
    ASSERT_FALSE(r.problems.empty());
    EXPECT_EQ(11, r.firstBadSeq().value_or(-1)) << renderVerifyReport(r);  // the span checkpoint 20 adds
    EXPECT_EQ("root", r.problems.front().kind);
    EXPECT_EQ((SeqSpan{1, 10}), r.verified);
}

TEST_F(JournalLogTest, ACheckpointSignedByAnotherKeyFailsWithTheKey) {
    {
        auto j = open();
        fill(*j, 10, 0);
        auto forger = testing::testSigner();
        ASSERT_TRUE(checkpointNow(*j, forger, clock_.now()));
    }
    auto r = verify();
    EXPECT_FALSE(r.intact());
    EXPECT_EQ("signature", r.problems.front().kind);
    EXPECT_TRUE(verify(false).intact());  // roots alone cannot tell
}

TEST_F(JournalLogTest, AnEditedCheckpointNoteIsMalformedOrFailsItsSignature) {
    {
        auto j = open();
        fill(*j, 10, 5);
    }
    sql(options().path, "UPDATE checkpoints SET note = replace(note, char(10) || '5' || char(10), char(10) || '4' || char(10)) WHERE size = 5");
    auto r = verify();
    EXPECT_FALSE(r.intact()) << renderVerifyReport(r);
}

TEST_F(JournalLogTest, ARecordHiddenAtANegativeSeqIsAnExtra) {
    {
        auto j = open();
        fill(*j, 5, 5);
    }
    sql(options().path, "INSERT INTO decisions(seq, utc_ms, mono_ms, boot_id, kiosk_id, decision, reason, stages) "
                        "VALUES (-3, 0, 0, '', 'BJ-WEST-07', 'PASS', 'OK', '--------')");
    auto r = verify();
    EXPECT_FALSE(r.intact());
    EXPECT_EQ("extra", r.problems.front().kind);
}

TEST_F(JournalLogTest, AnEditedLogStateIsReported) {
    {
        auto j = open();
        fill(*j, 10, 0);
    }
    sql(options().path, "UPDATE tlog SET range = zeroblob(length(range))");
    auto r = verify();
    EXPECT_FALSE(r.intact());
    EXPECT_EQ("log_state", r.problems.back().kind) << renderVerifyReport(r);
}

TEST_F(JournalLogTest, RecordsBeyondTheLogStopTheJournalFromOpening) {
    {
        auto j = open();
        fill(*j, 3, 0);
    }
    sql(options().path, "INSERT INTO decisions(seq, utc_ms, mono_ms, boot_id, kiosk_id, decision, reason, stages) "
                        "VALUES (4, 0, 0, '', 'BJ-WEST-07', 'PASS', 'OK', '--------')");
    auto j = Journal::open(options(), clock_);
    ASSERT_FALSE(j);
    EXPECT_NE(std::string::npos, j.error().message.find("beyond its log"));
}

TEST_F(JournalLogTest, ACheckpointNeverCoversMoreThanTheCommittedLog) {
    auto j = open();
    fill(*j, 5, 0);
    auto note = signer_.sign(formatCheckpointBody({checkpointOrigin(kTestKiosk, j->journalId()), 6, tlog::emptyRoot(), {}}));
    ASSERT_TRUE(note);
    EXPECT_FALSE(j->storeCheckpoint({6, *note, clock_.now()}));
    auto wrongRoot = signer_.sign(formatCheckpointBody({checkpointOrigin(kTestKiosk, j->journalId()), 5, tlog::emptyRoot(), {}}));
    EXPECT_FALSE(j->storeCheckpoint({5, *wrongRoot, clock_.now()}));
}

TEST_F(JournalLogTest, RetentionPrunesToACheckpointAndKeepsTheRestVerifiable) {
    auto o = options();
    o.retainAge = 1h;
    auto j = open(o);
    fill(*j, 45, 10);   // checkpoints 10, 20, 30, 40; records 1 s apart
    clock_.advance(1h - 30s);  // records 1..~15 are now older than an hour
    auto report = j->enforceRetention();
    ASSERT_TRUE(report);
    EXPECT_EQ(10u, report->deletedByAge);  // up to the checkpoint at 10, not beyond 15
    EXPECT_EQ(10u, j->prunedSize());
    fill(*j, 25, 10);  // the log goes on: 70 records, checkpoints 55, 65
    auto r = verify();
    EXPECT_TRUE(r.intact()) << renderVerifyReport(r);
    EXPECT_EQ((SeqSpan{1, 10}), r.pruned);
    EXPECT_EQ((SeqSpan{11, 65}), r.verified);
    EXPECT_EQ((SeqSpan{66, 70}), r.unattested);
    auto proof = proveRecord(o.path, 11);
    ASSERT_TRUE(proof) << proof.error().message;
    AuditInput in;
    in.proof = *proof;
    auto a = audit(in, signer_.verifier());
    ASSERT_TRUE(a);
    ASSERT_TRUE(a->proof);
    EXPECT_TRUE(a->proof->ok) << a->proof->detail;
    EXPECT_FALSE(proveRecord(o.path, 5));  // pruned
}

TEST_F(JournalLogTest, RetentionWaitsForACheckpoint) {
    auto o = options();
    o.retainAge = 1h;
    auto j = open(o);
    fill(*j, 10, 0);
    clock_.advance(2h);
    auto report = j->enforceRetention();
    ASSERT_TRUE(report);
    EXPECT_EQ(0u, report->deletedByAge);
    ASSERT_TRUE(checkpointNow(*j, signer_, clock_.now()));
    report = j->enforceRetention();
    ASSERT_TRUE(report);
    EXPECT_EQ(10u, report->deletedByAge);
    EXPECT_TRUE(verify().intact());
}

TEST_F(JournalLogTest, RetentionDoesNotPruneALogThatDisagreesWithItsCheckpoint) {
    auto o = options();
    o.retainAge = 1h;
    {
        auto j = open(o);
        fill(*j, 10, 10);
    }
    sql(o.path, "UPDATE decisions SET leaf_hash = zeroblob(32) WHERE seq = 4");
    clock_.advance(2h);
    auto j = open(o);  // retention at open: refused, the evidence stays
    EXPECT_EQ(0u, j->prunedSize());
    auto s = j->stats(std::nullopt);
    ASSERT_TRUE(s);
    EXPECT_EQ(10u, s->records);
}

TEST_F(JournalLogTest, AProofOfARecordChecksOutAndAnAlteredOneDoesNot) {
    auto j = open();
    fill(*j, 37, 12);
    auto proof = proveRecord(options().path, 23);
    ASSERT_TRUE(proof) << proof.error().message;
    EXPECT_EQ(0u, proof->find("c2sp.org/tlog-proof@v1\nextra "));
    auto [records, checkpoints] = published(*j);
    AuditInput in;
    in.proof = *proof;
    in.records = records;
    auto a = audit(in, signer_.verifier());
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->proof->ok) << a->proof->detail;
    EXPECT_EQ(23, a->proof->seq);
    EXPECT_EQ(36u, a->proof->checkpointSize);

    auto parsed = parseTlogProof(*proof);
    ASSERT_TRUE(parsed);
    parsed->extra->replace(parsed->extra->find("\"PASS\""), 6, "\"DENY\"");
    const std::string altered = formatTlogProof(*parsed);  // AuditInput holds views: keep the text alive
    in.proof = altered;
    in.records.reset();
    a = audit(in, signer_.verifier());
    ASSERT_TRUE(a);
    EXPECT_FALSE(a->proof->ok);
    EXPECT_FALSE(proveRecord(options().path, 37));  // after the last checkpoint: unattested
}

TEST_F(JournalLogTest, WhatASubscriberReceivedAuditsAndFailsWithOneRecordDroppedOrAltered) {
    auto j = open();
    fill(*j, 50, 20);
    auto [records, checkpoints] = published(*j);
    AuditInput in{records, checkpoints, std::nullopt};
    auto a = audit(in, signer_.verifier());
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->intact()) << renderAuditReport(*a);
    ASSERT_EQ(1u, a->journals.size());
    EXPECT_EQ((SeqSpan{1, 40}), a->journals[0].verified);
    EXPECT_EQ((SeqSpan{41, 50}), a->journals[0].unattested);

    const auto lineStart = [&](int seq) {
        std::size_t at = 0;
        for (int i = 1; i < seq; ++i) at = records.find('\n', at) + 1;
        return at;
    };
    std::string dropped = records;
    dropped.erase(lineStart(9), lineStart(10) - lineStart(9));
    in.records = dropped;
    a = audit(in, signer_.verifier());
    ASSERT_TRUE(a);
    EXPECT_FALSE(a->intact());
    EXPECT_EQ(9, a->firstBadSeq().value_or(-1)) << renderAuditReport(*a);

    std::string altered = records;
    const auto at = altered.find("\"OK\"", lineStart(9));
    altered.replace(at, 4, "\"XX\"");
    in.records = altered;
    a = audit(in, signer_.verifier());
    ASSERT_TRUE(a);
    EXPECT_FALSE(a->intact());

    // At-least-once delivery repeats lines: that is not tampering.
    const std::string repeated = records + records.substr(lineStart(30));  // AuditInput holds views
    in.records = repeated;
    a = audit(in, signer_.verifier());
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->intact()) << renderAuditReport(*a);
    EXPECT_EQ(21u, a->journals[0].repeats);
}

// A journal written by firmware before the log (schema 3): its records become the first leaves,
// those retention had deleted stand as empty leaves, and the first checkpoint says so.
TEST_F(JournalLogTest, AnOlderJournalIsMigratedAndItsCheckpointSaysSo) {
    const auto path = options().path;
    sql(path, R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('journal_id', '00112233445566778899aabbccddeeff');
CREATE TABLE decisions (seq INTEGER PRIMARY KEY AUTOINCREMENT, utc_ms INTEGER NOT NULL, mono_ms INTEGER NOT NULL,
  boot_id TEXT NOT NULL, kiosk_id TEXT NOT NULL, format TEXT, decision TEXT NOT NULL, reason TEXT NOT NULL,
  test_type TEXT, test_age_h REAL, test_result TEXT, code TEXT, stages TEXT NOT NULL, decode_ms REAL, verify_ms REAL,
  backend_ms REAL, total_ms REAL, subject TEXT, overrides INTEGER, staff TEXT, route TEXT, risk_level TEXT,
  risk_list TEXT, policy_version TEXT, revocation TEXT, binding TEXT);
CREATE TABLE decode_failures (hour_utc INTEGER PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE upload_state (id INTEGER PRIMARY KEY CHECK (id = 1), acked_through INTEGER NOT NULL, batch_first INTEGER,
  batch_last INTEGER, batch_key TEXT, batch_attempts INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0);
INSERT INTO upload_state(id, acked_through) VALUES (1, 0);
PRAGMA user_version = 3;
)sql");
    std::string inserts;
    for (int i = 1; i <= 12; ++i) {
        inserts += "INSERT INTO decisions(utc_ms, mono_ms, boot_id, kiosk_id, format, decision, reason, stages, total_ms, subject) "
                   "VALUES (1795000000000, " + std::to_string(i * 1000) + ", 'boot', 'BJ-WEST-07', 'HC1', 'PASS', 'OK', 'TTTTTTTT', " +
                   std::to_string(i) + ".12345, '" + std::string(64, 'c') + "');";
    }
    sql(path, inserts + "DELETE FROM decisions WHERE seq <= 3 OR seq = 7;");  // retention, and a gap
    auto j = open();
    EXPECT_EQ(12u, j->logHead().size);
    EXPECT_EQ(3u, j->prunedSize());
    ASSERT_EQ(1u, j->checkpointExtensions().size());
    EXPECT_EQ("migrated 12 absent 1-3,7-7", j->checkpointExtensions()[0]);
    ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 1)));
    ASSERT_TRUE(checkpointNow(*j, signer_, clock_.now()));
    auto r = verify();
    EXPECT_TRUE(r.intact()) << renderVerifyReport(r);
    ASSERT_TRUE(r.migration);
    EXPECT_EQ((SeqSpan{4, 13}), r.verified);
    // A subscriber that received the migrated records and the new one recomputes the same root.
    auto [records, checkpoints] = published(*j);
    EXPECT_NE(std::string::npos, checkpoints.find("migrated 12 absent 1-3,7-7"));
    auto a = audit({records, checkpoints, std::nullopt}, signer_.verifier());
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->intact()) << renderAuditReport(*a);
    // Stored as the line gives them: the extra digits of the old firmware are gone.
    auto e = j->read(4, 1);
    ASSERT_TRUE(e);
    EXPECT_EQ(4.12, *e->front().record.latency.totalMs);
}

TEST_F(JournalLogTest, AJournalWithoutALogFailsVerifyAsNoLog) {
    sql(options().path, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); "
                        "INSERT INTO meta VALUES ('journal_id', 'ab');");
    auto r = verify();
    EXPECT_FALSE(r.intact());
    EXPECT_EQ("no_log", r.problems.front().kind);
}

TEST_F(JournalLogTest, VerifyOfAMissingFileIsAnError) {
    EXPECT_FALSE(verifyJournal(dir_ / "nothing.db", nullptr));
}

}  // namespace
}  // namespace sentinel::journal

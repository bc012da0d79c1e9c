#include "firmware/journal/Journal.h"

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "firmware/journal/DeviceSecret.h"
#include "firmware/journal/JournalHealth.h"
#include "firmware/verify/Hc1Verifier.h"
#include "tests/journal/JournalTestSupport.h"
#include "tests/support/TestSupport.h"

namespace sentinel::journal {
namespace {

using namespace std::chrono_literals;
using sentinel::testing::ManualClock;
using sentinel::testing::TempDir;
using testing::checkpointNow;
using testing::filesContaining;
using testing::makeRecord;

class JournalTest : public ::testing::Test {
protected:
    JournalOptions options() const {
        JournalOptions o;
        o.path = dir_ / "journal.db";
        o.kioskId = "BJ-WEST-07";
        return o;
    }
    std::unique_ptr<Journal> openJournal(const JournalOptions& o) {
        auto j = Journal::open(o, clock_);
        EXPECT_TRUE(j) << (j ? "" : j.error().message);
        return j ? std::move(j).value() : nullptr;
    }
    std::unique_ptr<Journal> openJournal() { return openJournal(options()); }

    TempDir dir_;
    ManualClock clock_;
    NoteSigner signer_ = testing::testSigner();
};

constexpr Reason kMix[] = {Reason::Ok, Reason::Ok, Reason::TestTooOld, Reason::Ok, Reason::SignatureInvalid,
                           Reason::BackendTimeout, Reason::Ok, Reason::UnsupportedFormat};

TEST_F(JournalTest, NAppendsGiveNRecordsAndStatsAgree) {
    auto j = openJournal();
    std::map<std::string, std::uint64_t> byDecision, byReason;
    constexpr int kN = 400;
    for (int i = 0; i < kN; ++i) {
        Reason reason = kMix[i % std::size(kMix)];
        auto r = makeRecord(reason, 10.0 + i % 50);
        ASSERT_TRUE(j->append(r));
        ++byDecision[std::string(toString(r.decision))];
        ++byReason[std::string(toString(reason))];
        clock_.advance(1s);
    }
    auto s = j->stats(std::nullopt);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(kN, s->records);
    for (const auto& [d, n] : byDecision) EXPECT_EQ(n, s->decisions.at(d)) << d;
    EXPECT_EQ(byReason, s->reasons);
    auto all = j->read(1, kN + 10);
    ASSERT_TRUE(all);
    EXPECT_EQ(static_cast<size_t>(kN), all->size());
}

TEST_F(JournalTest, SequenceNumbersAreContiguousAcrossReopen) {
    std::int64_t expected = 1;
    for (int run = 0; run < 3; ++run) {
        auto j = openJournal();
        for (int i = 0; i < 25; ++i) {
            auto seq = j->append(makeRecord(Reason::Ok, 5));
            ASSERT_TRUE(seq);
            EXPECT_EQ(expected++, *seq);
        }
    }
    auto j = openJournal();
    auto all = j->read(0, 1000);
    ASSERT_TRUE(all);
    ASSERT_EQ(75u, all->size());
    for (size_t i = 0; i < all->size(); ++i) EXPECT_EQ(static_cast<std::int64_t>(i + 1), (*all)[i].seq);
}

TEST_F(JournalTest, SequenceIsNeverReusedAfterRetentionEmptiesTheJournal) {
    auto o = options();
    o.retainAge = std::chrono::hours{1};
    auto j = openJournal(o);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 5)));
    ASSERT_TRUE(checkpointNow(*j, signer_, clock_.now()));  // retention prunes only what a checkpoint covers
    clock_.advance(2h);
    auto r = j->enforceRetention();
    ASSERT_TRUE(r);
    EXPECT_EQ(10u, r->deletedByAge);
    auto seq = j->append(makeRecord(Reason::Ok, 5));
    ASSERT_TRUE(seq);
    EXPECT_EQ(11, *seq);
}

TEST_F(JournalTest, RecordReadsBackWithoutCollectionTimeOrFile) {
    auto j = openJournal();
    auto r = makeRecord(Reason::TestTooOld, 42.5, std::string(64, 'a'));
    r.code = "green";
    r.file = "frame-0001.png";
    r.latency.backendMs = 12.25;
    ASSERT_TRUE(j->append(r));
    auto all = j->read(1, 1);
    ASSERT_TRUE(all);
    ASSERT_EQ(1u, all->size());
    const JournalEntry& e = all->front();
    EXPECT_EQ("BJ-WEST-07", e.kioskId);
    EXPECT_EQ(clock_.now(), e.utc);
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(clock_.monotonic().time_since_epoch()).count(),
              e.monoMs);
    EXPECT_EQ(j->bootId(), e.bootId);
    EXPECT_EQ(Decision::Deny, e.record.decision);
    EXPECT_EQ(Reason::TestTooOld, e.record.reason);
    EXPECT_EQ("HC1", e.record.format);
    ASSERT_TRUE(e.record.test);
    EXPECT_EQ(TestType::Naat, e.record.test->type);
    EXPECT_DOUBLE_EQ(49.5, e.record.test->ageHours);
    EXPECT_EQ("negative", e.record.test->result);
    EXPECT_EQ("", e.record.test->collectedAt);
    EXPECT_EQ("", e.record.file);
    EXPECT_EQ(std::optional<std::string>("green"), e.record.code);
    EXPECT_EQ(r.stages.signature, e.record.stages.signature);
    EXPECT_EQ(r.stages.policy, e.record.stages.policy);
    EXPECT_EQ(std::nullopt, e.record.stages.keyUsage);
    EXPECT_EQ(std::optional<double>(42.5), e.record.latency.totalMs);
    EXPECT_EQ(std::optional<double>(12.25), e.record.latency.backendMs);
    EXPECT_EQ(std::string(64, 'a'), e.record.subject);
}

TEST_F(JournalTest, BootIdComesFromTheKernel) {
    auto j = openJournal();
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string kernel;
    std::getline(in, kernel);
    EXPECT_EQ(kernel, j->bootId());
}

TEST_F(JournalTest, UploadLineIsTheRecordWithProvenanceAndNoCollectionTime) {
    auto j = openJournal();
    auto r = makeRecord(Reason::Ok, 7.0, std::string(64, 'b'));
    ASSERT_TRUE(j->append(r));
    auto e = j->read(1, 1);
    ASSERT_TRUE(e);
    std::string line = toUploadLine(e->front(), j->journalId());
    EXPECT_EQ(std::string::npos, line.find('\n'));
    auto json = nlohmann::json::parse(line);
    EXPECT_EQ(1, json["seq"]);
    EXPECT_EQ(j->journalId(), json["journal_id"]);
    EXPECT_EQ("BJ-WEST-07", json["kiosk_id"]);
    EXPECT_EQ("PASS", json["decision"]);
    EXPECT_EQ("OK", json["reason"]);
    EXPECT_EQ(formatRfc3339(clock_.now()), json["utc"]);
    EXPECT_FALSE(json["test"].contains("collected_at"));
    EXPECT_DOUBLE_EQ(3.5, json["test"]["age_h"].get<double>());
    EXPECT_EQ(true, json["stages"]["policy"]);
    EXPECT_EQ(line, toUploadLine(e->front(), j->journalId()));  // deterministic
}

// Overwrites `bytes` bytes at `offset` of `path` with a pattern that is never valid SQLite content.
void clobber(const std::filesystem::path& path, std::streamoff offset, std::size_t bytes) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.is_open());
    f.seekp(offset);
    std::string junk(bytes, '\xA5');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

TEST_F(JournalTest, DamagedPagesAreMovedAsideAndAFreshJournalStarts) {
    {
        auto j = openJournal();
        for (int i = 0; i < 300; ++i) ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 5, std::string(64, 'c'))));
    }
    const auto path = options().path;
    ASSERT_FALSE(std::filesystem::exists(path.string() + "-wal"));  // checkpointed on close: damage hits the file
    const auto size = std::filesystem::file_size(path);
    ASSERT_GT(size, 8u * 4096u);
    clobber(path, 4096 * 3 + 100, 4096 * 2);  // inside the b-tree pages, header intact

    auto j = openJournal();
    ASSERT_TRUE(j);
    EXPECT_TRUE(j->recoveredFromDamage());
    EXPECT_TRUE(std::filesystem::exists(j->damagedPath())) << j->damagedPath();
    EXPECT_EQ(size, std::filesystem::file_size(j->damagedPath()));  // kept whole for the technician
    auto s = j->stats(std::nullopt);
    ASSERT_TRUE(s);
    EXPECT_EQ(0u, s->records);
    auto seq = j->append(makeRecord(Reason::Ok, 5));
    ASSERT_TRUE(seq);
    EXPECT_EQ(1, *seq);
}

TEST_F(JournalTest, TheWalOfADamagedJournalIsMovedAsideWithIt) {
    {
        auto j = openJournal();
        for (int i = 0; i < 300; ++i) ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 5)));
    }
    const auto path = options().path;
    clobber(path, 0, 100);
    const std::string staleWal(4096, '\x5A');
    {
        std::ofstream wal(path.string() + "-wal", std::ios::binary);
        wal << staleWal;
    }
    auto j = openJournal();
    ASSERT_TRUE(j->recoveredFromDamage());
    EXPECT_EQ(staleWal, testing::readAll(j->damagedPath().string() + "-wal"));
    auto seq = j->append(makeRecord(Reason::Ok, 5));
    ASSERT_TRUE(seq);
    EXPECT_EQ(1, *seq);
}

TEST_F(JournalTest, AFileThatIsNotADatabaseIsMovedAside) {
    {
        auto j = openJournal();
        ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 5)));
    }
    clobber(options().path, 0, 100);  // the SQLite header
    auto j = openJournal();
    ASSERT_TRUE(j);
    EXPECT_TRUE(j->recoveredFromDamage());
    EXPECT_NE(std::string::npos, j->damagedPath().filename().string().find("journal.db.damaged-"));
    EXPECT_TRUE(j->append(makeRecord(Reason::Ok, 5)));
}

TEST_F(JournalTest, AHealthyJournalIsNotMovedAside) {
    { ASSERT_TRUE(openJournal()->append(makeRecord(Reason::Ok, 5))); }
    auto j = openJournal();
    EXPECT_FALSE(j->recoveredFromDamage());
    auto s = j->stats(std::nullopt);
    ASSERT_TRUE(s);
    EXPECT_EQ(1u, s->records);
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
        files += e.path().filename().string().find("damaged") != std::string::npos;
    }
    EXPECT_EQ(0u, files);
}

TEST_F(JournalTest, NoRawCredentialTextAnywhereUnderStateDir) {
    // What a scan sees: the payload and the identifiers inside it. Only the keyed hash may be stored.
    const std::string payload = "HC1:6BFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N IOP-IA%NFQGRJPC%OQHIZC4.OI1RM8ZA";
    const std::string credentialId = "URN:UVCI:01:DE:187/37512422923";
    const std::string name = "MUSTERMANN<GABRIELE";
    const std::string birthDate = "1964-08-12";
    auto secret = loadOrCreateDeviceSecret(dir_.path());
    ASSERT_TRUE(secret);
    const std::string subject = verify::subjectHash(*secret, credentialId);

    auto j = openJournal();
    for (int i = 0; i < 20; ++i) {
        auto r = makeRecord(Reason::Ok, 5, subject);
        r.file = payload + " " + name + " " + birthDate;  // must never reach the disk
        ASSERT_TRUE(j->append(r));
    }
    auto check = [&] {
        // The search itself must see the journal's bytes: the hash is there.
        EXPECT_FALSE(filesContaining(dir_.path(), subject).empty());
        for (const std::string& secretText : {payload, credentialId, name, birthDate, std::string("HC1:")}) {
            EXPECT_TRUE(filesContaining(dir_.path(), secretText).empty()) << secretText;
        }
    };
    check();  // while open: records in the WAL
    j.reset();
    check();  // after close: checkpointed into the database file
}

TEST_F(JournalTest, ASubjectThatIsNotAHashIsRefusedAndNotStored) {
    auto j = openJournal();
    const std::string personal = "ZHANG SAN 110101199003071234";
    auto r = makeRecord(Reason::Ok, 5, personal);
    auto seq = j->append(r);
    EXPECT_FALSE(seq);
    EXPECT_TRUE(filesContaining(dir_.path(), "110101199003071234").empty());
    auto s = j->stats(std::nullopt);
    ASSERT_TRUE(s);
    EXPECT_EQ(0u, s->records);
}

TEST_F(JournalTest, FreeTextInFormatOrCodeIsRefused) {
    auto j = openJournal();
    auto r = makeRecord(Reason::Ok, 5);
    r.format = "HC1:NCFOXN";
    EXPECT_FALSE(j->append(r));
    r = makeRecord(Reason::Ok, 5);
    r.code = "green; name=Zhang";
    EXPECT_FALSE(j->append(r));
}

TEST_F(JournalTest, RetentionByAgeDeletesOnlyOldRecords) {
    auto o = options();
    o.retainAge = std::chrono::hours{24 * 90};
    auto j = openJournal(o);
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 5)));
    ASSERT_TRUE(checkpointNow(*j, signer_, clock_.now()));
    clock_.advance(std::chrono::hours{24 * 60});
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(j->append(makeRecord(Reason::TestTooOld, 5)));
    ASSERT_TRUE(checkpointNow(*j, signer_, clock_.now()));
    clock_.advance(std::chrono::hours{24 * 31});  // first batch is now 91 days old, second 31
    auto r = j->enforceRetention();
    ASSERT_TRUE(r);
    EXPECT_EQ(30u, r->deletedByAge);
    auto s = j->stats(std::nullopt);
    ASSERT_TRUE(s);
    EXPECT_EQ(20u, s->records);
    EXPECT_EQ(31, s->firstSeq);
    EXPECT_EQ(0u, s->reasons.count("OK"));
}

TEST_F(JournalTest, RetentionBySizeKeepsTheNewestWithinTheLimit) {
    auto o = options();
    o.retainMaxBytes = 96 * 1024;
    auto j = openJournal(o);
    constexpr int kN = 2000;  // ≈ 400 KiB of rows and index: four times the limit
    for (int i = 0; i < kN; ++i) {
        ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 5, std::string(64, 'd'))));
        if ((i + 1) % 50 == 0) {
            ASSERT_TRUE(checkpointNow(*j, signer_, clock_.now()));
        }
    }
    ASSERT_TRUE(j->enforceRetention());
    auto s = j->stats(std::nullopt);
    ASSERT_TRUE(s);
    EXPECT_EQ(kN, s->lastSeq);
    EXPECT_LT(s->records, static_cast<std::uint64_t>(kN) / 2);
    EXPECT_GT(s->records, 100u);
    EXPECT_EQ(static_cast<std::uint64_t>(*s->lastSeq - *s->firstSeq + 1), s->records);  // newest kept, no holes
    j.reset();
    // The file stops growing: freed pages are reused. Twice the limit leaves room for the freelist.
    EXPECT_LT(std::filesystem::file_size(o.path), 2 * o.retainMaxBytes);
}

TEST_F(JournalTest, AppendAppliesRetentionOnItsOwn) {
    auto o = options();
    o.retainMaxBytes = 96 * 1024;
    auto j = openJournal(o);
    for (int i = 0; i < 2000; ++i) {
        ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 5, std::string(64, 'e'))));
        if ((i + 1) % 50 == 0) {
            ASSERT_TRUE(checkpointNow(*j, signer_, clock_.now()));
        }
    }
    j.reset();
    EXPECT_LT(std::filesystem::file_size(o.path), 3 * o.retainMaxBytes);
}

TEST_F(JournalTest, StatsSinceCountsOnlyLaterRecords) {
    auto j = openJournal();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 5)));
    clock_.advance(10min);
    const UtcTime since = clock_.now();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(j->append(makeRecord(Reason::TestTooOld, 5)));
    auto s = j->stats(since);
    ASSERT_TRUE(s);
    EXPECT_EQ(3u, s->records);
    EXPECT_EQ(3u, s->decisions.at("DENY"));
    EXPECT_EQ(0u, s->decisions.at("PASS"));
    EXPECT_EQ(6, s->firstSeq);
}

// Issue 24 item 6: test cards read while aiming are never PASS OK in `stats`; counted apart.
TEST_F(JournalTest, TestCardsAreCountedApartNeverAsPassAndNotAsLatencySamples) {
    auto j = openJournal();
    ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 12)));
    auto card = makeRecord(Reason::Ok, 3);
    card.format = std::string(kTestCardFormat);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(j->append(card));
    auto s = j->stats(std::nullopt);
    ASSERT_TRUE(s);
    EXPECT_EQ(1u, s->decisions.at("PASS"));
    EXPECT_EQ(1u, s->reasons.at("OK"));
    EXPECT_EQ(1u, s->records);
    EXPECT_EQ(4u, s->testCards);
    ASSERT_TRUE(s->latency);
    EXPECT_EQ(1u, s->latency->samples);
    EXPECT_EQ(5, s->lastSeq) << "the range still covers every record read";
    EXPECT_EQ(4, toJson(*s)["test_cards"]);
    EXPECT_NE(std::string::npos, renderStatsTable(*s).find("test cards read")) << renderStatsTable(*s);
}

TEST_F(JournalTest, LatencyPercentilesAreNearestRank) {
    auto j = openJournal();
    for (int ms = 100; ms >= 1; --ms) ASSERT_TRUE(j->append(makeRecord(Reason::Ok, ms)));
    auto noLatency = makeRecord(Reason::Malformed, 0);
    noLatency.latency.totalMs.reset();
    ASSERT_TRUE(j->append(noLatency));
    auto s = j->stats(std::nullopt);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->latency);
    EXPECT_EQ(100u, s->latency->samples);
    EXPECT_DOUBLE_EQ(50.0, s->latency->p50Ms);
    EXPECT_DOUBLE_EQ(95.0, s->latency->p95Ms);
    EXPECT_DOUBLE_EQ(99.0, s->latency->p99Ms);
    EXPECT_DOUBLE_EQ(100.0, s->latency->maxMs);
}

TEST_F(JournalTest, EmptyJournalHasZeroCountsAndNoLatency) {
    auto j = openJournal();
    auto s = j->stats(std::nullopt);
    ASSERT_TRUE(s);
    EXPECT_EQ(0u, s->records);
    EXPECT_FALSE(s->latency);
    auto json = toJson(*s);
    EXPECT_EQ(0, json["decisions"]["PASS"]);
    EXPECT_EQ(0, json["decisions"]["DENY"]);
    EXPECT_EQ(0, json["decisions"]["REFER"]);
    EXPECT_TRUE(json["latency_ms"].is_null());
}

TEST_F(JournalTest, DecodeFailuresAreCountedWithTheNextAppend) {
    auto j = openJournal();
    for (int i = 0; i < 7; ++i) j->noteDecodeFailure();
    EXPECT_EQ(0u, readJournalStats(options().path, std::nullopt)->decodeFailures);  // not written yet
    ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 5)));
    EXPECT_EQ(7u, readJournalStats(options().path, std::nullopt)->decodeFailures);
    j->noteDecodeFailure();
    ASSERT_TRUE(j->flush());
    EXPECT_EQ(8u, readJournalStats(options().path, std::nullopt)->decodeFailures);
}

TEST_F(JournalTest, DecodeFailuresAreWrittenAtMostAMinuteLateWithoutDecisions) {
    auto j = openJournal();
    j->noteDecodeFailure();
    clock_.advance(61s);
    j->noteDecodeFailure();
    EXPECT_EQ(2u, readJournalStats(options().path, std::nullopt)->decodeFailures);
}

TEST_F(JournalTest, StatsJsonHasTheDesignShape) {
    auto j = openJournal();
    ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 4)));
    ASSERT_TRUE(j->append(makeRecord(Reason::TestTooOld, 6)));
    ASSERT_TRUE(j->append(makeRecord(Reason::BackendTimeout, 5000)));
    auto s = j->stats(std::nullopt);
    ASSERT_TRUE(s);
    auto json = toJson(*s);
    EXPECT_EQ(1, json["decisions"]["PASS"]);
    EXPECT_EQ(1, json["decisions"]["DENY"]);
    EXPECT_EQ(1, json["decisions"]["REFER"]);
    EXPECT_EQ(1, json["reasons"]["TEST_TOO_OLD"]);
    EXPECT_EQ(1, json["reasons"]["BACKEND_TIMEOUT"]);
    EXPECT_DOUBLE_EQ(6.0, json["latency_ms"]["p50"].get<double>());  // nearest rank: 2nd of 3
    EXPECT_DOUBLE_EQ(5000.0, json["latency_ms"]["p95"].get<double>());
    EXPECT_DOUBLE_EQ(5000.0, json["latency_ms"]["p99"].get<double>());
    EXPECT_EQ(0, json["decode_failures"]);

    std::string table = renderStatsTable(*s);
    EXPECT_NE(std::string::npos, table.find("PASS")) << table;
    EXPECT_NE(std::string::npos, table.find("TEST_TOO_OLD")) << table;
    EXPECT_NE(std::string::npos, table.find("5000.0")) << table;
}

TEST_F(JournalTest, ReadOnlyStatsNeverCreateAJournal) {
    auto s = readJournalStats(dir_ / "absent.db", std::nullopt);
    EXPECT_FALSE(s);
    EXPECT_FALSE(std::filesystem::exists(dir_ / "absent.db"));
}

TEST_F(JournalTest, ReadOnlyStatsSeeCommittedRecordsWhileTheWriterIsOpen) {
    auto j = openJournal();
    for (int i = 0; i < 12; ++i) ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 5)));
    auto s = readJournalStats(options().path, std::nullopt);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(12u, s->records);
    ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 5)));
    EXPECT_EQ(13u, readJournalStats(options().path, std::nullopt)->records);
}

TEST_F(JournalTest, ANewerSchemaIsRefusedRatherThanRewritten) {
    { ASSERT_TRUE(openJournal()->append(makeRecord(Reason::Ok, 5))); }
    sqlite3* db = nullptr;
    ASSERT_EQ(SQLITE_OK, sqlite3_open(options().path.c_str(), &db));
    ASSERT_EQ(SQLITE_OK, sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr));
    sqlite3_close(db);
    auto j = Journal::open(options(), clock_);
    EXPECT_FALSE(j);
}

TEST_F(JournalTest, CommitDecisionKeepsAPassWhenTheRecordIsDurable) {
    auto j = openJournal();
    auto r = makeRecord(Reason::Ok, 5);
    auto seq = commitDecision(*j, r);
    ASSERT_TRUE(seq);
    EXPECT_EQ(Decision::Pass, r.decision);
    EXPECT_EQ(Reason::Ok, r.reason);
}

TEST_F(JournalTest, HealthReportsAWholeJournalWhileItIsOpen) {
    auto j = openJournal();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 5)));
    auto h = checkJournal(options().path);
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_TRUE(h->integrityOk) << h->integrityDetail;
    EXPECT_EQ(5u, h->records);
    EXPECT_EQ(5, h->lastSeq);
    EXPECT_EQ(5u, h->uploadBacklog);
    EXPECT_GT(h->fileBytes, 0u);
    EXPECT_GT(h->freeBytes, 0u);
    EXPECT_TRUE(h->damagedFiles.empty());
}

TEST_F(JournalTest, HealthReportsDamageAndFilesMovedAside) {
    {
        auto j = openJournal();
        for (int i = 0; i < 300; ++i) ASSERT_TRUE(j->append(makeRecord(Reason::Ok, 5, std::string(64, 'c'))));
    }
    clobber(options().path, 4096 * 3 + 100, 4096 * 2);
    auto damaged = checkJournal(options().path);
    ASSERT_TRUE(damaged);
    EXPECT_FALSE(damaged->integrityOk);
    auto j = openJournal();
    ASSERT_TRUE(j->recoveredFromDamage());
    auto h = checkJournal(options().path);
    ASSERT_TRUE(h);
    EXPECT_TRUE(h->integrityOk);
    ASSERT_EQ(1u, h->damagedFiles.size());
    EXPECT_EQ(j->damagedPath(), h->damagedFiles[0]);
}

TEST_F(JournalTest, HealthOfAMissingJournalIsAnError) {
    EXPECT_FALSE(checkJournal(dir_ / "absent.db"));
    EXPECT_FALSE(std::filesystem::exists(dir_ / "absent.db"));
}

}  // namespace
}  // namespace sentinel::journal

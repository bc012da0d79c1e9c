// STAFF_OVERRIDE in the journal (DESIGN §11): `overrides` stored and read back, counted by stats,
// in the upload line; a version-1 journal gains the column on open.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "firmware/journal/Journal.h"
#include "firmware/journal/JournalStats.h"
#include "tests/support/TestSupport.h"

namespace sentinel::journal {
namespace {

using ::testing::HasSubstr;

DecisionRecord refer() {
    DecisionRecord r;
    r.format = "HK1";
    r.decide(Reason::BackendError);
    r.latency.totalMs = 12.0;
    return r;
}

DecisionRecord override(std::int64_t seq) {
    DecisionRecord r;
    r.decide(Reason::StaffOverride);
    r.overrides = seq;
    return r;
}

struct StaffJournal : ::testing::Test {
    testing::TempDir dir;
    testing::ManualClock clock;
    JournalOptions options;
    StaffJournal() {
        options.path = dir / "journal.db";
        options.kioskId = "T-01";
    }
    std::unique_ptr<Journal> open() {
        auto j = Journal::open(options, clock);
        EXPECT_TRUE(j.ok()) << (j ? "" : j.error().message);
        return j ? std::move(j).value() : nullptr;
    }
};

TEST_F(StaffJournal, AnOverrideRecordKeepsTheSeqItOverrides) {
    auto j = open();
    ASSERT_EQ(1, *j->append(refer()));
    ASSERT_EQ(2, *j->append(override(1)));
    auto entries = j->read(1, 10);
    ASSERT_TRUE(entries.ok());
    ASSERT_EQ(2u, entries->size());
    EXPECT_FALSE((*entries)[0].record.overrides.has_value());
    EXPECT_EQ(Decision::Pass, (*entries)[1].record.decision);
    EXPECT_EQ(Reason::StaffOverride, (*entries)[1].record.reason);
    EXPECT_EQ(std::optional<std::int64_t>(1), (*entries)[1].record.overrides);
    auto line = nlohmann::json::parse(toUploadLine((*entries)[1], j->journalId()));
    EXPECT_EQ(1, line["overrides"]);
    EXPECT_EQ("STAFF_OVERRIDE", line["reason"]);
}

TEST_F(StaffJournal, StatsCountTheOverride) {
    auto j = open();
    ASSERT_TRUE(j->append(refer()).ok());
    ASSERT_TRUE(j->append(override(1)).ok());
    auto s = readJournalStats(options.path, std::nullopt);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(1u, s->decisions["PASS"]);
    EXPECT_EQ(1u, s->decisions["REFER"]);
    EXPECT_EQ(1u, s->reasons["STAFF_OVERRIDE"]);
    EXPECT_EQ(1u, staffOverrides(*s));
    EXPECT_EQ(1, toJson(*s)["staff_overrides"]);
    EXPECT_THAT(renderStatsTable(*s), HasSubstr("gate opened by staff"));
}

TEST_F(StaffJournal, AnOverrideWithoutTheSeqItOverridesIsRefused) {
    auto j = open();
    DecisionRecord bad;
    bad.decide(Reason::StaffOverride);
    EXPECT_FALSE(j->append(bad).ok());
    DecisionRecord stray = refer();
    stray.overrides = 1;  // only a STAFF_OVERRIDE overrides anything
    EXPECT_FALSE(j->append(stray).ok());
    EXPECT_FALSE(j->append(override(0)).ok());
}

TEST_F(StaffJournal, AVersionOneJournalGainsTheColumnOnOpen) {
    { auto j = open(); ASSERT_TRUE(j->append(refer()).ok()); }
    {
        // Make it a version-1 file: no overrides column.
        sqlite3* db = nullptr;
        ASSERT_EQ(SQLITE_OK, sqlite3_open(options.path.c_str(), &db));
        ASSERT_EQ(SQLITE_OK, sqlite3_exec(db, "ALTER TABLE decisions DROP COLUMN overrides; PRAGMA user_version = 1;",
                                          nullptr, nullptr, nullptr));
        sqlite3_close(db);
    }
    auto j = open();
    ASSERT_TRUE(j);
    ASSERT_EQ(2, *j->append(override(1)));
    auto entries = j->read(1, 10);
    ASSERT_TRUE(entries.ok());
    ASSERT_EQ(2u, entries->size());
    EXPECT_EQ(std::optional<std::int64_t>(1), (*entries)[1].record.overrides);
}

TEST_F(StaffJournal, UploadBacklogCountsRecordsNotAcknowledged) {
    auto j = open();
    ASSERT_TRUE(j->append(refer()).ok());
    ASSERT_TRUE(j->append(override(1)).ok());
    auto b = readUploadBacklog(options.path);
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(2u, *b);
}

}  // namespace
}  // namespace sentinel::journal

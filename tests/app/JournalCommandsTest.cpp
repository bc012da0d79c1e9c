// `sentinel journal verify|key|prove` and `sentinel audit` (DESIGN §16) through the command line:
// exit codes, the seq named, the key from the configuration's state_dir, a proof checked by audit.

#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <sqlite3.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "firmware/app/Cli.h"
#include "firmware/journal/Checkpointer.h"
#include "firmware/journal/Journal.h"
#include "firmware/journal/SignedNote.h"
#include "tests/support/TestSupport.h"

namespace sentinel::app {
namespace {

using ::testing::HasSubstr;
using sentinel::testing::ManualClock;
using sentinel::testing::TempDir;

struct CliResult {
    int status;
    std::string out, err;
};

CliResult cli(std::vector<std::string> args) {
    std::ostringstream out, err;
    CliContext ctx{out, err};
    args.insert(args.begin(), "sentinel");
    const int status = runCli(args, ctx);
    return {status, out.str(), err.str()};
}

void sql(const std::filesystem::path& path, const std::string& statements) {
    sqlite3* db = nullptr;
    ASSERT_EQ(SQLITE_OK, sqlite3_open(path.c_str(), &db));
    EXPECT_EQ(SQLITE_OK, sqlite3_exec(db, statements.c_str(), nullptr, nullptr, nullptr)) << statements;
    sqlite3_close(db);
}

void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

// A kiosk's state: configuration, device key, a journal of 30 records with checkpoints at 10, 20,
// 30 made by the Checkpointer, and what a subscriber received (records and checkpoint messages).
class JournalCommandsTest : public ::testing::Test {
protected:
    void SetUp() override {
        config_ = dir_ / "sentinel.toml";
        journal_ = dir_ / "state" / "journal.db";
        write(config_, "[kiosk]\nid = \"T-01\"\nstate_dir = \"" + (dir_ / "state").string() + "\"\n[journal]\npath = \"" +
                           journal_.string() + "\"\n");
        journal::JournalOptions o;
        o.path = journal_;
        o.kioskId = "T-01";
        auto j = journal::Journal::open(o, clock_);
        ASSERT_TRUE(j) << j.error().message;
        auto key = journal::loadOrCreateJournalKey(dir_ / "state", "T-01");
        ASSERT_TRUE(key) << key.error().message;
        vkey_ = key->verifier().toString();
        {
            journal::Checkpointer cp(**j, std::move(*key), "T-01", {10, std::chrono::seconds{300}}, clock_,
                                     [this](const journal::StoredCheckpoint& c) {
                                         std::lock_guard lock(mutex_);
                                         checkpoints_ += journal::checkpointMessage(c.note, c.at) + "\n";
                                     });
            for (int i = 0; i < 30; ++i) {
                DecisionRecord r;
                r.decide(i % 4 ? Reason::Ok : Reason::SignatureInvalid);
                r.format = "HC1";
                r.latency.totalMs = 4.0 + i;
                ASSERT_TRUE((*j)->append(r));
            }
        }  // stop: the last checkpoint
        auto all = (*j)->read(1, 100);
        ASSERT_TRUE(all);
        for (const auto& e : *all) records_ += journal::toUploadLine(e, (*j)->journalId()) + "\n";
    }

    TempDir dir_;
    ManualClock clock_;
    std::filesystem::path config_, journal_;
    std::string vkey_;
    std::mutex mutex_;
    std::string checkpoints_;  // as a subscriber of the checkpoints topic wrote them
    std::string records_;
};

TEST_F(JournalCommandsTest, EveryCommandHasHelp) {
    for (auto args : std::vector<std::vector<std::string>>{{"journal", "--help"}, {"journal", "verify", "--help"},
                                                           {"journal", "prove", "--help"}, {"audit", "--help"},
                                                           {"bench", "journal", "--help"}}) {
        auto r = cli(args);
        EXPECT_EQ(kExitOk, r.status) << args[0];
        EXPECT_THAT(r.out, HasSubstr("Usage: sentinel ")) << args[0];
    }
    EXPECT_EQ(kExitUsage, cli({"journal"}).status);
    EXPECT_EQ(kExitUsage, cli({"journal", "frobnicate"}).status);
    EXPECT_EQ(kExitUsage, cli({"audit", "--records", "x"}).status);
}

TEST_F(JournalCommandsTest, VerifyWithTheConfigurationChecksSignaturesAndExitsZero) {
    auto r = cli({"journal", "verify", "--json", "--config", config_.string()});
    EXPECT_EQ(kExitOk, r.status) << r.out << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(true, j["ok"]);
    EXPECT_EQ("checked", j["signatures"]);
    EXPECT_EQ(30, j["verified"]["to"]);
    EXPECT_EQ(nullptr, j["unattested"]);
}

TEST_F(JournalCommandsTest, VerifyOfAFileWithoutKeySaysSignaturesAreNotChecked) {
    auto r = cli({"journal", "verify", journal_.string()});
    EXPECT_EQ(kExitOk, r.status);
    EXPECT_THAT(r.out, HasSubstr("signatures not checked"));
}

TEST_F(JournalCommandsTest, AnSqlite3EditMakesVerifyExitOneNamingTheSeq) {
    sql(journal_, "UPDATE decisions SET decision = 'PASS', reason = 'OK' WHERE seq = 17");
    auto r = cli({"journal", "verify", "--json", "--key", vkey_, journal_.string()});
    EXPECT_EQ(kExitFail, r.status);
    EXPECT_EQ(17, nlohmann::json::parse(r.out)["first_bad_seq"]);
    auto text = cli({"journal", "verify", "--config", config_.string()});
    EXPECT_EQ(kExitFail, text.status);
    EXPECT_THAT(text.out, HasSubstr("first bad seq 17"));
}

TEST_F(JournalCommandsTest, VerifyOfNoSuchJournalIsAUsageError) {
    EXPECT_EQ(kExitUsage, cli({"journal", "verify", (dir_ / "nope.db").string()}).status);
    EXPECT_EQ(kExitUsage, cli({"journal", "verify", "--key", "not-a-key", journal_.string()}).status);
}

TEST_F(JournalCommandsTest, KeyPrintsTheVerifierKey) {
    auto r = cli({"journal", "key", "--config", config_.string()});
    EXPECT_EQ(kExitOk, r.status) << r.err;
    EXPECT_EQ(vkey_ + "\n", r.out);
    EXPECT_THAT(r.out, HasSubstr("sentinel.kiosk/T-01+"));
}

TEST_F(JournalCommandsTest, KeyWithoutAKeyFileExitsOne) {
    std::filesystem::remove(dir_ / "state" / journal::kJournalKeyFile);
    EXPECT_EQ(kExitFail, cli({"journal", "key", "--config", config_.string()}).status);
}

TEST_F(JournalCommandsTest, AProofWrittenByProveIsCheckedByAudit) {
    const auto proof = dir_ / "r12.tlog-proof";
    auto p = cli({"journal", "prove", "--config", config_.string(), "--out", proof.string(), "12"});
    ASSERT_EQ(kExitOk, p.status) << p.err;
    const auto keyFile = dir_ / "kiosk.vkey";
    write(keyFile, vkey_ + "\n");
    auto a = cli({"audit", "--proof", proof.string(), "--key", keyFile.string(), "--json"});
    EXPECT_EQ(kExitOk, a.status) << a.out << a.err;
    EXPECT_EQ(true, nlohmann::json::parse(a.out)["proof"]["ok"]);
    EXPECT_EQ(kExitFail, cli({"journal", "prove", journal_.string(), "31"}).status);
    EXPECT_EQ(kExitUsage, cli({"journal", "prove", journal_.string(), "twelve"}).status);
}

TEST_F(JournalCommandsTest, AuditPassesWhatWasReceivedAndFailsItWithARecordDropped) {
    const auto records = dir_ / "records.ndjson", checkpoints = dir_ / "checkpoints.ndjson";
    write(records, records_);
    {
        std::lock_guard lock(mutex_);
        write(checkpoints, checkpoints_);
    }
    auto ok = cli({"audit", "--records", records.string(), "--checkpoints", checkpoints.string(), "--key", vkey_});
    EXPECT_EQ(kExitOk, ok.status) << ok.out << ok.err;
    EXPECT_THAT(ok.out, HasSubstr("intact"));

    std::string dropped = records_;
    const auto at = dropped.find("\"seq\":8,");
    const auto start = dropped.rfind('\n', at) + 1;
    dropped.erase(start, dropped.find('\n', at) + 1 - start);
    write(records, dropped);
    auto bad = cli({"audit", "--records", records.string(), "--checkpoints", checkpoints.string(), "--key", vkey_, "--json"});
    EXPECT_EQ(kExitFail, bad.status);
    EXPECT_EQ(8, nlohmann::json::parse(bad.out)["first_bad_seq"]);
}

}  // namespace
}  // namespace sentinel::app

// Uploader behaviour against a scripted transport: batches, keys, back-off, restart. The loopback
// collector tests are in UploadCollectorTest.cpp.

#include "firmware/fleet/Uploader.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "firmware/journal/Journal.h"
#include "tests/fleet/FakeTransport.h"
#include "tests/journal/JournalTestSupport.h"
#include "tests/support/TestSupport.h"

namespace sentinel::fleet {
namespace {

using journal::Journal;
using journal::JournalOptions;

using namespace std::chrono_literals;
using sentinel::testing::ManualClock;
using sentinel::testing::TempDir;
using journal::testing::makeRecord;
using testing::ScriptedTransport;

std::vector<nlohmann::json> lines(const std::string& body) {
    std::vector<nlohmann::json> out;
    std::istringstream in(body);
    std::string line;
    while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
    return out;
}

class UploaderTest : public ::testing::Test {
protected:
    void SetUp() override {
        JournalOptions o;
        o.path = dir_ / "journal.db";
        o.kioskId = "BJ-WEST-07";
        journal_ = std::move(Journal::open(o, clock_)).value();
    }
    UploaderOptions options() const {
        UploaderOptions u;
        u.journalPath = dir_ / "journal.db";
        u.url = "https://collector.example/v1/journal";
        u.kioskId = "BJ-WEST-07";
        u.headers["Authorization"] = "Bearer device-token";
        u.batchMaxRecords = 10;
        u.backoffInitial = 1s;
        u.backoffMax = 60s;
        return u;
    }
    std::unique_ptr<Uploader> openUploader() {
        auto u = Uploader::open(options(), transport_, clock_);
        EXPECT_TRUE(u) << (u ? "" : u.error().message);
        return u ? std::move(u).value() : nullptr;
    }
    void appendN(int n) {
        for (int i = 0; i < n; ++i) ASSERT_TRUE(journal_->append(makeRecord(Reason::Ok, 5, std::string(64, 'a'))));
    }
    MonoTime later() const { return clock_.monotonic() + 1h; }

    TempDir dir_;
    ManualClock clock_;
    std::unique_ptr<Journal> journal_;
    ScriptedTransport transport_;
};

TEST_F(UploaderTest, NothingToSendIsIdleAndSendsNothing) {
    auto up = openUploader();
    EXPECT_EQ(DrainResult::Idle, up->drainOnce(later()).result);
    EXPECT_TRUE(transport_.requests.empty());
}

TEST_F(UploaderTest, RecordsGoOutInNdjsonBatchesWithKeysAndHeaders) {
    appendN(25);
    auto up = openUploader();
    auto r = up->drainOnce(later());
    EXPECT_EQ(DrainResult::Uploaded, r.result);
    EXPECT_EQ(3u, r.batches);
    EXPECT_EQ(25u, r.records);
    ASSERT_EQ(3u, transport_.requests.size());
    const auto& first = transport_.requests[0];
    EXPECT_EQ("https://collector.example/v1/journal", first.url);
    EXPECT_EQ("application/x-ndjson", first.contentType);
    EXPECT_EQ("Bearer device-token", first.headers.at("Authorization"));
    EXPECT_EQ("BJ-WEST-07/" + journal_->journalId() + "/1-10", first.headers.at("Idempotency-Key"));
    EXPECT_EQ("BJ-WEST-07/" + journal_->journalId() + "/21-25", transport_.requests[2].headers.at("Idempotency-Key"));
    auto body = lines(first.body);
    ASSERT_EQ(10u, body.size());
    for (int i = 0; i < 10; ++i) EXPECT_EQ(i + 1, body[static_cast<size_t>(i)]["seq"]);
    EXPECT_EQ('\n', first.body.back());
    auto status = up->status();
    ASSERT_TRUE(status);
    EXPECT_EQ(25, status->ackedThrough);
    EXPECT_EQ(0u, status->backlog);
    EXPECT_EQ(DrainResult::Idle, up->drainOnce(later()).result);
    EXPECT_EQ(3u, transport_.requests.size());
}

TEST_F(UploaderTest, ARetryResendsTheSameBatchUnderTheSameKeyEvenWithNewRecords) {
    appendN(4);
    transport_.push(ScriptedTransport::status(503));
    auto up = openUploader();
    EXPECT_EQ(DrainResult::Failed, up->drainOnce(later()).result);
    appendN(6);  // would fit in the batch, but the batch is fixed
    clock_.advance(2s);
    EXPECT_EQ(DrainResult::Uploaded, up->drainOnce(later()).result);
    ASSERT_EQ(3u, transport_.requests.size());
    EXPECT_EQ(transport_.requests[0].headers.at("Idempotency-Key"), transport_.requests[1].headers.at("Idempotency-Key"));
    EXPECT_EQ(transport_.requests[0].body, transport_.requests[1].body);
    EXPECT_EQ(4u, lines(transport_.requests[1].body).size());
    EXPECT_EQ(6u, lines(transport_.requests[2].body).size());
}

TEST_F(UploaderTest, TheBatchAndItsKeySurviveARestart) {
    appendN(3);
    transport_.push(ScriptedTransport::outcome(hal::HttpOutcome::Timeout));
    {
        auto up = openUploader();
        EXPECT_EQ(DrainResult::Failed, up->drainOnce(later()).result);
        EXPECT_EQ(std::optional<std::string>("BJ-WEST-07/" + journal_->journalId() + "/1-3"), up->status()->pendingKey);
    }
    appendN(3);
    auto up = openUploader();  // fresh process state: no back-off remembered, batch remembered
    EXPECT_EQ(DrainResult::Uploaded, up->drainOnce(later()).result);
    ASSERT_EQ(3u, transport_.requests.size());
    EXPECT_EQ(transport_.requests[0].headers.at("Idempotency-Key"), transport_.requests[1].headers.at("Idempotency-Key"));
    EXPECT_EQ(transport_.requests[0].body, transport_.requests[1].body);
    EXPECT_EQ(6, up->status()->ackedThrough);
}

TEST_F(UploaderTest, FailuresBackOffExponentiallyUpToTheCap) {
    appendN(1);
    transport_.setFallback(ScriptedTransport::status(500));
    auto up = openUploader();
    EXPECT_EQ(DrainResult::Failed, up->drainOnce(later()).result);
    EXPECT_EQ(1s, up->currentBackoff());
    EXPECT_EQ(DrainResult::Waiting, up->drainOnce(later()).result);  // inside the interval: no attempt
    EXPECT_EQ(1u, transport_.requests.size());
    std::vector<std::chrono::milliseconds> seen;
    for (int i = 0; i < 10; ++i) {
        clock_.advance(up->currentBackoff() * 5 / 4 + 1ms);  // past the interval and its jitter
        EXPECT_EQ(DrainResult::Failed, up->drainOnce(later()).result);
        seen.push_back(up->currentBackoff());
    }
    EXPECT_EQ(2s, seen[0]);
    EXPECT_EQ(4s, seen[1]);
    EXPECT_EQ(32s, seen[4]);
    EXPECT_EQ(60s, seen[5]);
    EXPECT_EQ(60s, seen[9]);
    EXPECT_EQ(11u, transport_.requests.size());
    EXPECT_EQ(11u, up->status()->consecutiveFailures);
    transport_.setFallback(ScriptedTransport::status(200));
    clock_.advance(80s);
    EXPECT_EQ(DrainResult::Uploaded, up->drainOnce(later()).result);
    EXPECT_EQ(0ms, up->currentBackoff());
}

TEST_F(UploaderTest, NonSuccessStatusesAndTransportErrorsAreNotAcknowledgements) {
    for (auto r : {ScriptedTransport::status(302), ScriptedTransport::status(400), ScriptedTransport::status(503),
                   ScriptedTransport::outcome(hal::HttpOutcome::TlsError),
                   ScriptedTransport::outcome(hal::HttpOutcome::NetError)}) {
        transport_.push(r);
    }
    appendN(2);
    auto up = openUploader();
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(DrainResult::Failed, up->drainOnce(later()).result) << i;
        EXPECT_EQ(0, up->status()->ackedThrough);
        clock_.advance(10min);
    }
    EXPECT_EQ(DrainResult::Uploaded, up->drainOnce(later()).result);
    EXPECT_EQ(2, up->status()->ackedThrough);
}

TEST_F(UploaderTest, StopsAtTheDeadlineWithRecordsLeft) {
    appendN(30);
    auto up = openUploader();
    EXPECT_EQ(DrainResult::Deadline, up->drainOnce(clock_.monotonic()).result);
    EXPECT_TRUE(transport_.requests.empty());
}

TEST_F(UploaderTest, RecordsDeletedByRetentionBeforeUploadAreCountedAsSkipped) {
    JournalOptions o;
    o.path = dir_ / "journal.db";
    o.kioskId = "BJ-WEST-07";
    o.retainAge = std::chrono::hours{1};
    journal_.reset();
    journal_ = std::move(Journal::open(o, clock_)).value();
    appendN(5);
    // Retention prunes only what a checkpoint covers (DESIGN §16).
    ASSERT_TRUE(sentinel::journal::testing::checkpointNow(*journal_, sentinel::journal::testing::testSigner(), clock_.now()));
    clock_.advance(2h);
    appendN(2);
    ASSERT_TRUE(journal_->enforceRetention());
    auto up = openUploader();
    EXPECT_EQ(DrainResult::Uploaded, up->drainOnce(later()).result);
    auto s = up->status();
    EXPECT_EQ(5u, s->skipped);
    EXPECT_EQ(7, s->ackedThrough);
    ASSERT_EQ(1u, transport_.requests.size());
    EXPECT_EQ("BJ-WEST-07/" + journal_->journalId() + "/6-7", transport_.requests[0].headers.at("Idempotency-Key"));
}

TEST_F(UploaderTest, AFreshJournalAfterDamageNeverReusesAKey) {
    appendN(2);
    auto up = openUploader();
    ASSERT_EQ(DrainResult::Uploaded, up->drainOnce(later()).result);
    up.reset();
    journal_.reset();
    std::filesystem::resize_file(dir_ / "journal.db", 100);  // header only: not a database any more
    JournalOptions o;
    o.path = dir_ / "journal.db";
    o.kioskId = "BJ-WEST-07";
    journal_ = std::move(Journal::open(o, clock_)).value();
    ASSERT_TRUE(journal_->recoveredFromDamage());
    appendN(2);
    up = openUploader();
    ASSERT_EQ(DrainResult::Uploaded, up->drainOnce(later()).result);
    ASSERT_EQ(2u, transport_.requests.size());
    EXPECT_NE(transport_.requests[0].headers.at("Idempotency-Key"), transport_.requests[1].headers.at("Idempotency-Key"));
}

TEST_F(UploaderTest, AnEmptyUrlOrMissingJournalIsAnError) {
    auto o = options();
    o.url.clear();
    EXPECT_FALSE(Uploader::open(o, transport_, clock_));
    o = options();
    o.journalPath = dir_ / "absent.db";
    EXPECT_FALSE(Uploader::open(o, transport_, clock_));
    EXPECT_FALSE(std::filesystem::exists(dir_ / "absent.db"));
}

}  // namespace
}  // namespace sentinel::fleet

// The Checkpointer (DESIGN §16): signed checkpoints of the committed log on a thread of its own —
// at start, every N records, after the interval when records came in, at stop. Waits are for the
// listener's events (bounded), never sleeps; the interval runs on an injected clock.

#include "firmware/journal/Checkpointer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/journal/JournalTestSupport.h"
#include "tests/support/TestSupport.h"

namespace sentinel::journal {
namespace {

using namespace std::chrono_literals;
using sentinel::testing::TempDir;
using testing::kTestKiosk;
using testing::makeRecord;

using SharedClock = sentinel::testing::SharedManualClock;  // two threads read it while the test moves it

// What the listener was handed, and on which thread.
class Events {
public:
    void add(const StoredCheckpoint& c) {
        std::lock_guard lock(mutex_);
        seen_.push_back(c);
        threads_.push_back(std::this_thread::get_id());
        changed_.notify_all();
    }
    // Waits (bounded) until a checkpoint of at least `size` has come.
    std::optional<StoredCheckpoint> waitForSize(std::uint64_t size, std::chrono::seconds limit = 20s) {
        std::unique_lock lock(mutex_);
        std::optional<StoredCheckpoint> found;
        changed_.wait_for(lock, limit, [&] {
            for (const auto& c : seen_) {
                if (c.size >= size) found = c;
            }
            return found.has_value();
        });
        return found;
    }
    std::vector<StoredCheckpoint> all() const {
        std::lock_guard lock(mutex_);
        return seen_;
    }
    std::vector<std::thread::id> threads() const {
        std::lock_guard lock(mutex_);
        return threads_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<StoredCheckpoint> seen_;
    std::vector<std::thread::id> threads_;
};

class CheckpointerTest : public ::testing::Test {
protected:
    void SetUp() override {
        JournalOptions o;
        o.path = dir_ / "journal.db";
        o.kioskId = kTestKiosk;
        auto j = Journal::open(o, clock_);
        ASSERT_TRUE(j) << j.error().message;
        journal_ = std::move(j).value();
    }
    std::unique_ptr<Checkpointer> start(CheckpointOptions o) {
        return std::make_unique<Checkpointer>(*journal_, testing::testSigner(), kTestKiosk, o, clock_,
                                              [this](const StoredCheckpoint& c) { events_.add(c); });
    }
    // The root of the first `size` records, recomputed from what read() gives back.
    tlog::Hash rootOf(std::uint64_t size) {
        tlog::CompactRange r;
        auto all = journal_->read(1, size);
        EXPECT_TRUE(all);
        for (const auto& e : *all) r.append(tlog::leafHash(toUploadLine(e, journal_->journalId())));
        return r.root();
    }
    std::optional<CheckpointBody> bodyOf(const StoredCheckpoint& c) {
        auto note = parseNote(c.note);
        if (!note) return std::nullopt;
        auto body = parseCheckpointBody(note->text);
        if (!body) return std::nullopt;
        return *body;
    }

    TempDir dir_;
    SharedClock clock_;
    std::unique_ptr<Journal> journal_;
    Events events_;
};

TEST(CheckpointDueTest, DueAfterNRecordsOrAfterTheIntervalWithNewRecordsOnly) {
    const CheckpointOptions o{100, 300s};
    const MonoTime t0{1h};
    EXPECT_FALSE(checkpointDue(o, 50, 50, t0, t0 + 1h));   // nothing new, however long
    EXPECT_FALSE(checkpointDue(o, 99, 0, t0, t0 + 299s));
    EXPECT_TRUE(checkpointDue(o, 100, 0, t0, t0));
    EXPECT_TRUE(checkpointDue(o, 1, 0, t0, t0 + 300s));
}

TEST_F(CheckpointerTest, StartMakesACheckpointEvenOfAnEmptyLog) {
    auto cp = start({100, 300s});
    auto first = events_.waitForSize(0);
    ASSERT_TRUE(first);
    auto body = bodyOf(*first);
    ASSERT_TRUE(body);
    EXPECT_EQ(0u, body->size);
    EXPECT_EQ(tlog::emptyRoot(), body->root);
    EXPECT_EQ(checkpointOrigin(kTestKiosk, journal_->journalId()), body->origin);
}

TEST_F(CheckpointerTest, EveryNRecordsGiveACheckpointSignedOffTheAppendingThread) {
    auto signer = testing::testSigner();
    const std::string vkey = signer.verifier().toString();
    Checkpointer cp(*journal_, std::move(signer), kTestKiosk, {5, 300s}, clock_,
                    [this](const StoredCheckpoint& c) { events_.add(c); });
    // Every 5 records since the last checkpoint: waiting at each fifth record keeps the count exact
    // (a checkpoint signed while appends go on covers whatever was committed by then, and the next
    // is due 5 records after that).
    ASSERT_TRUE(events_.waitForSize(0));
    for (int i = 1; i <= 12; ++i) {
        ASSERT_TRUE(journal_->append(makeRecord(Reason::Ok, 3)));
        if (i % 5 == 0) {
            ASSERT_TRUE(events_.waitForSize(static_cast<std::uint64_t>(i))) << "no checkpoint after " << i;
        }
    }
    auto c = events_.waitForSize(10);
    ASSERT_TRUE(c);
    auto verifier = NoteVerifier::parse(vkey);
    ASSERT_TRUE(verifier);
    for (const auto& e : events_.all()) {
        ASSERT_TRUE(verifier->open(e.note)) << e.note;
        auto body = bodyOf(e);
        ASSERT_TRUE(body);
        EXPECT_EQ(rootOf(body->size), body->root) << "checkpoint " << body->size;
    }
    for (auto id : events_.threads()) EXPECT_NE(std::this_thread::get_id(), id);
}

TEST_F(CheckpointerTest, TheIntervalMakesOneWhenRecordsCameIn) {
    auto cp = start({100, 300s});
    ASSERT_TRUE(events_.waitForSize(0));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(journal_->append(makeRecord(Reason::Ok, 3)));
    clock_.advance(301s);
    cp->poke();
    auto c = events_.waitForSize(3);
    ASSERT_TRUE(c);
    EXPECT_EQ(3u, c->size);
}

TEST_F(CheckpointerTest, StopMakesTheLastCheckpointAndKeepsIt) {
    auto cp = start({100, 300s});
    ASSERT_TRUE(events_.waitForSize(0));
    for (int i = 0; i < 7; ++i) ASSERT_TRUE(journal_->append(makeRecord(Reason::Ok, 3)));
    cp->stop();
    ASSERT_TRUE(cp->latest());
    EXPECT_EQ(7u, cp->latest()->size);
    auto kept = journal_->latestCheckpoint();
    ASSERT_TRUE(kept);
    ASSERT_TRUE(*kept);
    EXPECT_EQ(7u, (*kept)->size);
}

TEST_F(CheckpointerTest, AtStartTheKeptCheckpointIsAnnouncedAgainWithoutSigning) {
    {
        auto cp = start({100, 300s});
        for (int i = 0; i < 4; ++i) ASSERT_TRUE(journal_->append(makeRecord(Reason::Ok, 3)));
    }  // stop: checkpoint 4
    Events again;
    Checkpointer cp(*journal_, testing::testSigner(), kTestKiosk, {100, 300s}, clock_,
                    [&again](const StoredCheckpoint& c) { again.add(c); });
    auto c = again.waitForSize(4);
    ASSERT_TRUE(c);
    EXPECT_EQ(4u, c->size);
    cp.stop();
    EXPECT_EQ(0u, cp.made());
}

TEST_F(CheckpointerTest, TheStatusShowsSizeRootAndTime) {
    auto cp = start({100, 300s});
    ASSERT_TRUE(journal_->append(makeRecord(Reason::Ok, 3)));
    cp->stop();
    auto j = checkpointStatus(*cp->latest());
    EXPECT_EQ(1, j["size"]);
    EXPECT_EQ(tlog::toBase64(rootOf(1)), j["root"]);
    EXPECT_EQ(formatRfc3339(clock_.now()), j["at"]);
}

}  // namespace
}  // namespace sentinel::journal

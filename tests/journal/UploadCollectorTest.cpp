// Upload to a real collector on loopback (issue 5 item 3): a 10-minute outage backlog drains with
// no loss and no duplicate, across uploader restarts and a lost acknowledgement; the upload never
// holds up a decision. The outage is driven by a ManualClock: no real waiting.

#include <gtest/gtest.h>

#include <set>

#include "firmware/journal/Journal.h"
#include "firmware/journal/Uploader.h"
#include "tests/journal/FakeTransport.h"
#include "tests/journal/JournalTestSupport.h"
#include "tests/journal/TestCollector.h"
#include "tests/support/TestSupport.h"

namespace sentinel::journal {
namespace {

using namespace std::chrono_literals;
using sentinel::testing::ManualClock;
using sentinel::testing::TempDir;
using testing::HttplibTransport;
using testing::LosingTransport;
using testing::makeRecord;
using testing::TestCollector;

constexpr Reason kMix[] = {Reason::Ok, Reason::TestTooOld, Reason::Ok, Reason::SignatureInvalid, Reason::Ok};

class UploadCollectorTest : public ::testing::Test {
protected:
    void SetUp() override {
        JournalOptions o;
        o.path = dir_ / "journal.db";
        o.kioskId = "BJ-WEST-07";
        auto j = Journal::open(o, clock_);
        ASSERT_TRUE(j) << j.error().message;
        journal_ = std::move(j).value();
    }
    UploaderOptions options() const {
        UploaderOptions u;
        u.journalPath = dir_ / "journal.db";
        u.url = collector_.url();
        u.kioskId = "BJ-WEST-07";
        u.batchMaxRecords = 50;
        u.backoffInitial = 1s;
        u.backoffMax = 60s;
        return u;
    }
    std::unique_ptr<Uploader> openUploader(hal::HttpTransport& transport, const Clock& clock) {
        auto u = Uploader::open(options(), transport, clock);
        EXPECT_TRUE(u) << (u ? "" : u.error().message);
        return u ? std::move(u).value() : nullptr;
    }
    std::int64_t appendOne() {
        auto seq = journal_->append(makeRecord(kMix[appended_ % std::size(kMix)], 5.0 + appended_ % 7,
                                               std::string(64, static_cast<char>('a' + appended_ % 6))));
        EXPECT_TRUE(seq);
        ++appended_;
        return seq ? *seq : 0;
    }

    TempDir dir_;
    ManualClock clock_;
    std::unique_ptr<Journal> journal_;
    TestCollector collector_;
    HttplibTransport http_;
    std::size_t appended_ = 0;
};

TEST_F(UploadCollectorTest, TenMinuteOutageBacklogDrainsWithNoLossAndNoDuplicate) {
    LosingTransport transport(http_);
    auto up = openUploader(transport, clock_);

    // Before: the collector is up and keeps pace.
    for (int i = 0; i < 120; ++i) {
        appendOne();
        clock_.advance(500ms);
    }
    ASSERT_EQ(DrainResult::Uploaded, up->drainOnce(clock_.monotonic() + 1min).result);
    ASSERT_EQ(120u, collector_.tally().storedSeq.size());

    // The outage: 5 minutes of 503, then 5 minutes with the collector gone (connection refused).
    // One decision per second; the uploader is polled every second, as its thread would be;
    // the kiosk restarts (new uploader) in the middle.
    collector_.failWith(503);
    std::size_t attempts = 0;
    for (int second = 0; second < 600; ++second) {
        appendOne();
        clock_.advance(1s);
        if (second == 300) {
            collector_.failWith(0);
            collector_.stop();
        }
        if (second == 450) {
            auto key = up->status()->pendingKey;
            ASSERT_TRUE(key);
            up = openUploader(transport, clock_);
            EXPECT_EQ(key, up->status()->pendingKey);  // the batch and its key survived the restart
        }
        auto r = up->drainOnce(clock_.monotonic() + 1min);
        ASSERT_NE(DrainResult::Uploaded, r.result) << r.detail;
        attempts += r.result == DrainResult::Failed;
    }
    // Backed off: far fewer than one attempt a second, yet never gave up (cap 60 s + 25 % jitter).
    EXPECT_GE(attempts, 10u);
    EXPECT_LE(attempts, 30u);
    auto during = up->status();
    ASSERT_TRUE(during);
    EXPECT_EQ(600u, during->backlog);
    EXPECT_EQ(120, during->ackedThrough);

    // The collector returns; the acknowledgement of the first batch it stores is lost on the way
    // back, and the kiosk restarts again half-way through the drain.
    collector_.start();
    transport.loseNextResponses(1);
    bool restarted = false;
    for (int second = 0; second < 600 && up->status()->backlog > 0; ++second) {
        appendOne();  // decisions keep coming
        clock_.advance(1s);
        auto r = up->drainOnce(clock_.monotonic() + 1min);
        if (!restarted && collector_.tally().storedSeq.size() > 400) {
            up = openUploader(transport, clock_);
            restarted = true;
        }
        (void)r;
    }
    EXPECT_TRUE(restarted);
    ASSERT_EQ(0u, up->status()->backlog);

    // Caught up, one record a batch: a lost acknowledgement now, with new records arriving before
    // the retry. The retry must resend exactly the stored batch, not a bigger one.
    transport.loseNextResponses(1);
    appendOne();
    ASSERT_EQ(DrainResult::Failed, up->drainOnce(clock_.monotonic() + 1min).result);
    appendOne();
    appendOne();
    clock_.advance(5s);
    ASSERT_EQ(DrainResult::Uploaded, up->drainOnce(clock_.monotonic() + 1min).result);

    auto after = up->status();
    ASSERT_TRUE(after);
    EXPECT_EQ(0u, after->backlog);
    EXPECT_EQ(static_cast<std::int64_t>(appended_), after->ackedThrough);

    const auto tally = collector_.tally();
    // No loss: every record the journal holds is at the collector, exactly once.
    ASSERT_EQ(appended_, tally.storedSeq.size());
    EXPECT_EQ(1, tally.storedSeq.begin()->first);
    EXPECT_EQ(static_cast<std::int64_t>(appended_), tally.storedSeq.rbegin()->first);
    for (const auto& [seq, times] : tally.storedSeq) EXPECT_EQ(1, times) << "seq " << seq;
    // No duplicate: the resend after the lost acknowledgement came under the same key and body.
    EXPECT_GE(tally.repeatedKeys, 2u);
    EXPECT_EQ(0u, tally.bodyMismatches);
    EXPECT_EQ(0u, tally.seqUnderTwoKeys);
    EXPECT_EQ(0u, tally.malformed);

    // And the records are the journal's records.
    auto stats = journal_->stats(std::nullopt);
    ASSERT_TRUE(stats);
    std::map<std::string, std::uint64_t> reasons;
    for (const auto& j : collector_.records()) {
        ++reasons[j["reason"].get<std::string>()];
        EXPECT_EQ("BJ-WEST-07", j["kiosk_id"]);
        EXPECT_EQ(journal_->journalId(), j["journal_id"]);
    }
    EXPECT_EQ(stats->reasons, reasons);
}

TEST_F(UploadCollectorTest, TheBackgroundThreadDeliversNewRecords) {
    SystemClock clock;
    auto o = options();
    o.idlePoll = 50ms;  // the thread looks for new records this often
    auto up = Uploader::open(o, http_, clock);
    ASSERT_TRUE(up);
    (*up)->start();
    for (int i = 0; i < 30; ++i) appendOne();
    (*up)->wake();
    EXPECT_TRUE(collector_.waitForRecords(30, 10s));
    (*up)->stop();
    EXPECT_EQ(30u, collector_.tally().storedSeq.size());
    EXPECT_EQ(0u, (*up)->status()->backlog);
}

TEST_F(UploadCollectorTest, AStuckCollectorNeverHoldsUpAppend) {
    SystemClock clock;
    auto o = options();
    o.idlePoll = 50ms;
    auto up = Uploader::open(o, http_, clock);
    ASSERT_TRUE(up);
    collector_.holdRequests(true);
    appendOne();
    (*up)->start();
    ASSERT_TRUE(collector_.waitForHeldRequest(10s));  // the uploader is inside a request now
    // Decisions go on at full speed while the upload is stuck.
    for (int i = 0; i < 20; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        appendOne();
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
        EXPECT_LT(ms, 500ms) << "append " << i << " waited for the uploader";
    }
    collector_.holdRequests(false);
    EXPECT_TRUE(collector_.waitForRecords(21, 10s));
    (*up)->stop();
}

}  // namespace
}  // namespace sentinel::journal

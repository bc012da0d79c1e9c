// Upload to a real collector on loopback (issue 5 item 3): a 10-minute outage backlog drains with
// no loss and no duplicate, across uploader restarts and a lost acknowledgement; the upload never
// holds up a decision. The outage is driven by a ManualClock: no real waiting.

#include <gtest/gtest.h>

#include <set>

#include "firmware/journal/Journal.h"
#include "firmware/fleet/Uploader.h"
#include "tests/fleet/FakeTransport.h"
#include "tests/journal/JournalTestSupport.h"
#include "tests/fleet/TestCollector.h"
#include "tests/support/TestSupport.h"

#ifdef SENTINEL_JOURNAL_HTTPS_TESTS
#include "drivers/net/CurlTransport.h"
#include "tests/hcsim/TestPki.h"
#endif

namespace sentinel::fleet {
namespace {

using journal::Journal;
using journal::JournalOptions;

using namespace std::chrono_literals;
using sentinel::testing::ManualClock;
using sentinel::testing::TempDir;
using testing::HttplibTransport;
using testing::LosingTransport;
using journal::testing::makeRecord;
using testing::TestCollector;

// Real steady time plus a manual offset: deadlines stay real for a transport that enforces them,
// while the test jumps over back-off intervals.
class SkippingClock final : public Clock {
public:
    UtcTime now() const override {
        return UtcTime{std::chrono::seconds{1795000000}} + std::chrono::duration_cast<std::chrono::milliseconds>(offset_);
    }
    MonoTime monotonic() const override { return std::chrono::steady_clock::now() + offset_; }
    void advance(std::chrono::milliseconds d) { offset_ += d; }

private:
    std::chrono::steady_clock::duration offset_{};
};

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
    template <class SkipClock>
    void outageScenario(TestCollector& collector, hal::HttpTransport& inner, SkipClock& clock);

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

// The whole outage story against `collector`, through `inner` (the transport under test), with the
// uploader on `clock`; `advance` moves both the journal's and the uploader's clocks.
template <class SkipClock>
void UploadCollectorTest::outageScenario(TestCollector& collector, hal::HttpTransport& inner, SkipClock& clock) {
    LosingTransport transport(inner);
    auto advance = [&](std::chrono::milliseconds d) {
        clock_.advance(d);
        if (static_cast<const void*>(&clock) != static_cast<const void*>(&clock_)) clock.advance(d);
    };
    auto openUp = [&] {
        auto o = options();
        o.url = collector.url();
        auto u = Uploader::open(o, transport, clock);
        EXPECT_TRUE(u) << (u ? "" : u.error().message);
        return u ? std::move(u).value() : nullptr;
    };
    auto up = openUp();

    // Before: the collector is up and keeps pace.
    for (int i = 0; i < 120; ++i) {
        appendOne();
        advance(500ms);
    }
    ASSERT_EQ(DrainResult::Uploaded, up->drainOnce(clock.monotonic() + 1min).result);
    ASSERT_EQ(120u, collector.tally().storedSeq.size());

    // The outage: 5 minutes of 503, then 5 minutes with the collector gone (connection refused).
    // One decision per second; the uploader is polled every second, as its thread would be;
    // the kiosk restarts (new uploader) in the middle.
    collector.failWith(503);
    std::size_t attempts = 0;
    for (int second = 0; second < 600; ++second) {
        appendOne();
        advance(1s);
        if (second == 300) {
            collector.failWith(0);
            collector.stop();
        }
        if (second == 450) {
            auto key = up->status()->pendingKey;
            ASSERT_TRUE(key);
            up = openUp();
            EXPECT_EQ(key, up->status()->pendingKey);  // the batch and its key survived the restart
        }
        auto r = up->drainOnce(clock.monotonic() + 1min);
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
    collector.start();
    transport.loseNextResponses(1);
    bool restarted = false;
    for (int second = 0; second < 600 && up->status()->backlog > 0; ++second) {
        appendOne();  // decisions keep coming
        advance(1s);
        auto r = up->drainOnce(clock.monotonic() + 1min);
        if (!restarted && collector.tally().storedSeq.size() > 400) {
            up = openUp();
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
    ASSERT_EQ(DrainResult::Failed, up->drainOnce(clock.monotonic() + 1min).result);
    appendOne();
    appendOne();
    advance(5s);
    ASSERT_EQ(DrainResult::Uploaded, up->drainOnce(clock.monotonic() + 1min).result);

    auto after = up->status();
    ASSERT_TRUE(after);
    EXPECT_EQ(0u, after->backlog);
    EXPECT_EQ(static_cast<std::int64_t>(appended_), after->ackedThrough);

    const auto tally = collector.tally();
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
    for (const auto& j : collector.records()) {
        ++reasons[j["reason"].get<std::string>()];
        EXPECT_EQ("BJ-WEST-07", j["kiosk_id"]);
        EXPECT_EQ(journal_->journalId(), j["journal_id"]);
    }
    EXPECT_EQ(stats->reasons, reasons);
}

TEST_F(UploadCollectorTest, TenMinuteOutageBacklogDrainsWithNoLossAndNoDuplicate) {
    outageScenario(collector_, http_, clock_);
}

#ifdef SENTINEL_JOURNAL_HTTPS_TESTS
// The same over HTTPS through the kiosk's own libcurl transport (pinned), on a clock that runs in
// real steady time (libcurl enforces deadlines) but skips the back-off intervals.
TEST_F(UploadCollectorTest, TenMinuteOutageOverPinnedHttpsWithTheKioskTransport) {
    auto pki = hcsim::generateTestPki();
    ASSERT_TRUE(pki) << pki.error().message;
    ASSERT_TRUE(hcsim::writePki(*pki, dir_ / "pki"));
    TestCollector collector((dir_ / "pki" / "server.pem").string(), (dir_ / "pki" / "server.key").string());
    net::CurlConfig config;
    config.caPem = pki->caCertPem;
    config.pins = {pki->serverPin, pki->backupPin};
    net::CurlTransport curl(config);
    SkippingClock clock;
    outageScenario(collector, curl, clock);
}

TEST_F(UploadCollectorTest, AWrongPinIsAFailureNotAnAcknowledgement) {
    auto pki = hcsim::generateTestPki();
    ASSERT_TRUE(pki);
    ASSERT_TRUE(hcsim::writePki(*pki, dir_ / "pki"));
    TestCollector collector((dir_ / "pki" / "server.pem").string(), (dir_ / "pki" / "server.key").string());
    net::CurlConfig config;
    config.caPem = pki->caCertPem;
    config.pins = {pki->backupPin};  // the server presents the primary key
    net::CurlTransport curl(config);
    SkippingClock clock;
    auto o = options();
    o.url = collector.url();
    auto up = Uploader::open(o, curl, clock);
    ASSERT_TRUE(up);
    appendOne();
    auto r = (*up)->drainOnce(clock.monotonic() + 30s);
    EXPECT_EQ(DrainResult::Failed, r.result) << r.detail;
    EXPECT_EQ(1u, (*up)->status()->backlog);
    EXPECT_EQ(0u, collector.tally().requests);
}
#endif

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
}  // namespace sentinel::fleet

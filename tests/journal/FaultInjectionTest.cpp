// Write faults under the journal (issue 5 item 5, second half): a decision whose record cannot be
// stored fails closed with JOURNAL_FAULT, and the journal recovers when the fault clears.

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <csignal>

#include "firmware/journal/Journal.h"
#include "firmware/journal/WriteFaultInjector.h"
#include "tests/journal/JournalTestSupport.h"
#include "tests/support/TestSupport.h"

namespace sentinel::journal {
namespace {

using namespace std::chrono_literals;
using sentinel::testing::ManualClock;
using sentinel::testing::TempDir;
using testing::makeRecord;

class FaultInjectionTest : public ::testing::Test {
protected:
    void SetUp() override {
        faults_ = std::make_shared<WriteFaultInjector>();
        ASSERT_FALSE(faults_->vfsName().empty());
        JournalOptions o;
        o.path = dir_ / "journal.db";
        o.kioskId = "BJ-WEST-07";
        o.faults = faults_;
        auto j = Journal::open(o, clock_);
        ASSERT_TRUE(j) << j.error().message;
        journal_ = std::move(j).value();
    }
    void TearDown() override { journal_.reset(); }

    std::uint64_t records() {
        auto s = journal_->stats(std::nullopt);
        EXPECT_TRUE(s);
        return s ? s->records : 0;
    }

    TempDir dir_;
    ManualClock clock_;
    std::shared_ptr<WriteFaultInjector> faults_;
    std::unique_ptr<Journal> journal_;
};

TEST_F(FaultInjectionTest, DiskFullTurnsAPassIntoReferJournalFault) {
    ASSERT_TRUE(journal_->append(makeRecord(Reason::Ok, 5)));
    faults_->set(WriteFault::DiskFull);
    auto r = makeRecord(Reason::Ok, 5);
    auto seq = commitDecision(*journal_, r);
    EXPECT_FALSE(seq);
    EXPECT_EQ(Decision::Refer, r.decision);
    EXPECT_EQ(Reason::JournalFault, r.reason);
    EXPECT_GT(faults_->injectedFailures(), 0u);
    EXPECT_NE(std::string::npos, seq.error().message.find("full")) << seq.error().message;
}

TEST_F(FaultInjectionTest, IoErrorTurnsAPassIntoReferJournalFault) {
    faults_->set(WriteFault::IoError);
    auto r = makeRecord(Reason::Ok, 5);
    EXPECT_FALSE(commitDecision(*journal_, r));
    EXPECT_EQ(Decision::Refer, r.decision);
    EXPECT_EQ(Reason::JournalFault, r.reason);
}

TEST_F(FaultInjectionTest, AFailedAppendLeavesNoRecordAndNoGapAfterRecovery) {
    for (WriteFault fault : {WriteFault::DiskFull, WriteFault::IoError}) {
        ASSERT_TRUE(journal_->append(makeRecord(Reason::Ok, 5)));
        const auto before = records();
        faults_->set(fault);
        for (int i = 0; i < 5; ++i) EXPECT_FALSE(journal_->append(makeRecord(Reason::Ok, 5)));
        faults_->set(WriteFault::None);
        EXPECT_EQ(before, records());
        auto seq = journal_->append(makeRecord(Reason::Ok, 5));
        ASSERT_TRUE(seq) << seq.error().message;
        EXPECT_EQ(static_cast<std::int64_t>(before) + 1, *seq);
    }
}

TEST_F(FaultInjectionTest, RepeatedFaultsNeverCorruptTheJournal) {
    std::int64_t expected = 1;
    for (int cycle = 0; cycle < 20; ++cycle) {
        faults_->set(cycle % 2 ? WriteFault::IoError : WriteFault::DiskFull);
        EXPECT_FALSE(journal_->append(makeRecord(Reason::Ok, 5)));
        faults_->set(WriteFault::None);
        for (int i = 0; i < 30; ++i) {  // enough to cross WAL checkpoints (1000 pages) over the run
            auto seq = journal_->append(makeRecord(Reason::TestTooOld, 5, std::string(64, 'f')));
            ASSERT_TRUE(seq) << seq.error().message;
            ASSERT_EQ(expected++, *seq);
        }
    }
    journal_.reset();
    JournalOptions o;
    o.path = dir_ / "journal.db";
    auto reopened = Journal::open(o, clock_);
    ASSERT_TRUE(reopened);
    EXPECT_FALSE((*reopened)->recoveredFromDamage());  // integrity_check ok
    auto s = (*reopened)->stats(std::nullopt);
    ASSERT_TRUE(s);
    EXPECT_EQ(static_cast<std::uint64_t>(expected - 1), s->records);
}

TEST_F(FaultInjectionTest, DecodeFailureCountsSurviveAFailedAppend) {
    journal_->noteDecodeFailure();
    faults_->set(WriteFault::DiskFull);
    EXPECT_FALSE(journal_->append(makeRecord(Reason::Ok, 5)));
    faults_->set(WriteFault::None);
    ASSERT_TRUE(journal_->append(makeRecord(Reason::Ok, 5)));
    auto s = journal_->stats(std::nullopt);
    ASSERT_TRUE(s);
    EXPECT_EQ(1u, s->decodeFailures);
}

// A real limit from the kernel rather than the shim: RLIMIT_FSIZE makes write(2) past the limit fail
// (EFBIG) exactly as a filled file system stops a file from growing. No root needed.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &saved_);
        previousHandler_ = std::signal(SIGXFSZ, SIG_IGN);  // else the kernel kills the process
        rlimit limit = saved_;
        limit.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    ~FileSizeLimit() { lift(); }
    void lift() {
        if (lifted_) return;
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, previousHandler_);
        lifted_ = true;
    }

private:
    rlimit saved_{};
    void (*previousHandler_)(int) = SIG_DFL;
    bool lifted_ = false;
};

TEST(JournalFileSizeLimit, AFullFileSystemFailsClosedAndRecovers) {
    TempDir dir;
    ManualClock clock;
    JournalOptions o;
    o.path = dir / "journal.db";
    o.kioskId = "BJ-WEST-07";
    auto j = Journal::open(o, clock);
    ASSERT_TRUE(j);
    Journal& journal = **j;
    std::int64_t lastSeq = 0;
    for (int i = 0; i < 10; ++i) lastSeq = *journal.append(makeRecord(Reason::Ok, 5));

    int failedAt = -1;
    {
        FileSizeLimit limit(256 * 1024);  // the WAL reaches this after ~60 commits of one page each
        for (int i = 0; i < 1000 && failedAt < 0; ++i) {
            auto r = makeRecord(Reason::Ok, 5);
            auto seq = commitDecision(journal, r);
            if (seq) {
                lastSeq = *seq;
                continue;
            }
            failedAt = i;
            EXPECT_EQ(Reason::JournalFault, r.reason);
            EXPECT_EQ(Decision::Refer, r.decision);
        }
        ASSERT_GE(failedAt, 0) << "the file size limit never stopped a write";
        // Still full: still failing closed.
        auto again = makeRecord(Reason::Ok, 5);
        EXPECT_FALSE(commitDecision(journal, again));
        limit.lift();
    }
    auto seq = journal.append(makeRecord(Reason::Ok, 5));
    ASSERT_TRUE(seq) << seq.error().message;
    EXPECT_EQ(lastSeq + 1, *seq);
    j->reset();
    auto reopened = Journal::open(o, clock);
    ASSERT_TRUE(reopened);
    EXPECT_FALSE((*reopened)->recoveredFromDamage());
    auto s = (*reopened)->stats(std::nullopt);
    ASSERT_TRUE(s);
    EXPECT_EQ(static_cast<std::uint64_t>(*seq), s->records);
}

}  // namespace
}  // namespace sentinel::journal

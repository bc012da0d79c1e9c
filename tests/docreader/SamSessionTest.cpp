// The session state machine against the simulated module on a manual clock: every scripted fault
// ends in a clear event within bounded time, and the next card is read again.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "drivers/docreader/SamSession.h"
#include "drivers/docreader/SamStatus.h"
#include "tests/docreader/SimLink.h"

namespace sentinel::docreader {
namespace {

using namespace std::chrono_literals;
using hal::DocumentEventKind;
using hal::DocumentFault;
using Fields = std::vector<std::pair<std::string, std::string>>;

constexpr SamTimeouts kTimeouts{500ms, 1600ms};

class SamSessionTest : public ::testing::Test {
  protected:
    void present(SimCardKind kind = SimCardKind::CnId, const Fields& fields = {}) {
        auto c = makeSimCard(kind, fields);
        ASSERT_TRUE(c) << c.error().message;
        device.present(std::move(c).value());
    }
    // Steps until an event comes, at most `rounds` times (a hang would be a test failure, not a
    // wait).
    std::optional<hal::DocumentEvent> nextEvent(int rounds = 20) {
        for (int i = 0; i < rounds; ++i) {
            auto s = session.step();
            if (s.event) return std::move(s.event);
        }
        return std::nullopt;
    }

    SamDevice device;
    testing::ManualClock clock;
    SimLink link{device, clock};
    SamSession session{link, clock, kTimeouts};
};

TEST_F(SamSessionTest, NoCardMeansNoEvent) {
    auto s = session.step();
    EXPECT_FALSE(s.event);
    EXPECT_FALSE(s.linkLost);
    EXPECT_EQ(session.phase(), SamSession::Phase::Searching);
}

TEST_F(SamSessionTest, CardIsPresentedOnceWhileItStaysInTheField) {
    present(SimCardKind::CnId,
            {{"name", "甲乙丙丁"}, {"number", "110105199003077032"}, {"birth", "19900307"}});
    auto s = session.step();
    ASSERT_TRUE(s.event);
    ASSERT_EQ(s.event->kind, DocumentEventKind::Presented);
    EXPECT_EQ(s.event->document.type, DocumentType::CnId);
    EXPECT_EQ(s.event->document.number.view(), "110105199003077032");
    EXPECT_EQ(s.event->document.birthDate.view(), "1990-03-07");
    EXPECT_EQ(s.event->document.nationality.view(), "CHN");
    EXPECT_EQ(s.event->document.name.view(), "甲乙丙丁");
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(session.step().event);
    EXPECT_EQ(device.reads(), 1u);
}

TEST_F(SamSessionTest, CardLeavingTheFieldIsReportedAndTheNextCardIsRead) {
    present();
    ASSERT_EQ(nextEvent()->kind, DocumentEventKind::Presented);
    device.remove();
    auto removed = nextEvent();
    ASSERT_TRUE(removed);
    EXPECT_EQ(removed->kind, DocumentEventKind::Removed);
    EXPECT_EQ(session.phase(), SamSession::Phase::Searching);
    present(SimCardKind::PermitJ);
    auto again = nextEvent();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->kind, DocumentEventKind::Presented);
    EXPECT_EQ(again->document.type, DocumentType::CnPermitJ);
}

TEST_F(SamSessionTest, EachCardTypeDecodesThroughTheProtocol) {
    const std::pair<SimCardKind, DocumentType> kinds[] = {
        {SimCardKind::CnId, DocumentType::CnId},
        {SimCardKind::PermitJ, DocumentType::CnPermitJ},
        {SimCardKind::ForeignI, DocumentType::CnPrI}};
    for (auto [kind, type] : kinds) {
        present(kind);
        auto e = nextEvent();
        ASSERT_TRUE(e);
        ASSERT_EQ(e->kind, DocumentEventKind::Presented) << e->detail;
        EXPECT_EQ(e->document.type, type);
        device.remove();
        ASSERT_EQ(nextEvent()->kind, DocumentEventKind::Removed);
    }
}

TEST_F(SamSessionTest, GarbageBeforeThePreambleIsSkipped) {
    present();
    device.injectGarbage(
        std::vector<std::uint8_t>{0xAA, 0xAA, 0x96, 0x00, 0xAA, 0xAA, 0xAA, 0x96, 0x13}, kReadText);
    device.injectGarbage(std::vector<std::uint8_t>{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF},
                         kFindCard);  // bad LEN
    auto e = nextEvent();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, DocumentEventKind::Presented) << e->detail;
}

TEST_F(SamSessionTest, RepliesOneByteAtATimeAreRead) {
    device.setDrip(1ms);
    present();
    auto e = nextEvent();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, DocumentEventKind::Presented) << e->detail;
}

TEST_F(SamSessionTest, SlowDripBeyondTheReadTimeoutIsReadWhileBytesKeepComing) {
    device.setDrip(3ms);  // 1295 bytes take 3.9 s, more than the 1.6 s read timeout
    present();
    auto e = nextEvent();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, DocumentEventKind::Presented) << e->detail;
}

TEST_F(SamSessionTest, DripSlowerThanTheSlowestReplyIsAFault) {
    device.setDrip(9ms);  // 1295 bytes would take 11.7 s
    present();
    const auto start = clock.monotonic();
    auto fault = nextEvent();
    ASSERT_TRUE(fault);
    ASSERT_EQ(fault->kind, DocumentEventKind::Fault);
    EXPECT_EQ(fault->detail, "the answer to read card took over 10000 ms (card pulled mid-read?)");
    EXPECT_LE(clock.monotonic() - start, kTimeouts.command * 2 + kSlowestReply);
}

TEST_F(SamSessionTest, StallAfterTheReadTimeoutMidFrameIsAFaultAfterTheGap) {
    device.setDrip(2ms);
    device.injectStall(5000ms, kReadText, 1000);  // 1000 bytes take 2 s, then 5 s of silence
    present();
    auto fault = nextEvent();
    ASSERT_TRUE(fault);
    ASSERT_EQ(fault->kind, DocumentEventKind::Fault);
    EXPECT_EQ(fault->fault, DocumentFault::Unreadable);
    EXPECT_EQ(
        fault->detail,
        "the answer to read card stopped mid-frame (no byte for 500 ms) (card pulled mid-read?)");
}

TEST_F(SamSessionTest, StallWithinTheTimeoutIsNoFault) {
    present();
    device.injectStall(300ms, kReadText, 10);
    auto e = nextEvent();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, DocumentEventKind::Presented) << e->detail;
}

TEST_F(SamSessionTest, StalledFindIsATimeoutFaultAndTheReaderRecovers) {
    device.injectStall(5000ms, kFindCard);
    const auto start = clock.monotonic();
    auto fault = nextEvent(1);
    ASSERT_TRUE(fault);
    EXPECT_EQ(fault->kind, DocumentEventKind::Fault);
    EXPECT_EQ(fault->fault, DocumentFault::Reader);
    EXPECT_TRUE(fault->retryable);
    EXPECT_EQ(fault->detail, "no complete answer to find card within 500 ms");
    EXPECT_EQ(clock.monotonic() - start, 500ms);
    present();
    auto e = nextEvent();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, DocumentEventKind::Presented) << e->detail;
}

TEST_F(SamSessionTest, ReadStalledMidFrameIsAnUnreadableFaultThenTheCardMustLeave) {
    present();
    device.injectStall(10000ms, kReadText, 100);
    auto fault = nextEvent();
    ASSERT_TRUE(fault);
    ASSERT_EQ(fault->kind, DocumentEventKind::Fault);
    EXPECT_EQ(fault->fault, DocumentFault::Unreadable);
    EXPECT_TRUE(fault->retryable);
    EXPECT_NE(fault->detail.find("stopped mid-frame"), std::string::npos) << fault->detail;
    EXPECT_EQ(session.phase(), SamSession::Phase::CardInField);
    device.remove();
    // The module is still busy sending the stalled reply (a serial line answers in order): finds
    // time out (one reader fault) until it is through, then the removal is seen.
    bool removed = false;
    for (int i = 0; i < 40 && !removed; ++i) {
        auto s = session.step();
        removed = s.event && s.event->kind == DocumentEventKind::Removed;
    }
    EXPECT_TRUE(removed);
}

TEST_F(SamSessionTest, BadChecksumOnReadIsAFaultAndTheNextPresentationIsRead) {
    present();
    device.injectBadChecksum(kReadText);
    auto fault = nextEvent();
    ASSERT_TRUE(fault);
    EXPECT_EQ(fault->kind, DocumentEventKind::Fault);
    EXPECT_EQ(fault->fault, DocumentFault::Unreadable);
    EXPECT_EQ(fault->detail, "the answer to read card failed its checksum");
    device.remove();
    EXPECT_EQ(nextEvent()->kind, DocumentEventKind::Removed);
    present();
    EXPECT_EQ(nextEvent()->kind, DocumentEventKind::Presented);
}

TEST_F(SamSessionTest, BadChecksumOnFindIsAReaderFaultReportedAgainAfterRecovery) {
    device.injectBadChecksum(kFindCard);
    auto first = session.step();
    ASSERT_TRUE(first.event);
    EXPECT_EQ(first.event->fault, DocumentFault::Reader);
    EXPECT_FALSE(session.step().event);  // a good answer: recovered, nothing to say
    device.injectBadChecksum(kFindCard);
    auto second = session.step();
    ASSERT_TRUE(second.event);
    EXPECT_EQ(second.event->detail, first.event->detail);
}

TEST_F(SamSessionTest, CardPulledMidReadIsAFaultThenRemovedWithoutHanging) {
    present();
    device.injectPullMidRead();
    const auto start = clock.monotonic();
    auto fault = nextEvent();
    ASSERT_TRUE(fault);
    ASSERT_EQ(fault->kind, DocumentEventKind::Fault);
    EXPECT_EQ(fault->fault, DocumentFault::Unreadable);
    EXPECT_TRUE(fault->retryable);
    EXPECT_NE(fault->detail.find("pulled mid-read"), std::string::npos) << fault->detail;
    EXPECT_LE(clock.monotonic() - start, kTimeouts.command * 2 + kTimeouts.read);
    auto removed = nextEvent();
    ASSERT_TRUE(removed);
    EXPECT_EQ(removed->kind, DocumentEventKind::Removed);
}

TEST_F(SamSessionTest, EveryCardStatusOnReadIsAnUnreadableFaultNamingIt) {
    for (std::uint8_t v :
         {sw3::kReadFailed, sw3::kCardAuthFailed, sw3::kSamAuthFailed, sw3::kInfoCheckFailed,
          sw3::kUnknownCardType, sw3::kRandomFailed, sw3::kNoContent, std::uint8_t{0xA5}}) {
        present();
        device.injectStatus(v, kReadText);
        auto e = nextEvent();
        ASSERT_TRUE(e);
        ASSERT_EQ(e->kind, DocumentEventKind::Fault);
        EXPECT_EQ(e->fault, DocumentFault::Unreadable);
        EXPECT_EQ(e->detail, "read card: " + describeStatus(v));
        EXPECT_EQ(e->retryable, meaningOf(v).retryable);
        device.remove();
        ASSERT_EQ(nextEvent()->kind, DocumentEventKind::Removed);
    }
}

TEST_F(SamSessionTest, SelectFailureIsAnUnreadableFault) {
    present();
    device.injectStatus(sw3::kSelectFailed, kSelectCard);
    auto e = nextEvent();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->fault, DocumentFault::Unreadable);
    EXPECT_EQ(e->detail, "select card: selecting the card failed (SW3 0x81)");
    EXPECT_TRUE(e->retryable);
}

TEST_F(SamSessionTest, ReaderStatusesOnFindAreReaderFaultsReportedOnce) {
    for (std::uint8_t v : {sw3::kSelfTestFailed, sw3::kUnauthorised, sw3::kChecksumError,
                           sw3::kLengthError, sw3::kCommandError, sw3::kNotPermitted,
                           sw3::kUnrecognised, sw3::kCommFault, std::uint8_t{0xA5}}) {
        device.injectStatus(v, kFindCard);
        device.injectStatus(v, kFindCard);
        auto first = session.step();
        ASSERT_TRUE(first.event) << int(v);
        EXPECT_EQ(first.event->fault, DocumentFault::Reader);
        EXPECT_EQ(first.event->detail, "find card: " + describeStatus(v));
        EXPECT_FALSE(session.step().event) << "reported twice: " << int(v);
        EXPECT_FALSE(session.step().event);  // a good answer again
    }
}

TEST_F(SamSessionTest, UnknownStatusOnFindIsNamed) {
    device.injectStatus(0xA5, kFindCard);
    auto e = session.step();
    ASSERT_TRUE(e.event);
    EXPECT_EQ(e.event->detail, "find card: unknown status 0xA5");
}

TEST_F(SamSessionTest, SilentReaderIsOneTimeoutFaultNotAHang) {
    int faults = 0;
    for (int i = 0; i < 5; ++i) {
        device.injectSilence(kFindCard);
        if (auto s = session.step(); s.event) ++faults;
    }
    EXPECT_EQ(faults, 1);
    EXPECT_EQ(clock.monotonic() - testing::ManualClock().monotonic(), 5 * kTimeouts.command);
}

TEST_F(SamSessionTest, LateReadAnswerIsNotTakenForTheAnswerToFind) {
    present();
    // A whole read reply (from an earlier, timed-out read) arrives just before the find reply.
    device.injectGarbage(encodeReply(0, 0, sw3::kSuccess, std::vector<std::uint8_t>(1284, 0x20)),
                         kFindCard);
    auto e = nextEvent();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, DocumentEventKind::Presented) << e->detail;
}

TEST_F(SamSessionTest, LostLineAsksForAReopen) {
    link.loseLine();
    auto s = session.step();
    EXPECT_TRUE(s.linkLost);
    ASSERT_TRUE(s.event);
    EXPECT_EQ(s.event->fault, DocumentFault::Reader);
}

TEST_F(SamSessionTest, HealthShowsTheSamId) {
    auto h = session.health();
    EXPECT_TRUE(h.deviceOpen);
    EXPECT_TRUE(h.samAnswered);
    EXPECT_EQ(h.samStatus, sw3::kSuccess);
    EXPECT_EQ(h.samId, "05.01-20200101-0000000001-0123456789");
    EXPECT_TRUE(h.detail.empty()) << h.detail;
}

TEST_F(SamSessionTest, HealthOfAnUnauthorisedSamSaysSo) {
    device.setSamStatus(sw3::kUnauthorised);
    auto h = session.health();
    EXPECT_TRUE(h.samAnswered);
    EXPECT_EQ(h.samStatus, sw3::kUnauthorised);
    EXPECT_TRUE(h.samId.empty());
    EXPECT_NE(h.detail.find("not authorised"), std::string::npos);
}

TEST_F(SamSessionTest, HealthOfASilentSamSaysItDoesNotAnswer) {
    device.injectSilence(kSamStatus);
    auto h = session.health();
    EXPECT_FALSE(h.samAnswered);
    EXPECT_EQ(h.detail, "no complete answer to SAM status within 500 ms");
}

bool allZero(std::span<const std::uint8_t> s) {
    return std::all_of(s.begin(), s.end(), [](std::uint8_t b) { return b == 0; });
}

TEST_F(SamSessionTest, DecoderHoldsNothingAfterACardWasRead) {
    present(SimCardKind::CnId, {{"name", "CANARY"}, {"photo", "50484F544F43414E415259"}});
    ASSERT_EQ(nextEvent()->kind, DocumentEventKind::Presented);
    EXPECT_TRUE(allZero(session.decoder().storage()));
}

TEST_F(SamSessionTest, DecoderHoldsNothingAfterACardWasPulledMidRead) {
    present(SimCardKind::CnId, {{"name", "CANARY"}});
    device.injectPullMidRead(600);
    ASSERT_EQ(nextEvent()->kind, DocumentEventKind::Fault);
    EXPECT_TRUE(allZero(session.decoder().storage()));
}

TEST(SamSessionStop, StopRequestEndsAWaitWithoutAnEvent) {
    SamDevice device;
    testing::ManualClock clock;
    SimLink link{device, clock};
    std::stop_source stop;
    SamSession session{link, clock, kTimeouts, stop.get_token()};
    device.injectSilence(kFindCard);
    stop.request_stop();
    const auto start = clock.monotonic();
    auto s = session.step();
    EXPECT_FALSE(s.event);
    EXPECT_LE(clock.monotonic() - start, SamSession::kStopCheck);
}

TEST(SamTimeouts, ReadTimeoutGrowsOnSlowerLines) {
    EXPECT_EQ(timeoutsForBaud(115200).read, 1613ms);
    EXPECT_EQ(timeoutsForBaud(9600).read, 2849ms);
    EXPECT_EQ(timeoutsForBaud(9600).command, 500ms);
}

}  // namespace
}  // namespace sentinel::docreader

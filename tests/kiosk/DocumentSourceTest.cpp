// The ID-card reader as a presentation source (issue 26, DESIGN §15): reader events → presentations,
// with a dedupe key that is the same for the same card and says nothing of it; unreadable cards
// decide (REFER DOCUMENT_UNREADABLE); reader faults are an alarm, not a decision.

#include "firmware/kiosk/DocumentSource.h"

#include <gtest/gtest.h>

#include <deque>

namespace sentinel::kiosk {
namespace {

class ScriptedReader final : public hal::DocumentReader {
public:
    std::optional<hal::DocumentEvent> poll(std::chrono::milliseconds) override {
        ++polls;
        if (events.empty()) return std::nullopt;
        hal::DocumentEvent e = std::move(events.front());
        events.pop_front();
        return e;
    }
    hal::DocumentReaderHealth health(std::chrono::milliseconds) override { return {}; }
    std::string describe() const override { return "scripted"; }

    void card(DocumentType type, std::string_view number) {
        hal::DocumentEvent e;
        e.kind = hal::DocumentEventKind::Presented;
        e.document.type = type;
        e.document.number.assign(number);
        e.document.name.assign("张三");
        e.at = MonoTime{std::chrono::seconds{7}};
        events.push_back(std::move(e));
    }
    void removed() {
        hal::DocumentEvent e;
        e.kind = hal::DocumentEventKind::Removed;
        events.push_back(std::move(e));
    }
    void fault(hal::DocumentFault f, std::string detail) {
        hal::DocumentEvent e;
        e.kind = hal::DocumentEventKind::Fault;
        e.fault = f;
        e.detail = std::move(detail);
        events.push_back(std::move(e));
    }

    std::deque<hal::DocumentEvent> events;
    int polls = 0;
};

struct Alarm {
    std::string what, detail;
    bool cleared;
};

class DocumentSourceTest : public ::testing::Test {
protected:
    ScriptedReader reader;
    std::vector<Alarm> alarms;
    DocumentSource source{reader, [this](std::string w, std::string d, bool c) { alarms.push_back({w, d, c}); }};
    std::vector<Presentation> out;
};

constexpr std::string_view kNumber = "11010519491231002X";

TEST_F(DocumentSourceTest, ACardReadBecomesADocumentPresentationSeenWhenTheReaderSawIt) {
    reader.card(DocumentType::CnId, kNumber);
    source.poll(out);
    ASSERT_EQ(1u, out.size());
    EXPECT_EQ(Presentation::Kind::Document, out[0].kind);
    ASSERT_NE(nullptr, out[0].document);
    EXPECT_EQ(kNumber, out[0].document->number.view());
    EXPECT_EQ("reader", out[0].source);
    EXPECT_EQ(MonoTime{std::chrono::seconds{7}}, out[0].seenAt);
}

TEST_F(DocumentSourceTest, TheSameCardSwipedTwiceHasTheSameKeyAndTheKeyHoldsNoPartOfTheNumber) {
    reader.card(DocumentType::CnId, kNumber);
    reader.removed();
    reader.card(DocumentType::CnId, kNumber);
    reader.card(DocumentType::CnId, "110105199003071233");
    source.poll(out);
    ASSERT_EQ(3u, out.size());
    EXPECT_EQ(out[0].key, out[1].key);
    EXPECT_NE(out[0].key, out[2].key);
    for (const auto& p : out) {
        EXPECT_EQ(std::string::npos, p.key.find("110105")) << p.key;
        EXPECT_EQ(std::string::npos, p.key.find("1949")) << p.key;
    }
}

TEST_F(DocumentSourceTest, TheSameNumberOnAnotherDocumentTypeIsAnotherKey) {
    reader.card(DocumentType::CnId, kNumber);
    reader.card(DocumentType::CnPermitJ, kNumber);
    source.poll(out);
    ASSERT_EQ(2u, out.size());
    EXPECT_NE(out[0].key, out[1].key);
}

TEST_F(DocumentSourceTest, KeysDifferBetweenTwoSourcesSoAKeyIsNoStableIdentifier) {
    DocumentSource other{reader, {}};
    reader.card(DocumentType::CnId, kNumber);
    source.poll(out);
    reader.card(DocumentType::CnId, kNumber);
    other.poll(out);
    ASSERT_EQ(2u, out.size());
    EXPECT_NE(out[0].key, out[1].key);
}

TEST_F(DocumentSourceTest, AnUnreadableCardDecidesOnceEachTimeWithoutADocument) {
    reader.fault(hal::DocumentFault::Unreadable, "card left the field mid-read");
    reader.fault(hal::DocumentFault::Unreadable, "card left the field mid-read");
    source.poll(out);
    ASSERT_EQ(2u, out.size());
    EXPECT_EQ(Presentation::Kind::Document, out[0].kind);
    EXPECT_EQ(nullptr, out[0].document);
    EXPECT_NE(out[0].key, out[1].key);
    EXPECT_TRUE(alarms.empty());
}

TEST_F(DocumentSourceTest, AReaderFaultRaisesOneAlarmAndAGoodEventClearsIt) {
    reader.fault(hal::DocumentFault::Reader, "no answer from the SAM");
    reader.fault(hal::DocumentFault::Reader, "no answer from the SAM");
    source.poll(out);
    EXPECT_TRUE(out.empty());
    ASSERT_EQ(1u, alarms.size());
    EXPECT_EQ(DocumentSource::kAlarm, alarms[0].what);
    EXPECT_FALSE(alarms[0].cleared);
    reader.card(DocumentType::CnId, kNumber);
    source.poll(out);
    ASSERT_EQ(2u, alarms.size());
    EXPECT_TRUE(alarms[1].cleared);
    EXPECT_EQ(1u, out.size());
}

TEST_F(DocumentSourceTest, ACardRemovedIsNoPresentation) {
    reader.removed();
    source.poll(out);
    EXPECT_TRUE(out.empty());
}

TEST_F(DocumentSourceTest, OnePollTakesABoundedNumberOfEvents) {
    for (int i = 0; i < DocumentSource::kMaxEventsPerPoll + 3; ++i) reader.card(DocumentType::CnId, kNumber);
    source.poll(out);
    EXPECT_EQ(static_cast<std::size_t>(DocumentSource::kMaxEventsPerPoll), out.size());
    EXPECT_EQ(3u, reader.events.size());
}

}  // namespace
}  // namespace sentinel::kiosk

// The reader and the simulated reader over a real pseudo-terminal: termios, the reader's own
// thread, reopening, health for diag, and the sentinel-samsim tool serving a script.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "drivers/docreader/SamReader.h"
#include "drivers/docreader/SamSimulator.h"
#include "drivers/docreader/SamStatus.h"
#include "drivers/docreader/TtyLink.h"
#include "tests/support/TestSupport.h"

namespace sentinel::docreader {
namespace {

using namespace std::chrono_literals;
using hal::DocumentEventKind;
using hal::DocumentFault;

// Bounds on waiting for the reader's thread; a healthy run takes a fraction of them.
constexpr auto kEventWait = 10s;

std::unique_ptr<SamSimulator> startSimulator() {
    auto sim = SamSimulator::start();
    EXPECT_TRUE(sim) << (sim ? "" : sim.error().message);
    return sim ? std::move(sim).value() : nullptr;
}

// A reader with short find intervals and a generous read timeout (the machine may be loaded).
std::unique_ptr<SamReader> readerOn(const std::string& path) {
    SamReaderOptions options;
    options.spec = {path, kDefaultBaud};
    options.timeouts = {1000ms, 5000ms};
    options.findInterval = 20ms;
    options.reopenInterval = 50ms;
    return std::make_unique<SamReader>(options, [path] { return openTty(path, kDefaultBaud); });
}

void present(SamSimulator& sim, SimCardKind kind,
             const std::vector<std::pair<std::string, std::string>>& fields = {}) {
    auto card = makeSimCard(kind, fields);
    ASSERT_TRUE(card) << card.error().message;
    sim.withDevice([&](SamDevice& d) { d.present(std::move(card).value()); });
}

// The next event that is not a reader fault of the kind a starting line may show.
std::optional<hal::DocumentEvent> nextCardEvent(SamReader& reader) {
    const auto until = std::chrono::steady_clock::now() + kEventWait;
    while (std::chrono::steady_clock::now() < until) {
        auto e = reader.poll(100ms);
        if (e && !(e->kind == DocumentEventKind::Fault && e->fault == DocumentFault::Reader))
            return e;
    }
    return std::nullopt;
}

TEST(SamReaderPty, CardIsPresentedThenRemoved) {
    auto sim = startSimulator();
    ASSERT_TRUE(sim);
    auto reader = readerOn(sim->path());
    present(*sim, SimCardKind::CnId,
            {{"name", "甲乙丙丁"}, {"number", "110105199003077032"}, {"birth", "19900307"}});
    auto e = nextCardEvent(*reader);
    ASSERT_TRUE(e);
    ASSERT_EQ(e->kind, DocumentEventKind::Presented) << e->detail;
    EXPECT_EQ(e->document.number.view(), "110105199003077032");
    EXPECT_EQ(e->document.birthDate.view(), "1990-03-07");
    EXPECT_EQ(e->document.name.view(), "甲乙丙丁");
    sim->withDevice([](SamDevice& d) { d.remove(); });
    auto removed = nextCardEvent(*reader);
    ASSERT_TRUE(removed);
    EXPECT_EQ(removed->kind, DocumentEventKind::Removed);
}

TEST(SamReaderPty, GarbageAndOneByteAtATimeStillRead) {
    auto sim = startSimulator();
    ASSERT_TRUE(sim);
    sim->withDevice([](SamDevice& d) {
        d.setDrip(1ms);
        d.injectGarbage({0xAA, 0xAA, 0xAA, 0x96, 0x00, 0x13}, kReadText);
    });
    auto reader = readerOn(sim->path());
    present(*sim, SimCardKind::ForeignI);
    auto e = nextCardEvent(*reader);
    ASSERT_TRUE(e);
    ASSERT_EQ(e->kind, DocumentEventKind::Presented) << e->detail;
    EXPECT_EQ(e->document.type, DocumentType::CnPrI);
    EXPECT_EQ(e->document.nationality.view(), "USA");
}

TEST(SamReaderPty, CardPulledMidReadIsAFaultThenRemoved) {
    auto sim = startSimulator();
    ASSERT_TRUE(sim);
    SamReaderOptions options;
    options.spec = {sim->path(), kDefaultBaud};
    options.timeouts = {1000ms, 300ms};  // the pulled read ends by its timeout
    options.findInterval = 20ms;
    const auto path = sim->path();
    SamReader reader(options, [path] { return openTty(path, kDefaultBaud); });
    sim->withDevice([](SamDevice& d) { d.injectPullMidRead(); });
    present(*sim, SimCardKind::PermitJ);
    auto fault = nextCardEvent(reader);
    ASSERT_TRUE(fault);
    ASSERT_EQ(fault->kind, DocumentEventKind::Fault);
    EXPECT_EQ(fault->fault, DocumentFault::Unreadable);
    auto removed = nextCardEvent(reader);
    ASSERT_TRUE(removed);
    EXPECT_EQ(removed->kind, DocumentEventKind::Removed);
}

TEST(SamReaderPty, StatusFaultFromTheModuleIsDelivered) {
    auto sim = startSimulator();
    ASSERT_TRUE(sim);
    sim->withDevice([](SamDevice& d) { d.injectStatus(sw3::kSamAuthFailed, kReadText); });
    auto reader = readerOn(sim->path());
    present(*sim, SimCardKind::CnId);
    auto fault = nextCardEvent(*reader);
    ASSERT_TRUE(fault);
    EXPECT_EQ(fault->detail, "read card: the reader failed to authenticate the card (SW3 0x32)");
}

TEST(SamReaderPty, HealthShowsTheSamId) {
    auto sim = startSimulator();
    ASSERT_TRUE(sim);
    auto reader = readerOn(sim->path());
    auto h = reader->health(5s);
    EXPECT_TRUE(h.deviceOpen) << h.detail;
    EXPECT_TRUE(h.samAnswered) << h.detail;
    EXPECT_EQ(h.samId, "05.01-20200101-0000000001-0123456789");
    EXPECT_EQ(reader->describe(), "sam:" + sim->path() + "@115200");
}

TEST(SamReaderPty, MissingLineIsOneReaderFaultAndHealthSaysWhy) {
    testing::TempDir dir;
    auto reader = readerOn((dir / "ttyNOTHERE").string());
    auto e = reader->poll(kEventWait);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->fault, DocumentFault::Reader);
    EXPECT_NE(e->detail.find("No such file"), std::string::npos) << e->detail;
    EXPECT_FALSE(reader->poll(300ms));  // not repeated while the cause stays the same
    auto h = reader->health(5s);
    EXPECT_FALSE(h.deviceOpen);
    EXPECT_NE(h.detail.find("No such file"), std::string::npos) << h.detail;
}

TEST(SamReaderPty, SecondOpenOfTheSameLineIsRefusedAsInUse) {
    auto sim = startSimulator();
    ASSERT_TRUE(sim);
    auto first = openTty(sim->path(), kDefaultBaud);
    ASSERT_TRUE(first) << first.error().message;
    auto second = openTty(sim->path(), kDefaultBaud);
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().message.find("in use"), std::string::npos);
}

TEST(SamReaderPty, SimulatorGoingAwayIsALostLine) {
    auto sim = startSimulator();
    ASSERT_TRUE(sim);
    auto reader = readerOn(sim->path());
    ASSERT_TRUE(reader->health(5s).samAnswered);
    sim.reset();
    auto e = reader->poll(kEventWait);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, DocumentEventKind::Fault);
    EXPECT_EQ(e->fault, DocumentFault::Reader);
}

TEST(SamReaderPty, DestroyingTheReaderMidReadReturnsPromptly) {
    auto sim = startSimulator();
    ASSERT_TRUE(sim);
    sim->withDevice([](SamDevice& d) { d.injectStall(60s, kReadText); });
    auto reader = readerOn(sim->path());
    present(*sim, SimCardKind::CnId);
    // find, select, read: the read's answer is held back for a minute.
    ASSERT_TRUE(sim->waitUntil([](const SamDevice& d) { return d.requests() >= 3; }, kEventWait));
    const auto start = std::chrono::steady_clock::now();
    reader.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - start,
              2s);  // far below the read timeout and the stall
}

TEST(SamReaderPty, SpecParsesNoneSamPathAndBaud) {
    auto none = parseReaderSpec("none");
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    auto plain = parseReaderSpec("sam:/dev/ttyUSB0");
    ASSERT_TRUE(plain && *plain);
    EXPECT_EQ((*plain)->path, "/dev/ttyUSB0");
    EXPECT_EQ((*plain)->baud, 115200);
    auto slow = parseReaderSpec("sam:/dev/ttyS1@9600");
    ASSERT_TRUE(slow && *slow);
    EXPECT_EQ((*slow)->baud, 9600);
    EXPECT_FALSE(parseReaderSpec("sam:/dev/ttyUSB0@12345"));
    EXPECT_FALSE(parseReaderSpec("sam:"));
    EXPECT_FALSE(parseReaderSpec("pcsc:reader"));
}

TEST(SamsimTool, ServesAScriptOnThePtyItPrints) {
    testing::TempDir dir;
    const auto script = dir / "demo.samsim";
    std::ofstream(script) << "present cn-id number=110105199003077032 birth=19900307\n"
                             "wait-read 10000\nremove\nwait-find 10000\n";
    const std::string cmd = std::string(SENTINEL_BINARY_DIR) +
                            "/drivers/docreader/sentinel-samsim --script " + script.string() +
                            " 2>/dev/null";
    FILE* tool = ::popen(cmd.c_str(), "r");
    ASSERT_NE(tool, nullptr);
    char line[256] = {};
    ASSERT_NE(std::fgets(line, sizeof line, tool), nullptr);
    std::string first(line);
    ASSERT_EQ(first.rfind("pty /dev/", 0), 0u) << first;
    const std::string path = first.substr(4, first.find('\n') - 4);
    {
        auto reader = readerOn(path);
        auto e = nextCardEvent(*reader);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->kind, DocumentEventKind::Presented) << e->detail;
        EXPECT_EQ(e->document.number.view(), "110105199003077032");
        auto removed = nextCardEvent(*reader);
        ASSERT_TRUE(removed);
        EXPECT_EQ(removed->kind, DocumentEventKind::Removed);
    }
    EXPECT_EQ(::pclose(tool), 0);
}

}  // namespace
}  // namespace sentinel::docreader

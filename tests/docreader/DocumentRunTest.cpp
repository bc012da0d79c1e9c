// Issue 26 "done when", end to end: the real `sentinel run` with `documents.reader = "sam:PTY"` on
// the simulated reader, the reference service (sentinel-hcsim v1.1, HTTPS on loopback), a real
// Mosquitto broker for the fleet link, the png screen and the control socket. Resident ID, J-permit,
// bad-checksum and pulled cards decide as §15 says; the same card swiped twice within the re-arm
// window decides once; and a canary card's number, name and birth date appear nowhere the kiosk
// wrote: logs, journal files, screenshots (OCR), `sentinel status`, fleet messages, metrics.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>


#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "drivers/docreader/SamSimulator.h"
#include "firmware/credential/ResidentId.h"
#include "tests/support/JournalCount.h"
#include "tests/fleet/Broker.h"
#include "tests/hcsim/HcSim.h"
#include "tests/support/TestSupport.h"
#include "tests/support/UpdateKey.h"

namespace sentinel::docreader {
namespace {

using namespace std::chrono_literals;
using sentinel::testing::TempDir;
namespace fs = std::filesystem;

const std::string kSentinel = std::string(SENTINEL_BINARY_DIR) + "/firmware/app/sentinel";
constexpr const char* kTesseract = "/usr/bin/tesseract";
constexpr const char* kKiosk = "DOC-01";

// The canary traveller: made up, and spelled so that no other text of the kiosk contains it.
constexpr const char* kCanaryName = "金丝雀测";
constexpr const char* kCanaryBirth = "19770707";
constexpr const char* kPermitNumber = "810000199001011230";  // the simulator's J-permit default

// A resident ID number for region 110105, born kCanaryBirth, sequence 618, with its GB 11643 check
// character (found by asking the kiosk's own check which of the eleven is right).
std::string canaryNumber() {
    const std::string stem = std::string("110105") + kCanaryBirth + "618";
    for (char c : std::string("0123456789X")) {
        if (credential::checkResidentId(stem + c, "") == credential::ResidentIdCheck::Valid) return stem + c;
    }
    return stem + "?";
}

std::string readBytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// UTF-8 → UCS-2LE (the card's own encoding), for BMP text.
std::string ucs2le(std::string_view utf8) {
    std::string out;
    for (std::size_t i = 0; i < utf8.size();) {
        const auto b = static_cast<unsigned char>(utf8[i]);
        unsigned cp = b;
        int n = 1;
        if (b >= 0xE0) {
            cp = ((b & 0x0F) << 12) | ((utf8[i + 1] & 0x3F) << 6) | (utf8[i + 2] & 0x3F);
            n = 3;
        } else if (b >= 0xC0) {
            cp = ((b & 0x1F) << 6) | (utf8[i + 1] & 0x3F);
            n = 2;
        }
        out.push_back(static_cast<char>(cp & 0xFF));
        out.push_back(static_cast<char>(cp >> 8));
        i += n;
    }
    return out;
}

using sentinel::testing::journalRecordCount;

std::string runCapture(const std::vector<std::string>& argv, const fs::path& out) {
    pid_t pid = fleet::testing::spawn(argv, out);
    int st = 0;
    ::waitpid(pid, &st, 0);
    return readBytes(out);
}

class DocumentRunTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(kSentinel)) GTEST_SKIP() << kSentinel << " not built";
        if (!fs::exists(fleet::testing::kMosquitto)) GTEST_SKIP() << "no " << fleet::testing::kMosquitto;
        number = canaryNumber();
        ASSERT_EQ(std::string::npos, number.find('?'));

        hcsim::HcSimOptions ho;
        hcsim::SimCode green;
        green.code = "HK1:DOCRUNcanaryGreenNaat6h01";
        green.nameMasked = "金*";
        green.tests = {hcsim::SimTest{}};
        green.document = hcsim::SimDocument{"CN-ID", number};
        hcsim::SimCode red;
        red.code = "HK1:DOCRUNpermitRedNaat6h0001";
        red.status = "red";
        red.tests = {hcsim::SimTest{}};
        red.document = hcsim::SimDocument{"CN-PERMIT-J", kPermitNumber};
        ho.codes = {green, red};
        auto sim = hcsim::HcSim::start(ho);
        ASSERT_TRUE(sim) << sim.error().message;
        service = std::move(sim).value();
        std::ofstream(dir / "hc-ca.pem") << service->caPem();
        std::ofstream(dir / "token") << hcsim::kDefaultDeviceToken << "\n";

        auto reader = SamSimulator::start();
        ASSERT_TRUE(reader) << reader.error().message;
        samsim = std::move(reader).value();

        broker = std::make_unique<fleet::testing::Broker>(
            dir / "broker", std::vector<fleet::testing::BrokerUser>{{kKiosk, "doc-secret"}, {"operator", "op-secret"}});
        ASSERT_TRUE(broker->running()) << broker->log();
        std::ofstream(dir / "password") << "doc-secret\n";
        std::ofstream(dir / "update-key.pem") << sentinel::testing::UpdateKey().publicPem();  // verifies fleet commands
        subscriber = std::make_unique<fleet::testing::Subscriber>(broker->port(), "operator", "op-secret",
                                                                  std::vector<std::string>{"sentinel/#"});
        ASSERT_TRUE(subscriber->waitSubscribed());

        // An empty scene, looped: the camera runs beside the reader the whole time.
        fs::create_directories(dir / "frames");
        std::ofstream pgm(dir / "frames" / "empty.pgm", std::ios::binary);
        pgm << "P5\n320 240\n255\n" << std::string(320 * 240, static_cast<char>(128));
        pgm.close();
        fs::create_directories(dir / "screens");

        std::ofstream c(config);
        c << "[kiosk]\nid = \"" << kKiosk << "\"\nstate_dir = \"" << state.string() << "\"\n"
          << "[camera]\nsource = \"replay:" << (dir / "frames").string() << "\"\nfps = 15\nreplay_loop = true\n"
          << "[trust]\npath = \"\"\nupdate_key = \"" << (dir / "update-key.pem").string() << "\"\n"
          << "[online]\nbase_url = \"" << service->baseUrl() << "\"\nca_file = \"" << (dir / "hc-ca.pem").string()
          << "\"\ntoken_file = \"" << (dir / "token").string() << "\"\n"
          << "[documents]\nreader = \"sam:" << samsim->path() << "\"\n"
          << "[display]\nbackend = \"png:" << (dir / "screens").string() << "\"\nresult_ms = 500\n"
          << "[staff]\ncontrol_socket = \"" << (dir / "ctl.sock").string() << "\"\n"
          << "[fleet]\nbroker_url = \"mqtt://127.0.0.1:" << broker->port() << "\"\nusername = \"" << kKiosk
          << "\"\npassword_file = \"" << (dir / "password").string() << "\"\n"
          << "[metrics]\ntextfile = \"" << (dir / "sentinel.prom").string() << "\"\n"
          << "[log]\nlevels = \"*:Debug\"\n";
    }
    void TearDown() override {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }

    void start() {
        pid = fleet::testing::spawn({kSentinel, "run", "--json", "--config", config.string()}, log);
        // The reader polls for a card once the kiosk has opened the line.
        ASSERT_TRUE(samsim->waitUntil([](const SamDevice& d) { return d.finds() > 0; }, 20s)) << readBytes(log);
    }
    void stop() {
        ::kill(pid, SIGTERM);
        int st = 0;
        ::waitpid(pid, &st, 0);
        pid = -1;
        EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << readBytes(log);
    }
    // Presents a card until the reader has read it (or tried to), then takes it away.
    void swipe(SimCardKind kind, std::vector<std::pair<std::string, std::string>> fields, bool pullMidRead = false) {
        auto card = makeSimCard(kind, fields);
        ASSERT_TRUE(card) << card.error().message;
        std::uint64_t before = 0;
        samsim->withDevice([&](SamDevice& d) {
            before = d.reads();
            if (pullMidRead) d.injectPullMidRead();
            d.present(*card);
        });
        if (pullMidRead) {
            // The card leaves the field by itself mid-read; the reader then sees no card.
            ASSERT_TRUE(samsim->waitUntil([](const SamDevice& d) { return !d.cardInField(); }, 20s));
        } else {
            ASSERT_TRUE(samsim->waitUntil([&](const SamDevice& d) { return d.reads() > before; }, 20s)) << readBytes(log);
        }
        const std::uint64_t finds = [&] {
            std::uint64_t f = 0;
            samsim->withDevice([&](SamDevice& d) { f = d.finds(); });
            return f;
        }();
        samsim->withDevice([](SamDevice& d) { d.remove(); });
        // The reader has seen the card gone once it asked for a card again.
        ASSERT_TRUE(samsim->waitUntil([&](const SamDevice& d) { return d.finds() > finds + 1; }, 20s));
    }
    // Waits until the journal holds `n` records (polling a condition, not a fixed sleep).
    bool waitRecords(std::int64_t n) {
        const auto until = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < until) {
            if (journalRecordCount(db) >= n) return true;
            ::usleep(20'000);
        }
        return false;
    }
    std::vector<nlohmann::json> records() {
        std::vector<nlohmann::json> out;
        std::istringstream in(readBytes(log));
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] != '{') continue;
            auto j = nlohmann::json::parse(line, nullptr, false);
            if (j.is_object() && j.contains("reason")) out.push_back(j);
        }
        return out;
    }

    TempDir dir;
    const fs::path config = dir / "sentinel.toml";
    const fs::path log = dir / "run.log";
    const fs::path state = dir / "state";
    const fs::path db = state / "journal.db";
    std::string number;
    std::unique_ptr<hcsim::HcSim> service;
    std::unique_ptr<SamSimulator> samsim;
    std::unique_ptr<fleet::testing::Broker> broker;
    std::unique_ptr<fleet::testing::Subscriber> subscriber;
    pid_t pid = -1;
};

TEST_F(DocumentRunTest, CardsDecideAsSection15SaysAndTheCanaryIsNowhereTheKioskWrote) {
    start();
    const std::vector<std::pair<std::string, std::string>> canary = {
        {"name", kCanaryName}, {"number", number}, {"birth", kCanaryBirth}};
    swipe(SimCardKind::CnId, canary);
    ASSERT_TRUE(waitRecords(1)) << readBytes(log);
    swipe(SimCardKind::CnId, canary);  // the same card again within the re-arm window
    swipe(SimCardKind::PermitJ, {});
    ASSERT_TRUE(waitRecords(2)) << readBytes(log);
    swipe(SimCardKind::CnId, {{"number", "110105194912310021"}, {"birth", "19491231"}});  // bad check character
    ASSERT_TRUE(waitRecords(3)) << readBytes(log);
    swipe(SimCardKind::CnId, {}, true);  // pulled away mid-read
    ASSERT_TRUE(waitRecords(4)) << readBytes(log);

    const std::string status = runCapture({kSentinel, "status", "--json", "--config", config.string()}, dir / "status.out");
    EXPECT_NE(std::string::npos, status.find("\"decisions\"")) << status;
    stop();

    const auto r = records();
    ASSERT_EQ(4u, r.size()) << readBytes(log);
    EXPECT_EQ("PASS", r[0]["decision"]);
    EXPECT_EQ("OK", r[0]["reason"]);
    EXPECT_EQ("ID", r[0]["format"]);
    EXPECT_EQ("DENY", r[1]["decision"]);
    EXPECT_EQ("CODE_NOT_GREEN", r[1]["reason"]);
    EXPECT_EQ("ID", r[1]["format"]);
    EXPECT_EQ("REFER", r[2]["decision"]);
    EXPECT_EQ("DOCUMENT_UNREADABLE", r[2]["reason"]);
    EXPECT_EQ("REFER", r[3]["decision"]);
    EXPECT_EQ("DOCUMENT_UNREADABLE", r[3]["reason"]);
    EXPECT_EQ(4, journalRecordCount(db));
    // Two lookups: the canary once (its second swipe was within the re-arm window) and the permit;
    // the cards failing GB 11643 or the read never reached the service.
    EXPECT_EQ(2u, service->stats().requests);
    ASSERT_TRUE(service->lastRequest());
    EXPECT_EQ("CN-PERMIT-J", service->lastRequest()->documentType);

    // The canary, in every spelling the kiosk had it in.
    const std::vector<std::string> needles = {number, number.substr(6, 8) + number.substr(14), kCanaryName,
                                              ucs2le(kCanaryName), ucs2le(number), "1977-07-07", kCanaryBirth};
    auto expectClean = [&](const std::string& where, const std::string& bytes) {
        for (const auto& n : needles) EXPECT_EQ(std::string::npos, bytes.find(n)) << "canary found in " << where;
    };
    expectClean("the log and stdout", readBytes(log));
    expectClean("sentinel status", status);
    for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
        if (!e.is_regular_file()) continue;
        const fs::path p = e.path();
        if (p.parent_path() == dir.path() / "broker" || p == config) continue;  // the test's own files
        expectClean(p.string(), readBytes(p));
    }
    ASSERT_TRUE(subscriber->waitFor([](const auto& m) { return !m.empty(); }, 5s));
    for (const auto& m : subscriber->messages()) expectClean("fleet message on " + m.topic, m.topic + m.payload);

    // The screens are pixels: read the result cards back and look for the canary's name there.
    if (fs::exists(kTesseract)) {
        int read = 0;
        for (const auto& e : fs::directory_iterator(dir / "screens")) {
            const std::string name = e.path().filename().string();
            if (name.find("PASS") == std::string::npos && name.find("DENY") == std::string::npos) continue;
            const std::string text = runCapture({kTesseract, e.path().string(), "stdout", "-l", "chi_sim+eng", "--psm", "6"},
                                                dir / ("ocr-" + std::to_string(read++) + ".txt"));
            EXPECT_EQ(std::string::npos, text.find("丝雀")) << name << ":\n" << text;
            EXPECT_EQ(std::string::npos, text.find(number.substr(0, 10))) << name << ":\n" << text;
        }
        EXPECT_GT(read, 0) << "no result card was written";
    }
}

}  // namespace
}  // namespace sentinel::docreader

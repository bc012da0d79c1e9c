// Issue 13 done-when, against the real binary: while `sentinel run` decides a REFER on a replay
// camera, `sentinel staff override --config …` exits 0, the simulated relay pulses once, the
// journal and `stats --json` show one STAFF_OVERRIDE, a second override exits 1, and `sentinel
// status --json` answers from the running kiosk. Also: the staff button on the simulated chip
// opens the gate the same way, and after a restart nothing is overridable.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "firmware/render/QrRender.h"
#include "tests/support/TestSupport.h"

namespace sentinel {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kSentinel = std::string(SENTINEL_BINARY_DIR) + "/firmware/app/sentinel";
// Bounds for slowed (sanitizer, loaded CI) runs; reached only when something is wrong.
constexpr auto kStartBound = 120s;
constexpr auto kPoll = 50ms;

std::string readFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct ToolResult {
    int status = -1;
    std::string out, err;
};

pid_t spawn(const std::vector<std::string>& args, const std::filesystem::path& out, const std::filesystem::path& err) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(o, STDOUT_FILENO);
        ::dup2(e, STDERR_FILENO);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    return pid;
}

int waitExit(pid_t pid) {
    int st = 0;
    if (::waitpid(pid, &st, 0) != pid) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

struct StaffEndToEnd : ::testing::Test {
    testing::TempDir dir;
    pid_t kiosk = -1;
    int toolRuns = 0;

    ~StaffEndToEnd() override {
        if (kiosk > 0) {
            ::kill(kiosk, SIGKILL);
            waitExit(kiosk);
        }
    }

    ToolResult tool(std::vector<std::string> args) {
        args.insert(args.begin(), kSentinel);
        const auto out = dir / ("tool-" + std::to_string(toolRuns) + ".out");
        const auto err = dir / ("tool-" + std::to_string(toolRuns++) + ".err");
        ToolResult r;
        r.status = waitExit(spawn(args, out, err));
        r.out = readFile(out);
        r.err = readFile(err);
        return r;
    }

    // A replay folder: `payload` in the first frame (if any), then `empties` frames with no code,
    // at 20 fps: the kiosk runs for empties/20 s unless it is stopped first.
    std::filesystem::path frames(const std::string& name, const std::string& payload, int empties) {
        const auto d = dir / name;
        std::filesystem::create_directories(d);
        if (!payload.empty()) {
            render::SceneOptions o;
            o.widthPx = 640;
            o.heightPx = 480;
            auto img = render::composeScene(payload, o);
            EXPECT_TRUE(img.ok());
            EXPECT_TRUE(render::writePng(*img, d / "0000.png").ok());
        }
        EXPECT_TRUE(render::writePng(render::emptyScene(640, 480, 7), dir / (name + "-empty.png")).ok());
        for (int i = 1; i <= empties; ++i) {
            char n[32];
            std::snprintf(n, sizeof n, "%04d.png", i);
            std::filesystem::create_symlink(dir / (name + "-empty.png"), d / n);
        }
        return d;
    }

    std::string config(const std::filesystem::path& framesDir) {
        const auto path = dir / "kiosk.toml";
        std::ofstream f(path);
        f << "[kiosk]\nid = \"T-STAFF\"\nstate_dir = \"" << (dir / "state").string() << "\"\n"
          << "[camera]\nsource = \"replay:" << framesDir.string() << "\"\nfps = 20\nrearm_frames = 1\n"
          << "[indicator]\nbackends = [\"console\", \"gpio\"]\n"
          << "[indicator.gpio]\nchip = \"sim:" << (dir / "gpio.log").string() << "\"\nrelay_pulse_ms = 100\n"
          << "[trust]\npath = \"\"\n"  // no trust list on purpose: the codes here are online ones
          << "[journal]\npath = \"" << (dir / "state" / "journal.db").string() << "\"\n"
          << "[staff]\nbutton_line = 5\noverride_window_s = 120\ncontrol_socket = \"" << (dir / "control.sock").string()
          << "\"\n";
        return path.string();
    }

    void startKiosk(const std::string& cfg) {
        kiosk = spawn({kSentinel, "run", "--config", cfg}, dir / "run.out", dir / "run.err");
        ASSERT_GT(kiosk, 0);
    }
    int stopKiosk() {
        ::kill(kiosk, SIGTERM);
        const int st = waitExit(kiosk);
        kiosk = -1;
        return st;
    }

    // Polls `sentinel status --json` until `pred` holds for the report (bounded).
    nlohmann::json waitStatus(const std::string& cfg, const std::function<bool(const nlohmann::json&)>& pred) {
        const auto deadline = std::chrono::steady_clock::now() + kStartBound;
        while (std::chrono::steady_clock::now() < deadline) {
            auto r = tool({"status", "--json", "--config", cfg});
            if (r.status == 0) {
                auto j = nlohmann::json::parse(r.out, nullptr, false);
                if (!j.is_discarded() && pred(j)) return j;
            }
            std::this_thread::sleep_for(kPoll);  // polling a condition another process makes true
        }
        ADD_FAILURE() << "status never matched; kiosk stderr:\n" << readFile(dir / "run.err");
        return nullptr;
    }

    static bool waitFileContains(const std::filesystem::path& p, const std::string& text) {
        const auto deadline = std::chrono::steady_clock::now() + kStartBound;
        while (std::chrono::steady_clock::now() < deadline) {
            if (readFile(p).find(text) != std::string::npos) return true;
            std::this_thread::sleep_for(kPoll);  // polling a condition another process makes true
        }
        return false;
    }
    static bool hasRefer(const nlohmann::json& s) {
        for (const auto& d : s["decisions"]["recent"]) {
            if (d["decision"] == "REFER") return true;
        }
        return false;
    }
    int relayOpenings() {
        const std::string log = readFile(dir / "gpio.log");
        std::regex re(" relay 1\n");
        return static_cast<int>(std::distance(std::sregex_iterator(log.begin(), log.end(), re), std::sregex_iterator()));
    }
    // (reason, overrides) of every journal row, in seq order.
    std::vector<std::pair<std::string, std::int64_t>> journalRows() {
        std::vector<std::pair<std::string, std::int64_t>> rows;
        sqlite3* db = nullptr;
        const auto path = dir / "state" / "journal.db";
        if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return rows;
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(db, "SELECT reason, coalesce(overrides, 0) FROM decisions ORDER BY seq", -1, &st, nullptr);
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            rows.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), sqlite3_column_int64(st, 1));
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        return rows;
    }
};

// An online code with no health-code service configured: REFER BACKEND_NOT_CONFIGURED.
constexpr const char* kReferCode = "HK1:c3RhZmYtYXQtdGhlLWdhdGUtMTM";

TEST_F(StaffEndToEnd, OverrideOfAReferOpensOnceIsJournaledAndCountedAndASecondOneFails) {
    const std::string cfg = config(frames("frames", kReferCode, 2400));
    startKiosk(cfg);
    auto status = waitStatus(cfg, hasRefer);
    ASSERT_FALSE(status.is_null());
    EXPECT_EQ("T-STAFF", status["kiosk_id"]);
    EXPECT_EQ("none", status["fleet"]["state"]);
    EXPECT_EQ(true, status["override"]["candidate"]["overridable"]);
    EXPECT_EQ(0, relayOpenings());

    auto first = tool({"staff", "override", "--config", cfg});
    EXPECT_EQ(0, first.status) << first.err;
    EXPECT_THAT(first.out, HasSubstr("STAFF_OVERRIDE"));
    EXPECT_EQ(1, relayOpenings());  // the relay opened before the kiosk answered

    auto second = tool({"staff", "override", "--config", cfg});
    EXPECT_EQ(1, second.status);
    EXPECT_THAT(second.err, HasSubstr("already overridden"));
    EXPECT_EQ(1, relayOpenings());

    auto live = tool({"status", "--json", "--config", cfg});
    ASSERT_EQ(0, live.status) << live.err;
    auto s = nlohmann::json::parse(live.out);
    EXPECT_EQ(1, s["decisions"]["staff_overrides"]);
    EXPECT_EQ("STAFF_OVERRIDE", s["decisions"]["recent"][0]["reason"]);
    auto table = tool({"status", "--config", cfg});
    EXPECT_EQ(0, table.status);
    EXPECT_THAT(table.out, HasSubstr("Kiosk T-STAFF"));

    auto stats = tool({"stats", "--json", "--config", cfg});
    ASSERT_EQ(0, stats.status) << stats.err;
    auto st = nlohmann::json::parse(stats.out);
    EXPECT_EQ(1, st["reasons"]["STAFF_OVERRIDE"]);
    EXPECT_EQ(1, st["staff_overrides"]);
    EXPECT_EQ(1, st["reasons"]["BACKEND_NOT_CONFIGURED"]);

    auto rows = journalRows();
    ASSERT_EQ(2u, rows.size());
    EXPECT_EQ("BACKEND_NOT_CONFIGURED", rows[0].first);
    EXPECT_EQ("STAFF_OVERRIDE", rows[1].first);
    EXPECT_EQ(1, rows[1].second);  // overrides seq 1

    EXPECT_EQ(0, stopKiosk());
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(dir / "control.sock")));

    // After a restart nothing is overridable, though the journal still holds the REFER.
    const std::string cfg2 = config(frames("empty", "", 2400));
    startKiosk(cfg2);
    ASSERT_FALSE(waitStatus(cfg2, [](const nlohmann::json& j) { return j["camera"]["frames"] > 0; }).is_null());
    auto afterRestart = tool({"staff", "override", "--config", cfg2});
    EXPECT_EQ(1, afterRestart.status);
    EXPECT_THAT(afterRestart.err, HasSubstr("no REFER or DENY"));
    EXPECT_EQ(0, stopKiosk());
    EXPECT_EQ(1, relayOpenings());
}

TEST_F(StaffEndToEnd, TheStaffButtonOnTheSimulatedChipOpensTheGateOnce) {
    const std::string cfg = config(frames("frames", kReferCode, 2400));
    startKiosk(cfg);
    ASSERT_FALSE(waitStatus(cfg, hasRefer).is_null());
    ASSERT_TRUE(std::filesystem::is_fifo(dir / "gpio.log.button"));
    { std::ofstream(dir / "gpio.log.button") << "press\npress\n"; }  // pressed twice: opens once
    auto s = waitStatus(cfg, [](const nlohmann::json& j) { return j["decisions"]["staff_overrides"] == 1; });
    ASSERT_FALSE(s.is_null());
    EXPECT_EQ(1, relayOpenings());
    // The second press (kSimPressHold after the first was released) is refused.
    EXPECT_TRUE(waitFileContains(dir / "run.err", "already overridden")) << readFile(dir / "run.err");
    EXPECT_EQ(0, stopKiosk());
    auto rows = journalRows();
    ASSERT_EQ(2u, rows.size());
    EXPECT_EQ("STAFF_OVERRIDE", rows[1].first);
    EXPECT_EQ(1, relayOpenings());
}

TEST_F(StaffEndToEnd, StatusAndOverrideSayWhenNoKioskIsRunning) {
    const std::string cfg = config(frames("frames", "", 1));
    auto status = tool({"status", "--config", cfg});
    EXPECT_EQ(1, status.status);
    EXPECT_THAT(status.err, HasSubstr("is `sentinel run` running?"));
    auto ov = tool({"staff", "override", "--config", cfg});
    EXPECT_EQ(1, ov.status);
    EXPECT_THAT(ov.err, HasSubstr("nothing opened"));
    EXPECT_EQ(0, tool({"staff", "--help"}).status);
    EXPECT_EQ(0, tool({"status", "--help"}).status);
    EXPECT_EQ(2, tool({"staff", "open"}).status);
}

}  // namespace
}  // namespace sentinel

// kill -9 during appends (issue 28): a child appends random records with a Checkpointer running and
// is SIGKILLed at a random moment, again and again on the same journal. After every kill the log
// recomputed from the records equals the stored one (`verifyJournal` finds nothing), no stored
// checkpoint covers more than the durable records, and every seq the child reported committed is
// there. Bounded for CI: SENTINEL_TLOG_KILL9_SECONDS (default 40; the soak build runs 1800);
// SENTINEL_TLOG_KILL9_SEED picks the kill times.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <random>

#include "firmware/journal/JournalVerify.h"
#include "firmware/journal/SignedNote.h"
#include "tests/journal/JournalTestSupport.h"
#include "tests/support/TestSupport.h"

#ifndef SENTINEL_TLOG_KILL9_DEFAULT_SECONDS
#define SENTINEL_TLOG_KILL9_DEFAULT_SECONDS 40
#endif

namespace sentinel::journal {
namespace {

using namespace std::chrono_literals;
using sentinel::testing::TempDir;

const std::string kChild = std::string(SENTINEL_BINARY_DIR) + "/tests/journal/journal_tlog_child";

struct ChildRun {
    std::int64_t lastReported = 0;  // the highest seq the child printed (committed by then)
    bool killed = false;
    std::string error;
};

// Starts the child, SIGKILLs it `after` from its start, returns what it had printed.
ChildRun runAndKill(const std::filesystem::path& journal, const std::filesystem::path& stateDir, unsigned seed,
               std::chrono::milliseconds after) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return ChildRun{0, false, "pipe"};
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        const std::string seedText = std::to_string(seed);
        ::execl(kChild.c_str(), kChild.c_str(), journal.c_str(), stateDir.c_str(), seedText.c_str(), nullptr);
        ::_exit(127);
    }
    ::close(fds[1]);
    ChildRun run;
    std::string out;
    const auto start = std::chrono::steady_clock::now();
    char buf[4096];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(after - (std::chrono::steady_clock::now() - start));
        if (left <= 0ms) {
            ::kill(pid, SIGKILL);
            run.killed = true;
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
        const ssize_t got = ::read(fds[0], buf, sizeof buf);
        if (got <= 0) break;  // the child ended by itself: an error
        out.append(buf, static_cast<std::size_t>(got));
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    // What it printed before the kill (the pipe may still hold some).
    ssize_t got;
    while ((got = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(got));
    ::close(fds[0]);
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) run.error = "the child ended by itself, status " + std::to_string(status);
    const auto lastNl = out.rfind('\n');
    if (lastNl != std::string::npos) {
        const auto prevNl = out.rfind('\n', lastNl - 1);
        run.lastReported = std::atoll(out.substr(prevNl == std::string::npos ? 0 : prevNl + 1).c_str());
    }
    return run;
}

TEST(TlogKillNineTest, AfterEveryKillTheStoredLogIsTheRecordsLogAndNoCheckpointOutrunsThem) {
    const char* secondsEnv = std::getenv("SENTINEL_TLOG_KILL9_SECONDS");
    const auto budget = std::chrono::seconds{secondsEnv ? std::atoi(secondsEnv) : SENTINEL_TLOG_KILL9_DEFAULT_SECONDS};
    const char* seedEnv = std::getenv("SENTINEL_TLOG_KILL9_SEED");
    const unsigned seed = seedEnv ? static_cast<unsigned>(std::atoi(seedEnv)) : std::random_device{}();
    std::printf("kill -9 seed %u, budget %lld s\n", seed, static_cast<long long>(budget.count()));
    std::mt19937 rng(seed);
    TempDir dir;
    const auto journal = dir / "journal.db";
    const auto start = std::chrono::steady_clock::now();
    int kills = 0;
    std::int64_t reported = 0;
    while (std::chrono::steady_clock::now() - start < budget) {
        const auto after = std::chrono::milliseconds{30 + rng() % 400};
        const ChildRun run = runAndKill(journal, dir.path(), rng(), after);
        ASSERT_TRUE(run.error.empty()) << run.error;
        ++kills;
        reported = std::max(reported, run.lastReported);
        auto key = loadJournalKey(dir.path(), testing::kTestKiosk);
        if (!key) continue;  // killed before the key existed: nothing was appended yet
        auto report = verifyJournal(journal, &key->verifier());
        ASSERT_TRUE(report) << report.error().message;
        ASSERT_TRUE(report->intact()) << "after kill " << kills << " (" << after.count() << " ms):\n" << renderVerifyReport(*report);
        ASSERT_GE(static_cast<std::int64_t>(report->logSize), reported) << "a reported seq is not durable";
        ASSERT_LE(report->latestCheckpoint.value_or(0), report->logSize);
    }
    std::printf("%d kills, %lld records, last check: intact\n", kills, static_cast<long long>(reported));
    EXPECT_GT(kills, 0);
}

}  // namespace
}  // namespace sentinel::journal

// `sentinel bench journal`: the Merkle log's cost (issue 28, docs/PERFORMANCE.md "Journal log").
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include <nlohmann/json.hpp>

#include "firmware/app/CliUtil.h"
#include "firmware/app/bench/BenchUtil.h"
#include "firmware/journal/Checkpointer.h"
#include "firmware/journal/Journal.h"
#include "firmware/journal/SignedNote.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel bench journal [--json] [--appends N] [--verify-records N] [--dir DIR]

The journal's Merkle log (DESIGN §16), measured on real files in DIR (default: a new folder under
the system temp dir, removed afterwards):

  log work    the log's own work per append (the line, its leaf hash, the compact-range update),
              timed inside append() apart from the commit (caches as the fsync before left them),
              and the same work in a warm loop of 100 000 (the CPU cost alone); target p99 ≤ 20 µs
  append      end-to-end append (commit and fsync included) with and without the log, A/B
              alternated in blocks of 25 in one session, N appends each (default 2000)
  signing     checkpoint signing (Ed25519) and verification per note
  verify      `sentinel journal verify --json` of a journal of N records (default 1000000; 0 skips)
              with a checkpoint every 100, run as a child process: wall time and peak memory (RSS)

Options:
  --appends N         appends per side of the A/B (default 2000)
  --verify-records N  records of the verify run (default 1000000)
  --dir DIR           where the journals go
  --json              one JSON object
  --help              this text
)HELP";

using Clock = std::chrono::steady_clock;
constexpr std::size_t kAbBlock = 25;               // appends per side before switching
constexpr std::uint64_t kCheckpointEvery = 100;    // journal.checkpoint_records' default
constexpr int kSigningRounds = 1000;
constexpr std::size_t kHotRounds = 100000;
constexpr std::uint64_t kNoSizeLimit = std::uint64_t{1} << 40;

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

double percentile(const std::vector<double>& v, double p) { return nearestRank(v, p / 100.0); }

nlohmann::json summary(const std::vector<double>& v, const char* unit) {
    return {{"samples", v.size()},
            {std::string("p50_") + unit, percentile(v, 50)},
            {std::string("p99_") + unit, percentile(v, 99)},
            {std::string("max_") + unit, percentile(v, 100)}};
}

// A decision record of the usual shape (an HC1 PASS with its test), varied a little.
DecisionRecord sampleRecord(std::mt19937& rng) {
    DecisionRecord r;
    r.decide(rng() % 5 ? Reason::Ok : Reason::TestTooOld);
    r.format = "HC1";
    r.test = TestSummary{TestType::Naat, "", 3.5 + static_cast<double>(rng() % 4000) / 100.0, "negative"};
    r.stages = {true, true, true, true, true, true, true, r.reason == Reason::Ok};
    r.latency = {3.1 + static_cast<double>(rng() % 100) / 100.0, 0.6, std::nullopt, 4.2 + static_cast<double>(rng() % 300) / 100.0};
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 64; ++i) r.subject += kHex[rng() % 16];
    r.policyVersion = "config";
    return r;
}

struct ChildRun {
    double seconds = 0.0;
    long maxRssKb = 0;
    int status = -1;
    std::string out;
};

// `/proc/self/exe ARGS…` with stdout captured: wall time and the child's peak RSS (wait4).
ChildRun runSelf(const std::vector<std::string>& args) {
    ChildRun run;
    int fds[2];
    if (::pipe(fds) != 0) return run;
    const auto start = Clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        ::close(fds[0]);
        ::close(fds[1]);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv("/proc/self/exe", argv.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) run.out.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    rusage usage{};
    ::wait4(pid, &run.status, 0, &usage);
    run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    run.maxRssKb = usage.ru_maxrss;
    return run;
}

std::optional<std::uint64_t> count(const std::optional<std::string>& text, std::uint64_t fallback) {
    if (!text) return fallback;
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
    return v;
}

}  // namespace

int cmdBenchJournal(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--appends", "--verify-records", "--dir"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    const auto appendsArg = count(args->value("--appends"), 2000);
    const auto verifyArg = count(args->value("--verify-records"), 1000000);
    if (!appendsArg || !verifyArg || *appendsArg == 0) {
        ctx.err << "sentinel bench journal: --appends and --verify-records take a count\n\n" << kHelp;
        return kExitUsage;
    }
    const auto appends = static_cast<std::size_t>(*appendsArg);
    const std::uint64_t verifyRecords = *verifyArg;
    const bool ownDir = !args->value("--dir");
    const std::filesystem::path dir =
        args->value("--dir").value_or((std::filesystem::temp_directory_path() / ("sentinel-bench-journal-" + std::to_string(::getpid()))).string());
    std::filesystem::create_directories(dir);
    SystemClock clock;
    std::mt19937 rng(28);
    nlohmann::json out;

    // A/B: the same appends into a journal with the log and one without, alternated.
    {
        journal::JournalOptions with, without;
        with.path = dir / "with-log.db";
        without.path = dir / "without-log.db";
        with.kioskId = without.kioskId = "BENCH-01";
        without.maintainLog = false;
        for (const auto& p : {with.path, without.path}) std::filesystem::remove(p);
        auto a = journal::Journal::open(with, clock);
        auto b = journal::Journal::open(without, clock);
        if (!a || !b) {
            ctx.err << "sentinel bench journal: " << (a ? b.error().message : a.error().message) << '\n';
            return kExitFail;
        }
        std::vector<double> withMs, withoutMs, logWorkUs;
        while (withMs.size() < appends) {
            for (std::size_t i = 0; i < kAbBlock && withMs.size() < appends; ++i) {
                const auto r = sampleRecord(rng);
                const auto t0 = Clock::now();
                if (!(*a)->append(r)) return kExitFail;
                withMs.push_back(micros(Clock::now() - t0) / 1000.0);
                logWorkUs.push_back(std::chrono::duration<double, std::micro>((*a)->lastLogWork()).count());
            }
            for (std::size_t i = 0; i < kAbBlock && withoutMs.size() < appends; ++i) {
                const auto r = sampleRecord(rng);
                const auto t0 = Clock::now();
                if (!(*b)->append(r)) return kExitFail;
                withoutMs.push_back(micros(Clock::now() - t0) / 1000.0);
            }
        }
        out["log_work_per_append"] = summary(logWorkUs, "us");
        // The same work in a loop, caches warm and no fsync between: the CPU cost alone.
        auto entries = (*a)->read(1, appends);
        if (!entries || entries->empty()) return kExitFail;
        std::vector<double> hotUs;
        journal::tlog::CompactRange range;
        for (std::size_t i = 0; i < kHotRounds; ++i) {
            const auto& e = (*entries)[i % entries->size()];
            const auto t0 = Clock::now();
            range.append(journal::tlog::leafHash(journal::toUploadLine(e, (*a)->journalId())));
            hotUs.push_back(micros(Clock::now() - t0));
        }
        out["log_work_hot"] = summary(hotUs, "us");
        out["append_with_log"] = summary(withMs, "ms");
        out["append_without_log"] = summary(withoutMs, "ms");
    }

    // Signing and verifying checkpoint notes.
    {
        auto signer = journal::NoteSigner::generate(journal::journalKeyName("BENCH-01"));
        if (!signer) return kExitFail;
        std::vector<double> signUs, verifyUs;
        for (int i = 0; i < kSigningRounds; ++i) {
            const std::string body = journal::formatCheckpointBody(
                {journal::checkpointOrigin("BENCH-01", "00112233445566778899aabbccddeeff"), static_cast<std::uint64_t>(i),
                 journal::tlog::leafHash(std::to_string(i)), {}});
            auto t0 = Clock::now();
            auto note = signer->sign(body);
            signUs.push_back(micros(Clock::now() - t0));
            t0 = Clock::now();
            const bool ok = note && signer->verifier().open(*note).ok();
            verifyUs.push_back(micros(Clock::now() - t0));
            if (!ok) return kExitFail;
        }
        out["checkpoint_sign"] = summary(signUs, "us");
        out["checkpoint_verify"] = summary(verifyUs, "us");
    }

    // `journal verify` of a large journal, in a child process.
    if (verifyRecords > 0) {
        journal::JournalOptions o;
        o.path = dir / "verify.db";
        o.kioskId = "BENCH-01";
        o.retainMaxBytes = kNoSizeLimit;  // keep every record: verify is measured on all of them
        std::filesystem::remove(o.path);
        const auto fillStart = Clock::now();
        {
            auto j = journal::Journal::open(o, clock);
            auto signer = journal::loadOrCreateJournalKey(dir, o.kioskId);
            if (!j || !signer) return kExitFail;
            std::vector<DecisionRecord> batch;
            for (std::uint64_t n = 1; n <= verifyRecords; ++n) {
                batch.push_back(sampleRecord(rng));
                if (n % kCheckpointEvery == 0 || n == verifyRecords) {
                    if (!(*j)->appendBatch(batch)) return kExitFail;
                    batch.clear();
                    if (!journal::makeCheckpoint(**j, *signer, o.kioskId, clock.now())) return kExitFail;
                }
            }
        }
        const double fillS = std::chrono::duration<double>(Clock::now() - fillStart).count();
        auto key = journal::loadJournalKey(dir, o.kioskId);
        if (!key) return kExitFail;
        const ChildRun baseline = runSelf({"sentinel", "--version"});
        const ChildRun run = runSelf({"sentinel", "journal", "verify", "--json", "--key", key->verifier().toString(), o.path.string()});
        auto report = nlohmann::json::parse(run.out, nullptr, false);
        out["verify"] = {{"records", verifyRecords},
                         {"checkpoints", (verifyRecords + kCheckpointEvery - 1) / kCheckpointEvery},
                         {"file_mb", static_cast<double>(std::filesystem::file_size(o.path)) / (1 << 20)},
                         {"fill_s", fillS},
                         {"seconds", run.seconds},
                         {"max_rss_mb", static_cast<double>(run.maxRssKb) / 1024.0},
                         {"baseline_rss_mb", static_cast<double>(baseline.maxRssKb) / 1024.0},
                         {"ok", !report.is_discarded() && report.value("ok", false)},
                         {"records_present", report.is_discarded() ? 0 : report.value("records", 0)},
                         {"exit_status", WIFEXITED(run.status) ? WEXITSTATUS(run.status) : -1}};
    }
    if (ownDir) std::filesystem::remove_all(dir);

    if (args->has("--json")) {
        ctx.out << out.dump() << '\n';
        return kExitOk;
    }
    auto line = [&](const char* what, const nlohmann::json& s, const char* unit) {
        char buf[200];
        std::snprintf(buf, sizeof buf, "%-22s p50 %8.2f %s  p99 %8.2f %s  max %8.2f %s  (%zu samples)\n", what,
                      s[std::string("p50_") + unit].get<double>(), unit, s[std::string("p99_") + unit].get<double>(), unit,
                      s[std::string("max_") + unit].get<double>(), unit, s["samples"].get<std::size_t>());
        ctx.out << buf;
    };
    line("log work per append", out["log_work_per_append"], "us");
    line("log work, warm loop", out["log_work_hot"], "us");
    line("append with log", out["append_with_log"], "ms");
    line("append without log", out["append_without_log"], "ms");
    line("checkpoint sign", out["checkpoint_sign"], "us");
    line("checkpoint verify", out["checkpoint_verify"], "us");
    if (out.contains("verify")) {
        const auto& v = out["verify"];
        char buf[400];
        buf[0] = '\0';
        std::snprintf(buf, sizeof buf,
                      "journal verify         %llu records: %.1f s, peak RSS %.1f MiB (`sentinel --version`: %.1f MiB), %s "
                      "(file %.0f MiB, filled in %.0f s)\n",
                      static_cast<unsigned long long>(v["records"].get<std::uint64_t>()), v["seconds"].get<double>(),
                      v["max_rss_mb"].get<double>(), v["baseline_rss_mb"].get<double>(), v["ok"].get<bool>() ? "intact" : "NOT INTACT",
                      v["file_mb"].get<double>(), v["fill_s"].get<double>());
        ctx.out << buf;
    }
    return kExitOk;
}

}  // namespace sentinel::app

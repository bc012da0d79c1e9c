// `sentinel stats [--json] [--since TIME] [--config FILE]`
#include <nlohmann/json.hpp>

#include "firmware/app/CliUtil.h"
#include "firmware/journal/JournalStats.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel stats [--json] [--since TIME] [--config FILE]

Journal statistics: counts by decision and by reason, latency percentiles (p50/p95/p99), decode
failures. Reads the journal (journal.path) read-only: safe while `sentinel run` is writing.

Options:
  --since TIME    only records at or after TIME (RFC 3339, e.g. 2026-11-22T00:00:00Z)
  --config FILE   configuration (default /etc/sentinel/sentinel.toml)
  --json          {"decisions":{…},"reasons":{…},"latency_ms":{"p50":…,"p95":…,"p99":…},…}
  --help          this text

Exit status: 0 ok, 1 the journal cannot be read, 2 usage or configuration error.
)HELP";

}  // namespace

int cmdStats(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--config", "--since"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    auto cfg = loadConfigOrReport(*args, ctx);
    if (!cfg) return kExitUsage;
    std::optional<UtcTime> since;
    if (auto s = args->value("--since")) {
        since = parseRfc3339(*s);
        if (!since) {
            ctx.err << "sentinel stats: --since: not an RFC 3339 time: " << *s << '\n';
            return kExitUsage;
        }
    }
    auto stats = journal::readJournalStats(cfg->journal.path, since);
    if (!stats) {
        ctx.err << "sentinel stats: " << stats.error().message << '\n';
        return kExitFail;
    }
    if (args->has("--json")) {
        ctx.out << journal::toJson(*stats).dump() << '\n';
    } else {
        ctx.out << journal::renderStatsTable(*stats);
    }
    return kExitOk;
}

}  // namespace sentinel::app

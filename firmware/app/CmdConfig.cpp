// `sentinel config check|reference`
#include <fstream>

#include "firmware/app/CliUtil.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel config check [--config FILE]
       sentinel config reference

check       load and validate the configuration (default /etc/sentinel/sentinel.toml), then
            check every file and folder it names that `sentinel run` needs (readable,
            writable, a trust list and rule set that load); prints every problem at once,
            each with its key (and file and line), exit 2 if there is one
reference   print the table of every key (default, unit, range, meaning) as Markdown

Options:
  --config FILE   configuration file to check
  --help          this text
)HELP";

}  // namespace

int cmdConfig(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{}, {"--config"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    const std::string action = args->positionals.empty() ? "" : args->positionals[0];
    if (action == "reference") {
        ctx.out << kiosk::configReferenceMarkdown();
        return kExitOk;
    }
    if (action == "check") {
        auto cfg = loadConfigOrReport(*args, ctx, true);
        if (!cfg) return kExitUsage;
        // The same answer `run` and `diag` give (kiosk::checkStartable).
        const auto problems = startProblems(*cfg);
        if (!problems.empty()) {
            ctx.err << ctx.program << ": " << cfg->file.string() << ": " << problems.size()
                    << (problems.size() == 1 ? " problem stops" : " problems stop") << " `sentinel run`:\n"
                    << kiosk::formatProblems(problems);
            return kExitUsage;
        }
        ctx.out << cfg->file.string() << ": ok\n";
        return kExitOk;
    }
    ctx.err << "sentinel config: say `check` or `reference`\n\n" << kHelp;
    return kExitUsage;
}

}  // namespace sentinel::app

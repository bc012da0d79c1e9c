// `sentinel config check|reference`
#include <fstream>

#include "firmware/app/CliUtil.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel config check [--config FILE]
       sentinel config reference

check       load and validate the configuration (default /etc/sentinel/sentinel.toml);
            prints the problem with file, line and key, exit 2 if there is one
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
        ctx.out << cfg->file.string() << ": ok\n";
        return kExitOk;
    }
    ctx.err << "sentinel config: say `check` or `reference`\n\n" << kHelp;
    return kExitUsage;
}

}  // namespace sentinel::app

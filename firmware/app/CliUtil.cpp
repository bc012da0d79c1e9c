#include "firmware/app/CliUtil.h"

#include <filesystem>

#include "firmware/base/Log.h"

namespace sentinel::app {

std::optional<Args> parseOrExit(const std::vector<std::string>& args, const ArgSpec& spec, const char* help,
                                CliContext& ctx, int& exitCode) {
    auto parsed = parseArgs(args, spec);
    if (!parsed) {
        ctx.err << ctx.program << ": " << parsed.error().message << "\n\n" << help;
        exitCode = kExitUsage;
        return std::nullopt;
    }
    if (parsed->has("--help")) {
        ctx.out << help;
        exitCode = kExitOk;
        return std::nullopt;
    }
    return std::move(parsed).value();
}

std::optional<kiosk::Config> loadConfigOrReport(const Args& args, CliContext& ctx, bool requireFile) {
    std::optional<std::string> path = args.value("--config");
    if (!path && (requireFile || std::filesystem::exists(kDefaultConfigPath))) path = kDefaultConfigPath;
    if (!path) {
        kiosk::Config defaults;
        log::configure(defaults.log.levels);
        return defaults;
    }
    auto cfg = kiosk::loadConfig(*path);
    if (!cfg) {
        ctx.err << ctx.program << ": configuration error: " << cfg.error().message << '\n';
        return std::nullopt;
    }
    log::configure(cfg->log.levels);
    return std::move(cfg).value();
}

}  // namespace sentinel::app

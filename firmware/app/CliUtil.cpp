#include "firmware/app/CliUtil.h"

#include <filesystem>
#include <sstream>

#include "firmware/base/Log.h"
#include "firmware/ui/Composer.h"

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
        // One line per problem (the loader reports them all at once).
        std::istringstream lines(cfg.error().message);
        for (std::string line; std::getline(lines, line);) ctx.err << ctx.program << ": configuration error: " << line << '\n';
        return std::nullopt;
    }
    log::configure(cfg->log.levels);
    return std::move(cfg).value();
}

std::vector<kiosk::StartRequirement> appStartRequirements() {
    return {
        {"display.backend", [](const kiosk::Config& c) -> std::optional<std::string> {
             if (c.display.backend == "off") return std::nullopt;
             if (auto problem = kiosk::readableFile(ui::kDefaultFontPath)) {
                 return "the screen's font: " + *problem + " (apt-get install fonts-noto-cjk)";
             }
             return std::nullopt;
         }},
    };
}

std::vector<kiosk::ConfigProblem> startProblems(const kiosk::Config& config) {
    const auto extra = appStartRequirements();
    return kiosk::checkStartable(config, extra);
}

}  // namespace sentinel::app

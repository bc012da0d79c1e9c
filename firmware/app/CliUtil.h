#pragma once
// Helpers shared by the subcommands: help handling, argument errors, configuration loading.

#include <optional>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "firmware/app/Args.h"
#include "firmware/app/Cli.h"
#include "firmware/kiosk/Config.h"
#include "firmware/kiosk/StartCheck.h"

namespace sentinel::app {

// Parses `args`; on --help prints `help` to out and returns kExitOk in `exitCode`; on a usage error
// prints it with the help to err and returns kExitUsage. Returns the Args when the command should run.
std::optional<Args> parseOrExit(const std::vector<std::string>& args, const ArgSpec& spec, const char* help,
                                CliContext& ctx, int& exitCode);

// Loads --config FILE if given, else the default path if it exists, else the built-in defaults.
// Errors are printed (naming file, line and key) and returned as nullopt.
std::optional<kiosk::Config> loadConfigOrReport(const Args& args, CliContext& ctx, bool requireFile = false);

constexpr const char* kDefaultConfigPath = "/etc/sentinel/sentinel.toml";

// What `run` needs beyond kiosk::checkStartable's table: the screen's font when display.backend is
// set (ui::Composer refuses to start without it).
std::vector<kiosk::StartRequirement> appStartRequirements();
// kiosk::checkStartable(config, appStartRequirements()): what `config check`, `diag` and `run` all
// ask, so they never disagree.
std::vector<kiosk::ConfigProblem> startProblems(const kiosk::Config& config);

// The checks a fleet "diag" command runs inside the running kiosk (CmdDiag.cpp): the ones that touch
// no hardware (config, state_dir, clock, trust, trust_sync, journal, fleet), as `diag --json` lists them.
nlohmann::json diagnosticsReport(const kiosk::Config& config);

}  // namespace sentinel::app

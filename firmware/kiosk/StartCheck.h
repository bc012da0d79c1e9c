#pragma once
// The one answer to "would `sentinel run` start with this configuration?" (issue 24): every file
// and folder a valid configuration names that the kiosk needs — readable, writable, parsed with the
// loader `run` uses. `sentinel config check`, `sentinel diag`'s config check and Runtime::create
// (for `run`) all call checkStartable(), so they can never disagree; each lists every problem at
// once, by key.
//
// Reads the file system (it is not a pure core): exists, access(2) for the calling user, and the
// trust list and rule set through their loaders. Writes nothing, creates nothing.

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/kiosk/Config.h"

namespace sentinel::kiosk {

struct ConfigProblem {
    std::string key;  // the configuration key to fix, e.g. "online.token_file"
    std::string
        message;  // what is wrong, naming the path, e.g. "/etc/sentinel/device-token: no such file"
};

// One requirement: the key it belongs to and a check that says what is wrong (nullopt = fine, or
// the key is not in use with this configuration). A new key needing a file is one more of these.
struct StartRequirement {
    std::string_view key;
    std::function<std::optional<std::string>(const Config&)> check;
};

// What `run` needs from the configuration's files and folders (StartCheck.cpp lists them). `extra`:
// requirements of the app's own (e.g. the screen's font), checked after these.
std::vector<ConfigProblem> checkStartable(const Config& config,
                                          std::span<const StartRequirement> extra = {});

// One line per problem, `key 'a.b': message`, each prefixed with `indent`; newline-terminated.
std::string formatProblems(const std::vector<ConfigProblem>& problems,
                           std::string_view indent = "  ");

// Building blocks for requirements (also used by the app's extras). Each returns nullopt when fine.
std::optional<std::string> readableFile(const std::filesystem::path& path);
// An existing folder the kiosk can write in, or one it can create (its nearest existing parent is
// writable).
std::optional<std::string> writableFolder(const std::filesystem::path& dir);
// A file the kiosk can create or replace: its folder exists and is writable (a file that exists
// must be writable too).
std::optional<std::string> writableFile(const std::filesystem::path& path);

}  // namespace sentinel::kiosk

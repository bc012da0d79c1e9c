#pragma once
// A small command-line parser: `--flag`, `--key VALUE`, `--key=VALUE`, positionals, `--` ends
// options. Unknown options are usage errors (exit 2).

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::app {

struct ArgSpec {
    std::set<std::string> flags;    // options without a value, e.g. "--json"
    std::set<std::string> options;  // options taking one value, e.g. "--config"
};

struct Args {
    std::set<std::string> flags;
    std::map<std::string, std::vector<std::string>> values;  // option → every value given
    std::vector<std::string> positionals;

    bool has(const std::string& flag) const { return flags.count(flag) > 0; }
    std::optional<std::string> value(const std::string& option) const {
        auto it = values.find(option);
        if (it == values.end() || it->second.empty()) return std::nullopt;
        return it->second.back();
    }
};

Result<Args> parseArgs(const std::vector<std::string>& argv, const ArgSpec& spec);

}  // namespace sentinel::app

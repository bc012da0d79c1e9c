#include "firmware/app/Args.h"

namespace sentinel::app {

Result<Args> parseArgs(const std::vector<std::string>& argv, const ArgSpec& spec) {
    Args out;
    bool optionsDone = false;
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (optionsDone || a.size() < 2 || a[0] != '-' || a == "-") {
            out.positionals.push_back(a);
            continue;
        }
        if (a == "--") {
            optionsDone = true;
            continue;
        }
        std::string name = a, inlineValue;
        bool hasInline = false;
        if (auto eq = a.find('='); eq != std::string::npos) {
            name = a.substr(0, eq);
            inlineValue = a.substr(eq + 1);
            hasInline = true;
        }
        if (name == "-h") name = "--help";
        if (spec.flags.count(name) || name == "--help") {
            if (hasInline) return Error{"option " + name + " takes no value"};
            out.flags.insert(name);
        } else if (spec.options.count(name)) {
            if (hasInline) {
                out.values[name].push_back(inlineValue);
            } else if (i + 1 < argv.size()) {
                out.values[name].push_back(argv[++i]);
            } else {
                return Error{"option " + name + " needs a value"};
            }
        } else {
            return Error{"unknown option " + name};
        }
    }
    return out;
}

}  // namespace sentinel::app

#include "firmware/kiosk/RuleSetFile.h"

#include <algorithm>

#include "firmware/kiosk/TrustBundle.h"

namespace sentinel::kiosk {
namespace {

namespace fs = std::filesystem;

// A folder of rules is walked to this depth (COUNTRY/RULE-ID/rule.json is 3).
constexpr int kMaxFolderDepth = 4;
// Shown in an Error; `sentinel rules check` prints them all.
constexpr std::size_t kIssuesInError = 3;

}  // namespace

rules::ParsedRuleSet readRuleSet(const fs::path& path) {
    rules::ParsedRuleSet out;
    std::error_code ec;
    const std::string name = path.filename().empty() ? path.parent_path().filename().string() : path.filename().string();
    if (!fs::is_directory(path, ec)) {
        if (const auto size = fs::file_size(path, ec); !ec && size > rules::kMaxRuleSetBytes) {
            out.issues.push_back({path.string(), "larger than " + std::to_string(rules::kMaxRuleSetBytes) + " bytes"});
            return out;
        }
        auto text = readFile(path);
        if (!text) {
            out.issues.push_back({path.string(), text.error().message});
            return out;
        }
        if (text->size() > rules::kMaxRuleSetBytes) {
            out.issues.push_back({path.string(), "larger than " + std::to_string(rules::kMaxRuleSetBytes) + " bytes"});
            return out;
        }
        return rules::parseRuleSet(*text, path.stem().string());
    }
    out.set.id = name;
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it.depth() >= kMaxFolderDepth || (it->is_directory() && it->path().filename() == "tests")) {
            it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file() && it->path().filename() == "rule.json") files.push_back(it->path());
        if (files.size() > rules::kMaxRules) break;
    }
    if (ec) out.issues.push_back({path.string(), ec.message()});
    if (files.size() > rules::kMaxRules) {
        out.issues.push_back({path.string(), "more than " + std::to_string(rules::kMaxRules) + " rules"});
        return out;
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        auto text = readFile(f);
        if (!text) {
            out.issues.push_back({f.string(), text.error().message});
            continue;
        }
        auto json = rules::parseBounded(*text, rules::kMaxRuleSetBytes, 96);
        if (!json) {
            out.issues.push_back({f.string(), json.error().message});
            continue;
        }
        if (auto rule = rules::parseRule(*json, f.lexically_relative(path).string(), out.issues)) out.set.rules.push_back(std::move(*rule));
    }
    const fs::path valueSets = path / "valueSets.json";
    if (fs::exists(valueSets, ec)) {
        auto text = readFile(valueSets);
        auto sets = text ? rules::parseValueSets(*text) : Result<nlohmann::json>(text.error());
        if (sets) out.set.valueSets = std::move(sets).value(); else out.issues.push_back({valueSets.string(), sets.error().message});
    }
    if (files.empty()) out.issues.push_back({path.string(), "no rule.json below this folder"});
    rules::finishRuleSet(out.set);
    return out;
}

Result<std::shared_ptr<const rules::RuleSet>> loadRuleSet(const fs::path& path) {
    auto parsed = readRuleSet(path);
    if (!parsed.issues.empty()) {
        std::string msg = path.string() + ": " + std::to_string(parsed.issues.size()) + " problem(s): ";
        for (std::size_t i = 0; i < parsed.issues.size() && i < kIssuesInError; ++i) {
            msg += (i ? "; " : "") + parsed.issues[i].where + ": " + parsed.issues[i].message;
        }
        return Error{msg + " (run `sentinel rules check " + path.string() + "`)"};
    }
    return std::shared_ptr<const rules::RuleSet>(std::make_shared<rules::RuleSet>(std::move(parsed.set)));
}

}  // namespace sentinel::kiosk

#pragma once
// Reading rule sets from disk (DESIGN §12, `rules.path`): a JSON file (the gateway's array of rules,
// or {"id","version","rules","valueSets"}), or a folder laid out as the DCC rule repositories are —
// COUNTRY/RULE-ID/rule.json (tests/ subfolders are ignored), with an optional valueSets.json at its
// top. The parsing and checks are firmware/rules; this is the file access around them.

#include <filesystem>
#include <memory>
#include <vector>

#include "firmware/base/Result.h"
#include "firmware/rules/RuleSet.h"

namespace sentinel::kiosk {

// Every problem found (schema, CertLogic validity, bounds); the set is usable iff issues is empty.
rules::ParsedRuleSet readRuleSet(const std::filesystem::path& path);

// readRuleSet, as one Error naming the path and the first problems when there are any.
Result<std::shared_ptr<const rules::RuleSet>> loadRuleSet(const std::filesystem::path& path);

}  // namespace sentinel::kiosk

// `sentinel rules test|eval|check|builtin` (DESIGN §4, §12).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "firmware/app/CliUtil.h"
#include "firmware/kiosk/RuleSetFile.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/rules/CertLogic.h"
#include "firmware/rules/RuleSet.h"
#include "firmware/verify/BuiltinRules.h"

namespace sentinel::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kHelp = R"HELP(Usage: sentinel rules test [--json] RULE.json TEST.json…
       sentinel rules test [--json] RULE-FOLDER
       sentinel rules eval [--json] LOGIC.json DATA.json
       sentinel rules check [--json] RULESET
       sentinel rules builtin [--json] [--config FILE]

test   runs DCC-gateway rule tests: each TEST.json holds "payload", "external" and "expected"; the
       rule's Logic is evaluated on {"payload":…, "external":…} and must give "expected".
       A RULE-FOLDER is COUNTRY/RULE-ID as in the DCC rule repositories (rule.json + tests/*.json).
       Prints one line per test; exit 0 iff every test gives its expected result.
eval   evaluates one CertLogic expression (LOGIC.json) on one data object (DATA.json; `-` = stdin
       for either); prints the result, or the error (exit 1).
check  validates a rule set without applying it: a rule-set file (JSON array of rules, or
       {"id","version","rules","valueSets"}) or a folder of COUNTRY/RULE-ID/rule.json (+ valueSets.json):
       gateway schema, CertLogic validity, bounds (size, depth, nodes, strings). Exit 1 on any problem.
       This is what `rules.path` loads.
builtin
       prints the built-in rules the kiosk uses without rules.path: CertLogic rules made from the
       [policy] keys and rules.country of the configuration, in the order they are evaluated, each
       with the reason its failure gives (the first failing rule decides). With --json: the rules
       as a gateway rule-set file (a JSON array; `rules check` reads it back).

Options:
  --json   one JSON object per line:
             test   {"test":FILE,"expected":b,"result":b,"ok":b}
             eval   {"result":VALUE} or {"error":"…"}
             check  {"set":"id/version","rules":n,"countries":{…},"ok":b,"issues":[{"where","message"}]}
             builtin [ {"Identifier":…,"Logic":…,…}, … ]
  --config FILE   (builtin) the configuration whose [policy] is used (default /etc/sentinel/sentinel.toml
                  if it exists, else the defaults)
  --help   this text

Exit status: 0 passed/valid, 1 a test failed, an evaluation error or an invalid rule set, 2 usage error.
)HELP";

// The CertLogic documents and test files the command reads; a gateway rule file is ~5 KiB.
constexpr std::size_t kMaxDocumentBytes = rules::kMaxRuleSetBytes;
constexpr std::size_t kMaxDocumentDepth = 128;

Result<json> readJsonFile(const std::string& path) {
    std::string text;
    if (path == "-") {
        std::ostringstream buf;
        buf << std::cin.rdbuf();
        text = buf.str();
    } else {
        std::error_code ec;
        if (const auto size = fs::file_size(path, ec); !ec && size > kMaxDocumentBytes) return Error{path + ": too large"};
        auto read = kiosk::readFile(path);
        if (!read) return read.error();
        text = std::move(read).value();
    }
    auto j = rules::parseBounded(text, kMaxDocumentBytes, kMaxDocumentDepth);
    if (!j) return Error{path + ": " + j.error().message};
    return j;
}

int rulesTest(const Args& args, CliContext& ctx) {
    if (args.positionals.size() < 2) {
        ctx.err << "sentinel rules test: give RULE.json and TEST.json…, or a RULE-FOLDER\n";
        return kExitUsage;
    }
    fs::path rulePath = args.positionals[1];
    std::vector<std::string> tests(args.positionals.begin() + 2, args.positionals.end());
    std::error_code ec;
    if (fs::is_directory(rulePath, ec)) {
        const fs::path dir = rulePath;
        rulePath = dir / "rule.json";
        if (tests.empty() && fs::is_directory(dir / "tests", ec)) {
            for (const auto& e : fs::directory_iterator(dir / "tests", ec))
                if (e.path().extension() == ".json") tests.push_back(e.path().string());
            std::sort(tests.begin(), tests.end());
        }
    }
    if (tests.empty()) {
        ctx.err << "sentinel rules test: no TEST.json given (or found in RULE-FOLDER/tests)\n";
        return kExitUsage;
    }
    auto ruleJson = readJsonFile(rulePath.string());
    if (!ruleJson) {
        ctx.err << "sentinel rules test: " << ruleJson.error().message << '\n';
        return kExitUsage;
    }
    std::vector<rules::RuleIssue> issues;
    const auto rule = rules::parseRule(*ruleJson, rulePath.string(), issues);
    if (!rule) {
        for (const auto& i : issues) ctx.err << i.where << ": " << i.message << '\n';
        return kExitFail;
    }
    const bool asJson = args.has("--json");
    int failed = 0;
    for (const auto& file : tests) {
        auto t = readJsonFile(file);
        json line = {{"test", file}};
        if (!t || !t->is_object() || !t->contains("expected") || !(*t)["expected"].is_boolean()) {
            line["error"] = t ? "not a rule test (needs payload, external, expected)" : t.error().message;
            line["ok"] = false;
            ++failed;
        } else {
            const json data = {{"payload", t->value("payload", json::object())}, {"external", t->value("external", json::object())}};
            const auto result = rules::evaluateRules({&*rule}, data).front();
            const bool expected = (*t)["expected"].get<bool>();
            line["expected"] = expected;
            line["result"] = result.passed;
            line["ok"] = result.passed == expected;
            if (!result.error.empty()) line["error"] = result.error;
            if (result.passed != expected) ++failed;
        }
        if (asJson) {
            ctx.out << line.dump() << '\n';
        } else {
            ctx.out << (line["ok"].get<bool>() ? "ok    " : "FAIL  ") << file;
            if (line.contains("expected")) ctx.out << "  expected " << line["expected"] << ", got " << line["result"];
            if (line.contains("error")) ctx.out << "  (" << line["error"].get<std::string>() << ")";
            ctx.out << '\n';
        }
    }
    if (!asJson) ctx.out << rule->identifier << ": " << (tests.size() - failed) << "/" << tests.size() << " tests as expected\n";
    return failed == 0 ? kExitOk : kExitFail;
}

int rulesEval(const Args& args, CliContext& ctx) {
    if (args.positionals.size() != 3) {
        ctx.err << "sentinel rules eval: give LOGIC.json and DATA.json\n";
        return kExitUsage;
    }
    auto logic = readJsonFile(args.positionals[1]);
    auto data = logic ? readJsonFile(args.positionals[2]) : Result<json>(logic.error());
    const bool asJson = args.has("--json");
    if (!logic || !data) {
        const std::string msg = !logic ? logic.error().message : data.error().message;
        if (asJson) ctx.out << json{{"error", msg}}.dump() << '\n'; else ctx.err << "error: " << msg << '\n';
        return kExitFail;
    }
    auto result = rules::evaluate(*logic, *data);
    if (!result) {
        if (asJson) ctx.out << json{{"error", result.error().message}}.dump() << '\n'; else ctx.err << "error: " << result.error().message << '\n';
        return kExitFail;
    }
    if (asJson) ctx.out << json{{"result", *result}}.dump() << '\n'; else ctx.out << result->dump() << '\n';
    return kExitOk;
}

int rulesCheck(const Args& args, CliContext& ctx) {
    if (args.positionals.size() != 2) {
        ctx.err << "sentinel rules check: give one RULESET (file or folder)\n";
        return kExitUsage;
    }
    const auto parsed = kiosk::readRuleSet(args.positionals[1]);
    json countries = json::object();
    for (const auto& r : parsed.set.rules) {
        auto& c = countries[r.country];
        if (!c.is_object()) c = json::object();
        c[r.certificateType] = c.value(r.certificateType, 0) + 1;
    }
    const bool ok = parsed.issues.empty();
    if (args.has("--json")) {
        json issues = json::array();
        for (const auto& i : parsed.issues) issues.push_back({{"where", i.where}, {"message", i.message}});
        ctx.out << json{{"set", parsed.set.label()}, {"rules", parsed.set.rules.size()}, {"countries", countries},
                        {"value_sets", parsed.set.valueSets.size()}, {"ok", ok}, {"issues", issues}}
                       .dump()
                << '\n';
    } else {
        for (const auto& i : parsed.issues) ctx.out << "problem  " << i.where << ": " << i.message << '\n';
        ctx.out << parsed.set.label() << ": " << parsed.set.rules.size() << " valid rule(s), " << parsed.set.valueSets.size()
                << " value set(s); by country: " << countries.dump() << '\n'
                << (ok ? "ok: the rule set can be used as rules.path\n"
                       : std::to_string(parsed.issues.size()) + " problem(s): the kiosk would refuse this rule set\n");
    }
    return ok ? kExitOk : kExitFail;
}

int rulesBuiltin(const Args& args, CliContext& ctx) {
    if (args.positionals.size() != 1) {
        ctx.err << "sentinel rules builtin: takes no file (the rules come from --config)\n";
        return kExitUsage;
    }
    const auto config = loadConfigOrReport(args, ctx);
    if (!config) return kExitFail;
    const auto builtin = verify::makeBuiltinRules(config->policy, config->rules.country);
    if (args.has("--json")) {
        ctx.out << builtin->gateway.dump() << '\n';
    } else {
        ctx.out << "built-in rules (" << builtin->set.rules.size() << ", evaluated in this order; the first that fails decides):\n";
        for (std::size_t i = 0; i < builtin->set.rules.size(); ++i) {
            const auto& r = builtin->set.rules[i];
            char line[96];
            std::snprintf(line, sizeof line, "%-11s %-8s %-23s ", r.identifier.c_str(), r.certificateType.c_str(),
                          std::string(toString(builtin->reasons[i])).c_str());
            ctx.out << line << r.descriptions.at("en") << '\n';
        }
    }
    for (const auto& i : builtin->issues) ctx.err << "problem  " << i.where << ": " << i.message << '\n';
    return builtin->issues.empty() ? kExitOk : kExitFail;
}

}  // namespace

int cmdRules(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--config"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    const std::string action = args->positionals.empty() ? "" : args->positionals[0];
    if (action == "builtin") return rulesBuiltin(*args, ctx);
    if (args->value("--config")) {
        ctx.err << "sentinel rules " << action << ": --config is for `rules builtin` only\n";
        return kExitUsage;
    }
    if (action == "test") return rulesTest(*args, ctx);
    if (action == "eval") return rulesEval(*args, ctx);
    if (action == "check") return rulesCheck(*args, ctx);
    ctx.err << "sentinel rules: say `test`, `eval`, `check` or `builtin`\n\n" << kHelp;
    return kExitUsage;
}

}  // namespace sentinel::app

// `sentinel risk check [--json] FILE` (DESIGN §14): validates a risk-area list as the kiosk does when
// one arrives in a bundle or over the fleet link, without applying it.
#include <cstdio>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "firmware/app/CliUtil.h"
#include "firmware/policy/RiskAreaList.h"

namespace sentinel::app {
namespace {

using nlohmann::json;

constexpr const char* kHelp = R"HELP(Usage: sentinel risk check [--json] FILE

check  validates a risk-area list (format sentinel-risk-areas/1, DESIGN §14) as the kiosk does when
       one arrives in a bundle or over the fleet link: size, nesting, number of areas, codes of 2, 4
       or 6 digits, levels high|medium|low, RFC 3339 issued_at, effective_from and until, version.
       Prints the version, the times, the areas per level, and every problem with its JSON path.
       A list with any problem is refused whole by the kiosk.

Options:
  --json   one JSON object: {"file","ok","version","issued_at","effective_from","areas",
           "levels":{"high","medium","low"},"with_until","problems":[{"path","message"}]}
  --help   this text

Exit status: 0 the list is valid, 1 it has problems, 2 usage error or unreadable file.
)HELP";

Result<std::string> readBounded(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{path + ": cannot be read"};
    std::string text;
    // One byte more than the bound, so that the parser reports an oversize list as such.
    text.resize(policy::kMaxRiskListBytes + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (in.bad()) return Error{path + ": read error"};
    return text;
}

int riskCheck(const Args& args, CliContext& ctx) {
    if (args.positionals.size() != 2) {
        ctx.err << "sentinel risk check: give one FILE\n";
        return kExitUsage;
    }
    const std::string& path = args.positionals[1];
    auto text = readBounded(path);
    if (!text) {
        ctx.err << "sentinel risk check: " << text.error().message << '\n';
        return kExitUsage;
    }
    const auto parsed = policy::parseRiskAreaList(*text);
    const bool ok = parsed.problems.empty();
    const auto* list = parsed.list.get();
    if (args.has("--json")) {
        json problems = json::array();
        for (const auto& p : parsed.problems) problems.push_back({{"path", p.path}, {"message", p.message}});
        json out = {{"file", path}, {"ok", ok}, {"problems", problems}};
        if (list) {
            out["version"] = list->version();
            out["issued_at"] = formatRfc3339(list->issuedAt());
            out["effective_from"] = formatRfc3339(list->effectiveFrom());
            out["areas"] = list->size();
            out["levels"] = {{"high", list->counts().high}, {"medium", list->counts().medium}, {"low", list->counts().low}};
            out["with_until"] = list->counts().withUntil;
        }
        ctx.out << out.dump() << '\n';
    } else {
        for (const auto& p : parsed.problems) ctx.out << "problem  " << p.path << ": " << p.message << '\n';
        if (list) {
            const auto& c = list->counts();
            ctx.out << "version " << list->version() << "  issued_at " << formatRfc3339(list->issuedAt()) << "  effective_from "
                    << formatRfc3339(list->effectiveFrom()) << '\n'
                    << list->size() << " areas: " << c.high << " high, " << c.medium << " medium, " << c.low << " low ("
                    << c.withUntil << " with until)\n"
                    << "ok: the kiosk would accept this list\n";
        } else {
            ctx.out << parsed.problems.size() << " problem(s): the kiosk would refuse this list\n";
        }
    }
    return ok ? kExitOk : kExitFail;
}

}  // namespace

int cmdRisk(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    const std::string action = args->positionals.empty() ? "" : args->positionals[0];
    if (action == "check") return riskCheck(*args, ctx);
    ctx.err << "sentinel risk: say `check`\n\n" << kHelp;
    return kExitUsage;
}

}  // namespace sentinel::app

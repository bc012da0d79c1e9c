// `sentinel fleet revocation build|show` (DESIGN §17): writes a revocation index from hash files,
// or shows what an index holds (what a bundle names: its SHA-256 and entry count).
#include <map>

#include <nlohmann/json.hpp>

#include "firmware/app/CliUtil.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/trust/Base64.h"
#include "firmware/trust/RevocationHashFile.h"
#include "firmware/trust/RevocationIndex.h"
#include "firmware/verify/RuleCheck.h"

namespace sentinel::app {
namespace {

using nlohmann::json;

constexpr const char* kHelp = R"HELP(Usage: sentinel fleet revocation build --out FILE [--kid KID|*] [--expires TIME] [--issued-at TIME]
                                       [--include INDEX]… [--json] TYPE:HASHFILE…
       sentinel fleet revocation show [--json] FILE

build   writes a revocation index (DESIGN §17): one list per TYPE, for the kid KID (base64 of the
        8-byte kid, as in the trust list; `*` or no --kid = every kid), whose entries count until
        --expires (RFC 3339; default never; a time in the past is accepted: such a list is ignored
        by the kiosk, not refused). TYPE is UCI, COUNTRYCODEUCI, SIGNATURE or DRL (the Italian DRL,
        a list of UCI hashes). A hash file holds one hash a line: 32 hex characters or base64 of 16
        bytes, or for DRL base64 of the 32-byte SHA-256; blank lines and `#` lines are skipped.
        --include INDEX copies every list of an existing index (to build one file for many kids).
        --issued-at (default now) is the list's age the kiosk judges freshness by.
        Prints the file's SHA-256 and entry count, which a bundle names.
show    prints what an index holds: issued_at, SHA-256, entries, and each list (kid, types, expiry).

Exit status: 0 written/shown, 1 an input or the index is bad, 2 usage.
)HELP";

json summaryJson(const trust::RevocationIndex& index, const std::string& file) {
    json j;
    j["file"] = file;
    j["bytes"] = index.fileBytes();
    j["sha256"] = trust::hexOf(index.sha256());
    j["entries"] = index.entries();
    j["issued_at"] = formatRfc3339(index.issuedAt());
    j["lists"] = json::array();
    for (std::size_t i = 0; i < index.listCount(); ++i) {
        const auto l = index.list(i);
        j["lists"].push_back({{"kid", l.kid.empty() ? std::string("*") : verify::base64Of(l.kid)},
                              {"types", trust::revocationTypesText(l.types)},
                              {"expires", l.expiresAt ? json(formatRfc3339(*l.expiresAt)) : json(nullptr)},
                              {"entries", l.entries}});
    }
    return j;
}

void printSummary(std::ostream& out, const trust::RevocationIndex& index, const std::string& file, bool asJson, const char* verb) {
    if (asJson) {
        out << summaryJson(index, file).dump() << '\n';
        return;
    }
    out << verb << ' ' << file << ": " << index.entries() << " entries in " << index.listCount() << " lists, issued "
        << formatRfc3339(index.issuedAt()) << ", " << index.fileBytes() << " bytes\n"
        << "sha256 " << trust::hexOf(index.sha256()) << '\n';
    for (std::size_t i = 0; i < index.listCount(); ++i) {
        const auto l = index.list(i);
        out << "  kid " << (l.kid.empty() ? std::string("*") : verify::base64Of(l.kid)) << "  " << trust::revocationTypesText(l.types)
            << "  expires " << (l.expiresAt ? formatRfc3339(*l.expiresAt) : std::string("never")) << "  " << l.entries
            << " entries\n";
    }
}

int build(const Args& args, CliContext& ctx) {
    const auto out = args.value("--out");
    if (!out) {
        ctx.err << "sentinel fleet revocation build: --out FILE is required\n\n" << kHelp;
        return kExitUsage;
    }
    std::vector<uint8_t> kid;
    if (auto k = args.value("--kid"); k && *k != "*") {
        auto bytes = trust::decodeBase64(*k);
        if (!bytes || bytes->empty() || bytes->size() > trust::kMaxRevocationKidBytes) {
            ctx.err << "sentinel fleet revocation build: --kid: not the base64 of a kid (1 to 16 bytes; 8 in the trust list): " << *k
                    << '\n';
            return kExitUsage;
        }
        kid = std::move(*bytes);
    }
    std::optional<UtcTime> expires;
    if (auto e = args.value("--expires")) {
        expires = parseRfc3339(*e);
        if (!expires) {
            ctx.err << "sentinel fleet revocation build: --expires: not an RFC 3339 time: " << *e << '\n';
            return kExitUsage;
        }
    }
    UtcTime issuedAt = SystemClock().now();
    if (auto t = args.value("--issued-at")) {
        auto parsed = parseRfc3339(*t);
        if (!parsed) {
            ctx.err << "sentinel fleet revocation build: --issued-at: not an RFC 3339 time: " << *t << '\n';
            return kExitUsage;
        }
        issuedAt = *parsed;
    }

    // One list per hash type (DRL files join the UCI list).
    std::map<trust::RevocationHashType, std::vector<trust::RevocationHash>> byType;
    for (const auto& spec : args.positionals) {
        const auto colon = spec.find(':');
        const auto kind = colon == std::string::npos ? std::nullopt : trust::hashFileKindFromString(spec.substr(0, colon));
        if (!kind || colon + 1 >= spec.size()) {
            ctx.err << "sentinel fleet revocation build: '" << spec
                    << "' is not TYPE:HASHFILE (TYPE UCI, COUNTRYCODEUCI, SIGNATURE or DRL)\n";
            return kExitUsage;
        }
        const std::string path = spec.substr(colon + 1);
        auto text = kiosk::readFile(path);
        if (!text) {
            ctx.err << "sentinel fleet revocation build: " << text.error().message << '\n';
            return kExitFail;
        }
        auto hashes = trust::parseRevocationHashes(*text, *kind, path);
        if (!hashes) {
            ctx.err << "sentinel fleet revocation build: " << hashes.error().message << '\n';
            return kExitFail;
        }
        auto& list = byType[kind->type];
        list.insert(list.end(), hashes->begin(), hashes->end());
    }
    trust::RevocationIndexBuilder builder;
    for (const auto& include : args.values.count("--include") ? args.values.at("--include") : std::vector<std::string>{}) {
        auto index = trust::RevocationIndex::load(include);
        if (!index) {
            ctx.err << "sentinel fleet revocation build: --include: " << index.error().message << '\n';
            return kExitFail;
        }
        if (auto s = builder.addLists(**index); !s) {
            ctx.err << "sentinel fleet revocation build: " << include << ": " << s.error().message << '\n';
            return kExitFail;
        }
    }
    for (auto& [type, hashes] : byType) {
        if (auto s = builder.addList(kid, static_cast<uint8_t>(type), expires, std::move(hashes)); !s) {
            ctx.err << "sentinel fleet revocation build: " << s.error().message << '\n';
            return kExitFail;
        }
    }
    const auto bytes = builder.build(issuedAt);
    if (auto s = kiosk::writeFileAtomically(*out, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())); !s) {
        ctx.err << "sentinel fleet revocation build: " << s.error().message << '\n';
        return kExitFail;
    }
    // Read back through the loader the kiosk uses: what is printed is what a kiosk will accept.
    auto written = trust::RevocationIndex::load(*out);
    if (!written) {
        ctx.err << "sentinel fleet revocation build: " << written.error().message << '\n';
        return kExitFail;
    }
    printSummary(ctx.out, **written, *out, args.has("--json"), "wrote");
    return kExitOk;
}

int show(const Args& args, CliContext& ctx) {
    if (args.positionals.size() != 1) {
        ctx.err << "sentinel fleet revocation show: give exactly one FILE\n\n" << kHelp;
        return kExitUsage;
    }
    auto index = trust::RevocationIndex::load(args.positionals[0]);
    if (!index) {
        ctx.err << "sentinel fleet revocation show: " << index.error().message << '\n';
        return kExitFail;
    }
    printSummary(ctx.out, **index, args.positionals[0], args.has("--json"), "index");
    return kExitOk;
}

}  // namespace

int cmdFleetRevocation(const std::vector<std::string>& argv, CliContext& ctx) {
    if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
        (argv.empty() ? ctx.err : ctx.out) << kHelp;
        return argv.empty() ? kExitUsage : kExitOk;
    }
    const std::vector<std::string> rest(argv.begin() + 1, argv.end());
    int exitCode = kExitOk;
    if (argv[0] == "build") {
        auto args = parseOrExit(rest, {{"--json"}, {"--out", "--kid", "--expires", "--issued-at", "--include"}}, kHelp, ctx, exitCode);
        return args ? build(*args, ctx) : exitCode;
    }
    if (argv[0] == "show") {
        auto args = parseOrExit(rest, {{"--json"}, {}}, kHelp, ctx, exitCode);
        return args ? show(*args, ctx) : exitCode;
    }
    ctx.err << "sentinel fleet revocation: unknown subcommand '" << argv[0] << "'\n\n" << kHelp;
    return kExitUsage;
}

}  // namespace sentinel::app

#include "firmware/app/Cli.h"

#include <iostream>

namespace sentinel::app {

int cmdMrz(const std::vector<std::string>& args, CliContext& ctx);  // CmdMrz.cpp

namespace {

struct Command {
    const char* name;
    const char* summary;
    int (*fn)(const std::vector<std::string>&, CliContext&);
};

constexpr Command kCommands[] = {
    {"run", "the kiosk: camera → decode → verify → decide → indicate → journal, until SIGTERM", cmdRun},
    {"demo", "self-contained demonstration on a replay camera with a built-in test issuer", cmdDemo},
    {"decode", "decode QR codes in images", cmdDecode},
    {"mrz", "read the machine readable zone (passport, TD1 card) in images", cmdMrz},
    {"verify", "verify one payload and print the decision record", cmdVerify},
    {"scan", "decode + verify + decide each image as if it were a camera frame", cmdScan},
    {"bench", "benchmarks: `bench decode`, `bench latency`, `bench screen`, `bench rules`", cmdBench},
    {"stats", "journal statistics", cmdStats},
    {"journal", "the tamper-evident journal: `journal verify`, `journal key`, `journal prove`", cmdJournal},
    {"audit", "check received records and checkpoints against a kiosk's key (back office)", cmdAudit},
    {"config", "check a configuration file, print the key reference", cmdConfig},
    {"diag", "field diagnostics: camera, decode, indicator, service, clock, trust list, journal", cmdDiag},
    {"trust", "trust-list management: `trust list`, `trust import FILE`, `trust sync`", cmdTrust},
    {"rules", "business rules (CertLogic): `rules test`, `rules eval`, `rules check`, `rules builtin`", cmdRules},
    {"risk", "risk-area lists (§14): `risk check FILE` validates one", cmdRisk},
    {"testcard", "write test-card QR images signed by the device's test issuer", cmdTestcard},
    {"status", "the running kiosk's live state (over its control socket)", cmdStatus},
    {"staff", "`staff override`: open the gate once for the last REFER/DENY, as the staff button does", cmdStaff},
    {"revocation", "`revocation hash`: the revocation hashes of an HC1 certificate (§17)", cmdRevocation},
    {"fleet", "operator tools: `fleet revocation build|show`", cmdFleet},
};

void usage(std::ostream& os, const std::string& program) {
    os << "Usage: " << program << " COMMAND [OPTIONS]\n\nSentinel — gate-side health-code verification kiosk.\n\nCommands:\n";
    for (const auto& c : kCommands) {
        std::string name = c.name;
        name.resize(10, ' ');
        os << "  " << name << c.summary << '\n';
    }
    os << "\nRun `" << program << " COMMAND --help` for the options of a command.\n"
       << "Exit status: 0 success/PASS, 1 DENY/REFER or a failed check, 2 usage or configuration error.\n";
}

}  // namespace

int runCli(const std::vector<std::string>& argv, CliContext& ctx) {
    if (argv.size() < 2) {
        usage(ctx.err, ctx.program);
        return kExitUsage;
    }
    const std::string& name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        usage(ctx.out, ctx.program);
        return kExitOk;
    }
    if (name == "--version" || name == "version") {
        ctx.out << "sentinel " << SENTINEL_VERSION << '\n';
        return kExitOk;
    }
    for (const auto& c : kCommands) {
        if (name == c.name) {
            std::vector<std::string> rest(argv.begin() + 2, argv.end());
            return c.fn(rest, ctx);
        }
    }
    ctx.err << ctx.program << ": unknown command '" << name << "'\n";
    usage(ctx.err, ctx.program);
    return kExitUsage;
}

}  // namespace sentinel::app

// `sentinel fleet …`: operator tools (DESIGN §13.1, §17). A small table of subcommands, one file
// each (`bundle`, `send` and `watch` share CmdFleetOps.cpp).
#include "firmware/app/CliUtil.h"

namespace sentinel::app {

int cmdFleetRevocation(const std::vector<std::string>& args, CliContext& ctx);
int cmdFleetBundle(const std::vector<std::string>& args, CliContext& ctx);
int cmdFleetSend(const std::vector<std::string>& args, CliContext& ctx);
int cmdFleetWatch(const std::vector<std::string>& args, CliContext& ctx);

namespace {

struct FleetCommand {
    const char* name;
    const char* summary;
    int (*fn)(const std::vector<std::string>&, CliContext&);
};

constexpr FleetCommand kFleetCommands[] = {
    {"revocation", "`fleet revocation build`: write a revocation index from hash files (§17)", cmdFleetRevocation},
    {"bundle", "make and sign a trust/policy bundle from any subset of its parts (§13.1)", cmdFleetBundle},
    {"send", "sign and publish a command to a kiosk, station, group or all; print the acks", cmdFleetSend},
    {"watch", "the kiosks at a glance from their retained statuses, alarms and acks", cmdFleetWatch},
};

void usage(std::ostream& os) {
    os << "Usage: sentinel fleet COMMAND [OPTIONS]\n\nOperator tools.\n\nCommands:\n";
    for (const auto& c : kFleetCommands) {
        std::string name = c.name;
        name.resize(12, ' ');
        os << "  " << name << c.summary << '\n';
    }
    os << "\nRun `sentinel fleet COMMAND --help` for the options of a command.\n";
}

}  // namespace

int cmdFleet(const std::vector<std::string>& argv, CliContext& ctx) {
    if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
        usage(argv.empty() ? ctx.err : ctx.out);
        return argv.empty() ? kExitUsage : kExitOk;
    }
    for (const auto& c : kFleetCommands) {
        if (argv[0] == c.name) return c.fn(std::vector<std::string>(argv.begin() + 1, argv.end()), ctx);
    }
    ctx.err << "sentinel fleet: unknown command '" << argv[0] << "'\n\n";
    usage(ctx.err);
    return kExitUsage;
}

}  // namespace sentinel::app

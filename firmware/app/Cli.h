#pragma once
// `sentinel` command line (DESIGN §4). Exit status: 0 success/PASS, 1 DENY/REFER or a failed check,
// 2 usage or configuration error.

#include <iosfwd>
#include <string>
#include <vector>

namespace sentinel::app {

constexpr int kExitOk = 0;
constexpr int kExitFail = 1;
constexpr int kExitUsage = 2;

struct CliContext {
    std::ostream& out;
    std::ostream& err;
    std::string program = "sentinel";
};

int runCli(const std::vector<std::string>& argv, CliContext& ctx);

// Subcommands (one file each). `args` excludes the program and subcommand names.
int cmdDecode(const std::vector<std::string>& args, CliContext& ctx);
int cmdVerify(const std::vector<std::string>& args, CliContext& ctx);
int cmdScan(const std::vector<std::string>& args, CliContext& ctx);
int cmdRun(const std::vector<std::string>& args, CliContext& ctx);
int cmdDemo(const std::vector<std::string>& args, CliContext& ctx);
int cmdBench(const std::vector<std::string>& args, CliContext& ctx);
int cmdConfig(const std::vector<std::string>& args, CliContext& ctx);
int cmdStats(const std::vector<std::string>& args, CliContext& ctx);
int cmdDiag(const std::vector<std::string>& args, CliContext& ctx);
int cmdTrust(const std::vector<std::string>& args, CliContext& ctx);
int cmdRules(const std::vector<std::string>& args, CliContext& ctx);
int cmdTestcard(const std::vector<std::string>& args, CliContext& ctx);
int cmdStatus(const std::vector<std::string>& args, CliContext& ctx);
int cmdStaff(const std::vector<std::string>& args, CliContext& ctx);
int cmdRevocation(const std::vector<std::string>& args, CliContext& ctx);
int cmdFleet(const std::vector<std::string>& args, CliContext& ctx);
int cmdRisk(const std::vector<std::string>& args, CliContext& ctx);
int cmdJournal(const std::vector<std::string>& args, CliContext& ctx);
int cmdAudit(const std::vector<std::string>& args, CliContext& ctx);

}  // namespace sentinel::app

// `sentinel bench decode|latency|rules|revocation …`
#include "firmware/app/CliUtil.h"
#include "firmware/decode/bench/BenchDecode.h"
#include "firmware/mrz/bench/BenchMrz.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel bench decode --manifest TSV [--json] [--peers]
       sentinel bench latency [--json] [--frames N] [--online-delays MS,MS,…] [--rules PATH [--rules-country CC]]
       sentinel bench screen [--display png:DIR|sdl] [--decisions N] [--json]
       sentinel bench rules --rules PATH [--country CC] [--decisions N] [--json]
       sentinel bench staff [--json] [--presentations N] [--hostile N]
       sentinel bench revocation [--entries N] [--json]
       sentinel bench journal [--json] [--appends N] [--verify-records N] [--dir DIR]
       sentinel bench mrz --manifest TSV [--json] [--peers] [--frames N]
       sentinel bench documents [--cards N] [--delays MS,MS,…] [--json]

decode    decode benchmark: each manifest image is held before the live engine as a still scene
          for up to 15 frames; prints decoded count, frames-to-read and per-frame ms overall and per
          category; --peers adds plain ZXing-cpp and wechat_qrcode on the same images.
          `sentinel bench decode --help` for details.
latency   end-to-end latency (frame in → indicator out), offline and online.
          `sentinel bench latency --help` for details.
screen    the kiosk screen: decision → result on screen latency, screen-thread CPU at idle with
          the preview, decode time with and without the screen running.
          `sentinel bench screen --help` for details.
rules     cost of the rules of one decision: built-in vs a loaded rule set (µs p50/p99).
          `sentinel bench rules --help` for details.
staff     staff override and status round trips over the control socket, and the decision latency
          with a quiet and a hostile socket. `sentinel bench staff --help` for details.
revocation  the revocation index (§17): resident memory, lookup µs, load + verify + swap ms, false
          positives, offline decision with and without it. `sentinel bench revocation --help`.
journal   the journal's Merkle log: its work per append, append with and without it, checkpoint
          signing, `journal verify` of 1 M records. `sentinel bench journal --help` for details.
documents card placed on the (simulated) ID-card reader → decision, with the reference service at
          each delay. `sentinel bench documents --help` for details.
mrz       MRZ reader: each manifest image held before the live reader for up to 10 frames; read
          rate, frames-to-read, wrong reads, per-frame ms, per pitch band; --peers adds the
          tesseract command. `sentinel bench mrz --help` for details.
)HELP";

}  // namespace

int cmdBenchLatency(const std::vector<std::string>& args, CliContext& ctx);
int cmdBenchScreen(const std::vector<std::string>& args, CliContext& ctx);
int cmdBenchRules(const std::vector<std::string>& args, CliContext& ctx);
int cmdBenchStaff(const std::vector<std::string>& args, CliContext& ctx);
int cmdBenchRevocation(const std::vector<std::string>& args, CliContext& ctx);
int cmdBenchJournal(const std::vector<std::string>& args, CliContext& ctx);
int cmdBenchDocuments(const std::vector<std::string>& args, CliContext& ctx);

int cmdBench(const std::vector<std::string>& argv, CliContext& ctx) {
    if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
        (argv.empty() ? ctx.err : ctx.out) << kHelp;
        return argv.empty() ? kExitUsage : kExitOk;
    }
    std::vector<std::string> rest(argv.begin() + 1, argv.end());
    if (argv[0] == "decode") return decode::runBenchDecode(rest, ctx.out, ctx.err);
    if (argv[0] == "latency") return cmdBenchLatency(rest, ctx);
    if (argv[0] == "screen") return cmdBenchScreen(rest, ctx);
    if (argv[0] == "rules") return cmdBenchRules(rest, ctx);
    if (argv[0] == "staff") return cmdBenchStaff(rest, ctx);
    if (argv[0] == "revocation") return cmdBenchRevocation(rest, ctx);
    if (argv[0] == "journal") return cmdBenchJournal(rest, ctx);
    if (argv[0] == "documents") return cmdBenchDocuments(rest, ctx);
    if (argv[0] == "mrz") return mrz::runBenchMrz(rest, ctx.out, ctx.err);
    ctx.err << "sentinel bench: unknown benchmark '" << argv[0] << "'\n\n" << kHelp;
    return kExitUsage;
}

}  // namespace sentinel::app

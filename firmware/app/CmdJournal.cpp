// `sentinel journal verify|key|prove` (DESIGN §16): thin wrappers over firmware/journal.
#include <charconv>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "firmware/app/CliUtil.h"
#include "firmware/journal/JournalVerify.h"
#include "firmware/journal/SignedNote.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel journal verify [--json] [--key VKEY] [--config FILE | JOURNAL]
       sentinel journal key [--config FILE]
       sentinel journal prove [--out FILE] [--config FILE | JOURNAL] SEQ

The journal's Merkle log and signed checkpoints (DESIGN §16).

verify  recomputes every record's leaf from the stored columns, replays the log from the pruned
        prefix, checks every checkpoint's root and signature and the stored log state. Reports the
        pruned prefix, the verified range (covered by a checkpoint), the unattested tail (after the
        last checkpoint) and, when anything is wrong, the first bad seq. Read-only: safe while
        `sentinel run` writes.
key     prints the device's verifier key (name+keyid+key) for the back office's `sentinel audit`.
prove   writes a C2SP tlog-proof that record SEQ is in the latest checkpoint (the record's published
        line travels in it); `sentinel audit --proof FILE` checks it.

Options:
  --key VKEY      verifier key, or a file holding it (default: from kiosk.state_dir of --config;
                  with neither --key nor --config, only the roots are checked and the report says so)
  --config FILE   configuration (default /etc/sentinel/sentinel.toml): journal.path, kiosk.state_dir, kiosk.id
  JOURNAL         a journal file instead of journal.path
  --out FILE      prove: write the proof here instead of stdout
  --json          verify: the report as one JSON object
                  {"ok","journal_id","log_size","records","pruned","verified","unattested","migrated",
                   "checkpoints":{"total","verified","latest"},"signatures","key","first_bad_seq",
                   "problem_count","problems":[{"seq","problem","detail"}]}
  --help          this text

Exit status: 0 intact (verify) / done, 1 tampered (the first bad seq is named), no key, or no proof
possible, 2 usage or configuration error, or no such journal.
)HELP";

Result<std::string> readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return makeError(path + ": cannot read");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// --key: a verifier key string, or a file whose first line is one.
Result<journal::NoteVerifier> verifierFrom(const std::string& value) {
    std::string text = value;
    std::error_code ec;
    if (std::filesystem::is_regular_file(value, ec)) {
        auto content = readFile(value);
        if (!content) return content.error();
        text = content->substr(0, content->find('\n'));
    }
    while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
    auto v = journal::NoteVerifier::parse(text);
    if (!v) return makeError("--key: " + v.error().message);
    return v;
}

int verify(const Args& args, CliContext& ctx) {
    if (args.positionals.size() > 1) {
        ctx.err << "sentinel journal verify: one JOURNAL at most\n\n" << kHelp;
        return kExitUsage;
    }
    const bool haveFile = !args.positionals.empty();
    std::optional<kiosk::Config> cfg;
    if (!haveFile || args.value("--config")) {
        cfg = loadConfigOrReport(args, ctx);
        if (!cfg) return kExitUsage;
    }
    const std::filesystem::path path = haveFile ? std::filesystem::path(args.positionals[0]) : std::filesystem::path(cfg->journal.path);
    std::optional<journal::NoteVerifier> key;
    if (auto k = args.value("--key")) {
        auto v = verifierFrom(*k);
        if (!v) {
            ctx.err << "sentinel journal verify: " << v.error().message << '\n';
            return kExitUsage;
        }
        key = std::move(*v);
    } else if (cfg && (!cfg->file.empty() || !haveFile)) {
        auto signer = journal::loadJournalKey(cfg->kiosk.stateDir, cfg->kiosk.id);
        if (signer) {
            key = signer->verifier();
        } else {
            ctx.err << "sentinel journal verify: no key (" << signer.error().message << "): checking roots only\n";
        }
    }
    auto report = journal::verifyJournal(path, key ? &*key : nullptr);
    if (!report) {
        ctx.err << "sentinel journal verify: " << report.error().message << '\n';
        return kExitUsage;
    }
    if (args.has("--json")) {
        ctx.out << journal::toJson(*report).dump() << '\n';
    } else {
        ctx.out << journal::renderVerifyReport(*report);
    }
    return report->intact() ? kExitOk : kExitFail;
}

int key(const Args& args, CliContext& ctx) {
    if (!args.positionals.empty()) {
        ctx.err << "sentinel journal key: no arguments but --config\n\n" << kHelp;
        return kExitUsage;
    }
    auto cfg = loadConfigOrReport(args, ctx);
    if (!cfg) return kExitUsage;
    auto signer = journal::loadJournalKey(cfg->kiosk.stateDir, cfg->kiosk.id);
    if (!signer) {
        ctx.err << "sentinel journal key: " << signer.error().message
                << " (the key is made when `sentinel run` first starts)\n";
        return kExitFail;
    }
    ctx.out << signer->verifier().toString() << '\n';
    return kExitOk;
}

int prove(const Args& args, CliContext& ctx) {
    if (args.positionals.empty() || args.positionals.size() > 2) {
        ctx.err << "sentinel journal prove: give SEQ (and at most one JOURNAL)\n\n" << kHelp;
        return kExitUsage;
    }
    const std::string& seqText = args.positionals.back();
    std::int64_t seq = 0;
    const auto [end, ec] = std::from_chars(seqText.data(), seqText.data() + seqText.size(), seq);
    if (ec != std::errc{} || end != seqText.data() + seqText.size() || seq < 1) {
        ctx.err << "sentinel journal prove: SEQ is not a sequence number: " << seqText << '\n';
        return kExitUsage;
    }
    std::filesystem::path path;
    if (args.positionals.size() == 2) {
        path = args.positionals[0];
    } else {
        auto cfg = loadConfigOrReport(args, ctx);
        if (!cfg) return kExitUsage;
        path = cfg->journal.path;
    }
    if (!std::filesystem::exists(path)) {
        ctx.err << "sentinel journal prove: " << path.string() << ": no such journal\n";
        return kExitUsage;
    }
    auto proof = journal::proveRecord(path, seq);
    if (!proof) {
        ctx.err << "sentinel journal prove: " << proof.error().message << '\n';
        return kExitFail;
    }
    if (auto out = args.value("--out")) {
        std::ofstream f(*out, std::ios::binary | std::ios::trunc);
        f << *proof;
        if (!f.flush()) {
            ctx.err << "sentinel journal prove: " << *out << ": cannot write\n";
            return kExitFail;
        }
    } else {
        ctx.out << *proof;
    }
    return kExitOk;
}

}  // namespace

int cmdJournal(const std::vector<std::string>& argv, CliContext& ctx) {
    if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
        (argv.empty() ? ctx.err : ctx.out) << kHelp;
        return argv.empty() ? kExitUsage : kExitOk;
    }
    const std::vector<std::string> rest(argv.begin() + 1, argv.end());
    int exitCode = kExitOk;
    if (argv[0] == "verify") {
        auto args = parseOrExit(rest, {{"--json"}, {"--config", "--key"}}, kHelp, ctx, exitCode);
        return args ? verify(*args, ctx) : exitCode;
    }
    if (argv[0] == "key") {
        auto args = parseOrExit(rest, {{}, {"--config"}}, kHelp, ctx, exitCode);
        return args ? key(*args, ctx) : exitCode;
    }
    if (argv[0] == "prove") {
        auto args = parseOrExit(rest, {{}, {"--config", "--out"}}, kHelp, ctx, exitCode);
        return args ? prove(*args, ctx) : exitCode;
    }
    ctx.err << "sentinel journal: unknown subcommand '" << argv[0] << "'\n\n" << kHelp;
    return kExitUsage;
}

}  // namespace sentinel::app

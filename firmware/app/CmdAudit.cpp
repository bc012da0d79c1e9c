// `sentinel audit --records FILE --checkpoints FILE --key VKEY [--json] [--proof FILE]` (DESIGN §16):
// the back office's check of what a subscriber received; the logic is firmware/journal/Audit.
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "firmware/app/CliUtil.h"
#include "firmware/journal/Audit.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel audit --records FILE --checkpoints FILE --key VKEY [--json] [--proof FILE]
       sentinel audit --proof FILE --key VKEY [--json]

Checks what a subscriber received from a kiosk against the kiosk's verifier key (`sentinel journal
key` prints it): the payloads of sentinel/v1/{kiosk_id}/decisions and …/checkpoints, one per line,
as `mosquitto_sub -F %p` writes them. Each record line is a leaf of the kiosk's Merkle log exactly
as received; the roots of the signed checkpoints are recomputed from them. Reported per checkpoint
and journal: missing, altered, reordered, or duplicated-with-different-content records (identical
repeats of at-least-once delivery are fine), checkpoints without the kiosk's signature, the verified
range and the unattested tail after the last checkpoint. Records and checkpoints of other kiosks
are ignored. --proof checks a C2SP tlog-proof from `sentinel journal prove` (and, with --records,
that the record received under that seq is the one proven).

Options:
  --records FILE      decisions payloads (NDJSON)
  --checkpoints FILE  checkpoints payloads ({"checkpoint":"<signed note>","at"} per line)
  --key VKEY          the kiosk's verifier key, or a file holding it
  --proof FILE        a tlog-proof file
  --json              {"ok","kiosk_id","key","journals":[{"journal_id","records","repeats",
                       "checkpoints":{"total","verified","latest"},"verified","unattested","migrated",
                       "problems":[{"seq","problem","detail"}]}],"problems","other_kiosks",
                       "first_bad_seq","proof":{"ok","seq","journal_id","checkpoint","detail"}}
  --help              this text

Exit status: 0 intact, 1 tampered (the first bad seq is named) or the proof fails, 2 usage error or
an unreadable file.
)HELP";

Result<std::string> readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return makeError(path + ": cannot read");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

int cmdAudit(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--records", "--checkpoints", "--key", "--proof"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    const auto records = args->value("--records"), checkpoints = args->value("--checkpoints"), proof = args->value("--proof");
    const auto keyArg = args->value("--key");
    if (!keyArg || !args->positionals.empty() || (!proof && (!records || !checkpoints))) {
        ctx.err << "sentinel audit: give --key and --records with --checkpoints, or --proof\n\n" << kHelp;
        return kExitUsage;
    }
    std::string keyText = *keyArg;
    std::error_code ec;
    if (std::filesystem::is_regular_file(keyText, ec)) {
        auto content = readFile(keyText);
        if (!content) {
            ctx.err << "sentinel audit: " << content.error().message << '\n';
            return kExitUsage;
        }
        keyText = content->substr(0, content->find('\n'));
    }
    while (!keyText.empty() && (keyText.back() == '\r' || keyText.back() == ' ')) keyText.pop_back();
    auto key = journal::NoteVerifier::parse(keyText);
    if (!key) {
        ctx.err << "sentinel audit: --key: " << key.error().message << '\n';
        return kExitUsage;
    }
    std::string recordsText, checkpointsText, proofText;
    journal::AuditInput input;
    for (auto [option, text, slot] : {std::tuple{records, &recordsText, &input.records},
                                      std::tuple{checkpoints, &checkpointsText, &input.checkpoints},
                                      std::tuple{proof, &proofText, &input.proof}}) {
        if (!option) continue;
        auto content = readFile(*option);
        if (!content) {
            ctx.err << "sentinel audit: " << content.error().message << '\n';
            return kExitUsage;
        }
        *text = std::move(*content);
        *slot = *text;
    }
    auto report = journal::audit(input, *key);
    if (!report) {
        ctx.err << "sentinel audit: " << report.error().message << '\n';
        return kExitUsage;
    }
    if (args->has("--json")) {
        ctx.out << journal::toJson(*report).dump() << '\n';
    } else {
        ctx.out << journal::renderAuditReport(*report);
    }
    return report->intact() ? kExitOk : kExitFail;
}

}  // namespace sentinel::app

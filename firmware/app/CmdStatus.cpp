// `sentinel status [--json] [--config FILE]` and `sentinel staff override [--json] [--config FILE]`:
// the CLI side of the control socket (DESIGN §11).
#include <cstdlib>

#include "firmware/app/CliUtil.h"
#include "firmware/kiosk/Kiosk.h"
#include "firmware/control/ControlServer.h"
#include "firmware/control/KioskStatus.h"

namespace sentinel::app {
namespace {

constexpr const char* kStatusHelp = R"HELP(Usage: sentinel status [--json] [--config FILE]

The running kiosk's live state, asked over its control socket (staff.control_socket): uptime,
camera source and frame rate, last decode time, the last decisions (seq, time, decision, reason —
no personal data), journal size and upload backlog, trust-list age, clock trust, fleet link state,
the staff-override candidate, active alarms. Needs `sentinel run` to be running; the socket is
mode 0660, group sentinel: run as root or as a member of that group.

Options:
  --config FILE   configuration (default /etc/sentinel/sentinel.toml): where the socket is
  --json          the report as one JSON object
  --help          this text

Exit status: 0 the kiosk answered, 1 no running kiosk answered (the message says why),
2 usage or configuration error.
)HELP";

constexpr const char* kStaffHelp = R"HELP(Usage: sentinel staff override --seq N [--staff ID] [--json] [--config FILE]

Opens the gate once for record N — the REFER or DENY that `sentinel status` shows as overridable —
after staff have looked at the traveller's papers. The running kiosk (over staff.control_socket)
journals a PASS STAFF_OVERRIDE record naming the record it overrides ("overrides": N) and the staff
number ("staff": ID), pulses the relay and shows it. Nothing opens when N is no longer the
overridable decision (a newer REFER or DENY replaced it: another traveller), when it is older than
staff.override_window_s, when it was already overridden, in diagnostics mode, or for a test card;
the answer says which.

Without --seq the override acts on whatever is the most recent REFER or DENY when it reaches the
kiosk, as the staff button does — which may be another traveller's; a warning says so.

Options:
  --seq N         the record to override (from `sentinel status`)
  --staff ID      the operator-assigned staff number to keep on the record (1–32 letters, digits,
                  '-', '_', '.'); never a name
  --config FILE   configuration (default /etc/sentinel/sentinel.toml): where the socket is
  --json          the kiosk's answer as one JSON object
  --help          this text

Exit status: 0 the gate opened, 1 nothing opened (the reason is printed), 2 usage or configuration
error.
)HELP";

// The CLI waits a little longer than the kiosk's own reply timeout, so the kiosk's answer (even
// "timeout") arrives rather than the CLI giving up first.
constexpr std::chrono::milliseconds kAnswerTimeout = control::kControlReplyTimeout + std::chrono::seconds{2};

}  // namespace

int cmdStatus(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--config"}}, kStatusHelp, ctx, exitCode);
    if (!args) return exitCode;
    if (!args->positionals.empty()) {
        ctx.err << "sentinel status: unexpected argument '" << args->positionals[0] << "'\n\n" << kStatusHelp;
        return kExitUsage;
    }
    auto cfg = loadConfigOrReport(*args, ctx);
    if (!cfg) return kExitUsage;
    if (cfg->staff.controlSocket.empty()) {
        ctx.err << "sentinel status: staff.control_socket is empty: the kiosk has no control socket\n";
        return kExitFail;
    }
    auto answer = control::controlRequest(cfg->staff.controlSocket, {{"cmd", "status"}}, kAnswerTimeout);
    if (!answer) {
        ctx.err << "sentinel status: " << answer.error().message << '\n';
        return kExitFail;
    }
    if (!answer->value("ok", false) || !answer->contains("status")) {
        ctx.err << "sentinel status: the kiosk answered: " << answer->value("error", std::string("no status")) << '\n';
        return kExitFail;
    }
    if (args->has("--json")) {
        ctx.out << (*answer)["status"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else {
        ctx.out << control::renderStatusTable((*answer)["status"]);
    }
    return kExitOk;
}

int cmdStaff(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--config", "--seq", "--staff"}}, kStaffHelp, ctx, exitCode);
    if (!args) return exitCode;
    if (args->positionals.size() != 1 || args->positionals[0] != "override") {
        ctx.err << "sentinel staff: expected `override`\n\n" << kStaffHelp;
        return kExitUsage;
    }
    nlohmann::json request{{"cmd", "override"}};
    if (auto seq = args->value("--seq")) {
        char* end = nullptr;
        const long long n = std::strtoll(seq->c_str(), &end, 10);
        if (seq->empty() || *end != '\0' || n < 1) {
            ctx.err << "sentinel staff override: --seq must be a record number (from `sentinel status`)\n\n" << kStaffHelp;
            return kExitUsage;
        }
        request["seq"] = n;
    } else {
        ctx.err << "sentinel staff override: warning: without --seq this opens for whatever is the most recent REFER/DENY "
                   "when it reaches the kiosk; give --seq N from `sentinel status`\n";
    }
    if (auto staff = args->value("--staff")) {
        if (!kiosk::validStaffId(*staff)) {
            ctx.err << "sentinel staff override: --staff must be a staff number: 1–32 letters, digits, '-', '_' or '.'\n";
            return kExitUsage;
        }
        request["staff"] = *staff;
    }
    auto cfg = loadConfigOrReport(*args, ctx);
    if (!cfg) return kExitUsage;
    if (cfg->staff.controlSocket.empty()) {
        ctx.err << "sentinel staff override: staff.control_socket is empty: the kiosk has no control socket\n";
        return kExitFail;
    }
    auto answer = control::controlRequest(cfg->staff.controlSocket, request, kAnswerTimeout);
    if (!answer) {
        ctx.err << "sentinel staff override: " << answer.error().message << " — nothing opened\n";
        return kExitFail;
    }
    const bool opened = answer->value("ok", false) && answer->value("opened", false);
    if (args->has("--json")) {
        ctx.out << answer->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else if (opened) {
        ctx.out << "gate opened: PASS STAFF_OVERRIDE seq " << answer->value("seq", 0) << ", "
                << answer->value("detail", std::string()) << '\n';
    }
    if (!opened) {
        std::string why = answer->value("detail", std::string());
        if (why.empty()) why = answer->value("error", std::string("refused"));
        ctx.err << "sentinel staff override: nothing opened: " << why << '\n';
        return kExitFail;
    }
    return kExitOk;
}

}  // namespace sentinel::app

// `sentinel fleet bundle|send|watch` (DESIGN §13.1): make and sign a bundle, sign and publish a
// command and collect the kiosks' acks, and watch the fleet from the retained statuses.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <map>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "firmware/app/CliUtil.h"
#include "firmware/fleet/Command.h"
#include "firmware/fleet/FleetView.h"
#include "firmware/fleet/OperatorClient.h"
#include "firmware/fleet/OperatorKey.h"
#include "firmware/kiosk/TrustBundle.h"

namespace sentinel::app {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kBundleHelp = R"HELP(Usage: sentinel fleet bundle --signing-key KEY --out FILE [--issued-at TIME]
                             [--trust-list F] [--policy F] [--rules F] [--revocation F]
                             [--risk-areas F] [--json]

Makes a signed trust/policy bundle (DESIGN §13.1) from any non-empty subset of the parts; a part
left out keeps the one in force at each kiosk. The bundle is checked as a kiosk checks it (with the
key's public half) before it is written, so a broken part is refused here.

Options:
  --signing-key KEY  the update key's private half (PEM, EC P-256); kiosks pin its public half as
                     trust.update_key
  --out FILE         where the bundle goes (written atomically)
  --issued-at TIME   RFC 3339 (default now): kiosks install only a bundle newer than theirs
  --trust-list F     certificates: PEM/DER/base64 file, a trust-list JSON, or a folder of them
  --policy F         a JSON object of policy keys without the `policy.` prefix, e.g.
                     {"max_test_age_h.naat":48,"accept_status":["green"]}
  --rules F          a business rule set (§12, what rules.path takes)
  --revocation F     a revocation index (`sentinel fleet revocation build`), attached to the bundle
  --risk-areas F     a risk-area list, or a JSON array of up to 8 (§14; `sentinel risk check F` first)
  --json             print {"file","issued_at","parts","bytes"}

Exit status: 0 written, 1 a part or the key is bad, 2 usage.
)HELP";

constexpr const char* kSendHelp = R"HELP(Usage: sentinel fleet send --broker URL --signing-key KEY --target TARGET [broker options]
                           [--timeout S] [--expires-in S] [--id ID] [--json] COMMAND [FILE]

Signs a command with the update key's private half, publishes it for TARGET and prints the acks of
the kiosks that answer within --timeout (DESIGN §13.1: every command is answered).

TARGET   kiosk:ID, station:NAME, group:NAME or all
COMMAND  bundle FILE   install a signed bundle (`sentinel fleet bundle`); published retained, so a
                       kiosk that is offline now gets it when it connects
         sync_now      fetch the bundle from trust.sync_url now
         diag          run the diagnostics; the report comes back on sentinel/v1/{id}/diag

For kiosk:ID it waits for that kiosk; for a station, group or all, for every kiosk whose retained
status says it is online there (and prints any other that answers).

Broker options:
  --broker URL          mqtt://host[:1883] or mqtts://host[:8883]
  --ca-file F           the fleet CA (mqtts)
  --cert F, --key F     the operator's client certificate and key (mqtts with client certificates)
  --username NAME       default "operator"
  --password-file F     the broker password
Options:
  --timeout S           how long to wait for acks (default 10)
  --expires-in S        the command is refused after this long (default 3600; at most 7 days)
  --id ID               the command id (default a fresh one)
  --json                one JSON object per ack, then {"command","answered","refused","missing"}

Exit status: 0 every kiosk waited for answered ok, 1 a kiosk refused, none answered or one waited
for did not answer, 2 usage.
)HELP";

constexpr const char* kWatchHelp = R"HELP(Usage: sentinel fleet watch --broker URL [broker options] [--json] [--once | --timeout S]

The fleet at a glance (DESIGN §13.1), from the kiosks' retained statuses, their alarms and acks: one
line per kiosk — id, online/offline (the last will), station, group, policy in force, frame rate,
clock, checkpoint size, active alarms. Without --once, a line is printed again whenever a kiosk's
row changes, until --timeout S has passed or SIGINT.

Broker options: as `sentinel fleet send` (--broker, --ca-file, --cert, --key, --username,
--password-file).
Options:
  --once      print the fleet as the retained statuses say it is now, then exit
  --timeout S stop watching after S seconds
  --json      one JSON object per kiosk: {"kiosk_id","state","station","group","policy_version",
              "alarms":[…],"camera_fps","clock_trusted","checkpoint_size","since"|"at","last_ack"?,"last_alarm"?}

Exit status: 0 done, 1 the broker could not be reached, 2 usage.
)HELP";

// Connecting and the first answers: a broker across a WAN answers in well under this.
constexpr auto kConnectTimeout = 10s;
constexpr int kDefaultAckTimeoutS = 10;
constexpr int kDefaultExpiresInS = 3600;
// Fleet watch without --timeout: run until SIGINT, waking this often to look at the flag.
constexpr auto kWatchSlice = 500ms;

const std::set<std::string> kBrokerOptions{"--broker", "--ca-file", "--cert", "--key", "--username", "--password-file"};

std::atomic<bool> gWatchStop{false};
extern "C" void onWatchStop(int) { gWatchStop = true; }

std::set<std::string> withBrokerOptions(std::set<std::string> more) {
    more.insert(kBrokerOptions.begin(), kBrokerOptions.end());
    return more;
}

Result<fleet::OperatorOptions> brokerOptions(const Args& args) {
    fleet::OperatorOptions o;
    auto broker = args.value("--broker");
    if (!broker) return makeError("--broker URL is required");
    o.brokerUrl = *broker;
    o.caFile = args.value("--ca-file").value_or("");
    o.certFile = args.value("--cert").value_or("");
    o.keyFile = args.value("--key").value_or("");
    o.username = args.value("--username").value_or("operator");
    if (auto pw = args.value("--password-file")) {
        auto text = kiosk::readFile(*pw);
        if (!text) return makeError("--password-file: " + text.error().message);
        std::string p = std::move(text).value();
        while (!p.empty() && (p.back() == '\n' || p.back() == '\r')) p.pop_back();
        o.password = std::move(p);
    }
    return o;
}

Result<int> seconds(const Args& args, const char* option, int fallback, int max) {
    auto v = args.value(option);
    if (!v) return fallback;
    try {
        std::size_t used = 0;
        const int n = std::stoi(*v, &used);
        if (used == v->size() && n > 0 && n <= max) return n;
    } catch (const std::exception&) {
    }
    return makeError(std::string(option) + " wants whole seconds, 1–" + std::to_string(max));
}

std::string freshCommandId(UtcTime now) {
    std::random_device rd;
    return "op-" + std::to_string(toEpochSeconds(now)) + "-" + std::to_string(rd() % 1'000'000);
}

// Which kiosks a target reaches, as their retained statuses say (online ones only).
bool reaches(const std::string& target, const json& row) {
    if (row.value("state", "") != "online") return false;
    if (target == "all") return true;
    const auto colon = target.find(':');
    const std::string kind = target.substr(0, colon), name = target.substr(colon + 1);
    if (kind == "kiosk") return row.value("kiosk_id", "") == name;
    const json v = row.value(kind, json());
    return v.is_string() && v.get<std::string>() == name;
}

}  // namespace

int cmdFleetBundle(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--signing-key", "--out", "--issued-at", "--trust-list", "--policy", "--rules", "--revocation", "--risk-areas"}},
                            kBundleHelp, ctx, exitCode);
    if (!args) return exitCode;
    if (!args->positionals.empty() || !args->value("--signing-key") || !args->value("--out")) {
        ctx.err << "sentinel fleet bundle: give --signing-key KEY and --out FILE (and no other argument)\n\n" << kBundleHelp;
        return kExitUsage;
    }
    fleet::BundleInputs in;
    in.issuedAt = std::chrono::time_point_cast<std::chrono::seconds>(SystemClock().now());  // whole seconds: what people type
    if (auto at = args->value("--issued-at")) {
        auto t = parseRfc3339(*at);
        if (!t) {
            ctx.err << "sentinel fleet bundle: --issued-at '" << *at << "' is not RFC 3339\n";
            return kExitUsage;
        }
        in.issuedAt = *t;
    }
    if (auto v = args->value("--trust-list")) in.trustList = *v;
    if (auto v = args->value("--policy")) in.policy = *v;
    if (auto v = args->value("--rules")) in.rules = *v;
    if (auto v = args->value("--revocation")) in.revocation = *v;
    if (auto v = args->value("--risk-areas")) in.riskAreas = *v;
    auto key = fleet::OperatorKey::load(*args->value("--signing-key"));
    if (!key) {
        ctx.err << "sentinel fleet bundle: " << key.error().message << '\n';
        return kExitFail;
    }
    auto bundle = fleet::makeBundle(in, *key);
    if (!bundle) {
        ctx.err << "sentinel fleet bundle: " << bundle.error().message << " (nothing written)\n";
        return kExitFail;
    }
    const std::string out = *args->value("--out");
    if (auto st = kiosk::writeFileAtomically(out, *bundle); !st) {
        ctx.err << "sentinel fleet bundle: " << st.error().message << '\n';
        return kExitFail;
    }
    auto parts = kiosk::verifyBundle(*bundle, key->publicPem());
    const json summary{{"file", out}, {"issued_at", formatRfc3339(in.issuedAt)}, {"parts", parts ? parts->parts() : std::vector<std::string>{}},
                       {"bytes", bundle->size()}};
    if (args->has("--json")) {
        ctx.out << summary.dump() << '\n';
    } else {
        std::string names;
        for (const auto& p : summary["parts"]) names += (names.empty() ? "" : ", ") + p.get<std::string>();
        ctx.out << "wrote " << out << ": bundle issued " << summary["issued_at"].get<std::string>() << " (" << names << "), "
                << bundle->size() << " bytes\n";
    }
    return kExitOk;
}

int cmdFleetSend(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, withBrokerOptions({"--signing-key", "--target", "--timeout", "--expires-in", "--id"})},
                            kSendHelp, ctx, exitCode);
    if (!args) return exitCode;
    const auto& pos = args->positionals;
    const std::string action = pos.empty() ? "" : pos[0];
    const bool wantsFile = action == "bundle";
    if (pos.empty() || pos.size() != (wantsFile ? 2u : 1u) || !args->value("--signing-key") || !args->value("--target")) {
        ctx.err << "sentinel fleet send: give --signing-key, --target and one COMMAND (bundle FILE, sync_now, diag)\n\n" << kSendHelp;
        return kExitUsage;
    }
    auto broker = brokerOptions(*args);
    auto timeoutS = seconds(*args, "--timeout", kDefaultAckTimeoutS, 3600);
    constexpr int kMaxLifetimeS = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(fleet::kMaxCommandLifetime).count());
    auto expiresS = seconds(*args, "--expires-in", kDefaultExpiresInS, kMaxLifetimeS);
    for (const Error* e : {broker ? nullptr : &broker.error(), timeoutS ? nullptr : &timeoutS.error(), expiresS ? nullptr : &expiresS.error()}) {
        if (e) {
            ctx.err << "sentinel fleet send: " << e->message << '\n';
            return kExitUsage;
        }
    }
    const std::string target = *args->value("--target");
    auto topic = fleet::commandTopic(target);
    if (!topic) {
        ctx.err << "sentinel fleet send: " << topic.error().message << '\n';
        return kExitUsage;
    }
    auto key = fleet::OperatorKey::load(*args->value("--signing-key"));
    if (!key) {
        ctx.err << "sentinel fleet send: " << key.error().message << '\n';
        return kExitFail;
    }
    const UtcTime now = SystemClock().now();
    fleet::CommandSpec spec;
    spec.id = args->value("--id").value_or(freshCommandId(now));
    spec.target = target;
    spec.action = action;
    spec.expiresAt = now + std::chrono::seconds{*expiresS};
    if (wantsFile) {
        auto bundle = kiosk::readFile(pos[1]);
        if (!bundle) {
            ctx.err << "sentinel fleet send: " << bundle.error().message << '\n';
            return kExitFail;
        }
        if (auto ok = kiosk::verifyBundle(*bundle, key->publicPem()); !ok) {
            ctx.err << "sentinel fleet send: " << pos[1] << ": " << ok.error().message << " (not sent)\n";
            return kExitFail;
        }
        spec.bundleEnvelope = std::move(bundle).value();
    }
    auto command = fleet::makeCommand(spec, *key);
    if (!command) {
        ctx.err << "sentinel fleet send: " << command.error().message << '\n';
        return kExitUsage;
    }
    auto client = fleet::OperatorClient::connect(*broker, {"sentinel/v1/+/status", "sentinel/v1/+/acks"}, kConnectTimeout);
    if (!client) {
        ctx.err << "sentinel fleet send: " << client.error().message << '\n';
        return kExitFail;
    }
    // Who should answer: the online kiosks the target reaches, as their retained statuses say.
    fleet::FleetView view;
    auto synced = (*client)->receiveRetained([&](const fleet::FleetMessage& m) { view.take(m.topic, m.payload); }, kConnectTimeout);
    std::set<std::string> expected;
    if (target.rfind("kiosk:", 0) == 0) expected.insert(target.substr(6));
    for (const auto& row : view.rows()) {
        if (reaches(target, row)) expected.insert(row["kiosk_id"].get<std::string>());
    }
    if (!synced || !*synced) {
        ctx.err << "sentinel fleet send: could not read the retained statuses" << (synced ? "" : ": " + synced.error().message) << '\n';
        return kExitFail;
    }
    if (auto st = (*client)->publish(*topic, *command, wantsFile, kConnectTimeout); !st) {
        ctx.err << "sentinel fleet send: " << st.error().message << '\n';
        return kExitFail;
    }
    if (!args->has("--json")) {
        ctx.out << "sent " << action << " as command " << spec.id << " to " << target << " (" << *topic << "); waiting up to "
                << *timeoutS << " s for " << expected.size() << " kiosk(s)\n";
    }
    std::map<std::string, json> acks;
    auto received = (*client)->receive(
        [&](const fleet::FleetMessage& m) {
            const std::string id = view.take(m.topic, m.payload);
            if (id.empty() || m.topic != "sentinel/v1/" + id + "/acks") return true;
            const json ack = json::parse(m.payload, nullptr, false);
            if (!ack.is_object() || ack.value("command", "") != spec.id) return true;
            acks[id] = ack;
            if (args->has("--json")) {
                json line = ack;
                line["kiosk_id"] = id;
                ctx.out << line.dump() << '\n';
            } else {
                ctx.out << "  " << id << ": " << (ack.value("ok", false) ? "ok" : "REFUSED") << " — " << ack.value("detail", "") << '\n';
            }
            return !std::all_of(expected.begin(), expected.end(), [&](const std::string& k) { return acks.count(k) > 0; }) ||
                   expected.empty();
        },
        std::chrono::seconds{*timeoutS});
    if (!received) {
        ctx.err << "sentinel fleet send: " << received.error().message << '\n';
        return kExitFail;
    }
    std::vector<std::string> refused, missing;
    for (const auto& [id, ack] : acks) {
        if (!ack.value("ok", false)) refused.push_back(id);
    }
    for (const auto& id : expected) {
        if (!acks.count(id)) missing.push_back(id);
    }
    if (args->has("--json")) {
        ctx.out << json{{"command", spec.id}, {"answered", acks.size()}, {"refused", refused}, {"missing", missing}}.dump() << '\n';
    } else {
        ctx.out << acks.size() << " answered, " << refused.size() << " refused";
        if (!missing.empty()) {
            ctx.out << ", no answer from";
            for (const auto& id : missing) ctx.out << ' ' << id;
        }
        ctx.out << '\n';
    }
    return acks.empty() || !refused.empty() || !missing.empty() ? kExitFail : kExitOk;
}

int cmdFleetWatch(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json", "--once"}, withBrokerOptions({"--timeout"})}, kWatchHelp, ctx, exitCode);
    if (!args) return exitCode;
    auto broker = brokerOptions(*args);
    auto timeoutS = seconds(*args, "--timeout", 0, 86400 * 365);
    if (!args->positionals.empty() || !broker || !timeoutS || (args->has("--once") && args->value("--timeout"))) {
        ctx.err << "sentinel fleet watch: " << (!broker ? broker.error().message : !timeoutS ? timeoutS.error().message : "give --broker, and --once or --timeout S (not both)")
                << "\n\n" << kWatchHelp;
        return kExitUsage;
    }
    const bool asJson = args->has("--json");
    auto client = fleet::OperatorClient::connect(*broker, {"sentinel/v1/+/status", "sentinel/v1/+/alarms", "sentinel/v1/+/acks"},
                                                 kConnectTimeout);
    if (!client) {
        ctx.err << "sentinel fleet watch: " << client.error().message << '\n';
        return kExitFail;
    }
    fleet::FleetView view;
    auto print = [&](const json& row) { ctx.out << (asJson ? row.dump() : fleet::FleetView::formatRow(row)) << '\n'; };
    auto synced = (*client)->receiveRetained([&](const fleet::FleetMessage& m) { view.take(m.topic, m.payload); }, kConnectTimeout);
    if (!synced || !*synced) {
        ctx.err << "sentinel fleet watch: could not read the retained statuses" << (synced ? "" : ": " + synced.error().message) << '\n';
        return kExitFail;
    }
    if (!asJson) ctx.out << fleet::FleetView::header() << '\n';
    for (const auto& row : view.rows()) print(row);
    ctx.out.flush();
    if (args->has("--once")) return kExitOk;

    gWatchStop = false;
    struct sigaction sa {};
    sa.sa_handler = onWatchStop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds{*timeoutS};
    while (!gWatchStop && (*timeoutS == 0 || std::chrono::steady_clock::now() < until)) {
        auto slice = *timeoutS == 0 ? std::chrono::milliseconds(kWatchSlice)
                                    : std::min<std::chrono::milliseconds>(kWatchSlice, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                                           until - std::chrono::steady_clock::now()));
        auto r = (*client)->receive(
            [&](const fleet::FleetMessage& m) {
                if (const std::string id = view.take(m.topic, m.payload); !id.empty()) {
                    print(view.row(id));
                    ctx.out.flush();
                }
                return true;
            },
            std::max(slice, std::chrono::milliseconds(0)));
        if (!r) {
            ctx.err << "sentinel fleet watch: " << r.error().message << '\n';
            return kExitFail;
        }
    }
    return kExitOk;
}

}  // namespace sentinel::app

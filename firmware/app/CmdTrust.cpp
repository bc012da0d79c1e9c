// `sentinel trust list|import|sync`
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "firmware/app/CliUtil.h"
#include "firmware/control/ControlServer.h"
#include "firmware/fleet/TrustSync.h"
#include "firmware/kiosk/TrustLoader.h"
#include "firmware/trust/TrustList.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel trust list [--json] [--config FILE]
       sentinel trust import FILE [--config FILE]
       sentinel trust sync [--config FILE]

list     the trust list in force: where from, certificate count, kids, countries, age
import   a signed bundle FILE (`sentinel fleet bundle`; USB, no network): verified with
         trust.update_key and installed atomically in <kiosk.state_dir>/trust exactly as a fleet
         command or trust sync installs it — refused when the signature does not verify, it is not
         newer than the bundle in force, or a part is broken; then a running kiosk is asked to
         reload (staff.control_socket). Any other FILE (PEM/DER/base64 certificate or trust-list
         JSON) is checked and copied into trust.path atomically (into the folder when trust.path
         is one; else replacing the file, the old one kept as <trust.path>.previous)
sync     fetch the signed bundle from trust.sync_url, verify it with trust.update_key, install it
         atomically in <kiosk.state_dir>/trust (the previous one kept); refuses a bad signature or
         a bundle not newer than the one in force. A running kiosk syncs by itself every
         trust.sync_interval_min.

Options:
  --json          (list) one JSON object
  --config FILE   configuration (default /etc/sentinel/sentinel.toml)
  --help          this text

Exit status: 0 done, 1 refused or failed (the list in force is unchanged), 2 usage or configuration error.
)HELP";

constexpr double kMsPerHour = 3600.0 * 1000.0;
// A sync run from the command line: a few MiB over a slow uplink.
constexpr std::chrono::seconds kSyncDeadline{60};
// The running kiosk answers reload_trust after re-reading its state_dir: a bundle of a few MiB.
constexpr std::chrono::seconds kReloadTimeout{10};

std::string base64(const std::vector<uint8_t>& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

int trustList(const Args& args, const kiosk::Config& cfg, CliContext& ctx) {
    kiosk::LoadedTrust loaded = kiosk::loadTrustState(cfg);
    const auto& st = *loaded.state;
    const UtcTime now = SystemClock().now();
    nlohmann::json j;
    j["source"] = st.source;
    if (!st.list) {
        j["error"] = loaded.error;
        if (args.has("--json")) {
            ctx.out << j.dump() << '\n';
        } else {
            ctx.out << "no trust list: " << loaded.error << '\n';
        }
        return kExitFail;
    }
    std::set<std::string> countries;
    std::vector<std::string> kids;
    for (const auto& c : st.list->certificates()) {
        countries.insert(c.country.empty() ? "?" : c.country);
        kids.push_back(base64(c.kid));
    }
    j["count"] = st.list->size();
    j["kids"] = kids;
    j["countries"] = countries;
    j["issued_at"] = st.list->issuedAt() ? nlohmann::json(formatRfc3339(*st.list->issuedAt())) : nlohmann::json(nullptr);
    std::optional<double> ageH;
    if (st.list->issuedAt()) ageH = static_cast<double>((now - *st.list->issuedAt()).count()) / kMsPerHour;
    j["age_h"] = ageH ? nlohmann::json(*ageH) : nlohmann::json(nullptr);
    j["max_age_h"] = cfg.trust.maxAgeH;
    j["stale"] = !ageH || *ageH > cfg.trust.maxAgeH;
    if (args.has("--json")) {
        ctx.out << j.dump() << '\n';
        return kExitOk;
    }
    ctx.out << "source:     " << st.source << '\n' << "count:      " << st.list->size() << '\n' << "countries: ";
    for (const auto& c : countries) ctx.out << ' ' << c;
    ctx.out << '\n';
    if (ageH) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.1f h (limit %.0f h)%s", *ageH, cfg.trust.maxAgeH,
                      *ageH > cfg.trust.maxAgeH ? " STALE: HC1 codes are REFERred" : "");
        ctx.out << "issued at:  " << formatRfc3339(*st.list->issuedAt()) << ", age " << buf << '\n';
    } else {
        ctx.out << "issued at:  unknown\n";
    }
    ctx.out << "kids:\n";
    for (std::size_t i = 0; i < kids.size(); ++i) {
        const auto& c = st.list->certificates()[i];
        ctx.out << "  " << kids[i] << "  " << (c.country.empty() ? "?" : c.country) << '\n';
    }
    return kExitOk;
}

bool isSignedBundle(const std::string& text) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    return j.is_object() && j.contains("format") && j["format"] == kiosk::kBundleFormat;
}

// A signed bundle from a file (§13.1), through the installer the fleet uses; then a running kiosk
// reloads it over the control socket.
int importBundle(const std::filesystem::path& src, const std::string& envelope, const kiosk::Config& cfg, CliContext& ctx) {
    auto applied = kiosk::applyBundle(cfg, envelope, nullptr);
    if (!applied) {
        ctx.err << "sentinel trust import: " << src.string() << ": " << applied.error().message << " (nothing changed)\n";
        return kExitFail;
    }
    ctx.out << applied->detail << "; policy_version " << applied->policyVersion << '\n';
    if (cfg.staff.controlSocket.empty() || !std::filesystem::exists(cfg.staff.controlSocket)) {
        ctx.out << "no running kiosk on staff.control_socket: it is in force from the next start\n";
        return kExitOk;
    }
    auto answer = control::controlRequest(cfg.staff.controlSocket, {{"cmd", "reload_trust"}}, kReloadTimeout);
    if (!answer || !answer->value("ok", false)) {
        ctx.err << "sentinel trust import: installed, but the running kiosk did not reload: "
                << (answer ? answer->value("error", std::string("no answer")) : answer.error().message)
                << " (it is in force from the next start)\n";
        return kExitFail;
    }
    ctx.out << "the running kiosk reloaded: policy_version " << answer->value("policy_version", std::string()) << '\n';
    return kExitOk;
}

int trustImport(const Args& args, const kiosk::Config& cfg, CliContext& ctx) {
    if (args.positionals.size() != 2) {
        ctx.err << "sentinel trust import: give exactly one FILE\n\n" << kHelp;
        return kExitUsage;
    }
    const std::filesystem::path src = args.positionals[1];
    if (auto text = kiosk::readFile(src); text && isSignedBundle(*text)) return importBundle(src, *text, cfg, ctx);
    auto checked = trust::TrustList::load(src);
    if (!checked) {
        ctx.err << "sentinel trust import: " << checked.error().message << " (nothing changed)\n";
        return kExitFail;
    }
    auto contents = kiosk::readFile(src);
    if (!contents) {
        ctx.err << "sentinel trust import: " << contents.error().message << '\n';
        return kExitFail;
    }
    const std::filesystem::path target = cfg.trust.path;
    std::error_code ec;
    std::filesystem::path written;
    if (std::filesystem::is_directory(target, ec)) {
        written = target / src.filename();
    } else {
        written = target;
        if (std::filesystem::exists(target, ec)) {
            std::filesystem::copy_file(target, target.string() + ".previous", std::filesystem::copy_options::overwrite_existing, ec);
            if (ec) {
                ctx.err << "sentinel trust import: cannot keep the previous list: " << ec.message() << " (nothing changed)\n";
                return kExitFail;
            }
        }
    }
    if (auto w = kiosk::writeFileAtomically(written, *contents); !w) {
        ctx.err << "sentinel trust import: " << w.error().message << " (nothing changed)\n";
        return kExitFail;
    }
    auto after = trust::TrustList::load(target);
    ctx.out << "imported " << checked->size() << " certificate(s) into " << written.string() << "; trust.path now holds "
            << (after ? std::to_string(after->size()) : std::string("?")) << '\n';
    if (std::filesystem::exists(kiosk::bundleDir(cfg) / kiosk::kBundleFile, ec)) {
        ctx.out << "note: a synced bundle in " << kiosk::bundleDir(cfg).string() << " is in force and takes precedence over trust.path\n";
    }
    return kExitOk;
}

int trustSync(const kiosk::Config& cfg, CliContext& ctx) {
    auto settings = fleet::syncSettingsFrom(cfg);
    if (!settings) {
        ctx.err << "sentinel trust sync: " << settings.error().message << '\n';
        return kExitUsage;
    }
    kiosk::LoadedTrust loaded = kiosk::loadTrustState(cfg);
    auto transport = fleet::makeSyncTransport(*settings);
    auto r = fleet::syncOnce(*transport, *settings, loaded.bundleIssuedAt, std::chrono::steady_clock::now() + kSyncDeadline);
    if (!r) {
        ctx.err << "sentinel trust sync: " << r.error().message << "; the list in force is unchanged (" << loaded.state->source << ")\n";
        return kExitFail;
    }
    ctx.out << r->detail << '\n';
    return kExitOk;
}

}  // namespace

int cmdTrust(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--config"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    const std::string action = args->positionals.empty() ? "" : args->positionals[0];
    if (action != "list" && action != "import" && action != "sync") {
        ctx.err << "sentinel trust: say `list`, `import FILE` or `sync`\n\n" << kHelp;
        return kExitUsage;
    }
    if (action != "import" && args->positionals.size() > 1) {
        ctx.err << "sentinel trust " << action << ": unexpected argument '" << args->positionals[1] << "'\n";
        return kExitUsage;
    }
    auto cfg = loadConfigOrReport(*args, ctx, false);
    if (!cfg) return kExitUsage;
    if (action == "list") return trustList(*args, *cfg, ctx);
    if (action == "import") return trustImport(*args, *cfg, ctx);
    return trustSync(*cfg, ctx);
}

}  // namespace sentinel::app

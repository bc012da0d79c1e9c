#include "firmware/fleet/Command.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "firmware/base/Log.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/trust/Base64.h"

namespace sentinel::fleet {
namespace {

constexpr std::size_t kMaxCommandBytes = kiosk::kMaxBundleBytes + 4096;  // a bundle plus the command around it
constexpr std::size_t kMaxIdLength = 64;

}  // namespace

Result<Command> verifyCommand(std::string_view envelope, std::string_view updateKeyPem, const CommandIdentity& self,
                              UtcTime now) {
    if (envelope.size() > kMaxCommandBytes) return makeError("command larger than the bundle limit");
    if (updateKeyPem.empty()) return makeError("no trust.update_key: commands cannot be verified");
    auto env = nlohmann::json::parse(envelope, nullptr, false);
    if (env.is_discarded() || !env.is_object()) return makeError("command is not a JSON object");
    if (env.value("format", "") != kCommandFormat) return makeError("command format is not sentinel-command/1 (unsigned?)");
    if (!env.contains("payload") || !env["payload"].is_string() || !env.contains("signature") || !env["signature"].is_string())
        return makeError("command lacks payload or signature (unsigned)");
    auto payloadBytes = trust::decodeBase64(env["payload"].get<std::string>());
    auto signature = trust::decodeBase64(env["signature"].get<std::string>());
    if (!payloadBytes || !signature) return makeError("command payload or signature is not base64");
    const std::string payloadText(payloadBytes->begin(), payloadBytes->end());
    if (auto v = kiosk::verifySignature(payloadText, *signature, updateKeyPem); !v) return makeError("command " + v.error().message);

    auto p = nlohmann::json::parse(payloadText, nullptr, false);
    if (p.is_discarded() || !p.is_object()) return makeError("signed command payload is not a JSON object");
    Command c;
    c.id = p.value("id", "");
    c.action = p.value("action", "");
    if (c.id.empty() || c.id.size() > kMaxIdLength) return makeError("command id missing or longer than 64");
    const int targets = static_cast<int>(p.contains("kiosk_id")) + static_cast<int>(p.contains("station")) +
                        static_cast<int>(p.contains("group"));
    if (targets != 1) return makeError("command " + c.id + ": name exactly one target (kiosk_id, station or group)");
    bool ours = false;
    if (p.contains("kiosk_id")) {
        const std::string k = p.value("kiosk_id", "");
        c.target = k == "all" ? "all" : "kiosk:" + k;
        ours = k == "all" || k == self.kioskId;
    } else if (p.contains("station")) {
        const std::string st = p.value("station", "");
        c.target = "station:" + st;
        ours = !st.empty() && st == self.station;
    } else {
        const std::string g = p.value("group", "");
        c.target = "group:" + g;
        ours = !g.empty() && g == self.group;
    }
    auto expires = parseRfc3339(p.value("expires_at", ""));
    if (!expires) return makeError("command " + c.id + ": expires_at missing or not RFC 3339");
    c.expiresAt = *expires;
    if (!ours) return makeError("command " + c.id + " " + std::string(kNotForThisKiosk) + " (" + c.target + ")");
    if (c.expiresAt <= now) return makeError("command " + c.id + " " + std::string(kCommandExpired));
    if (c.expiresAt > now + kMaxCommandLifetime) return makeError("command " + c.id + " expires too far ahead");
    if (c.action == "bundle") {
        if (!p.contains("bundle") || !p["bundle"].is_object()) return makeError("command " + c.id + ": bundle missing");
        c.bundleEnvelope = p["bundle"].dump();
    } else if (c.action != "sync_now" && c.action != "diag") {
        return makeError("command " + c.id + ": unknown action '" + c.action + "'");
    }
    return c;
}

std::optional<std::string> peekCommandId(std::string_view envelope) {
    if (envelope.size() > kMaxCommandBytes) return std::nullopt;
    auto env = nlohmann::json::parse(envelope, nullptr, false);
    if (!env.is_object() || !env.contains("payload") || !env["payload"].is_string()) {
        // An unsigned command may be the payload itself.
        if (env.is_object() && env.contains("id") && env["id"].is_string()) env = nlohmann::json{{"id", env["id"]}};
        else return std::nullopt;
    } else {
        auto bytes = trust::decodeBase64(env["payload"].get<std::string>());
        if (!bytes) return std::nullopt;
        env = nlohmann::json::parse(std::string(bytes->begin(), bytes->end()), nullptr, false);
    }
    if (!env.is_object() || !env.contains("id") || !env["id"].is_string()) return std::nullopt;
    std::string id = env["id"].get<std::string>();
    if (id.empty() || id.size() > kMaxIdLength) return std::nullopt;
    for (char ch : id) {
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.' && ch != ':') return std::nullopt;
    }
    return id;
}

CommandLedger::CommandLedger(std::filesystem::path file) : file_(std::move(file)) {
    auto text = kiosk::readFile(file_);
    if (!text) return;  // none yet
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object()) return;
    for (const auto& [id, at] : j.items()) {
        if (!at.is_string()) continue;
        if (auto t = parseRfc3339(at.get<std::string>())) seen_[id] = *t;
    }
}

bool CommandLedger::admit(const Command& command, UtcTime now) {
    std::erase_if(seen_, [now](const auto& kv) { return kv.second <= now; });
    if (seen_.count(command.id)) return false;
    seen_[command.id] = command.expiresAt;
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [id, at] : seen_) j[id] = formatRfc3339(at);
    if (auto st = kiosk::writeFileAtomically(file_, j.dump()); !st) {
        SLOG("Fleet", Warn) << "command ledger: " << st.error().message;
    }
    return true;
}

}  // namespace sentinel::fleet

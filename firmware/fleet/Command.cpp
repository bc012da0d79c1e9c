#include "firmware/fleet/Command.h"

#include <nlohmann/json.hpp>

#include "firmware/base/Log.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/trust/Base64.h"

namespace sentinel::fleet {
namespace {

constexpr std::size_t kMaxCommandBytes = kiosk::kMaxBundleBytes + 4096;  // a bundle plus the command around it
constexpr std::size_t kMaxIdLength = 64;

}  // namespace

Result<Command> verifyCommand(std::string_view envelope, std::string_view updateKeyPem, const std::string& kioskId,
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
    c.target = p.value("kiosk_id", "");
    if (c.id.empty() || c.id.size() > kMaxIdLength) return makeError("command id missing or longer than 64");
    auto expires = parseRfc3339(p.value("expires_at", ""));
    if (!expires) return makeError("command " + c.id + ": expires_at missing or not RFC 3339");
    c.expiresAt = *expires;
    if (c.target != kioskId && c.target != "all") return makeError("command " + c.id + " is for another kiosk");
    if (c.expiresAt <= now) return makeError("command " + c.id + " has expired");
    if (c.expiresAt > now + kMaxCommandLifetime) return makeError("command " + c.id + " expires too far ahead");
    if (c.action == "bundle") {
        if (!p.contains("bundle") || !p["bundle"].is_object()) return makeError("command " + c.id + ": bundle missing");
        c.bundleEnvelope = p["bundle"].dump();
    } else if (c.action != "sync_now" && c.action != "diag") {
        return makeError("command " + c.id + ": unknown action '" + c.action + "'");
    }
    return c;
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

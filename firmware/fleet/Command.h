#pragma once
// Signed fleet commands (DESIGN §13), received on sentinel/v1/{id}/cmd and sentinel/v1/all/cmd.
//
// Envelope (the MQTT payload), signed like a trust bundle (TrustBundle.h) with the update key:
//   {"format":"sentinel-command/1","payload":"<base64 of the payload bytes>",
//    "signature":"<base64 DER ECDSA P-256 / SHA-256 over the payload bytes>"}
// Payload:
//   {"id":"<unique, ≤ 64 chars>", exactly one target: "kiosk_id":"BJ-WEST-07"|"all" or
//    "station":"BJ-WEST" or "group":"HALL-2" (§13.1), "expires_at":"<RFC 3339>",
//    "action":"sync_now"|"diag"|"bundle", "bundle":<a trust-bundle envelope object, for "bundle">}
// A command is refused when its signature does not verify, it is addressed to another kiosk,
// station or group, it has expired (or expires more than kMaxCommandLifetime ahead), or its id was
// seen before (replay). Every command for this kiosk is answered (MqttLink: …/acks).

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::fleet {

inline constexpr const char* kCommandFormat = "sentinel-command/1";
// A command stays valid at most this long; it bounds how long seen ids must be remembered.
inline constexpr std::chrono::hours kMaxCommandLifetime{24 * 7};

struct Command {
    std::string id;
    std::string action;      // "sync_now", "diag", "bundle"
    std::string target;      // "kiosk:ID", "all", "station:NAME" or "group:NAME"
    UtcTime expiresAt;
    std::string bundleEnvelope;  // "bundle": the trust-bundle envelope, serialised
};

// Who this kiosk is, for command targets (kiosk.id, kiosk.station, kiosk.group; empty = none).
struct CommandIdentity {
    std::string kioskId, station, group;
};
// The error text of a command addressed to someone else (not refused: simply not ours).
inline constexpr std::string_view kNotForThisKiosk = "is for another kiosk";
// The error text of an expired command: a retained one (a bundle pushed long ago) is ignored
// silently when the kiosk reconnects, a live one refused and answered.
inline constexpr std::string_view kCommandExpired = "has expired";

// Verifies and parses one envelope for `self` at time `now` (no replay check here).
Result<Command> verifyCommand(std::string_view envelope, std::string_view updateKeyPem, const CommandIdentity& self,
                              UtcTime now);
// The id an envelope's payload names, without verifying anything (to answer a refused command);
// nullopt when there is none, or it is not a short printable id.
std::optional<std::string> peekCommandId(std::string_view envelope);

// The ids of commands already executed, until they expire; kept in `file` (written atomically) so
// a replay after a restart is refused too.
class CommandLedger {
public:
    explicit CommandLedger(std::filesystem::path file);
    // Records the id; false if it was seen before (a replay). Forgets expired ids.
    bool admit(const Command& command, UtcTime now);

private:
    std::filesystem::path file_;
    std::map<std::string, UtcTime> seen_;
};

}  // namespace sentinel::fleet

#include "firmware/control/KioskControl.h"

#include "firmware/base/Log.h"

namespace sentinel::control {

ControlHandler kioskControlHandler(KioskStatus& status, kiosk::Kiosk& kiosk, KioskControlOptions options) {
    return [&status, &kiosk, options = std::move(options)](const nlohmann::json& req, ControlReply reply) {
        const std::string cmd = req.at("cmd").get<std::string>();
        if (cmd == "status") return reply({{"ok", true}, {"status", status.report()}});
        if (cmd == "override") {
            kiosk::StaffOverrideRequest request;
            if (req.contains("seq")) {
                if (!req["seq"].is_number_integer() || req["seq"].get<std::int64_t>() < 1)
                    return reply({{"ok", false}, {"error", "\"seq\" must be a record number (a positive integer)"}});
                request.seq = req["seq"].get<std::int64_t>();
            }
            if (req.contains("staff")) {
                if (!req["staff"].is_string() || !kiosk::validStaffId(req["staff"].get<std::string>()))
                    return reply({{"ok", false}, {"error", "\"staff\" must be a staff number: 1–32 letters, digits, '-', '_' or '.'"}});
                request.staff = req["staff"].get<std::string>();
            }
            return kiosk.requestOverride(std::move(request), [reply](const kiosk::StaffOverrideOutcome& o) {
                reply({{"ok", true}, {"opened", o.opened}, {"seq", o.seq}, {"overrides", o.overrides}, {"detail", o.detail}});
            });
        }
        if (cmd == "reload_trust") {
            if (!options.reloadTrust || !options.store) return reply({{"ok", false}, {"error", "this kiosk cannot reload its trust state"}});
            auto state = options.reloadTrust();
            if (!state) return reply({{"ok", false}, {"error", "the trust state could not be read"}});
            options.store->replace(state);
            if (options.trustReloaded) options.trustReloaded();
            SLOG("Control", Info) << "trust/policy state reloaded: policy_version " << state->policyVersion;
            return reply({{"ok", true}, {"detail", "reloaded: " + state->source}, {"policy_version", state->policyVersion}});
        }
        reply({{"ok", false}, {"error", "unknown command '" + cmd + "' (status, override, reload_trust)"}});
    };
}

}  // namespace sentinel::control

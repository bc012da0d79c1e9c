#pragma once
// The running kiosk's control-socket commands (DESIGN §11), shared by `sentinel run` and the staff
// benchmark so that both answer alike:
//   {"cmd":"status"}                              → {"ok":true,"status":{…}} at once
//   {"cmd":"override","seq":N?,"staff":"ID"?}     → queued to the decision thread (Kiosk::
//                                                   requestOverride), answered from there:
//                                                   {"ok":true,"opened","seq","overrides","detail"}
//   {"cmd":"reload_trust"}                        → the trust/policy state re-read from state_dir and
//                                                   the configuration (`sentinel trust import`):
//                                                   {"ok","detail","policy_version"}
// A malformed request is answered {"ok":false,"error":…}, never acted on.

#include <functional>
#include <memory>
#include <string>

#include "firmware/control/ControlServer.h"
#include "firmware/control/KioskStatus.h"
#include "firmware/kiosk/Kiosk.h"
#include "firmware/kiosk/TrustStore.h"

namespace sentinel::control {

struct KioskControlOptions {
    // reload_trust: the state to put in force; nullptr = the command is refused.
    std::function<std::shared_ptr<const kiosk::TrustState>()> reloadTrust;
    std::shared_ptr<kiosk::TrustStore> store;
    // Called (on the control thread) after the state was replaced, e.g. to refresh the fleet status.
    std::function<void()> trustReloaded;
};

// `status`, `kiosk` (and what `options` points at) must outlive the server the handler serves.
ControlHandler kioskControlHandler(KioskStatus& status, kiosk::Kiosk& kiosk, KioskControlOptions options = {});

}  // namespace sentinel::control

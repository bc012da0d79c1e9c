#pragma once
// What is in force at start-up and after a bundle is installed: the trust/policy state read from
// state_dir/trust (a signed bundle, TrustBundle.h) or from trust.path (DESIGN §13, issue 6).

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "firmware/base/Time.h"
#include "firmware/kiosk/Config.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/kiosk/TrustStore.h"

namespace sentinel::kiosk {

// state_dir/trust
std::filesystem::path bundleDir(const Config& config);

// What is in force at start-up: the installed bundle when one verifies with trust.update_key, else
// trust.path (or `trustPathOverride`, `--trust`, which always wins). `list` is null when nothing
// could be loaded; `error` then says why.
struct LoadedTrust {
    std::shared_ptr<const TrustState> state;
    std::optional<UtcTime> bundleIssuedAt;  // set when the state came from a bundle
    std::string error;
};
LoadedTrust loadTrustState(const Config& config, const std::optional<std::string>& trustPathOverride = std::nullopt);

// The TrustState a verified bundle puts in force.
std::shared_ptr<const TrustState> stateFromBundle(const TrustBundle& bundle, const policy::PolicyConfig& basePolicy,
                                                  const std::string& where);

}  // namespace sentinel::kiosk

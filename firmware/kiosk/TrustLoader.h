#pragma once
// What is in force at start-up and after a bundle is installed: the trust/policy state read from
// state_dir/trust (a signed bundle, TrustBundle.h) or from trust.path (DESIGN §13, issue 6).

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "firmware/base/Time.h"
#include "firmware/kiosk/Config.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/kiosk/TrustStore.h"

namespace sentinel::kiosk {

// state_dir/trust
std::filesystem::path bundleDir(const Config& config);

// What is in force (§13.1): every part from the newest installed bundle that carries it (the bundle
// in force, state_dir/trust/trust-bundle.json, then the older ones kept in state_dir/trust/archive/),
// each part the bundles lack from the configuration — trust.path (or `trustPathOverride`, `--trust`,
// which always wins and ignores bundles), [policy], rules.path, trust.revocation_path,
// policy.risk_list_path. Risk-area lists compose across bundles: every installed bundle's lists
// (the newest kMaxHeldRiskLists bundles that carry any) go into one schedule (TrustState::risk). Bundles are
// verified with trust.update_key every time. `state->list` is null when no trust list could be
// loaded; `error` then says why.
struct LoadedTrust {
    std::shared_ptr<const TrustState> state;
    std::optional<UtcTime> bundleIssuedAt;  // the newest bundle in force, when there is one
    std::vector<std::string> bundleParts;   // the parts that came from bundles
    std::string error;
};
LoadedTrust loadTrustState(const Config& config, const std::optional<std::string>& trustPathOverride = std::nullopt);

// A risk-area list file (§14): one list or an array of lists, each checked whole — what
// policy.risk_list_path names and what a bundle's `risk_areas` part is made from (`part` goes into
// the payload as it is; `fleet bundle --risk-areas FILE`, tests' issuers).
struct RiskAreasFile {
    nlohmann::json part;
    std::vector<std::shared_ptr<const policy::RiskAreaList>> lists;
};
Result<RiskAreasFile> readRiskAreasFile(const std::filesystem::path& path);

// The TrustState one verified bundle puts in force on its own (parts it lacks from `basePolicy`
// and nothing else).
std::shared_ptr<const TrustState> stateFromBundle(const TrustBundle& bundle, const policy::PolicyConfig& basePolicy,
                                                  const std::string& where);

// A verified bundle and whether it was installed (only one newer than the bundle in force is).
struct InstallOutcome {
    bool installed = false;
    TrustBundle bundle;
    std::optional<UtcTime> inForce;  // the bundle in force before, when there was one
};
// Verifies `envelope` with `updateKeyPem`; when it is newer than the bundle installed in `dir` (and
// than `known`, the newest the caller has seen), installs it (atomically, with its attachment) and
// prunes what no part in force needs. Serialised process-wide: a fleet command and trust sync may race.
Result<InstallOutcome> installNewerBundle(const std::filesystem::path& dir, std::string_view updateKeyPem,
                                          std::string_view envelope, std::optional<UtcTime> known = std::nullopt);

// What installing a bundle came to (§13.1 acks: `applied`).
struct AppliedBundle {
    UtcTime issuedAt;
    std::vector<std::string> parts;  // the parts it carried
    std::string policyVersion;       // in force after it
    std::string detail;              // one line for the log and the ack
};

// Verifies `envelope` with trust.update_key, refuses it unless newer than the bundle in force,
// installs it in state_dir/trust (atomically, with its attachment) and, when `store` is given,
// puts the composed state in force there. Serialised process-wide (a fleet command and trust sync
// may race). Errors say why nothing changed: bad signature, not newer, broken part.
Result<AppliedBundle> applyBundle(const Config& config, std::string_view envelope, TrustStore* store);

}  // namespace sentinel::kiosk

#include "firmware/kiosk/TrustLoader.h"

#include "firmware/base/Log.h"
#include "firmware/trust/TrustList.h"

namespace sentinel::kiosk {
namespace {

constexpr const char* kLog = "Trust";

}  // namespace

std::filesystem::path bundleDir(const Config& config) { return config.kiosk.stateDir / kBundleDir; }

std::shared_ptr<const TrustState> stateFromBundle(const TrustBundle& bundle, const policy::PolicyConfig& basePolicy,
                                                  const std::string& where) {
    auto st = std::make_shared<TrustState>();
    st->list = bundle.list;
    st->policy = applyPolicyOverrides(basePolicy, bundle.policyOverrides);
    st->rules = bundle.rules;  // nullptr: TrustStore keeps rules.path's (or the built-in rules)
    st->source = "bundle " + where + " (issued " + formatRfc3339(bundle.issuedAt) + ")";
    return st;
}

LoadedTrust loadTrustState(const Config& config, const std::optional<std::string>& trustPathOverride) {
    LoadedTrust out;
    if (!trustPathOverride) {
        const auto file = bundleDir(config) / kBundleFile;
        std::error_code ec;
        if (std::filesystem::exists(file, ec)) {
            auto key = readFile(config.trust.updateKey);
            auto envelope = readFile(file);
            if (key && envelope) {
                auto bundle = verifyBundle(*envelope, *key);
                if (bundle) {
                    out.bundleIssuedAt = bundle->issuedAt;
                    out.state = stateFromBundle(*bundle, config.policy, file.string());
                    return out;
                }
                SLOG(kLog, Error) << file.string() << ": " << bundle.error().message << "; falling back to trust.path";
            } else {
                SLOG(kLog, Error) << file.string() << ": " << (key ? envelope.error().message : key.error().message)
                                  << "; falling back to trust.path";
            }
        }
    }
    const std::string path = trustPathOverride.value_or(config.trust.path);
    auto st = std::make_shared<TrustState>();
    st->policy = config.policy;
    st->source = path;
    auto list = trust::TrustList::load(path);
    if (list) {
        st->list = std::make_shared<const trust::TrustList>(std::move(list).value());
    } else {
        out.error = list.error().message;
    }
    out.state = std::move(st);
    return out;
}

}  // namespace sentinel::kiosk

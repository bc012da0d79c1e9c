#include "firmware/kiosk/TrustLoader.h"

#include <algorithm>
#include <mutex>

#include <nlohmann/json.hpp>

#include "firmware/base/Log.h"
#include "firmware/trust/RevocationIndex.h"
#include "firmware/trust/TrustList.h"

namespace sentinel::kiosk {
namespace {

constexpr const char* kLog = "Trust";

// One installed bundle, verified.
struct Installed {
    TrustBundle bundle;
    std::filesystem::path file;
};

// The bundle in force and the archived ones older than it, newest first. Files that do not verify
// are logged and skipped (the parts they carried fall back to older bundles or the configuration).
std::vector<Installed> installedBundles(const std::filesystem::path& dir, std::string_view keyPem) {
    std::vector<Installed> out;
    const auto current = dir / kBundleFile;
    std::error_code ec;
    if (!std::filesystem::exists(current, ec)) return out;
    auto verifyFile = [&](const std::filesystem::path& file) -> std::optional<Installed> {
        auto envelope = readFile(file);
        if (!envelope) {
            SLOG(kLog, Error) << envelope.error().message;
            return std::nullopt;
        }
        auto bundle = verifyBundle(*envelope, keyPem);
        if (!bundle) {
            SLOG(kLog, Error) << file.string() << ": " << bundle.error().message << " (ignored)";
            return std::nullopt;
        }
        return Installed{std::move(bundle).value(), file};
    };
    auto newest = verifyFile(current);
    if (!newest) return out;
    const UtcTime newestAt = newest->bundle.issuedAt;
    out.push_back(std::move(*newest));
    const auto archive = dir / kArchiveDir;
    if (std::filesystem::is_directory(archive, ec)) {
        std::vector<Installed> older;
        for (const auto& entry : std::filesystem::directory_iterator(archive, ec)) {
            if (entry.path().extension() != ".json") continue;
            // Only bundles older than the one in force: a newer one is left from an install that
            // did not complete.
            if (auto b = verifyFile(entry.path()); b && b->bundle.issuedAt < newestAt) older.push_back(std::move(*b));
        }
        std::sort(older.begin(), older.end(), [](const Installed& a, const Installed& b) { return a.bundle.issuedAt > b.bundle.issuedAt; });
        for (auto& b : older) out.push_back(std::move(b));
    }
    return out;
}

template <class Pred>
const Installed* newestWith(const std::vector<Installed>& bundles, Pred has) {
    for (const auto& b : bundles) {
        if (has(b.bundle)) return &b;
    }
    return nullptr;
}

std::string describe(const Installed& b) {
    return "bundle " + b.file.string() + " (issued " + formatRfc3339(b.bundle.issuedAt) + ")";
}

// Bundles whose risk-area lists are kept (newest first): a list scheduled by an older bundle stays
// held when a newer one brings only today's; bounded like the schedule itself.
constexpr std::size_t kRiskBundlesKept = policy::kMaxHeldRiskLists;

// The risk-area lists of the installed bundles, newest bundle first, composed into one schedule
// (RiskSchedule::add: a newer list for the same effective_from replaces an older one; at most
// kMaxHeldRiskLists, the newest bundles' first). Nothing is pruned by time here: the decision asks
// at(now) on the trusted clock, which picks the list in force among those held.
policy::RiskSchedule riskScheduleOf(const std::vector<Installed>& bundles, std::string& source) {
    policy::RiskSchedule schedule;
    std::size_t used = 0;
    for (const auto& b : bundles) {
        if (b.bundle.riskLists.empty() || used == kRiskBundlesKept) continue;
        ++used;
        if (source.empty()) source = describe(b);
        for (const auto& list : b.bundle.riskLists) {
            if (auto st = schedule.add(list, UtcTime::min()); !st) {
                SLOG(kLog, Debug) << "risk-area list " << list->version() << " of " << describe(b) << " not held: " << st.error().message;
            }
        }
    }
    return schedule;
}

// Removes archived bundles none of whose parts is in force, and revocation files no bundle in force
// names. Best effort: a file left behind costs only space.
void pruneTrustDir(const std::filesystem::path& dir, const std::vector<Installed>& bundles) {
    std::vector<std::filesystem::path> keep;
    for (auto has : {+[](const TrustBundle& b) { return b.list != nullptr; }, +[](const TrustBundle& b) { return b.hasPolicy; },
                     +[](const TrustBundle& b) { return b.rules != nullptr; },
                     +[](const TrustBundle& b) { return b.revocation.has_value(); }}) {
        if (const Installed* b = newestWith(bundles, has)) keep.push_back(b->file);
    }
    std::size_t riskBundles = 0;
    for (const auto& b : bundles) {
        if (!b.bundle.riskLists.empty() && riskBundles++ < kRiskBundlesKept) keep.push_back(b.file);
    }
    const Installed* revocation = newestWith(bundles, [](const TrustBundle& b) { return b.revocation.has_value(); });
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir / kArchiveDir, ec)) {
        if (std::find(keep.begin(), keep.end(), entry.path()) == keep.end()) std::filesystem::remove(entry.path(), ec);
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("revocation-", 0) != 0 || entry.path().extension() != ".idx") continue;
        if (!revocation || entry.path() != revocationFilePath(dir, *revocation->bundle.revocation)) {
            std::filesystem::remove(entry.path(), ec);
        }
    }
}

std::mutex& installMutex() {
    static std::mutex m;
    return m;
}

}  // namespace

std::filesystem::path bundleDir(const Config& config) { return config.kiosk.stateDir / kBundleDir; }

std::shared_ptr<const TrustState> stateFromBundle(const TrustBundle& bundle, const policy::PolicyConfig& basePolicy,
                                                  const std::string& where) {
    auto st = std::make_shared<TrustState>();
    st->list = bundle.list;
    st->policy = applyPolicyOverrides(basePolicy, bundle.policyOverrides);
    st->rules = bundle.rules;  // nullptr: TrustStore keeps rules.path's (or the built-in rules)
    st->source = "bundle " + where + " (issued " + formatRfc3339(bundle.issuedAt) + ")";
    st->policyVersion = formatRfc3339(bundle.issuedAt);
    for (const auto& list : bundle.riskLists) {
        if (auto added = st->risk.add(list, UtcTime::min()); !added) {
            SLOG(kLog, Debug) << added.error().message;
        }
    }
    if (!bundle.riskLists.empty()) st->riskSource = st->source;
    return st;
}

LoadedTrust loadTrustState(const Config& config, const std::optional<std::string>& trustPathOverride) {
    LoadedTrust out;
    auto st = std::make_shared<TrustState>();
    st->policy = config.policy;
    std::vector<Installed> bundles;
    if (!trustPathOverride && std::filesystem::exists(bundleDir(config) / kBundleFile)) {
        if (auto key = readFile(config.trust.updateKey)) {
            bundles = installedBundles(bundleDir(config), *key);
        } else {
            SLOG(kLog, Error) << "trust.update_key: " << key.error().message << "; installed bundles are ignored";
        }
    }
    if (!bundles.empty()) {
        out.bundleIssuedAt = bundles.front().bundle.issuedAt;
        st->policyVersion = formatRfc3339(bundles.front().bundle.issuedAt);
    }

    if (const Installed* b = newestWith(bundles, [](const TrustBundle& t) { return t.list != nullptr; })) {
        st->list = b->bundle.list;
        st->source = describe(*b);
        out.bundleParts.emplace_back(kPartTrustList);
    } else {
        const std::string path = trustPathOverride.value_or(config.trust.path);
        st->source = path;
        auto list = trust::TrustList::load(path);
        if (list) {
            st->list = std::make_shared<const trust::TrustList>(std::move(list).value());
        } else {
            out.error = list.error().message;
        }
    }
    if (const Installed* b = newestWith(bundles, [](const TrustBundle& t) { return t.hasPolicy; })) {
        st->policy = applyPolicyOverrides(config.policy, b->bundle.policyOverrides);
        out.bundleParts.emplace_back(kPartPolicy);
    }
    if (const Installed* b = newestWith(bundles, [](const TrustBundle& t) { return t.rules != nullptr; })) {
        st->rules = b->bundle.rules;  // nullptr otherwise: TrustStore keeps rules.path's (or the built-in rules)
        out.bundleParts.emplace_back(kPartRules);
    }
    if (const Installed* b = newestWith(bundles, [](const TrustBundle& t) { return t.revocation.has_value(); })) {
        const auto& part = *b->bundle.revocation;
        // The file was checked against the signed digest when the bundle was installed; it is
        // checked again (it may have been damaged since), and refused whole if it does not match.
        const auto file = revocationFilePath(bundleDir(config), part);
        auto index = trust::RevocationIndex::load(file, revocationDigest(part));
        if (index) {
            st->revocation = std::move(index).value();
            st->revocationSource = describe(*b);
            out.bundleParts.emplace_back(kPartRevocation);
        } else {
            SLOG(kLog, Error) << file.string() << ": " << index.error().message << " (the bundle's revocation index is not used)";
        }
    }
    if (!st->revocation && !config.trust.revocationPath.empty()) {
        auto index = trust::RevocationIndex::load(config.trust.revocationPath);
        if (index) {
            st->revocation = std::move(index).value();
            st->revocationSource = "trust.revocation_path " + config.trust.revocationPath;
        } else {
            SLOG(kLog, Error) << "trust.revocation_path: " << index.error().message;
        }
    }
    st->risk = riskScheduleOf(bundles, st->riskSource);
    if (!st->risk.held().empty()) {
        out.bundleParts.emplace_back(kPartRiskAreas);
    } else if (!config.riskListPath.empty()) {
        // policy.risk_list_path: used until a bundle supplies lists.
        auto file = readRiskAreasFile(config.riskListPath);
        if (file) {
            for (const auto& list : file->lists) {
                if (auto added = st->risk.add(list, UtcTime::min()); !added) {
                    SLOG(kLog, Warn) << "policy.risk_list_path: " << added.error().message;
                }
            }
            st->riskSource = "policy.risk_list_path " + config.riskListPath;
        } else {
            SLOG(kLog, Error) << "policy.risk_list_path: " << file.error().message;
        }
    }
    out.state = std::move(st);
    return out;
}

Result<RiskAreasFile> readRiskAreasFile(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) return Error{path.string() + ": " + ec.message()};
    // A file of kMaxHeldRiskLists lists at the size limit each; parseRiskAreasPart checks each list.
    if (size > policy::kMaxHeldRiskLists * policy::kMaxRiskListBytes) return Error{path.string() + ": too large"};
    auto text = readFile(path);
    if (!text) return text.error();
    RiskAreasFile out;
    out.part = nlohmann::json::parse(*text, nullptr, false);
    if (out.part.is_discarded()) return Error{path.string() + ": not JSON"};
    auto lists = parseRiskAreasPart(out.part);
    if (!lists) return Error{path.string() + ": " + lists.error().message};
    out.lists = std::move(lists).value();
    return out;
}

Result<InstallOutcome> installNewerBundle(const std::filesystem::path& dir, std::string_view updateKeyPem,
                                          std::string_view envelope, std::optional<UtcTime> known) {
    auto bundle = verifyBundle(envelope, updateKeyPem);
    if (!bundle) return bundle.error();
    std::lock_guard lock(installMutex());
    InstallOutcome out;
    const std::vector<Installed> before = installedBundles(dir, updateKeyPem);
    if (!before.empty()) out.inForce = before.front().bundle.issuedAt;
    if (known && (!out.inForce || *known > *out.inForce)) out.inForce = known;
    out.bundle = std::move(bundle).value();
    if (out.inForce && out.bundle.issuedAt <= *out.inForce) return out;
    if (auto st = installBundle(dir, envelope, out.bundle); !st) return Error{"install failed: " + st.error().message};
    pruneTrustDir(dir, installedBundles(dir, updateKeyPem));
    out.installed = true;
    return out;
}

Result<AppliedBundle> applyBundle(const Config& config, std::string_view envelope, TrustStore* store) {
    auto key = readFile(config.trust.updateKey);
    if (!key) return Error{"trust.update_key: " + key.error().message};
    auto installed = installNewerBundle(bundleDir(config), *key, envelope);
    if (!installed) return installed.error();
    if (!installed->installed) {
        return Error{"bundle issued " + formatRfc3339(installed->bundle.issuedAt) + " is not newer than the one in force (issued " +
                     formatRfc3339(*installed->inForce) + ")"};
    }
    LoadedTrust loaded = loadTrustState(config);
    if (store) store->replace(loaded.state);
    AppliedBundle a;
    a.issuedAt = installed->bundle.issuedAt;
    a.parts = installed->bundle.parts();
    a.policyVersion = loaded.state->policyVersion;
    std::string parts;
    for (const auto& p : a.parts) parts += (parts.empty() ? "" : ", ") + p;
    a.detail = "bundle issued " + formatRfc3339(a.issuedAt) + " installed (" + parts + ")";
    SLOG(kLog, Info) << a.detail;
    return a;
}

}  // namespace sentinel::kiosk

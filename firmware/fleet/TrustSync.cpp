#include "firmware/fleet/TrustSync.h"

#include <nlohmann/json.hpp>

#include "drivers/net/CurlTransport.h"
#include "firmware/base/Log.h"
#include "firmware/trust/TrustList.h"

namespace sentinel::app {
namespace {

constexpr const char* kLog = "TrustSync";
// One sync exchange may take this long: the bundle can be a few MiB over a mobile uplink.
constexpr std::chrono::seconds kSyncDeadline{30};

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

Result<SyncSettings> syncSettingsFrom(const Config& config) {
    if (config.trust.syncUrl.empty()) return Error{"trust.sync_url is empty: sync is not configured"};
    auto key = readFile(config.trust.updateKey);
    if (!key) return Error{"trust.update_key: " + key.error().message};
    SyncSettings s;
    s.url = config.trust.syncUrl;
    s.updateKeyPem = std::move(key).value();
    s.dir = bundleDir(config);
    s.kioskId = config.kiosk.id;
    s.caFile = config.trust.syncCaFile;
    return s;
}

std::unique_ptr<hal::HttpTransport> makeSyncTransport(const SyncSettings& settings) {
    net::CurlConfig cc;
    cc.caFile = settings.caFile;
    cc.maxBodyBytes = kMaxBundleBytes;
    return std::make_unique<net::CurlTransport>(cc);
}

Result<SyncOutcome> syncOnce(hal::HttpTransport& transport, const SyncSettings& settings,
                             std::optional<UtcTime> currentIssuedAt, MonoTime deadline) {
    hal::HttpRequest req;
    req.url = settings.url;
    nlohmann::json body = {{"kiosk_id", settings.kioskId}};
    body["have_issued_at"] = currentIssuedAt ? nlohmann::json(formatRfc3339(*currentIssuedAt)) : nlohmann::json(nullptr);
    req.body = body.dump();
    auto resp = transport.post(req, deadline);
    if (resp.outcome != hal::HttpOutcome::Response)
        return Error{"fetch failed: " + (resp.detail.empty() ? std::string("no response") : resp.detail)};
    if (resp.status == 204) return SyncOutcome{false, "no newer bundle (204)", std::nullopt};
    if (resp.status != 200) return Error{"fetch failed: HTTP " + std::to_string(resp.status)};
    auto bundle = verifyBundle(resp.body, settings.updateKeyPem);
    if (!bundle) return Error{"refused: " + bundle.error().message};
    if (currentIssuedAt && bundle->issuedAt <= *currentIssuedAt) {
        return SyncOutcome{false, "up to date (served bundle issued " + formatRfc3339(bundle->issuedAt) + " is not newer)",
                           std::nullopt};
    }
    if (auto st = installBundle(settings.dir, resp.body); !st) return Error{"install failed: " + st.error().message};
    SyncOutcome out;
    out.updated = true;
    out.detail = "installed bundle issued " + formatRfc3339(bundle->issuedAt) + " with " +
                 std::to_string(bundle->list->size()) + " certificate(s)";
    out.bundle = std::move(bundle).value();
    return out;
}

TrustSyncWorker::TrustSyncWorker(std::shared_ptr<TrustStore> store, std::unique_ptr<hal::HttpTransport> transport,
                                 SyncSettings settings, policy::PolicyConfig basePolicy,
                                 std::optional<UtcTime> currentIssuedAt, std::chrono::minutes interval)
    : store_(std::move(store)),
      transport_(std::move(transport)),
      settings_(std::move(settings)),
      basePolicy_(std::move(basePolicy)),
      currentIssuedAt_(currentIssuedAt),
      interval_(interval),
      thread_([this] { loop(); }) {}

TrustSyncWorker::~TrustSyncWorker() { stop(); }

void TrustSyncWorker::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void TrustSyncWorker::loop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
        lock.unlock();
        ++attempts_;
        auto r = syncOnce(*transport_, settings_, currentIssuedAt_, std::chrono::steady_clock::now() + kSyncDeadline);
        if (!r) {
            SLOG(kLog, Warn) << "trust sync: " << r.error().message << " (the list in force stays)";
        } else if (r->updated) {
            currentIssuedAt_ = r->bundle->issuedAt;
            store_->replace(stateFromBundle(*r->bundle, basePolicy_, (settings_.dir / kBundleFile).string()));
            ++updates_;
            SLOG(kLog, Info) << "trust sync: " << r->detail;
        } else {
            SLOG(kLog, Debug) << "trust sync: " << r->detail;
        }
        lock.lock();
        cv_.wait_for(lock, interval_, [this] { return stop_ || now_; });
        now_ = false;
    }
}

void TrustSyncWorker::syncNow() {
    {
        std::lock_guard lock(mutex_);
        now_ = true;
    }
    cv_.notify_all();
}

}  // namespace sentinel::app

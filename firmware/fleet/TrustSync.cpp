#include "firmware/fleet/TrustSync.h"

#include <nlohmann/json.hpp>

#include "drivers/net/CurlTransport.h"
#include "firmware/base/Log.h"
#include "firmware/kiosk/TrustLoader.h"
#include "firmware/trust/TrustList.h"

namespace sentinel::fleet {
namespace {

constexpr const char* kLog = "TrustSync";
// One sync exchange may take this long: the bundle can be a few MiB over a mobile uplink.
constexpr std::chrono::seconds kSyncDeadline{30};

}  // namespace

using kiosk::Config;
using kiosk::readFile;

Result<SyncSettings> syncSettingsFrom(const Config& config) {
    if (config.trust.syncUrl.empty()) return Error{"trust.sync_url is empty: sync is not configured"};
    auto key = readFile(config.trust.updateKey);
    if (!key) return Error{"trust.update_key: " + key.error().message};
    SyncSettings s;
    s.url = config.trust.syncUrl;
    s.updateKeyPem = std::move(key).value();
    s.dir = kiosk::bundleDir(config);
    s.kioskId = config.kiosk.id;
    s.caFile = config.trust.syncCaFile;
    return s;
}

std::unique_ptr<hal::HttpTransport> makeSyncTransport(const SyncSettings& settings) {
    net::CurlConfig cc;
    cc.caFile = settings.caFile;
    cc.maxBodyBytes = kiosk::kMaxBundleBytes;
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
    // Newer than the bundle installed (which a fleet command may have replaced since
    // `currentIssuedAt` was read), verified, installed — one step under the install lock.
    auto installed = kiosk::installNewerBundle(settings.dir, settings.updateKeyPem, resp.body, currentIssuedAt);
    if (!installed) {
        return Error{installed.error().message.rfind("install failed", 0) == 0 ? installed.error().message
                                                                               : "refused: " + installed.error().message};
    }
    const kiosk::TrustBundle& bundle = installed->bundle;
    if (!installed->installed) {
        return SyncOutcome{false, "up to date (served bundle issued " + formatRfc3339(bundle.issuedAt) + " is not newer)",
                           std::nullopt};
    }
    SyncOutcome out;
    out.updated = true;
    std::string parts;
    for (const auto& p : bundle.parts()) parts += (parts.empty() ? "" : ", ") + p;
    out.detail = "installed bundle issued " + formatRfc3339(bundle.issuedAt) + " (" + parts + ")" +
                 (bundle.list ? " with " + std::to_string(bundle.list->size()) + " certificate(s)" : "");
    out.bundle = installed->bundle;
    return out;
}

TrustSyncWorker::TrustSyncWorker(std::shared_ptr<kiosk::TrustStore> store, std::unique_ptr<hal::HttpTransport> transport,
                                 SyncSettings settings, policy::PolicyConfig basePolicy,
                                 std::optional<UtcTime> currentIssuedAt, std::chrono::minutes interval,
                                 std::function<std::shared_ptr<const kiosk::TrustState>()> reload)
    : store_(std::move(store)),
      reload_(std::move(reload)),
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
            store_->replace(reload_ ? reload_()
                                    : kiosk::stateFromBundle(*r->bundle, basePolicy_, (settings_.dir / kiosk::kBundleFile).string()));
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

}  // namespace sentinel::fleet

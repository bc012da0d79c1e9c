#pragma once
// Trust-list and policy sync (issue 6). `sentinel trust sync` and the background worker of `run`
// fetch the signed bundle (TrustBundle.h) over the hardened transport:
//   POST {trust.sync_url}  {"kiosk_id":"…","have_issued_at":"<RFC 3339>"|null}
//   200 → the envelope; 204 → nothing newer. Anything else is an error.
// The bundle is verified against the pinned update key, refused if it is not newer than the one in
// force (no rollback), installed atomically in state_dir/trust/, and only then swapped in.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "drivers/hal/HttpTransport.h"
#include "firmware/kiosk/Config.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/kiosk/TrustStore.h"
#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::fleet {

struct SyncSettings {
    std::string url;           // trust.sync_url
    std::string updateKeyPem;  // contents of trust.update_key
    std::filesystem::path dir; // state_dir/trust
    std::string kioskId;
    std::string caFile;        // trust.sync_ca_file; empty = system CA store
};

// The hardened transport (HTTPS only, no redirects, own deadline) for the sync URL; bundles may be
// a few MiB, so the body cap is the bundle cap, not the 64 KiB of the health-code service.
std::unique_ptr<hal::HttpTransport> makeSyncTransport(const SyncSettings& settings);

struct SyncOutcome {
    bool updated = false;  // a newer bundle was verified and installed
    std::string detail;
    std::optional<kiosk::TrustBundle> bundle;  // when updated
};

// One fetch → verify → install. Errors leave the bundle in force untouched.
Result<SyncOutcome> syncOnce(hal::HttpTransport& transport, const SyncSettings& settings,
                             std::optional<UtcTime> currentIssuedAt, MonoTime deadline);

// SyncSettings from configuration (reads trust.update_key). Error when sync is not configured.
Result<SyncSettings> syncSettingsFrom(const kiosk::Config& config);

// Background sync for `run`: every interval, syncOnce and, on an update, swap the store: to
// `reload()` — the composition of every installed bundle with the configuration
// (kiosk::loadTrustState) — or, without it, to the new bundle alone (stateFromBundle). Never
// touches the decision path except through TrustStore::replace. Stops promptly on stop()/destruction.
class TrustSyncWorker {
public:
    TrustSyncWorker(std::shared_ptr<kiosk::TrustStore> store, std::unique_ptr<hal::HttpTransport> transport, SyncSettings settings,
                    policy::PolicyConfig basePolicy, std::optional<UtcTime> currentIssuedAt, std::chrono::minutes interval,
                    std::function<std::shared_ptr<const kiosk::TrustState>()> reload = nullptr);
    ~TrustSyncWorker();
    void stop();
    void syncNow();  // the next attempt now instead of at the end of the interval (fleet "sync_now")

    std::uint64_t attempts() const { return attempts_.load(); }
    std::uint64_t updates() const { return updates_.load(); }

private:
    void loop();

    std::shared_ptr<kiosk::TrustStore> store_;
    std::function<std::shared_ptr<const kiosk::TrustState>()> reload_;
    std::unique_ptr<hal::HttpTransport> transport_;
    SyncSettings settings_;
    policy::PolicyConfig basePolicy_;
    std::optional<UtcTime> currentIssuedAt_;
    std::chrono::minutes interval_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool now_ = false;
    std::atomic<std::uint64_t> attempts_{0}, updates_{0};
    std::thread thread_;
};

}  // namespace sentinel::fleet

#include "firmware/fleet/FleetParts.h"

#include <system_error>

#include "drivers/net/CurlTransport.h"
#include "firmware/base/Log.h"
#include "firmware/fleet/TrustSync.h"
#include "firmware/fleet/Uploader.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/kiosk/TrustLoader.h"
#include "firmware/trust/TrustList.h"

namespace sentinel::fleet {
namespace {

constexpr const char* kLog = "Fleet";

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

// A token or password file, without the line end an editor leaves; errors name the key.
Result<std::string> readSecret(const std::string& key, const std::string& path) {
    auto text = kiosk::readFile(path);
    if (!text) return makeError(key + ": " + text.error().message);
    return trimmed(std::move(text).value());
}

std::uint64_t fileBytes(const std::filesystem::path& p) {
    std::error_code ec;
    const auto n = std::filesystem::file_size(p, ec);
    return ec ? 0 : static_cast<std::uint64_t>(n);
}

}  // namespace

using kiosk::Config;
using kiosk::readFile;

Result<fleet::LinkOptions> linkOptionsFrom(const Config& config) {
    fleet::LinkOptions o;
    o.brokerUrl = config.fleet.brokerUrl;
    o.caFile = config.fleet.caFile;
    o.certFile = config.fleet.certFile;
    o.keyFile = config.fleet.keyFile;
    o.username = config.fleet.username;
    if (!config.fleet.passwordFile.empty()) {
        auto pw = readSecret("fleet.password_file", config.fleet.passwordFile);
        if (!pw) return pw.error();
        o.password = std::move(pw).value();
    }
    o.keepalive = std::chrono::seconds{config.fleet.keepaliveS};
    o.metricsInterval = std::chrono::seconds{config.fleet.metricsIntervalS};
    o.kioskId = config.kiosk.id;
    o.stateDir = config.kiosk.stateDir;
    o.journalPath = config.journal.path;
    if (auto key = readFile(config.trust.updateKey)) o.updateKeyPem = std::move(key).value();
    return o;
}

Result<std::unique_ptr<FleetParts>> FleetParts::start(const Config& config, const Clock& clock,
                                                      std::shared_ptr<kiosk::TrustStore> store, TrustSyncWorker* syncWorker,
                                                      std::string cameraDescription, DiagnosticsReport diagnostics) {
    std::unique_ptr<FleetParts> f(new FleetParts(config, clock));
    f->diagnostics_ = std::move(diagnostics);
    if (!config.journal.uploadUrl.empty()) {
        if (auto st = f->startUploader(); !st) return st.error();
    }
    f->store_ = std::move(store);
    f->syncWorker_ = syncWorker;
    f->camera_ = std::move(cameraDescription);
    f->startedAt_ = clock.now();
    if (!config.fleet.brokerUrl.empty()) {
        auto options = linkOptionsFrom(config);
        if (!options) return options.error();
        FleetParts* self = f.get();
        fleet::LinkHooks hooks;
        hooks.status = [self] {
            const auto g = self->gauges();
            return nlohmann::json{{"version", SENTINEL_VERSION},
                                  {"started_at", formatRfc3339(self->startedAt_)},
                                  {"trust_age_h", g.trustAgeHours},
                                  {"camera", self->camera_},
                                  {"outbox_backlog", g.outboxBacklog}};
        };
        hooks.metrics = [self, window = self->metrics_.rateWindow()]() mutable {
            return fleet::toMetricsJson(self->metrics_.snapshot(self->gauges(), window));  // its own fps window
        };
        hooks.execute = [self](const fleet::Command& c) { return self->execute(c); };
        hooks.alarm = [self](const std::string& what, const std::string& detail, bool cleared) {
            self->linkAlarm(what, detail, cleared);
        };
        auto link = fleet::MqttLink::start(std::move(options).value(), std::move(hooks), clock);
        if (!link) return makeError("fleet.broker_url: " + link.error().message);
        f->link_ = std::move(link).value();
        f->linkForHooks_.store(f->link_.get(), std::memory_order_release);
    }
    if (!config.metrics.textfile.empty()) {
        FleetParts* self = f.get();
        f->textfile_ = std::make_unique<fleet::TextfileWriter>(config.metrics.textfile, config.kiosk.id, f->metrics_,
                                                               [self] { return self->gauges(); },
                                                               std::chrono::seconds{config.fleet.metricsIntervalS});
    }
    return f;
}

Status FleetParts::startUploader() {
    net::CurlConfig uc;
    uc.caFile = config_.journal.uploadCaFile;
    uc.pins = config_.journal.uploadPins;
    uploadTransport_ = std::make_unique<net::CurlTransport>(uc);
    UploaderOptions uo;
    uo.journalPath = config_.journal.path;
    uo.url = config_.journal.uploadUrl;
    uo.kioskId = config_.kiosk.id;
    if (!config_.journal.uploadTokenFile.empty()) {
        auto token = readSecret("journal.upload_token_file", config_.journal.uploadTokenFile);
        if (!token) return token.error();
        uo.headers["Authorization"] = "Bearer " + *token;
    }
    auto up = Uploader::open(uo, *uploadTransport_, clock_);
    if (!up) return makeError("journal.upload_url: " + up.error().message);
    uploader_ = std::move(up).value();
    uploader_->start();
    return Ok{};
}

FleetParts::FleetParts(const Config& config, const Clock& clock) : config_(config), clock_(clock), metrics_(clock) {}
FleetParts::~FleetParts() { stop(); }

void FleetParts::observe(kiosk::Kiosk& kiosk) {
    kiosk.addObserver(&metrics_);
    if (link_) kiosk.addObserver(link_.get());
    std::lock_guard lock(alarmMutex_);
    alarmKiosk_ = &kiosk;
    for (auto& a : earlyAlarms_) kiosk.postAlarm(std::move(a.what), std::move(a.detail), a.cleared);
    earlyAlarms_.clear();
}

void FleetParts::linkAlarm(const std::string& what, const std::string& detail, bool cleared) {
    std::lock_guard lock(alarmMutex_);
    if (alarmKiosk_) {
        alarmKiosk_->postAlarm(what, detail, cleared);
    } else if (earlyAlarms_.size() < kiosk::Kiosk::kMaxPostedAlarms) {
        earlyAlarms_.push_back({what, detail, cleared});
    }
}

void FleetParts::stop() {
    {
        std::lock_guard lock(alarmMutex_);
        alarmKiosk_ = nullptr;  // the kiosk may be gone after this
    }
    if (link_) link_->stop(kFleetDrain);
    if (uploader_) uploader_->stop();
    if (textfile_) textfile_->stop();
}

fleet::Gauges FleetParts::gauges() const {
    fleet::Gauges g;
    if (store_) {
        auto state = store_->current();
        if (state && state->list && state->list->issuedAt()) {
            g.trustAgeHours = std::chrono::duration<double, std::ratio<3600>>(clock_.now() - *state->list->issuedAt()).count();
        }
    }
    const std::filesystem::path journal = config_.journal.path;
    g.journalBytes = fileBytes(journal) + fileBytes(journal.string() + "-wal");
    if (const fleet::MqttLink* link = linkForHooks_.load(std::memory_order_acquire)) {
        const auto s = link->status();
        g.outboxBacklog = static_cast<std::uint64_t>(std::max<std::int64_t>(0, s.lastSeq - s.ackedSeq));
        g.linkUp = s.connected ? 1 : 0;
    }
    return g;
}

nlohmann::json FleetParts::execute(const fleet::Command& c) {
    if (c.action == "sync_now") {
        if (!syncWorker_) return {{"ok", false}, {"detail", "trust sync is not configured (trust.sync_url)"}};
        syncWorker_->syncNow();
        return {{"ok", true}, {"detail", "sync started"}};
    }
    if (c.action == "bundle") {
        auto key = readFile(config_.trust.updateKey);
        if (!key) return {{"ok", false}, {"detail", "trust.update_key: " + key.error().message}};
        auto bundle = kiosk::verifyBundle(c.bundleEnvelope, *key);
        if (!bundle) return {{"ok", false}, {"detail", bundle.error().message}};
        auto loaded = kiosk::loadTrustState(config_);
        if (loaded.bundleIssuedAt && bundle->issuedAt <= *loaded.bundleIssuedAt) {
            return {{"ok", false}, {"detail", "bundle is not newer than the one in force"}};
        }
        if (auto st = kiosk::installBundle(kiosk::bundleDir(config_), c.bundleEnvelope); !st) {
            return {{"ok", false}, {"detail", st.error().message}};
        }
        if (store_) {
            store_->replace(kiosk::stateFromBundle(*bundle, config_.policy, (kiosk::bundleDir(config_) / kiosk::kBundleFile).string()));
        }
        SLOG(kLog, Info) << "bundle issued " << formatRfc3339(bundle->issuedAt) << " installed by fleet command " << c.id;
        return {{"ok", true}, {"detail", "bundle issued " + formatRfc3339(bundle->issuedAt) + " installed"}};
    }
    if (c.action == "diag") {
        if (!diagnostics_) return {{"ok", false}, {"detail", "diagnostics are not available in this process"}};
        return diagnostics_(config_);
    }
    return {{"ok", false}, {"detail", "unknown action"}};
}

}  // namespace sentinel::fleet

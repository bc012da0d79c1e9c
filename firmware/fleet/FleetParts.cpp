#include "firmware/fleet/FleetParts.h"

#include <system_error>

#include "drivers/net/CurlTransport.h"
#include "firmware/base/Log.h"
#include "firmware/fleet/TrustSync.h"
#include "firmware/fleet/Uploader.h"
#include "firmware/journal/Checkpoint.h"
#include "firmware/journal/Checkpointer.h"
#include "firmware/kiosk/InForceStatus.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/kiosk/TrustLoader.h"
#include "firmware/trust/TrustList.h"
#include "firmware/verify/online/OnlineVerifier.h"

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
    o.station = config.kiosk.station;
    o.group = config.kiosk.group;
    o.stateDir = config.kiosk.stateDir;
    o.journalPath = config.journal.path;
    if (auto key = readFile(config.trust.updateKey)) o.updateKeyPem = std::move(key).value();
    return o;
}

Result<std::unique_ptr<FleetParts>> FleetParts::start(const Config& config, const Clock& clock, FleetContext context) {
    std::unique_ptr<FleetParts> f(new FleetParts(config, clock));
    f->context_ = std::move(context);
    if (!config.journal.uploadUrl.empty()) {
        if (auto st = f->startUploader(); !st) return st.error();
    }
    f->startedAt_ = clock.now();
    f->statusWindow_ = f->metrics_.rateWindow();
    if (!config.fleet.brokerUrl.empty()) {
        auto options = linkOptionsFrom(config);
        if (!options) return options.error();
        FleetParts* self = f.get();
        fleet::LinkHooks hooks;
        hooks.status = [self] { return self->status(); };
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

FleetParts::FleetParts(const Config& config, const Clock& clock)
    : config_(config), clock_(clock), alarms_(clock), metrics_(clock) {}

void ActiveAlarms::alarm(std::string_view what, std::string_view detail, bool cleared) {
    std::lock_guard lock(mutex_);
    std::erase_if(active_, [&](const auto& a) { return std::get<0>(a) == what; });
    if (!cleared) active_.emplace_back(std::string(what), std::string(detail), clock_.now());
}

nlohmann::json ActiveAlarms::list() const {
    std::lock_guard lock(mutex_);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [what, detail, since] : active_) out.push_back({{"alarm", what}, {"detail", detail}, {"since", formatRfc3339(since)}});
    return out;
}

nlohmann::json FleetParts::inForce() const {
    nlohmann::json j{{"policy_version", "config"}, {"revocation", nullptr}, {"risk_list", nullptr}, {"backend_breaker", nullptr}};
    if (context_.online) j["backend_breaker"] = kiosk::breakerStatusJson(context_.online->breakerStatus());
    const auto state = context_.store ? context_.store->current() : nullptr;
    if (!state) return j;
    j["risk_list"] = kiosk::riskListsStatus(state.get(), clock_.now());
    j["policy_version"] = state->policyVersion;
    if (state->revocation) {
        j["revocation"] = {{"issued_at", formatRfc3339(state->revocation->issuedAt())},
                           {"entries", state->revocation->entries()},
                           {"source", state->revocationSource}};
    }
    return j;
}

nlohmann::json FleetParts::status() {
    const auto g = gauges();
    // Its own window (issue 24): the frame rate since the previous status, whoever else reads the counters.
    const double fps = metrics_.snapshot(g, statusWindow_).cameraFps;
    nlohmann::json s{{"version", SENTINEL_VERSION},
                     {"started_at", formatRfc3339(startedAt_)},
                     {"station", config_.kiosk.station},
                     {"group", config_.kiosk.group},
                     {"trust_age_h", g.trustAgeHours},
                     {"camera", context_.cameraDescription},
                     {"outbox_backlog", g.outboxBacklog},
                     {"diagnostics_mode", config_.kiosk.diagnosticsMode},
                     {"clock_trusted", context_.clockTrusted ? nlohmann::json(context_.clockTrusted()) : nlohmann::json(nullptr)},
                     {"camera_fps", fps},
                     {"alarms", alarms_.list()}};
    s.update(inForce());
    std::lock_guard lock(checkpointMutex_);
    s["checkpoint"] = checkpoint_;
    return s;
}

void FleetParts::checkpointed(const journal::StoredCheckpoint& checkpoint) {
    {
        std::lock_guard lock(checkpointMutex_);
        checkpoint_ = journal::checkpointStatus(checkpoint);
    }
    if (link_) link_->publishCheckpoint(journal::checkpointMessage(checkpoint.note, checkpoint.at));
}
FleetParts::~FleetParts() { stop(); }

std::vector<kiosk::KioskObserver*> FleetParts::observers() {
    std::vector<kiosk::KioskObserver*> out{&alarms_, &metrics_};  // alarms before the link: its status lists them
    if (link_) out.push_back(link_.get());
    return out;
}

void FleetParts::observe(kiosk::Kiosk& kiosk) {
    for (auto* o : observers()) kiosk.addObserver(o);
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
    if (context_.store) {
        auto state = context_.store->current();
        if (state && state->list && state->list->issuedAt()) {
            g.trustAgeHours = std::chrono::duration<double, std::ratio<3600>>(clock_.now() - *state->list->issuedAt()).count();
        }
        g.riskListAgeHours = kiosk::riskListAgeHours(state.get(), clock_.now()).value_or(-1);
    }
    if (context_.store) {
        auto state = context_.store->current();
        if (state && state->revocation) {
            g.revocationAgeSeconds = std::chrono::duration<double>(clock_.now() - state->revocation->issuedAt()).count();
        }
    }
    if (context_.clockTrusted) g.clockTrusted = context_.clockTrusted() ? 1 : 0;
    if (context_.online) g.backendBreakerOpen = context_.online->breakerStatus().open ? 1 : 0;
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
        if (!context_.syncWorker) return {{"ok", false}, {"detail", "trust sync is not configured (trust.sync_url is empty)"}};
        context_.syncWorker->syncNow();
        return {{"ok", true}, {"detail", "trust sync started (the result shows in the status's policy_version)"}};
    }
    if (c.action == "bundle") {
        auto applied = kiosk::applyBundle(config_, c.bundleEnvelope, context_.store.get());
        if (!applied) {
            SLOG(kLog, Warn) << "fleet command " << c.id << ": bundle refused: " << applied.error().message;
            return {{"ok", false}, {"detail", "bundle refused: " + applied.error().message}};
        }
        SLOG(kLog, Info) << applied->detail << " by fleet command " << c.id;
        nlohmann::json a = inForce();
        a["bundle"] = formatRfc3339(applied->issuedAt);
        a["parts"] = applied->parts;
        return {{"ok", true}, {"detail", applied->detail}, {"applied", a}};
    }
    if (c.action == "diag") {
        if (!context_.diagnostics) return {{"ok", false}, {"detail", "diagnostics are not available in this process"}};
        return context_.diagnostics(config_);
    }
    return {{"ok", false}, {"detail", "unknown action"}};
}

}  // namespace sentinel::fleet

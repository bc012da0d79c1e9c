// `sentinel run [--config FILE] [--json]`
#include <cmath>
#include <csignal>

#include "firmware/app/Backends.h"
#include "firmware/app/CliUtil.h"
#include "firmware/control/ControlServer.h"
#include "firmware/control/KioskControl.h"
#include "firmware/app/EngineDecoder.h"
#include "firmware/fleet/FleetParts.h"
#include "firmware/ui/KioskScreen.h"
#include "firmware/ui/KioskVoice.h"
#include "firmware/control/KioskStatus.h"
#include "firmware/app/Output.h"
#include "firmware/kiosk/DocumentSource.h"
#include "firmware/kiosk/MrzSource.h"
#include "firmware/kiosk/InForceStatus.h"
#include "firmware/kiosk/Runtime.h"
#include "firmware/kiosk/TrustLoader.h"
#include "firmware/app/ServiceNotify.h"
#include "firmware/fleet/MqttLink.h"
#include "firmware/fleet/TrustSync.h"
#include "firmware/base/Log.h"
#include "firmware/journal/Checkpointer.h"
#include "firmware/journal/Journal.h"
#include "firmware/journal/JournalStats.h"
#include "firmware/trust/RevocationIndex.h"
#include "firmware/trust/TrustList.h"
#include "firmware/verify/online/OnlineVerifier.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel run [--config FILE] [--json]

The kiosk: camera → decode → verify → decide → indicate → journal, until SIGTERM or SIGINT (or
the end of a replay source). The gate relay is driven shut at start-up, before anything else, and
again on exit. With fleet.broker_url set, decisions, alarms, status and metrics go to the fleet's
MQTT broker (docs/fleet.md); on exit the link gets at most 3 s to publish what is committed — the
rest goes out from the journal at the next start. With metrics.textfile set, the Prometheus
textfile is rewritten every fleet.metrics_interval_s and once more on exit.
While it runs, its control socket (staff.control_socket) answers `sentinel status`
and `sentinel staff override`, and the staff button (staff.button_line) opens the gate once for the
last REFER/DENY within staff.override_window_s.

Options:
  --config FILE   configuration (default /etc/sentinel/sentinel.toml)
  --json          standard output carries only decision records, one JSON object per line (the
                  console indicator and every human line go to standard error)
  --help          this text

Exit status: 0 stopped cleanly, 1 a fault stopped the kiosk, 2 usage or configuration error.
)HELP";

std::atomic<bool> gStop{false};
// At exit, how long the screen may take to show the decisions still queued.
constexpr std::chrono::seconds kScreenDrain{5};

extern "C" void onStopSignal(int) { gStop = true; }

// Alarms raised on other threads (the online client's breaker, §14) for the kiosk while it exists.
class AlarmRelay {
public:
    explicit AlarmRelay(kiosk::Kiosk* kiosk) : kiosk_(kiosk) {}
    void post(std::string what, std::string detail, bool cleared) {
        std::lock_guard lock(mutex_);
        if (kiosk_) kiosk_->postAlarm(std::move(what), std::move(detail), cleared);  // only queues: never blocks
    }
    void detach() {
        std::lock_guard lock(mutex_);
        kiosk_ = nullptr;
    }

private:
    std::mutex mutex_;
    kiosk::Kiosk* kiosk_;
};

// The parts of `sentinel status` the loop does not see (called on the control socket's thread).
control::StatusSources statusSources(const kiosk::Config& cfg, kiosk::Runtime& rt, const hal::Camera& camera, const Clock& clock,
                            const fleet::MqttLink* link) {
    control::StatusSources s;
    if (link) {
        // The link's own counters (thread-safe snapshot): never waits on the broker.
        s.fleet = [link] {
            const fleet::LinkStatus st = link->status();
            return nlohmann::json{{"state", st.connected ? "connected" : "connecting"},
                                  {"acked_seq", st.ackedSeq},
                                  {"last_seq", st.lastSeq},
                                  {"backlog", st.lastSeq > st.ackedSeq ? st.lastSeq - st.ackedSeq : 0},
                                  {"connects", st.connects},
                                  {"last_error", st.lastError}};
        };
    }
    s.kioskId = cfg.kiosk.id;
    s.version = SENTINEL_VERSION;
    s.camera = camera.describe();
    s.diagnosticsMode = cfg.kiosk.diagnosticsMode;
    s.overrideWindowS = cfg.staff.overrideWindowS;
    std::shared_ptr<kiosk::TrustStore> store = rt.trustStore();
    std::string trustError = rt.trustError();
    s.trust = [store, trustError, &clock] {
        auto snap = store->current();
        nlohmann::json j;
        j["loaded"] = snap && snap->list;
        j["certificates"] = snap && snap->list ? snap->list->size() : 0;
        j["age_h"] = nullptr;
        if (snap && snap->list && snap->list->issuedAt()) {
            const double ageH = std::chrono::duration<double, std::ratio<3600>>(clock.now() - *snap->list->issuedAt()).count();
            j["age_h"] = std::round(ageH * 10.0) / 10.0;
        }
        j["source"] = snap ? snap->source : "";
        j["error"] = snap && snap->list ? "" : trustError;
        j["policy_version"] = snap ? snap->policyVersion : "config";
        // §17: the revocation index in force (null: none).
        j["revocation"] = nullptr;
        if (snap && snap->revocation) {
            const double ageH = std::chrono::duration<double, std::ratio<3600>>(clock.now() - snap->revocation->issuedAt()).count();
            j["revocation"] = {{"issued_at", formatRfc3339(snap->revocation->issuedAt())},
                               {"age_h", std::round(ageH * 10.0) / 10.0},
                               {"entries", snap->revocation->entries()},
                               {"source", snap->revocationSource}};
        }
        return j;
    };
    kiosk::ClockTrust* ct = rt.clockTrust();
    s.clock = [ct] {
        if (!ct) return nlohmann::json{{"trusted", true}, {"detail", "not checked for this camera source (clock.require_sync)"}};
        auto st = ct->state();
        return nlohmann::json{{"trusted", st.trusted}, {"detail", st.detail}};
    };
    const std::filesystem::path journalPath = cfg.journal.path;
    const bool uploading = !cfg.journal.uploadUrl.empty();
    s.journal = [journalPath, uploading] {
        std::error_code ec;
        std::uintmax_t size = 0;
        for (const auto& p : {journalPath, std::filesystem::path(journalPath.string() + "-wal")}) {
            const auto n = std::filesystem::file_size(p, ec);
            if (!ec) size += n;
        }
        nlohmann::json j{{"path", journalPath.string()}, {"size_bytes", size}, {"upload_backlog", nullptr}};
        if (uploading) {
            if (auto b = journal::readUploadBacklog(journalPath)) j["upload_backlog"] = *b;
        }
        return j;
    };
    // §14: the risk-area list in force and the next one, and the online path's circuit breaker.
    s.riskList = [store, &clock] { return kiosk::riskListsStatus(store->current().get(), clock.now()); };
    if (const verify::OnlineVerifier* online = rt.online()) {
        s.backendBreaker = [online] { return kiosk::breakerStatusJson(online->breakerStatus()); };
    }
    return s;
}

// The journal's checkpointer with the device key (state_dir), handing each checkpoint to the fleet
// parts; nullptr without a journal.
Result<std::unique_ptr<journal::Checkpointer>> startCheckpointer(const kiosk::Config& cfg, kiosk::Runtime& rt, const Clock& clock,
                                                                  fleet::FleetParts& fleetParts) {
    if (!rt.journal()) return std::unique_ptr<journal::Checkpointer>();
    auto signer = journal::loadOrCreateJournalKey(cfg.kiosk.stateDir, cfg.kiosk.id);
    if (!signer) return makeError("journal key in kiosk.state_dir: " + signer.error().message);
    journal::CheckpointOptions co;
    co.everyRecords = static_cast<std::uint64_t>(cfg.journal.checkpointRecords);
    co.interval = std::chrono::seconds{cfg.journal.checkpointIntervalS};
    return std::make_unique<journal::Checkpointer>(*rt.journal(), std::move(signer).value(), cfg.kiosk.id, co, clock,
                                                   [&fleetParts](const journal::StoredCheckpoint& c) { fleetParts.checkpointed(c); });
}

}  // namespace

int cmdRun(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--config"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    if (!args->positionals.empty()) {
        ctx.err << "sentinel run: unexpected argument '" << args->positionals[0] << "'\n\n" << kHelp;
        return kExitUsage;
    }
    auto cfg = loadConfigOrReport(*args, ctx, false);
    if (!cfg) return kExitUsage;
    const bool json = args->has("--json");

    // Indicator first: the GPIO backend drives the relay shut before anything else happens. With
    // --json, stdout carries decision records only: the console indicator's lines go to stderr.
    auto indicator = makeIndicator(*cfg, json ? ctx.err : ctx.out);
    if (!indicator) {
        // Say everything that stops the kiosk, not only the first (the GPIO chip is one of them).
        if (auto problems = startProblems(*cfg); !problems.empty()) {
            ctx.err << "sentinel run: " << problems.size() << (problems.size() == 1 ? " problem stops" : " problems stop")
                    << " the kiosk (`sentinel config check` lists the same):\n" << kiosk::formatProblems(problems);
        } else {
            ctx.err << "sentinel run: indicator: " << indicator.error().message << '\n';
        }
        return kExitUsage;
    }
    SystemClock clock;
    kiosk::RuntimeOptions ro;
    ro.httpsTransport = httpsTransport();
    ro.openJournal = true;
    ro.requireDeviceSecret = true;
    // Live decisions need trusted time (ClockTrust): clock.require_sync, by default on for a live
    // camera and off for a replay source (a bench: recorded frames, no traveller at the gate).
    ro.requireTrustedClock = kiosk::requireSyncFor(*cfg, true);
    // Refuse exactly what `config check` and `diag` report, every problem at once.
    ro.checkStartable = true;
    ro.startRequirements = appStartRequirements();
    auto rt = kiosk::Runtime::create(*cfg, clock, ro);
    if (!rt) {
        ctx.err << "sentinel run: " << rt.error().message << '\n';
        return kExitUsage;
    }
    if ((*rt)->journal() && (*rt)->journal()->recoveredFromDamage()) {
        (*indicator)->alarm("journal was damaged; moved aside to " + (*rt)->journal()->damagedPath().string());
    }
    auto camera = makeCamera(*cfg);
    if (!camera) {
        ctx.err << "sentinel run: camera: " << camera.error().message << '\n';
        return kExitUsage;
    }

    // The screen (display.backend) in its own thread; the loop only hands it values.
    auto display = makeDisplay(*cfg);
    if (!display) {
        ctx.err << "sentinel run: " << display.error().message << '\n';
        return kExitUsage;
    }
    std::unique_ptr<ui::KioskScreen> screen;
    if (*display) {
        auto made = ui::makeKioskScreen(*cfg, **display);
        if (!made) {
            ctx.err << "sentinel run: " << made.error().message << '\n';
            return kExitUsage;
        }
        screen = std::move(made).value();
    }
    // The voice (voice.backend): a missing sound card is logged by the backend, never a fault here.
    auto voice = makeVoice(*cfg);
    if (!voice) {
        ctx.err << "sentinel run: " << voice.error().message << '\n';
        return kExitUsage;
    }
    std::unique_ptr<ui::KioskVoice> announcer;
    if (*voice) {
        const auto prompts = ui::locatePrompts();
        if (prompts.empty()) {
            SLOG("Kiosk", Warn) << "voice: no prompt files found (set SENTINEL_PROMPTS_DIR); the kiosk stays silent";
        }
        announcer = std::make_unique<ui::KioskVoice>(**voice, prompts, cfg->voice.languages);
    }

    // The ID-card reader (documents.reader): on its own thread; the loop polls it without waiting.
    auto documentReader = makeDocumentReader(*cfg);
    if (!documentReader) {
        ctx.err << "sentinel run: " << documentReader.error().message << '\n';
        return kExitUsage;
    }

    struct sigaction sa {};
    sa.sa_handler = onStopSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);

    // Trust-list/policy sync in the background: decisions read the store, never wait for the network.
    std::unique_ptr<fleet::TrustSyncWorker> syncWorker;
    if (!cfg->trust.syncUrl.empty()) {
        auto settings = fleet::syncSettingsFrom(*cfg);
        if (!settings) {
            SLOG("TrustSync", Error) << settings.error().message << " (no trust sync)";
        } else {
            const kiosk::Config& config = *cfg;
            syncWorker = std::make_unique<fleet::TrustSyncWorker>(
                (*rt)->trustStore(), fleet::makeSyncTransport(*settings), *settings, cfg->policy, (*rt)->bundleIssuedAt(),
                std::chrono::minutes{cfg->trust.syncIntervalMin}, [&config] { return kiosk::loadTrustState(config).state; });
        }
    }

    // Fleet link and metrics: observers of the loop, on their own threads (declared before the kiosk:
    // observers outlive it).
    fleet::FleetContext fc;
    fc.store = (*rt)->trustStore();
    fc.syncWorker = syncWorker.get();
    fc.cameraDescription = (*camera)->describe();
    fc.diagnostics = diagnosticsReport;
    if (kiosk::ClockTrust* ct = (*rt)->clockTrust()) fc.clockTrusted = [ct] { return ct->trusted(); };
    fc.online = (*rt)->online();
    auto fleetParts = fleet::FleetParts::start(*cfg, clock, std::move(fc));
    if (!fleetParts) {
        ctx.err << "sentinel run: " << fleetParts.error().message << '\n';
        return kExitUsage;
    }

    // Signed checkpoints of the journal (§16) on their own thread, published by the fleet link.
    auto checkpointer = startCheckpointer(*cfg, **rt, clock, **fleetParts);
    if (!checkpointer) {
        ctx.err << "sentinel run: " << checkpointer.error().message << '\n';
        return kExitUsage;
    }
    EngineDecoder decoder;
    auto sources = statusSources(*cfg, **rt, **camera, clock, (*fleetParts)->link());
    if (journal::Checkpointer* cp = checkpointer->get()) {
        sources.checkpoint = [cp] {
            const auto latest = cp->latest();
            return latest ? journal::checkpointStatus(*latest) : nlohmann::json();
        };
    }
    control::KioskStatus status(clock, std::move(sources));  // outlives the kiosk (observer)
    kiosk::Kiosk kiosk(**camera, decoder, (*rt)->router(), **indicator, (*rt)->sink(), clock, (*rt)->kioskOptions());
    // The traveller first: screen and voice, then the fleet link.
    if (screen) kiosk.addObserver(screen.get());
    if (announcer) kiosk.addObserver(announcer.get());
    (*fleetParts)->observe(kiosk);
    kiosk.addObserver(&status);
    std::unique_ptr<kiosk::DocumentSource> documents;
    if (*documentReader) {
        documents = std::make_unique<kiosk::DocumentSource>(
            **documentReader, [&kiosk](std::string what, std::string detail, bool cleared) {
                kiosk.postAlarm(std::move(what), std::move(detail), cleared);
            });
        kiosk.addSource(documents.get());
        SLOG("Kiosk", Info) << "ID-card reader: " << (*documentReader)->describe();
    }
    std::unique_ptr<kiosk::MrzSource> passports;
    if (cfg->documents.mrz) {
        mrz::ReaderOptions mo;
        mo.fontPath = cfg->documents.mrzFont;
        mo.frameBudget = std::chrono::milliseconds{cfg->documents.mrzBudgetMs};
        auto reader = mrz::MrzReader::create(mo);
        if (!reader) {
            ctx.err << "sentinel run: documents.mrz: " << reader.error().message << '\n';
            return kExitUsage;
        }
        passports = std::make_unique<kiosk::MrzSource>(std::move(reader).value(), clock);
        kiosk.addSource(passports.get());
        SLOG("Kiosk", Info) << "MRZ reader on the camera frames";
    }
    // §14: the breaker's open/close is the `backend` alarm (status, fleet, screen log). The listener
    // runs on the decision or the probe thread: postAlarm only queues it.
    // The relay is detached before the kiosk goes: the verifier (and its probe thread) outlives it.
    auto breakerRelay = std::make_shared<AlarmRelay>(&kiosk);
    if (verify::OnlineVerifier* online = (*rt)->online()) {
        online->onBreakerChange([breakerRelay](const verify::BreakerStatus& b) {
            breakerRelay->post(kiosk::kBackendAlarm, b.open ? kiosk::breakerAlarmDetail(b) : "health-code service answers again", !b.open);
        });
    }

    // Staff at the gate (§11): the control socket and the staff button. Neither is needed to decide,
    // so a failure is logged and shown in the status, and the kiosk runs on.
    std::unique_ptr<control::ControlServer> control;
    if (!cfg->staff.controlSocket.empty()) {
        control::ControlServerOptions co;
        co.path = cfg->staff.controlSocket;
        control::KioskControlOptions kc;
        const kiosk::Config& config = *cfg;
        kc.reloadTrust = [&config] { return kiosk::loadTrustState(config).state; };
        kc.store = (*rt)->trustStore();
        fleet::MqttLink* link = (*fleetParts)->link();
        kc.trustReloaded = [link] {
            if (link) link->refreshStatus();
        };
        auto server = control::ControlServer::start(co, control::kioskControlHandler(status, kiosk, std::move(kc)));
        if (server) {
            control = std::move(server).value();
        } else {
            SLOG("Control", Warn) << server.error().message << " (no `sentinel status` / `staff override`)";
            status.alarm("control_socket", server.error().message, false);
        }
    }
    auto button = makeStaffButton(*cfg, [&kiosk] { kiosk.requestOverride({}); });
    if (!button) {
        SLOG("StaffButton", Error) << button.error().message << " (staff button disabled)";
        status.alarm("staff_button", button.error().message, false);
    }
    if (json) {
        kiosk.onDecision = [&](const DecisionRecord& r, const kiosk::Verdict&) { printRecord(ctx.out, r, true); };
    }
    // systemd: READY once everything is up; WATCHDOG only while frames are processed.
    ServiceNotifier notifier(clock);
    kiosk.onProgress = [&notifier] { notifier.progress(); };
    SLOG("Kiosk", Info) << "running: camera " << (*camera)->describe() << ", kiosk " << cfg->kiosk.id;
    notifier.ready("kiosk " + cfg->kiosk.id + ", camera " + (*camera)->describe());
    kiosk.run(gStop);
    breakerRelay->detach();
    notifier.stopping();
    // A replay ends quickly: let the screen show the last decisions before the process exits.
    if (screen && !screen->waitResultsShown(kScreenDrain)) {
        SLOG("Kiosk", Warn) << "the screen did not show every decision";
    }
    if (*voice && !(*voice)->waitIdle(kScreenDrain)) {
        SLOG("Kiosk", Warn) << "the voice did not finish the last announcement";
    }
    if (button) button->reset();  // no more presses; then the socket goes (its file removed)
    control.reset();
    (*indicator)->shut();
    // The loop has ended: the stop checkpoint covers every record, then the link publishes it.
    if (*checkpointer) (*checkpointer)->stop();
    (*fleetParts)->stop();
    if (syncWorker) syncWorker->stop();
    SLOG("Kiosk", Info) << "stopped after " << kiosk.counters().frames << " frames, " << kiosk.counters().decisions
                        << " decisions";
    return kExitOk;
}

}  // namespace sentinel::app

// `sentinel diag [--json] [--no-relay] [--config FILE]` (DESIGN §7; every check in docs/diagnostics.md)
#include <openssl/rand.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "drivers/indicator/GpioIndicator.h"
#include "drivers/net/CurlTransport.h"
#include "firmware/app/Backends.h"
#include "firmware/kiosk/TrustLoader.h"
#include "firmware/kiosk/ClockTrust.h"
#include "firmware/app/CliUtil.h"
#include "firmware/kiosk/Runtime.h"
#include "firmware/issuer/TestCard.h"
#include "drivers/audio/AlsaVoice.h"
#include "firmware/ui/KioskVoice.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/fleet/TrustSync.h"
#include "firmware/fleet/FleetParts.h"
#include "firmware/fleet/MqttLink.h"
#include "firmware/diag/CameraCheck.h"
#include "firmware/ui/Composer.h"
#include "firmware/diag/DecodeCheck.h"
#include "firmware/diag/DocumentsCheck.h"
#include "firmware/trust/RevocationIndex.h"
#include "firmware/diag/FactChecks.h"
#include "firmware/diag/IndicatorCheck.h"
#include "firmware/diag/JournalCheck.h"
#include "firmware/diag/Report.h"
#include "firmware/diag/Runner.h"
#include "firmware/diag/ServiceCheck.h"
#include "firmware/issuer/TestIssuer.h"
#include "firmware/journal/JournalStats.h"
#include "firmware/trust/TrustList.h"
#include "firmware/verify/Hc1Verifier.h"

namespace sentinel::app {
namespace {

using diag::Outcome;
using namespace std::chrono_literals;

// The help text; "Checks, in order:" is filled in from the checks diag runs (checkNames()).
constexpr const char* kHelpBefore = R"HELP(Usage: sentinel diag [--json] [--no-relay] [--config FILE]

Field diagnostics (DESIGN §7). Runs each check under its own time limit and prints a table, or with
--json ONE JSON array on ONE line: [{"check","status":"ok|warn|fail","detail","remedy","ms"},…].
)HELP";
constexpr const char* kHelpAfter = R"HELP(What each one means and what to do: docs/diagnostics.md. The config check lists every problem
that would stop `sentinel run` (as `sentinel config check` does).

The camera check writes the last frame to <kiosk.state_dir>/diag-snapshot.png. The indicator check
switches each lamp, the buzzer and the GATE RELAY in turn (stop the kiosk first: it holds the GPIO
lines); --no-relay leaves the relay alone.

Options:
  --json          one JSON array on one line instead of the table
  --no-relay      do not pulse the gate relay
  --config FILE   configuration (default /etc/sentinel/sentinel.toml)
  --help          this text

Exit status: 0 no check failed (warnings allowed), 1 a check failed or timed out, 2 the
configuration cannot be loaded (the report then holds the config check only).
)HELP";
// Help lines are wrapped at this width.
constexpr std::size_t kHelpWidth = 100;

// Per-check limits: a stuck check is reported as failed after this long, never waited on.
constexpr auto kConfigTimeout = 2s;
constexpr auto kStateDirTimeout = 3s;
constexpr auto kCameraTimeout = 10s;   // the camera check itself stops collecting after 4 s
constexpr auto kDecodeTimeout = 10s;   // live: 6 s to present a card
constexpr auto kLiveDecodeBudget = 6s;
constexpr auto kIndicatorTimeout = 10s;
constexpr auto kServiceTimeout = 15s;
constexpr auto kServiceExchange = 5s;  // one probe, = budget.decision_ms at most
constexpr auto kClockTimeout = 3s;
constexpr auto kTrustTimeout = 5s;
constexpr auto kJournalTimeout = 10s;
constexpr auto kFleetTimeout = 10s;
constexpr auto kFleetProbe = 5s;        // one MQTT connection attempt (CONNACK or the TLS failure)
constexpr auto kDisplayTimeout = 5s;
constexpr auto kVoiceTimeout = 5s;
// Opening the line and the reader's first round come on top of its own status/id deadline.
constexpr auto kDocumentsCheckSlack = 2s;
constexpr std::uintmax_t kStateMinFree = 64ull << 20;  // journal appends need room; below → fail
constexpr const char* kSnapshotFile = "diag-snapshot.png";
// A syntactically valid HK1 token no service will know: asked only to read `server_time`.
constexpr const char* kProbeCode = "HK1:SENTINEL-DIAG-PROBE-0000";

// State shared by the checks (and kept alive by them if one is abandoned).
struct Shared {
    kiosk::Config cfg;
    SystemClock clock;
    std::mutex mutex;
    std::shared_ptr<hal::Camera> camera;  // opened by the camera check, reused by decode
    bool cameraDelivered = false;
    std::optional<double> skewS;          // kiosk − service server_time
    std::string skewNote;
};

// A random (version 4) UUID for the request_id of DESIGN §5.
std::string uuid4() {
    unsigned char b[16] = {};
    if (RAND_bytes(b, sizeof b) != 1) return "00000000-0000-4000-8000-000000000000";
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    char out[37];
    std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
                  b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return out;
}

// The issuers whose test cards this kiosk accepts (its own and kiosk.test_issuer's); nullptr = none.
std::shared_ptr<const trust::TrustList> testIssuerList(const kiosk::Config& cfg) {
    auto list = kiosk::loadTestCardIssuers(cfg);
    return list ? std::move(list).value() : nullptr;
}

diag::TestCardRecogniser recogniserFor(std::shared_ptr<const trust::TrustList> list) {
    if (!list) return {};
    return [list](std::string_view payload) {
        verify::OfflineContext ctx{list.get(), SystemClock().now(), {}, false, std::string(32, 't'), false, {}};
        return verify::verifyHc1(payload, ctx).stages.signature.value_or(false);
    };
}

// display.backend: the font renders a screen at the configured size; where the screen goes exists.
// Never opens the screen itself (the running kiosk holds it).
Outcome checkDisplay(const kiosk::Config& cfg) {
    const std::string& b = cfg.display.backend;
    if (b == "off") return Outcome::ok("off (no screen)");
    auto composer = ui::Composer::create({cfg.display.width, cfg.display.height, ui::kDefaultFontPath, ui::kDefaultFontFace});
    if (!composer) return Outcome::fail(composer.error().message, "apt-get install fonts-noto-cjk; check display.width/height");
    const auto shot = (*composer)->compose(ui::IdleScreen{}, {}, MonoTime{});
    for (const auto& t : shot.texts) {
        if (!t.fits) return Outcome::warn("text does not fit at " + std::to_string(cfg.display.width) + "x" +
                                              std::to_string(cfg.display.height) + ": " + t.text,
                                          "use a larger display.width/height");
    }
    std::error_code ec;
    if (b.rfind("png:", 0) == 0) {
        std::filesystem::create_directories(b.substr(4), ec);
        if (ec) return Outcome::fail("cannot create " + b.substr(4) + ": " + ec.message(), "fix display.backend's folder");
        return Outcome::ok("png: writes screens to " + b.substr(4));
    }
    const char* x = std::getenv("DISPLAY");
    const char* wl = std::getenv("WAYLAND_DISPLAY");
    if ((x && *x) || (wl && *wl)) return Outcome::ok("sdl on a desktop (" + std::string(x && *x ? "X11" : "Wayland") + ")");
    if (!std::filesystem::exists("/dev/dri/card0", ec) && !std::filesystem::exists("/dev/dri/card1", ec)) {
        return Outcome::warn("sdl: no desktop and no DRM device (/dev/dri/card*)",
                             "check the display cable and the board's KMS driver; `ls -l /dev/dri`");
    }
    return Outcome::ok("sdl via KMSDRM (/dev/dri)");
}

// voice.backend: the prompts are installed; for alsa the device opens. A missing sound card is a
// warning: the kiosk decides without a voice.
Outcome checkVoice(const kiosk::Config& cfg) {
    const std::string& b = cfg.voice.backend;
    if (b == "off") return Outcome::ok("off (silent)");
    const auto prompts = ui::locatePrompts();
    if (prompts.empty()) return Outcome::warn("no voice prompts found", "reinstall the package (/usr/share/sentinel/prompts) or set SENTINEL_PROMPTS_DIR");
    if (b == "alsa") {
        if (auto e = audio::AlsaVoice::probe(cfg.voice.device); !e.empty()) {
            return Outcome::warn(e, "check voice.device against `aplay -L`, the cable and group audio");
        }
        return Outcome::ok("alsa " + cfg.voice.device + ", prompts in " + prompts.string());
    }
    return Outcome::ok(b + ", prompts in " + prompts.string());
}

Outcome checkConfig(const kiosk::Config& cfg) {
    const std::string where = cfg.file.empty() ? "built-in defaults (no configuration file)" : cfg.file.string();
    // Every problem that would stop `run`, by key (the answer `config check` and `run` give), and
    // a test issuer in the trust list: all of them at once.
    std::vector<std::string> failures;
    std::string remedy = "fix each named key (`sentinel config check` lists them one per line, `sentinel config reference` "
                         "says what each key takes)";
    for (const auto& p : startProblems(cfg)) failures.push_back("key '" + p.key + "': " + p.message);
    if (auto testIssuers = testIssuerList(cfg)) {
        kiosk::LoadedTrust loaded = kiosk::loadTrustState(cfg);
        const bool trusted = loaded.state->list && std::any_of(testIssuers->certificates().begin(), testIssuers->certificates().end(),
                                                               [&](const auto& c) { return !loaded.state->list->findByKid(c.kid).empty(); });
        if (trusted) {
            failures.push_back("a TEST issuer is in the trust list");
            if (failures.size() == 1) {
                remedy = "remove test-issuer-cert.pem (and the kiosk.test_issuer certificate) from trust.path: test cards must "
                         "never be trusted";
            }
        }
    }
    if (!failures.empty()) {
        std::string detail = where + ": " + std::to_string(failures.size()) + (failures.size() == 1 ? " problem" : " problems");
        for (std::size_t i = 0; i < failures.size(); ++i) detail += (i == 0 ? ": " : "; ") + failures[i];
        return Outcome::fail(detail, remedy);
    }
    std::string detail = where + ": valid";
    std::vector<std::pair<std::string, std::string>> warnings;  // problem, remedy
    if (cfg.file.empty()) warnings.emplace_back("no configuration file", "install /etc/sentinel/sentinel.toml (docs/install.md)");
    if (cfg.kiosk.diagnosticsMode)
        warnings.emplace_back("kiosk.diagnostics_mode is on (test cards accepted)", "set kiosk.diagnostics_mode = false before service");
    if (!cfg.online.baseUrl.empty() && cfg.online.pins.size() == 1)
        warnings.emplace_back("only one online.pins entry", "add the backup pin so a key rotation does not cut the service");
    if (warnings.empty()) return Outcome::ok(detail);
    for (const auto& w : warnings) detail += "; " + w.first;
    return Outcome::warn(detail, warnings.front().second);
}

Outcome checkCamera(const std::shared_ptr<Shared>& s) {
    // A replay folder may hold a single image (a test card): hold each image for the whole sample so
    // the rate can be measured.
    const bool v4l2 = s->cfg.camera.source.rfind("v4l2:", 0) == 0;
    diag::CameraCheckOptions o;
    auto cam = makeCamera(s->cfg, v4l2 ? 1 : o.sampleFrames);
    if (!cam) return Outcome::fail("camera.source " + s->cfg.camera.source + ": " + cam.error().message, "fix camera.source");
    std::shared_ptr<hal::Camera> camera = std::move(cam).value();
    {
        std::lock_guard lock(s->mutex);
        s->camera = camera;
    }
    o.expectedFps = s->cfg.camera.fps;
    o.snapshotPath = s->cfg.kiosk.stateDir / kSnapshotFile;
    if (v4l2) {
        const std::string dev = s->cfg.camera.source.substr(5);
        std::error_code ec;
        o.noFrameRemedy = std::filesystem::exists(dev, ec)
                              ? "the camera is present but sends nothing: replug it, check `v4l2-ctl -d " + dev +
                                    " --all`, that no other program uses it, and that sentinel is in the video group"
                              : dev + " does not exist: check the USB cable, `ls -l /dev/video*`, camera.source";
    } else {
        o.noFrameRemedy = "the replay source has no readable image: check camera.source";
    }
    auto m = diag::measureCamera(*camera, o, s->clock);
    {
        std::lock_guard lock(s->mutex);
        s->cameraDelivered = m.frames > 0;
    }
    return diag::judgeCamera(s->cfg.camera.source, m, o);
}

Outcome checkDecode(const std::shared_ptr<Shared>& s) {
    auto list = testIssuerList(s->cfg);
    std::optional<issuer::TestIssuer> ti;
    if (auto own = issuer::TestIssuer::load(s->cfg.kiosk.stateDir / kiosk::kTestIssuerDir)) ti = std::move(own).value();
    const bool replay = s->cfg.camera.source.rfind("replay:", 0) == 0;
    if (replay) {
        // No one can hold a card under a replay source: render one and decode it.
        std::string note;
        if (!ti) {
            ti = issuer::TestIssuer::generate("XX");
            auto l = trust::TrustList::fromCertificates({{ti->certificateDer(), ti->country(), std::nullopt}});
            if (l) list = std::make_shared<const trust::TrustList>(std::move(l).value());
            note = " (throw-away issuer: run `sentinel testcard` to create the device's)";
        }
        Outcome o = diag::decodeRenderedTestCard(issuer::issueTestCard(*ti, s->clock.now(), 0), recogniserFor(list));
        o.detail += note;
        return o;
    }
    std::shared_ptr<hal::Camera> camera;
    bool delivered = false;
    {
        std::lock_guard lock(s->mutex);
        camera = s->camera;
        delivered = s->cameraDelivered;
    }
    if (!camera || !delivered) return Outcome::fail("no camera frames to decode", "fix the camera check first");
    return diag::decodeFromCamera(*camera, recogniserFor(list), kLiveDecodeBudget, s->clock);
}

Outcome checkIndicator(const std::shared_ptr<Shared>& s, bool includeRelay) {
    std::string detail;
    bool gpio = false;
    for (const auto& b : s->cfg.indicator.backends) {
        if (b == "gpio") gpio = true;
        if (b == "console") detail = "console backend: nothing to switch";
    }
    if (!gpio) return Outcome::ok(detail);
    const auto opts = gpioOptionsFrom(s->cfg);
    auto lines = openGpioLines(s->cfg);
    if (!lines) {
        return Outcome::fail("gpio " + opts.chip + ": " + lines.error().message,
                             "stop the kiosk first (systemctl stop sentinel: it holds the lines); check indicator.gpio.chip, "
                             "`gpioinfo`, and that sentinel is in the gpio group (udev rule)");
    }
    diag::IndicatorCheckOptions o;
    o.includeRelay = includeRelay;
    Outcome out = diag::checkGpioLines(**lines, o);
    if (!detail.empty()) out.detail += "; " + detail;
    return out;
}

Outcome checkServiceAndSkew(const std::shared_ptr<Shared>& s) {
    const kiosk::Config& cfg = s->cfg;
    if (cfg.online.baseUrl.empty()) return diag::checkService("", {});
    net::CurlConfig cc;
    cc.caFile = cfg.online.caFile;
    cc.pins = cfg.online.pins;
    auto transport = std::make_shared<net::CurlTransport>(cc);
    auto probes = diag::systemServiceProbes([transport](const std::string& url) {
        return transport->probe(url, std::chrono::steady_clock::now() + kServiceExchange);
    });
    Outcome out = diag::checkService(cfg.online.baseUrl, probes);
    if (out.status == diag::Status::Fail) return out;

    // One request to read server_time (clock skew) and to check that the device token is accepted.
    auto token = kiosk::readFile(cfg.online.tokenFile);
    if (!token) return Outcome::fail(out.detail + "; token: " + token.error().message, "install online.token_file");
    std::string t = *token;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
    hal::HttpRequest req;
    req.url = cfg.online.baseUrl + "/v1/verify";
    req.headers["Authorization"] = "Bearer " + t;
    const UtcTime sentAt = s->clock.now();
    req.body = nlohmann::json{{"code", kProbeCode}, {"kiosk_id", cfg.kiosk.id}, {"request_id", uuid4()},
                              {"scanned_at", formatRfc3339(sentAt)}}
                   .dump();
    auto resp = transport->post(req, std::chrono::steady_clock::now() + kServiceExchange);
    if (resp.outcome == hal::HttpOutcome::Response && (resp.status == 401 || resp.status == 403)) {
        return Outcome::fail(out.detail + "; device token refused (HTTP " + std::to_string(resp.status) + ")",
                             "renew the device token at online.token_file (fleet portal)");
    }
    if (resp.outcome == hal::HttpOutcome::Response) {
        auto body = nlohmann::json::parse(resp.body, nullptr, false);
        std::lock_guard lock(s->mutex);
        if (!body.is_discarded() && body.is_object() && body.contains("server_time") && body["server_time"].is_string()) {
            if (auto st = parseRfc3339(body["server_time"].get<std::string>())) {
                // Midpoint of the exchange against the server's stamp.
                const UtcTime mid = sentAt + std::chrono::milliseconds{static_cast<long long>(resp.elapsedMs / 2)};
                s->skewS = static_cast<double>((mid - *st).count()) / 1000.0;
            }
        }
        s->skewNote = s->skewS ? "" : "service gave no server_time (HTTP " + std::to_string(resp.status) + ")";
        out.detail += "; token accepted";
    } else {
        std::lock_guard lock(s->mutex);
        s->skewNote = "service request failed: " + resp.detail;
    }
    return out;
}

Outcome checkClock(const std::shared_ptr<Shared>& s) {
    UtcTime floor = kiosk::buildTime();
    std::string floorFrom = "build time";
    if (auto st = journal::readJournalStats(s->cfg.journal.path, std::nullopt); st && st->newest && *st->newest > floor) {
        floor = *st->newest;
        floorFrom = "newest journal record";
    }
    kiosk::ClockTrust trust(s->clock, kiosk::probeClockSignals, floor, s->cfg.clock.maxUnsyncedH);
    const kiosk::ClockTrustState st = trust.state();
    diag::ClockFacts f;
    f.trusted = st.trusted;
    f.trustDetail = st.detail + "; floor " + formatRfc3339(floor) + " (" + floorFrom + ")";
    f.maxSkewS = s->cfg.clock.maxSkewS;
    f.enforced = kiosk::requireSyncFor(s->cfg, true);  // clock.require_sync, as `run` applies it
    {
        std::lock_guard lock(s->mutex);
        f.skewS = s->skewS;
        if (!s->skewS && !s->skewNote.empty()) f.trustDetail += "; " + s->skewNote;
    }
    return diag::judgeClock(f);
}

Outcome checkTrust(const std::shared_ptr<Shared>& s) {
    kiosk::LoadedTrust loaded = kiosk::loadTrustState(s->cfg);
    diag::TrustFacts f;
    f.source = loaded.state->source;
    f.now = s->clock.now();
    f.maxAgeH = s->cfg.trust.maxAgeH;
    if (loaded.state->list) {
        f.count = loaded.state->list->size();
        f.issuedAt = loaded.state->list->issuedAt();
    } else {
        f.loadError = loaded.error;
    }
    return diag::judgeTrustList(f);
}

// §17: the revocation index `run` would put in force (a bundle's, else trust.revocation_path's):
// its age on this clock against trust.revocation_max_age_h, its entries and its source.
Outcome checkRevocation(const std::shared_ptr<Shared>& s) {
    const kiosk::Config& cfg = s->cfg;
    kiosk::LoadedTrust loaded = kiosk::loadTrustState(cfg);
    const auto& index = loaded.state ? loaded.state->revocation : nullptr;
    if (!index) {
        const std::string why = cfg.trust.revocationPath.empty() ? "no revocation index (no bundle supplied one, trust.revocation_path empty)"
                                                                 : "trust.revocation_path " + cfg.trust.revocationPath + " did not load (see the log)";
        if (cfg.trust.requireRevocation)
            return Outcome::fail(why + ": every PASS is REFER REVOCATION_LIST_STALE (trust.require_revocation)",
                                 "install a bundle with a revocation index (`sentinel fleet revocation build`), or fix trust.revocation_path");
        if (!cfg.trust.revocationPath.empty())
            return Outcome::fail(why, "rebuild the index with `sentinel fleet revocation build` and check `sentinel fleet revocation show`");
        return Outcome::ok(why + ": revoked certificates are not checked");
    }
    const double ageH = std::chrono::duration<double, std::ratio<3600>>(s->clock.now() - index->issuedAt()).count();
    char age[32];
    std::snprintf(age, sizeof age, "%.1f", ageH);
    const std::string detail = std::to_string(index->entries()) + " entries issued " + formatRfc3339(index->issuedAt()) + " (" + age +
                               " h ago) from " + loaded.state->revocationSource;
    if (ageH > cfg.trust.revocationMaxAgeH)
        return Outcome::fail(detail + ": older than trust.revocation_max_age_h, every PASS is REFER REVOCATION_LIST_STALE",
                             "check trust sync or the fleet link delivers new bundles; check the clock");
    return Outcome::ok(detail);
}

Outcome checkTrustSync(const std::shared_ptr<Shared>& s) {
    const kiosk::Config& cfg = s->cfg;
    const auto installed = kiosk::bundleDir(cfg) / kiosk::kBundleFile;
    std::error_code ec;
    const bool haveBundle = std::filesystem::exists(installed, ec);
    if (cfg.trust.syncUrl.empty()) {
        return Outcome::ok(std::string("not configured (trust.sync_url empty): the list is managed with `sentinel trust import`") +
                           (haveBundle ? "; an installed bundle is still in force" : ""));
    }
    auto key = kiosk::readFile(cfg.trust.updateKey);
    if (!key) return Outcome::fail("trust.update_key: " + key.error().message, "install the fleet's update public key");
    if (!haveBundle)
        return Outcome::warn("no bundle synced yet from " + cfg.trust.syncUrl,
                             "run `sentinel trust sync` and read its message; check the network");
    auto envelope = kiosk::readFile(installed);
    if (!envelope) return Outcome::fail(envelope.error().message, "run `sentinel trust sync`");
    auto bundle = kiosk::verifyBundle(*envelope, *key);
    if (!bundle)
        return Outcome::fail(installed.string() + ": " + bundle.error().message + " (trust.path is used instead)",
                             "check trust.update_key is the fleet's current key, then `sentinel trust sync`");
    return Outcome::ok("bundle issued " + formatRfc3339(bundle->issuedAt) + " verified with " + cfg.trust.updateKey + ", " +
                       std::to_string(bundle->policyOverrides.size()) + " policy override(s); every " +
                       std::to_string(cfg.trust.syncIntervalMin) + " min from " + cfg.trust.syncUrl);
}

Outcome checkFleet(const std::shared_ptr<Shared>& s) {
    const kiosk::Config& cfg = s->cfg;
    if (cfg.fleet.brokerUrl.empty()) return Outcome::ok("not configured (fleet.broker_url empty): no fleet link");
    auto options = fleet::linkOptionsFrom(cfg);
    if (!options) return Outcome::fail(options.error().message, "make fleet.password_file readable by the kiosk user");
    auto r = fleet::probeBroker(*options, kFleetProbe);
    if (r) return Outcome::ok(*r + " as " + cfg.kiosk.id);
    const std::string& why = r.error().message;
    if (why.find("password") != std::string::npos || why.find("not authorised") != std::string::npos) {
        return Outcome::fail(why, "set fleet.username and the password in fleet.password_file to the broker's entry "
                                  "(mosquitto_passwd), or ask the operator to add this kiosk");
    }
    if (why.find("TLS") != std::string::npos || why.find("certificate") != std::string::npos) {
        return Outcome::fail(why, "fleet.ca_file must be the CA that signed the broker's certificate; fleet.cert_file and "
                                  "fleet.key_file this kiosk's pair from the fleet CA (not expired)");
    }
    return Outcome::fail(why, "check fleet.broker_url (host and port), the network, and that the broker runs");
}

// The ID-card reader (§15): skipped (ok, said so) without one; otherwise the line, the SAM's status
// and its id. The reader is opened for the check only: a running kiosk holds the line (the check
// then says the reader is in use and to stop the kiosk first).
Outcome checkDocuments(const std::shared_ptr<Shared>& s) {
    const kiosk::Config& cfg = s->cfg;
    if (!diag::documentsCheckApplies(cfg.documents.reader))
        return Outcome::ok("not configured (documents.reader = \"none\"): skipped");
    auto reader = makeDocumentReader(cfg);
    if (!reader) return Outcome::fail(reader.error().message, "set documents.reader to \"none\" or \"sam:/dev/ttyUSB0[@BAUD]\"");
    return diag::checkDocumentReader(**reader, diag::kDocumentsCheckTimeout);
}

std::vector<diag::Check> softwareChecks(const std::shared_ptr<Shared>& s) {
    return {
        {"config", kConfigTimeout, [s] { return checkConfig(s->cfg); }},
        {"state_dir", kStateDirTimeout, [s] { return diag::checkStateDir(s->cfg.kiosk.stateDir, kStateMinFree); }},
        {"clock", kClockTimeout, [s] { return checkClock(s); }},
        {"trust", kTrustTimeout, [s] { return checkTrust(s); }},
        {"trust_sync", kTrustTimeout, [s] { return checkTrustSync(s); }},
        {"journal", kJournalTimeout, [s] { return diag::checkJournal(s->cfg.journal.path); }},
        {"fleet", kFleetTimeout, [s] { return checkFleet(s); }},
    };
}

// Every check `sentinel diag` runs, in order (the help lists exactly these: helpText()).
std::vector<diag::Check> fieldChecks(const std::shared_ptr<Shared>& s, bool includeRelay) {
    return {
        {"config", kConfigTimeout, [s] { return checkConfig(s->cfg); }},
        {"state_dir", kStateDirTimeout, [s] { return diag::checkStateDir(s->cfg.kiosk.stateDir, kStateMinFree); }},
        {"camera", kCameraTimeout, [s] { return checkCamera(s); }},
        {"decode", kDecodeTimeout, [s] { return checkDecode(s); }},
        {"indicator", kIndicatorTimeout, [s, includeRelay] { return checkIndicator(s, includeRelay); }},
        {"display", kDisplayTimeout, [s] { return checkDisplay(s->cfg); }},
        {"voice", kVoiceTimeout, [s] { return checkVoice(s->cfg); }},
        {"documents", diag::kDocumentsCheckTimeout + kDocumentsCheckSlack, [s] { return checkDocuments(s); }},
        {"service", kServiceTimeout, [s] { return checkServiceAndSkew(s); }},
        {"clock", kClockTimeout, [s] { return checkClock(s); }},
        {"trust", kTrustTimeout, [s] { return checkTrust(s); }},
        {"trust_sync", kTrustTimeout, [s] { return checkTrustSync(s); }},
        {"revocation", kTrustTimeout, [s] { return checkRevocation(s); }},
        {"journal", kJournalTimeout, [s] { return diag::checkJournal(s->cfg.journal.path); }},
        {"fleet", kFleetTimeout, [s] { return checkFleet(s); }},
    };
}

// The help, its list of checks taken from fieldChecks() (never run here), wrapped at kHelpWidth.
std::string helpText() {
    const auto checks = fieldChecks(std::make_shared<Shared>(), true);
    std::string text = kHelpBefore;
    std::string line = "Checks, in order:";
    for (std::size_t i = 0; i < checks.size(); ++i) {
        const std::string word = " " + checks[i].name + (i + 1 < checks.size() ? "," : ".");
        if (line.size() + word.size() > kHelpWidth) {
            text += line + "\n";
            line = word.substr(1);
        } else {
            line += word;
        }
    }
    return text + line + "\n" + kHelpAfter;
}

}  // namespace

nlohmann::json diagnosticsReport(const kiosk::Config& config) {
    auto s = std::make_shared<Shared>();
    s->cfg = config;
    auto report = diag::runChecks(softwareChecks(s));
    auto j = nlohmann::json::parse(diag::renderJson(report.results), nullptr, false);
    return j.is_discarded() ? nlohmann::json::array() : j;
}

int cmdDiag(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    const std::string help = helpText();
    auto args = parseOrExit(argv, {{"--json", "--no-relay"}, {"--config"}}, help.c_str(), ctx, exitCode);
    if (!args) return exitCode;
    if (!args->positionals.empty()) {
        ctx.err << "sentinel diag: unexpected argument '" << args->positionals[0] << "'\n\n" << help;
        return kExitUsage;
    }
    const bool json = args->has("--json");
    auto print = [&](const std::vector<diag::CheckResult>& results) {
        ctx.out << (json ? diag::renderJson(results) : diag::renderTable(results));
        ctx.out.flush();
    };

    auto shared = std::make_shared<Shared>();
    {
        const auto t0 = std::chrono::steady_clock::now();
        std::ostringstream errors;
        CliContext quiet{ctx.out, errors, ctx.program};
        auto cfg = loadConfigOrReport(*args, quiet, false);
        if (!cfg) {
            std::string msg = errors.str();
            while (!msg.empty() && msg.back() == '\n') msg.pop_back();
            for (auto nl = msg.find('\n'); nl != std::string::npos; nl = msg.find('\n', nl)) msg.replace(nl, 1, "; ");
            diag::CheckResult r{"config", diag::Status::Fail, msg, "fix the named key and line; `sentinel config reference` lists every key",
                                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count()};
            print({r});
            return kExitUsage;
        }
        shared->cfg = std::move(cfg).value();
    }
    const bool includeRelay = !args->has("--no-relay");
    const auto checks = fieldChecks(shared, includeRelay);
    auto report = diag::runChecks(checks);
    print(report.results);
    const int code = report.anyFailed() ? kExitFail : kExitOk;
    if (report.abandoned > 0) {
        // A check is still stuck (e.g. in a driver call) on a worker the report owns: joining it could
        // hang the technician's terminal, and running static destructors under it is unsafe. All
        // output is flushed; _Exit ends the process, worker included, with nothing run after it.
        std::cout.flush();
        std::cerr.flush();
        std::_Exit(code);
    }
    return code;
}

}  // namespace sentinel::app

#include "firmware/kiosk/Config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>

#include <toml++/toml.h>

namespace sentinel::kiosk {
namespace {

enum class Kind { Int, Double, Bool, String, StringList };

// One configuration key: declared once, with everything a technician needs to know about it.
struct KeySpec {
    std::string_view path;  // dotted, e.g. "policy.max_test_age_h.naat"
    Kind kind;
    std::string_view defaultText;  // as written in TOML
    std::string_view unit;
    double min = 0, max = 0;  // for Int/Double; ignored otherwise
    std::string_view doc;
    // Stores the validated value. Int and Double arrive as double, lists as vector.
    std::function<void(Config&, double)> setNumber;
    std::function<void(Config&, const std::string&)> setString;
    std::function<void(Config&, const std::vector<std::string>&)> setList;
    std::function<void(Config&, bool)> setBool;
    std::vector<std::string_view> allowed;  // for String / StringList items; empty = any
};

constexpr double kMaxInt = std::numeric_limits<int>::max();

KeySpec intKey(std::string_view path, std::string_view def, std::string_view unit, double min, double max,
               std::string_view doc, std::function<void(Config&, int)> set) {
    KeySpec k{path, Kind::Int, def, unit, min, max, doc, {}, {}, {}, {}, {}};
    k.setNumber = [set](Config& c, double v) { set(c, static_cast<int>(v)); };
    return k;
}
KeySpec doubleKey(std::string_view path, std::string_view def, std::string_view unit, double min, double max,
                  std::string_view doc, std::function<void(Config&, double)> set) {
    KeySpec k{path, Kind::Double, def, unit, min, max, doc, {}, {}, {}, {}, {}};
    k.setNumber = std::move(set);
    return k;
}
KeySpec boolKey(std::string_view path, std::string_view def, std::string_view doc, std::function<void(Config&, bool)> set) {
    KeySpec k{path, Kind::Bool, def, "", 0, 0, doc, {}, {}, {}, {}, {}};
    k.setBool = std::move(set);
    return k;
}
KeySpec stringKey(std::string_view path, std::string_view def, std::string_view doc,
                  std::function<void(Config&, const std::string&)> set, std::vector<std::string_view> allowed = {}) {
    KeySpec k{path, Kind::String, def, "", 0, 0, doc, {}, {}, {}, {}, std::move(allowed)};
    k.setString = std::move(set);
    return k;
}
KeySpec listKey(std::string_view path, std::string_view def, std::string_view doc,
                std::function<void(Config&, const std::vector<std::string>&)> set,
                std::vector<std::string_view> allowed = {}) {
    KeySpec k{path, Kind::StringList, def, "", 0, 0, doc, {}, {}, {}, {}, std::move(allowed)};
    k.setList = std::move(set);
    return k;
}

const std::vector<KeySpec>& keys() {
    static const std::vector<KeySpec> kKeys = {
        stringKey("kiosk.id", "\"KIOSK-0\"", "Kiosk identifier sent to the health-code service and stored in the journal.",
                  [](Config& c, const std::string& v) { c.kiosk.id = v; }),
        stringKey("kiosk.station", "\"\"", "Station this kiosk belongs to: fleet commands sent to the station reach it; shown in the fleet status.",
                  [](Config& c, const std::string& v) { c.kiosk.station = v; }),
        stringKey("kiosk.group", "\"\"", "Group of kiosks (e.g. an entrance hall) that fleet commands may target; shown in the fleet status.",
                  [](Config& c, const std::string& v) { c.kiosk.group = v; }),
        stringKey("kiosk.state_dir", "\"/var/lib/sentinel\"",
                  "Writable folder for the device secret, the journal (unless journal.path is set), trust state and test issuer.",
                  [](Config& c, const std::string& v) { c.kiosk.stateDir = v; }),
        boolKey("kiosk.diagnostics_mode", "false", "Accept test cards (shown as TEST CARD, gate stays shut). Off in service.",
                [](Config& c, bool v) { c.kiosk.diagnosticsMode = v; }),
        stringKey("kiosk.test_issuer", "\"\"",
                  "PEM file of the station's test-issuer certificate(s) (`sentinel testcard --export-issuer`): their test cards "
                  "work here too in diagnostics mode; empty = only this kiosk's own.",
                  [](Config& c, const std::string& v) { c.kiosk.testIssuer = v; }),
        stringKey("camera.source", "\"v4l2:/dev/video0\"",
                  "`v4l2:DEVICE`, `replay:DIR` (images sorted by name) or `replay:FILE` (a video).",
                  [](Config& c, const std::string& v) { c.camera.source = v; }),
        intKey("camera.width", "1280", "px", 160, 4096, "Requested capture width.", [](Config& c, int v) { c.camera.width = v; }),
        intKey("camera.height", "720", "px", 120, 4096, "Requested capture height.", [](Config& c, int v) { c.camera.height = v; }),
        intKey("camera.fps", "30", "frames/s", 1, 120, "Requested frame rate; replay sources play at this rate.",
               [](Config& c, int v) { c.camera.fps = v; }),
        intKey("camera.stall_timeout_ms", "3000", "ms", 100, 3000,
               "No frame for this long = camera stalled: reported and reopened with backoff.",
               [](Config& c, int v) { c.camera.stallTimeoutMs = v; }),
        intKey("camera.rearm_frames", "15", "frames", 1, 600,
               "A code held in view decides once; it may decide again after it has been absent this many frames.",
               [](Config& c, int v) { c.camera.rearmFrames = v; }),
        boolKey("camera.replay_loop", "false",
                "Replay sources start again after the last frame instead of ending the run (a bench rig with an ID-card reader).",
                [](Config& c, bool v) { c.camera.replayLoop = v; }),
        listKey("indicator.backends", "[\"console\"]", "Indicator backends driven together: `console`, `gpio`.",
                [](Config& c, const std::vector<std::string>& v) { c.indicator.backends = v; }, {"console", "gpio"}),
        stringKey("indicator.gpio.chip", "\"gpiochip0\"", "GPIO chip name or path; `sim:FILE` = simulated lines logged to FILE (benches, tests).",
                  [](Config& c, const std::string& v) { c.indicator.gpio.chip = v; }),
        intKey("indicator.gpio.green", "17", "line", 0, 1023, "Green lamp line offset.", [](Config& c, int v) { c.indicator.gpio.green = v; }),
        intKey("indicator.gpio.red", "18", "line", 0, 1023, "Red lamp line offset.", [](Config& c, int v) { c.indicator.gpio.red = v; }),
        intKey("indicator.gpio.amber", "27", "line", 0, 1023, "Amber lamp line offset.", [](Config& c, int v) { c.indicator.gpio.amber = v; }),
        intKey("indicator.gpio.buzzer", "22", "line", 0, 1023, "Buzzer line offset.", [](Config& c, int v) { c.indicator.gpio.buzzer = v; }),
        intKey("indicator.gpio.relay", "23", "line", 0, 1023, "Gate relay line offset.", [](Config& c, int v) { c.indicator.gpio.relay = v; }),
        boolKey("indicator.gpio.active_low", "false", "Lines are active-low (logical on = electrical low).",
                [](Config& c, bool v) { c.indicator.gpio.activeLow = v; }),
        intKey("indicator.gpio.relay_pulse_ms", "800", "ms", 50, 5000, "Gate relay pulse length for PASS.",
               [](Config& c, int v) { c.indicator.gpio.relayPulseMs = v; }),
        stringKey("trust.path", "\"/etc/sentinel/trust\"", "DSC trust: a certificate file, a directory of them, or a trust-list JSON; empty = none (HC1 codes are REFERred: an online-only kiosk).",
                  [](Config& c, const std::string& v) { c.trust.path = v; }),
        doubleKey("trust.max_age_h", "72", "h", 1, 8760, "Older trust list → REFER TRUST_LIST_STALE.",
                  [](Config& c, double v) { c.trust.maxAgeH = v; }),
        stringKey("trust.sync_url", "\"\"", "Signed trust-list/policy bundle source (https://…, docs/install.md); empty = no sync.",
                  [](Config& c, const std::string& v) { c.trust.syncUrl = v; }),
        stringKey("trust.update_key", "\"/etc/sentinel/trust-update-key.pem\"",
                  "Pinned public key (PEM, ECDSA P-256) that must sign synced bundles.",
                  [](Config& c, const std::string& v) { c.trust.updateKey = v; }),
        intKey("trust.sync_interval_min", "60", "min", 1, 10080, "How often `run` fetches the bundle (in the background).",
               [](Config& c, int v) { c.trust.syncIntervalMin = v; }),
        stringKey("trust.sync_ca_file", "\"\"", "CA bundle (PEM) for trust.sync_url; empty = the system CA store.",
                  [](Config& c, const std::string& v) { c.trust.syncCaFile = v; }),
        stringKey("trust.revocation_path", "\"\"",
                  "Revocation index (`sentinel fleet revocation build`) used until a bundle supplies one; empty = none.",
                  [](Config& c, const std::string& v) { c.trust.revocationPath = v; }),
        doubleKey("trust.revocation_max_age_h", "48", "h", 1, 8760,
                  "A revocation index older than this (trusted clock) turns a PASS into REFER REVOCATION_LIST_STALE.",
                  [](Config& c, double v) { c.trust.revocationMaxAgeH = v; }),
        boolKey("trust.require_revocation", "false", "No revocation index at all → REFER REVOCATION_LIST_STALE instead of PASS.",
                [](Config& c, bool v) { c.trust.requireRevocation = v; }),
        stringKey("documents.reader", "\"none\"",
                  "ID-card reader: `none`, or `sam:/dev/ttyUSB0[@BAUD]` (SAM serial protocol, 8N1; BAUD 9600–115200, default 115200).",
                  [](Config& c, const std::string& v) { c.documents.reader = v; }),
        boolKey("documents.mrz", "false",
                "Search the camera frames for a passport's or TD1 card's machine-readable zone (§15) beside QR codes.",
                [](Config& c, bool v) { c.documents.mrz = v; }),
        stringKey("documents.mrz_font", "\"/usr/share/fonts/opentype/ocr-b/OCRB.otf\"",
                  "OCR-B font the MRZ reader builds its glyphs from (Debian's fonts-ocr-b).",
                  [](Config& c, const std::string& v) { c.documents.mrzFont = v; }),
        intKey("documents.mrz_budget_ms", "8", "ms", 2, 33, "The MRZ reader's share of each frame's time (a read continues on the next frames).",
               [](Config& c, int v) { c.documents.mrzBudgetMs = v; }),
        stringKey("policy.holder_binding", "\"show\"",
                  "HC1 holder binding (§15): `off`; `show` the certificate's masked name and birth year for staff; `require` "
                  "a passport or TD1 card (MRZ) matching the certificate within policy.binding_window_s.",
                  [](Config& c, const std::string& v) { c.binding.holderBinding = v; }),
        intKey("policy.binding_window_s", "30", "s", 5, 300,
               "With holder_binding = require: an HC1 code and a document pair when shown within this of each other.",
               [](Config& c, int v) { c.binding.bindingWindowS = v; }),
        stringKey("online.base_url", "\"\"", "Health-code service (https://…); empty = online codes are REFERred.",
                  [](Config& c, const std::string& v) { c.online.baseUrl = v; }),
        stringKey("online.ca_file", "\"/etc/sentinel/hc-ca.pem\"", "CA bundle (PEM) that signs the service's certificate.",
                  [](Config& c, const std::string& v) { c.online.caFile = v; }),
        listKey("online.pins", "[]", "Pinned service public keys `sha256//BASE64` (primary and backup); empty = CA only.",
                [](Config& c, const std::vector<std::string>& v) { c.online.pins = v; }),
        stringKey("online.token_file", "\"/etc/sentinel/device-token\"", "File holding the device's bearer token.",
                  [](Config& c, const std::string& v) { c.online.tokenFile = v; }),
        intKey("online.breaker_failures", "3", "failures", 1, 100,
               "Consecutive timeouts, transport errors or 5xx that open the circuit breaker (REFER BACKEND_UNAVAILABLE at once).",
               [](Config& c, int v) { c.online.breakerFailures = v; }),
        intKey("online.breaker_open_s", "30", "s", 1, 3600,
               "How long the breaker stays open before a health probe (GET /v1/health) may close it; again after each failed probe.",
               [](Config& c, int v) { c.online.breakerOpenS = v; }),
        doubleKey("policy.max_test_age_h.naat", "48", "h", 0, 720, "NAAT/PCR sample → now; exactly the limit passes.",
                  [](Config& c, double v) { c.policy.maxTestAgeNaatH = v; }),
        doubleKey("policy.max_test_age_h.rat", "0", "h", 0, 720, "Antigen tests; 0 = not accepted.",
                  [](Config& c, double v) { c.policy.maxTestAgeRatH = v; }),
        intKey("policy.future_tolerance_s", "300", "s", 0, 86400, "Sample later than now + this → TEST_IN_FUTURE.",
               [](Config& c, int v) { c.policy.futureToleranceS = v; }),
        listKey("policy.accept_status", "[\"green\"]", "Online code colours that may pass.",
                [](Config& c, const std::vector<std::string>& v) { c.policy.acceptStatus = v; }, {"green", "yellow", "red"}),
        boolKey("policy.require_test", "true", "A vaccination or recovery certificate alone → NO_TEST_RESULT.",
                [](Config& c, bool v) { c.policy.requireTest = v; }),
        doubleKey("policy.risk_max_age_h", "36", "h", 1, 720,
                  "A risk-area list in force issued longer ago → RISK_LIST_STALE (REFER) for travellers with stays.",
                  [](Config& c, double v) { c.policy.riskMaxAgeH = v; }),
        intKey("policy.risk_lookback_days.high", "14", "days", 1, 60, "A stay in a high-risk area counts when it ended this recently.",
               [](Config& c, int v) { c.policy.riskLookbackHighDays = v; }),
        intKey("policy.risk_lookback_days.medium", "7", "days", 1, 60, "A stay in a medium-risk area counts when it ended this recently.",
               [](Config& c, int v) { c.policy.riskLookbackMediumDays = v; }),
        boolKey("policy.require_travel", "false", "An online answer without travel data → TRAVEL_UNKNOWN (REFER).",
                [](Config& c, bool v) { c.policy.requireTravel = v; }),
        stringKey("policy.risk_list_path", "\"\"",
                  "Risk-area list file (one list or an array, §14) used until a signed bundle supplies lists; empty = none.",
                  [](Config& c, const std::string& v) { c.riskListPath = v; }),
        intKey("clock.max_skew_s", "300", "s", 1, 86400, "|kiosk − service time| beyond this → CLOCK_UNTRUSTED.",
               [](Config& c, int v) { c.clock.maxSkewS = v; }),
        doubleKey("clock.max_unsynced_h", "168", "h", 1, 8760,
                  "Without NTP sync, a battery-backed RTC is trusted this long after the last sync.",
                  [](Config& c, double v) { c.clock.maxUnsyncedH = v; }),
        boolKey("clock.require_sync", "(auto)",
                "Decisions need trusted time (NTP, RTC age, journal floor), else REFER CLOCK_UNTRUSTED. Unset = true for "
                "`run` with a `v4l2:` camera, false for replay sources and desk commands (verify, scan, demo).",
                [](Config& c, bool v) { c.clock.requireSync = v; }),
        intKey("budget.decision_ms", "5000", "ms", 100, 5000, "Hard bound from the first frame with the code to the indicator.",
               [](Config& c, int v) { c.budget.decisionMs = v; }),
        intKey("replay.window_s", "0", "s", 0, 86400, "Same credential at this kiosk within the window → REPLAYED; 0 = off.",
               [](Config& c, int v) { c.replay.windowS = v; }),
        stringKey("journal.path", "(kiosk.state_dir/journal.db)",
                  "SQLite journal of decisions (no personal data); unset = `journal.db` in kiosk.state_dir.",
                  [](Config& c, const std::string& v) { c.journal.path = v; }),
        stringKey("journal.upload_url", "\"\"", "Fleet collector (https://…); empty = keep locally.",
                  [](Config& c, const std::string& v) { c.journal.uploadUrl = v; }),
        stringKey("journal.upload_ca_file", "\"\"", "CA bundle (PEM) for the collector; empty = the system CA store.",
                  [](Config& c, const std::string& v) { c.journal.uploadCaFile = v; }),
        listKey("journal.upload_pins", "[]", "Pinned collector public keys `sha256//BASE64`; empty = CA only.",
                [](Config& c, const std::vector<std::string>& v) { c.journal.uploadPins = v; }),
        stringKey("journal.upload_token_file", "\"\"", "File holding a bearer token for the collector; empty = none.",
                  [](Config& c, const std::string& v) { c.journal.uploadTokenFile = v; }),
        intKey("journal.retain_days", "90", "days", 1, 3650, "Records older than this are deleted.",
               [](Config& c, int v) { c.journal.retainDays = v; }),
        intKey("journal.retain_mb", "256", "MiB", 1, 65536, "Oldest records are deleted beyond this size.",
               [](Config& c, int v) { c.journal.retainMb = v; }),
        intKey("journal.checkpoint_records", "100", "records", 1, 100000,
               "A signed checkpoint (DESIGN §16) is made after this many new records.",
               [](Config& c, int v) { c.journal.checkpointRecords = v; }),
        intKey("journal.checkpoint_interval_s", "300", "s", 1, 86400,
               "A signed checkpoint is made at least this often while new records come in.",
               [](Config& c, int v) { c.journal.checkpointIntervalS = v; }),
        stringKey("log.levels", "\"*:Info\"", "Per-category log levels, e.g. `Decode:Debug,Net:Warn,*:Info`; SENTINEL_LOG_LEVELS overrides.",
                  [](Config& c, const std::string& v) { c.log.levels = v; }),
        stringKey("display.backend", "\"off\"",
                  "Kiosk screen: `sdl` (full screen; KMSDRM on a board, X11/Wayland on a desktop), `png:DIR` (writes each new "
                  "screen — with `display.preview` on, the idle screen's live picture too: whatever the camera sees, a "
                  "face or a passport's data page, lands in those files; set `display.preview = false` where they are "
                  "kept or sent), `off`.",
                  [](Config& c, const std::string& v) { c.display.backend = v; }),
        intKey("display.result_ms", "3000", "ms", 500, 30000, "How long a result card stays on screen.",
               [](Config& c, int v) { c.display.resultMs = v; }),
        boolKey("display.preview", "true", "Live camera picture (mirrored) with an aiming frame while idle.",
                [](Config& c, bool v) { c.display.preview = v; }),
        intKey("display.width", "1280", "px", 480, 3840, "Screen width for `png:`; window width for `sdl` on a desktop.",
               [](Config& c, int v) { c.display.width = v; }),
        intKey("display.height", "720", "px", 480, 3840, "Screen height for `png:`; window height for `sdl` on a desktop.",
               [](Config& c, int v) { c.display.height = v; }),
        stringKey("voice.backend", "\"off\"", "Voice prompts: `alsa`, `wav:DIR` (writes each prompt it would play), `off`.",
                  [](Config& c, const std::string& v) { c.voice.backend = v; }),
        stringKey("voice.device", "\"default\"", "ALSA PCM device for `alsa`.",
                  [](Config& c, const std::string& v) { c.voice.device = v; }),
        listKey("voice.languages", "[\"zh\", \"en\"]", "Prompt languages, spoken in this order.",
                [](Config& c, const std::vector<std::string>& v) { c.voice.languages = v; }, {"zh", "en"}),
        intKey("staff.button_line", "-1", "line", -1, 1023,
               "GPIO input line of the staff button on indicator.gpio.chip; -1 = no button.",
               [](Config& c, int v) { c.staff.buttonLine = v; }),
        boolKey("staff.button_active_low", "false",
                "The staff button reads pressed at a low level (a button to ground with a pull-up).",
                [](Config& c, bool v) { c.staff.buttonActiveLow = v; }),
        intKey("staff.override_window_s", "30", "s", 1, 3600,
               "The staff button or `sentinel staff override` opens the gate once for the last REFER/DENY this recent.",
               [](Config& c, int v) { c.staff.overrideWindowS = v; }),
        stringKey("staff.control_socket", "\"/run/sentinel/control.sock\"",
                  "Unix socket of the running kiosk (`sentinel status`, `sentinel staff override`); empty = none.",
                  [](Config& c, const std::string& v) { c.staff.controlSocket = v; }),
        stringKey("fleet.broker_url", "\"\"", "MQTT broker of the fleet link: `mqtts://HOST:PORT` or `mqtt://HOST:PORT`; empty = no link.",
                  [](Config& c, const std::string& v) { c.fleet.brokerUrl = v; }),
        stringKey("fleet.ca_file", "\"\"", "CA bundle (PEM) that signs the broker's certificate (mqtts).",
                  [](Config& c, const std::string& v) { c.fleet.caFile = v; }),
        stringKey("fleet.cert_file", "\"\"", "Client certificate (PEM) for mutual TLS; empty = none.",
                  [](Config& c, const std::string& v) { c.fleet.certFile = v; }),
        stringKey("fleet.key_file", "\"\"", "Private key (PEM) of fleet.cert_file.",
                  [](Config& c, const std::string& v) { c.fleet.keyFile = v; }),
        stringKey("fleet.username", "\"\"", "Broker user name (with fleet.password_file); empty = none.",
                  [](Config& c, const std::string& v) { c.fleet.username = v; }),
        stringKey("fleet.password_file", "\"\"", "File holding the broker password for fleet.username.",
                  [](Config& c, const std::string& v) { c.fleet.passwordFile = v; }),
        intKey("fleet.keepalive_s", "30", "s", 5, 3600, "MQTT keepalive; the broker marks the kiosk offline after 1.5× this.",
               [](Config& c, int v) { c.fleet.keepaliveS = v; }),
        intKey("fleet.metrics_interval_s", "60", "s", 1, 3600, "How often counters are published (and the textfile rewritten).",
               [](Config& c, int v) { c.fleet.metricsIntervalS = v; }),
        stringKey("metrics.textfile", "\"\"", "Prometheus textfile for node_exporter (written atomically); empty = none.",
                  [](Config& c, const std::string& v) { c.metrics.textfile = v; }),
        stringKey("routes.isolation.zh", "\"请前往集中隔离登记处\"", "RISK_AREA_HIGH: where the traveller goes, in Chinese (result card).",
                  [](Config& c, const std::string& v) { c.routes.isolation.zh = v; }),
        stringKey("routes.isolation.en", "\"Please go to the quarantine desk\"", "The same in English.",
                  [](Config& c, const std::string& v) { c.routes.isolation.en = v; }),
        stringKey("routes.observation.zh", "\"请前往医学观察登记处\"", "RISK_AREA_MEDIUM: where the traveller goes, in Chinese.",
                  [](Config& c, const std::string& v) { c.routes.observation.zh = v; }),
        stringKey("routes.observation.en", "\"Please go to the medical observation desk\"", "The same in English.",
                  [](Config& c, const std::string& v) { c.routes.observation.en = v; }),
        stringKey("routes.testing.zh", "\"请前往核酸检测点\"", "TEST_RESULT_PENDING: where the traveller goes, in Chinese.",
                  [](Config& c, const std::string& v) { c.routes.testing.zh = v; }),
        stringKey("routes.testing.en", "\"Please go to the testing point\"", "The same in English.",
                  [](Config& c, const std::string& v) { c.routes.testing.en = v; }),
        stringKey("routes.staff.zh", "\"请联系工作人员\"", "RISK_LIST_STALE, BACKEND_UNAVAILABLE: where the traveller goes, in Chinese.",
                  [](Config& c, const std::string& v) { c.routes.staff.zh = v; }),
        stringKey("routes.staff.en", "\"Please see staff\"", "The same in English.",
                  [](Config& c, const std::string& v) { c.routes.staff.en = v; }),
        stringKey("rules.path", "\"\"", "Business rule set (DCC gateway JSON: a file or a folder of rule.json); empty = built-in rules from [policy].",
                  [](Config& c, const std::string& v) { c.rules.path = v; }),
        stringKey("rules.country", "\"CN\"", "Country of arrival whose rules apply (ISO 3166-1 alpha-2).",
                  [](Config& c, const std::string& v) { c.rules.country = v; }),
    };
    return kKeys;
}

const KeySpec* findKey(std::string_view path) {
    for (const auto& k : keys()) {
        if (k.path == path) return &k;
    }
    return nullptr;
}

bool isTablePrefix(std::string_view path) {
    for (const auto& k : keys()) {
        if (k.path.size() > path.size() && k.path.substr(0, path.size()) == path && k.path[path.size()] == '.') return true;
    }
    return false;
}

// Problems found while loading, reported together in line order.
struct Problem {
    std::size_t line = 0;  // 0 = not tied to a line
    std::string text;      // "FILE:LINE: …" or "FILE: …"
};
using Problems = std::vector<Problem>;

std::string at(const std::string& file, std::size_t line) {
    return line == 0 ? file : file + ':' + std::to_string(line);
}

std::string fmtNumber(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

std::optional<std::string> applyValue(Config& cfg, const KeySpec& key, const toml::node& node) {
    switch (key.kind) {
        case Kind::Int:
        case Kind::Double: {
            double v = 0;
            if (auto i = node.as_integer()) {
                v = static_cast<double>(i->get());
            } else if (auto f = node.as_floating_point(); f && key.kind == Kind::Double) {
                v = f->get();
            } else {
                return std::string("expected ") + (key.kind == Kind::Int ? "an integer" : "a number");
            }
            if (!std::isfinite(v) || v < key.min || v > key.max) {
                return "value " + fmtNumber(v) + " out of range [" + fmtNumber(key.min) + ", " + fmtNumber(key.max) + "]" +
                       (key.unit.empty() ? "" : " " + std::string(key.unit));
            }
            key.setNumber(cfg, v);
            return std::nullopt;
        }
        case Kind::Bool:
            if (auto b = node.as_boolean()) {
                key.setBool(cfg, b->get());
                return std::nullopt;
            }
            return "expected true or false";
        case Kind::String:
            if (auto s = node.as_string()) {
                const std::string& v = s->get();
                if (!key.allowed.empty() && std::find(key.allowed.begin(), key.allowed.end(), v) == key.allowed.end())
                    return "value \"" + v + "\" is not one of the allowed values";
                key.setString(cfg, v);
                return std::nullopt;
            }
            return "expected a string";
        case Kind::StringList: {
            auto arr = node.as_array();
            if (!arr) return "expected a list of strings";
            std::vector<std::string> out;
            for (const auto& item : *arr) {
                auto s = item.as_string();
                if (!s) return "expected a list of strings";
                const std::string& v = s->get();
                if (!key.allowed.empty() && std::find(key.allowed.begin(), key.allowed.end(), v) == key.allowed.end()) {
                    std::string allowed;
                    for (auto a : key.allowed) allowed += (allowed.empty() ? "" : ", ") + std::string(a);
                    return "item \"" + v + "\" is not one of: " + allowed;
                }
                out.push_back(v);
            }
            key.setList(cfg, out);
            return std::nullopt;
        }
    }
    return "unsupported key kind";
}

void walk(Config& cfg, const toml::table& table, const std::string& prefix, const std::string& file, Problems& problems) {
    for (const auto& [k, node] : table) {
        std::string path = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        if (const KeySpec* spec = findKey(path)) {
            if (auto problem = applyValue(cfg, *spec, node)) {
                const std::size_t line = node.source().begin.line;
                problems.push_back({line, at(file, line) + ": key '" + path + "': " + *problem});
            }
        } else if (auto sub = node.as_table(); sub && isTablePrefix(path)) {
            walk(cfg, *sub, path, file, problems);
        } else {
            const std::size_t line = k.source().begin.line;
            problems.push_back({line, at(file, line) + ": unknown key '" + path + "'"});
        }
    }
}

// A route is one line on the result card under the reason: ~40 CJK characters at 3 bytes each fit.
constexpr std::size_t kMaxRouteTextBytes = 120;

// A name that may stand in an MQTT topic level (kiosk.id, kiosk.station, kiosk.group).
bool isTopicName(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; });
}

// Checks across keys; each problem names the key (and its line when the file sets it).
void crossCheck(const Config& cfg, const toml::table& table, const std::string& file, Problems& problems) {
    auto fail = [&](std::string_view key, const std::string& what) {
        std::size_t line = 0;
        if (auto node = table.at_path(key)) line = node.node()->source().begin.line;
        problems.push_back({line, at(file, line) + ": key '" + std::string(key) + "': " + what});
    };
    for (const auto& [key, value] : {std::pair{"kiosk.station", &cfg.kiosk.station}, std::pair{"kiosk.group", &cfg.kiosk.group}}) {
        if (!isTopicName(*value)) fail(key, "only letters, digits, '-', '_' and '.' (it names an MQTT topic level)");
    }
    if (cfg.documents.reader != "none" && cfg.documents.reader.rfind("sam:/", 0) != 0)
        fail("documents.reader", "must be \"none\" or \"sam:/dev/…[@BAUD]\"");
    if (cfg.binding.holderBinding != "off" && cfg.binding.holderBinding != "show" && cfg.binding.holderBinding != "require")
        fail("policy.holder_binding", "must be \"off\", \"show\" or \"require\"");
    if (cfg.binding.holderBinding == "require" && !cfg.documents.mrz)
        fail("policy.holder_binding", "\"require\" needs documents.mrz = true (a passport or TD1 card is read from the camera)");
    auto src = std::string_view(cfg.camera.source);
    if (src.rfind("v4l2:", 0) != 0 && src.rfind("replay:", 0) != 0) fail("camera.source", "must start with v4l2: or replay:");
    if (!cfg.online.baseUrl.empty() && cfg.online.baseUrl.rfind("https://", 0) != 0)
        fail("online.base_url", "must be an https:// URL (or empty)");
    if (!cfg.trust.syncUrl.empty() && cfg.trust.syncUrl.rfind("https://", 0) != 0)
        fail("trust.sync_url", "must be an https:// URL (or empty)");
    if (!cfg.journal.uploadUrl.empty() && cfg.journal.uploadUrl.rfind("https://", 0) != 0)
        fail("journal.upload_url", "must be an https:// URL (or empty)");
    for (const auto& [key, pins] : {std::pair{"online.pins", &cfg.online.pins}, std::pair{"journal.upload_pins", &cfg.journal.uploadPins}}) {
        for (const auto& pin : *pins) {
            if (pin.rfind("sha256//", 0) != 0 || pin.size() != 8 + 44)
                fail(key, "\"" + pin + "\" is not sha256//<44 base64 characters>");
        }
    }
    for (const auto& [key, text] : {std::pair{"routes.isolation.zh", &cfg.routes.isolation.zh}, std::pair{"routes.isolation.en", &cfg.routes.isolation.en},
                                    std::pair{"routes.observation.zh", &cfg.routes.observation.zh},
                                    std::pair{"routes.observation.en", &cfg.routes.observation.en},
                                    std::pair{"routes.testing.zh", &cfg.routes.testing.zh}, std::pair{"routes.testing.en", &cfg.routes.testing.en},
                                    std::pair{"routes.staff.zh", &cfg.routes.staff.zh}, std::pair{"routes.staff.en", &cfg.routes.staff.en}}) {
        if (text->empty() || text->size() > kMaxRouteTextBytes) fail(key, "must be 1–" + std::to_string(kMaxRouteTextBytes) + " bytes (one line on the result card)");
    }
    if (cfg.indicator.backends.empty()) fail("indicator.backends", "at least one backend is needed");
    auto backendOk = [](const std::string& v, std::initializer_list<std::string_view> plain, std::string_view dirPrefix) {
        for (auto p : plain) {
            if (v == p) return true;
        }
        return v.size() > dirPrefix.size() && v.rfind(dirPrefix, 0) == 0;
    };
    if (!backendOk(cfg.display.backend, {"off", "sdl"}, "png:")) fail("display.backend", "must be \"sdl\", \"png:DIR\" or \"off\"");
    if (!backendOk(cfg.voice.backend, {"off", "alsa"}, "wav:")) fail("voice.backend", "must be \"alsa\", \"wav:DIR\" or \"off\"");
    if (cfg.voice.languages.empty()) fail("voice.languages", "at least one language is needed");
    const auto& broker = cfg.fleet.brokerUrl;
    if (!broker.empty() && broker.rfind("mqtt://", 0) != 0 && broker.rfind("mqtts://", 0) != 0)
        fail("fleet.broker_url", "must be an mqtts:// or mqtt:// URL (or empty)");
    if (cfg.fleet.certFile.empty() != cfg.fleet.keyFile.empty())
        fail("fleet.key_file", "fleet.cert_file and fleet.key_file go together");
    if (!cfg.fleet.username.empty() && cfg.fleet.passwordFile.empty()) fail("fleet.password_file", "needed with fleet.username");
    if (cfg.rules.country.size() != 2 || !std::isupper(static_cast<unsigned char>(cfg.rules.country[0])) ||
        !std::isupper(static_cast<unsigned char>(cfg.rules.country[1])))
        fail("rules.country", "must be a two-letter country code such as \"CN\"");
}

// --- TOML syntax errors: which key the broken line belongs to ------------------------------------

// How much of the broken line a message quotes.
constexpr std::size_t kNearTextChars = 40;

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// A line's text without a trailing comment (a '#' outside quotes).
std::string_view withoutComment(std::string_view line) {
    char quote = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '#') {
            return line.substr(0, i);
        }
    }
    return line;
}

// "a.b" from `[a.b]` / `[[a.b]]` (quotes and spaces dropped); nullopt when the line is no header.
std::optional<std::string> tableHeader(std::string_view line) {
    line = trim(withoutComment(line));
    if (line.size() < 2 || line.front() != '[' || line.back() != ']') return std::nullopt;
    std::string name;
    for (char c : line) {
        if (c != '[' && c != ']' && c != '"' && c != '\'' && !std::isspace(static_cast<unsigned char>(c))) name += c;
    }
    return name;
}

// The (dotted) key of `key = value`; nullopt when the line assigns nothing.
std::optional<std::string> assignedKey(std::string_view line) {
    line = trim(withoutComment(line));
    const auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0 || line.front() == '[') return std::nullopt;
    std::string key;
    for (char c : trim(line.substr(0, eq))) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') {
            key += c;
        } else if (c != '"' && c != '\'' && !std::isspace(static_cast<unsigned char>(c))) {
            return std::nullopt;  // not a bare or quoted key: not an assignment
        }
    }
    if (key.empty()) return std::nullopt;
    return key;
}

// The full key a syntax error on `line` (1-based) belongs to: the assignment on that line, or the
// one still open above it (a multi-line array), inside the table header in force. Empty when the
// line is a header or nothing is assigned in its table before it.
std::string keyOfLine(std::string_view text, std::size_t line) {
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start <= text.size();) {
        const auto end = text.find('\n', start);
        lines.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    if (line == 0 || line > lines.size()) return {};
    std::string table, key;
    for (std::size_t i = 0; i < line; ++i) {
        if (auto h = tableHeader(lines[i])) {
            table = *h;
            key.clear();
            if (i + 1 == line) return {};
        } else if (auto k = assignedKey(lines[i])) {
            key = *k;
        } else if (i + 1 == line && !trim(withoutComment(lines[i])).empty() && trim(lines[i]).front() == '[') {
            return {};  // a broken header
        }
    }
    if (key.empty()) return {};
    return table.empty() ? key : table + "." + key;
}

std::string syntaxError(std::string_view text, const std::string& file, const toml::parse_error& e) {
    const std::size_t line = e.source().begin.line;
    std::string out = at(file, line) + ": ";
    const std::string key = keyOfLine(text, line);
    if (!key.empty()) out += "key '" + key + "': ";
    out += std::string(e.description());
    std::size_t start = 0;
    for (std::size_t n = 1; n < line && start != std::string_view::npos; ++n) {
        start = text.find('\n', start);
        if (start != std::string_view::npos) ++start;
    }
    if (start != std::string_view::npos && start < text.size()) {
        std::string_view near = trim(text.substr(start, text.find('\n', start) - start));
        if (!near.empty()) {
            out += " (near \"" + std::string(near.substr(0, kNearTextChars)) + (near.size() > kNearTextChars ? "…" : "") + "\")";
        }
    }
    return out;
}

}  // namespace

Result<Config> parseConfig(std::string_view text, const std::string& name) {
    Config cfg;
    cfg.file = name;
    toml::table table;
    try {
        table = toml::parse(text, name);
    } catch (const toml::parse_error& e) {
        return Error{syntaxError(text, name, e)};
    }
    Problems problems;
    walk(cfg, table, "", name, problems);
    crossCheck(cfg, table, name, problems);
    if (!problems.empty()) {
        // In line order; checks across keys that the file does not set come last.
        auto order = [](const Problem& p) { return p.line == 0 ? std::numeric_limits<std::size_t>::max() : p.line; };
        std::stable_sort(problems.begin(), problems.end(), [&](const Problem& a, const Problem& b) { return order(a) < order(b); });
        std::string message;
        for (const auto& p : problems) message += (message.empty() ? "" : "\n") + p.text;
        return Error{message};
    }
    // kiosk.state_dir holds the journal unless journal.path says otherwise.
    if (!table.at_path("journal.path")) cfg.journal.path = (cfg.kiosk.stateDir / kJournalFileName).string();
    return cfg;
}

const Config::RouteText* Config::Routes::find(std::string_view route) const {
    if (route == "isolation") return &isolation;
    if (route == "observation") return &observation;
    if (route == "testing") return &testing;
    if (route == "staff") return &staff;
    return nullptr;
}

bool requireSyncFor(const Config& config, bool liveKiosk) {
    if (config.clock.requireSync) return *config.clock.requireSync;
    return liveKiosk && config.camera.source.rfind("v4l2:", 0) == 0;
}

Result<Config> loadConfig(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Error{file.string() + ": cannot read the configuration file"};
    std::ostringstream buf;
    buf << in.rdbuf();
    return parseConfig(buf.str(), file.string());
}

std::string configReferenceMarkdown() {
    std::ostringstream os;
    os << "| key | type | default | unit | range | meaning |\n|---|---|---|---|---|---|\n";
    for (const auto& k : keys()) {
        std::string type, range;
        switch (k.kind) {
            case Kind::Int: type = "integer"; range = fmtNumber(k.min) + " – " + fmtNumber(k.max); break;
            case Kind::Double: type = "number"; range = fmtNumber(k.min) + " – " + fmtNumber(k.max); break;
            case Kind::Bool: type = "boolean"; break;
            case Kind::String: type = "string"; break;
            case Kind::StringList: type = "list of strings"; break;
        }
        if (!k.allowed.empty()) {
            for (auto a : k.allowed) range += (range.empty() ? "" : ", ") + ("`" + std::string(a) + "`");
        }
        os << "| `" << k.path << "` | " << type << " | `" << k.defaultText << "` | " << k.unit << " | " << range << " | "
           << k.doc << " |\n";
    }
    return os.str();
}

}  // namespace sentinel::kiosk

#pragma once
// Kiosk configuration (DESIGN §6). Every key is declared once in Config.cpp with its default, unit,
// range and a one-line doc; docs/configuration.md is generated from the same table
// (`sentinel config --doc`). Unknown keys and bad values are errors that name file, line and key.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/Result.h"
#include "firmware/policy/Policy.h"

namespace sentinel::kiosk {

struct GpioConfig {
    std::string chip = "gpiochip0";
    int green = 17, red = 18, amber = 27, buzzer = 22, relay = 23;  // line offsets on the chip
    bool activeLow = false;
    int relayPulseMs = 800;
};

struct Config {
    std::filesystem::path file;  // where it was loaded from; empty = built-in defaults

    struct {
        std::string id = "KIOSK-0";
        std::string station;  // §13.1: fleet commands to sentinel/v1/station/{station}/cmd reach it
        std::string group;    // §13.1: … and to sentinel/v1/group/{group}/cmd
        std::filesystem::path stateDir = "/var/lib/sentinel";
        bool diagnosticsMode = false;
        // PEM file of test-issuer certificates shared by a station's kiosks (`sentinel testcard
        // --export-issuer`); empty = only this kiosk's own test issuer (state_dir/test-issuer).
        std::string testIssuer;
    } kiosk;
    struct {
        std::string source = "v4l2:/dev/video0";
        int width = 1280, height = 720, fps = 30;
        int stallTimeoutMs = 3000;
        int rearmFrames = 15;
        bool replayLoop = false;  // replay: start again after the last frame (a bench rig)
    } camera;
    struct {
        std::vector<std::string> backends{"console"};
        GpioConfig gpio;
    } indicator;
    struct {
        std::string path = "/etc/sentinel/trust";
        double maxAgeH = 72;
        std::string syncUrl;                                         // signed bundle source; empty = no sync
        std::string updateKey = "/etc/sentinel/trust-update-key.pem";  // pinned bundle-signing public key
        int syncIntervalMin = 60;
        std::string syncCaFile;  // CA bundle for sync_url; empty = the system store
        std::string revocationPath;     // §17: the index `run` uses when no bundle has supplied one
        double revocationMaxAgeH = 48;  // §17: older (on the trusted clock) → REVOCATION_LIST_STALE
        bool requireRevocation = false; // §17: no index at all → REVOCATION_LIST_STALE
    } trust;
    struct {                            // §15
        std::string reader = "none";    // "none" or "sam:PATH[@BAUD]"
        bool mrz = false;               // search the camera frames for a passport / TD1 MRZ
        std::string mrzFont = "/usr/share/fonts/opentype/ocr-b/OCRB.otf";  // fonts-ocr-b
        int mrzBudgetMs = 8;            // the MRZ reader's share of a frame
    } documents;
    struct {                            // §15 holder binding for HC1
        std::string holderBinding = "show";  // "off" | "show" | "require"
        int bindingWindowS = 30;             // a code and a document pair within this
    } binding;
    struct {
        std::string baseUrl;
        std::string caFile = "/etc/sentinel/hc-ca.pem";
        std::vector<std::string> pins;
        std::string tokenFile = "/etc/sentinel/device-token";
        int breakerFailures = 3;  // §14: consecutive timeouts/transport errors/5xx that open the breaker
        int breakerOpenS = 30;    // §14: open this long before the first health probe (and between probes)
    } online;
    policy::PolicyConfig policy;
    // policy.risk_list_path (§14): a risk-area list file used until a bundle supplies lists; empty = none.
    std::string riskListPath;
    struct RouteText {
        std::string zh, en;
    };
    struct Routes {  // §14 [routes]: where a traveller is sent, shown on the result card (station data)
        RouteText isolation{"请前往集中隔离登记处", "Please go to the quarantine desk"};
        RouteText observation{"请前往医学观察登记处", "Please go to the medical observation desk"};
        RouteText testing{"请前往核酸检测点", "Please go to the testing point"};
        RouteText staff{"请联系工作人员", "Please see staff"};
        // The text of a route name ("isolation", "observation", "testing", "staff"); nullptr otherwise.
        const RouteText* find(std::string_view route) const;
    } routes;
    struct {
        int maxSkewS = 300;
        double maxUnsyncedH = 168;  // RTC-only time stays trusted this long after the last NTP sync
        // Decisions need trusted time (ClockTrust). Unset = true for `run` with a live (v4l2:)
        // camera, false for replay sources and desk commands (requireSyncFor()).
        std::optional<bool> requireSync;
    } clock;
    struct {
        int decisionMs = 5000;
    } budget;
    struct {
        int windowS = 0;
    } replay;
    struct {
        // Unset in the file = kJournalFileName in kiosk.state_dir (parseConfig derives it).
        std::string path = "/var/lib/sentinel/journal.db";
        std::string uploadUrl;
        std::string uploadCaFile;             // empty = the system CA store
        std::vector<std::string> uploadPins;
        std::string uploadTokenFile;          // empty = no Authorization header
        int retainDays = 90;
        int retainMb = 256;
        int checkpointRecords = 100;     // §16: a signed checkpoint every this many records…
        int checkpointIntervalS = 300;   // …or this long after a record came in
    } journal;
    struct {
        std::string levels = "*:Info";
    } log;
    struct {                            // §10
        std::string backend = "off";    // "sdl", "png:DIR", "off"
        int resultMs = 3000;            // how long a result card stays on screen
        bool preview = true;            // live camera picture with an aiming frame while idle
        int width = 1280, height = 720;  // png: the screen size; sdl: the window size on a desktop
    } display;
    struct {                            // §10
        std::string backend = "off";    // "alsa", "wav:DIR", "off"
        std::string device = "default";  // ALSA PCM
        std::vector<std::string> languages{"zh", "en"};
    } voice;
    struct {                            // §11
        int buttonLine = -1;            // GPIO input on indicator.gpio.chip; -1 = none
        bool buttonActiveLow = false;   // pressed = low level
        int overrideWindowS = 30;
        std::string controlSocket = "/run/sentinel/control.sock";
    } staff;
    struct {                            // §13
        std::string brokerUrl;          // "mqtts://host:8883", "mqtt://host:1883"; empty = no fleet link
        std::string caFile, certFile, keyFile;
        std::string username, passwordFile;
        int keepaliveS = 30;
        int metricsIntervalS = 60;
    } fleet;
    struct {
        std::string textfile;           // Prometheus textfile; empty = none
    } metrics;
    struct {                            // §12
        std::string path;               // a rule set; empty = the built-in rules made from [policy]
        std::string country = "CN";
    } rules;
};

// journal.path when the file does not set it: this file in kiosk.state_dir.
inline constexpr const char* kJournalFileName = "journal.db";

// clock.require_sync as it applies to a command: the key when set, otherwise true only for a
// kiosk (`run`) on a live v4l2: camera.
bool requireSyncFor(const Config& config, bool liveKiosk);

// Loads and validates a TOML file. Errors read `FILE:LINE: key 'a.b': what is wrong`, one line per
// problem, every problem at once (a TOML syntax error stops the parse: it names the key of its line,
// or the line and the text near it). Whether the files and folders the keys name are usable is
// checkStartable() (StartCheck.h).
Result<Config> loadConfig(const std::filesystem::path& file);
// Same, from text (for tests); `name` stands for the file in messages.
Result<Config> parseConfig(std::string_view text, const std::string& name);

// Markdown reference of every key (docs/configuration.md is this output).
std::string configReferenceMarkdown();

}  // namespace sentinel::kiosk

#include "firmware/kiosk/StartCheck.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>

#include "firmware/kiosk/RuleSetFile.h"
#include "firmware/kiosk/TestCardIssuers.h"
#include "firmware/kiosk/TrustLoader.h"
#include "firmware/trust/RevocationIndex.h"

namespace sentinel::kiosk {
namespace {

namespace fs = std::filesystem;

using Check = std::optional<std::string>;

bool startsWith(std::string_view s, std::string_view prefix) {
    return s.rfind(prefix, 0) == 0;
}

std::string errnoText(const fs::path& path) {
    return path.string() + ": " + std::strerror(errno);
}

// A file the configuration may leave empty (= not used); when set it must be readable.
Check optionalFile(const std::string& path) {
    return path.empty() ? std::nullopt : readableFile(path);
}

// The folder of `display.backend = "png:DIR"` / `voice.backend = "wav:DIR"`.
Check backendFolder(const std::string& backend, std::string_view prefix) {
    if (!startsWith(backend, prefix)) return std::nullopt;
    return writableFolder(backend.substr(prefix.size()));
}

// indicator.gpio.chip as libgpiod looks it up: a path, a name under /dev, or a number (a chip's
// label cannot be checked without opening the chips: left to `sentinel diag`'s indicator check).
Check gpioChip(const Config& c) {
    bool gpio = false;
    for (const auto& b : c.indicator.backends) gpio = gpio || b == "gpio";
    if (!gpio && c.staff.buttonLine < 0) return std::nullopt;
    const std::string& chip = c.indicator.gpio.chip;
    if (startsWith(chip, "sim:")) return writableFile(chip.substr(4));
    std::string path;
    if (chip.find('/') != std::string::npos) {
        path = chip;
    } else if (startsWith(chip, "gpiochip")) {
        path = "/dev/" + chip;
    } else if (!chip.empty() && std::all_of(chip.begin(), chip.end(), [](char ch) {
                   return std::isdigit(static_cast<unsigned char>(ch));
               })) {
        path = "/dev/gpiochip" + chip;
    } else {
        return std::nullopt;
    }
    std::error_code ec;
    if (!fs::exists(path, ec)) return path + ": no such GPIO chip (`gpioinfo` lists them)";
    if (::access(path.c_str(), R_OK | W_OK) != 0)
        return path + ": " + std::strerror(errno) +
               " (the kiosk user needs the group of the udev rule)";
    return std::nullopt;
}

// camera.source = "replay:PATH": a folder of images or a video file (v4l2: devices come and go:
// the kiosk reopens them, `sentinel diag` checks them).
Check replaySource(const Config& c) {
    if (!startsWith(c.camera.source, "replay:")) return std::nullopt;
    const fs::path path = c.camera.source.substr(7);
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        for (const auto& e : fs::directory_iterator(path, ec)) {
            if (e.is_regular_file(ec)) return std::nullopt;
        }
        return path.string() + ": the replay folder holds no images";
    }
    if (!fs::exists(path, ec)) return path.string() + ": no such folder or video file";
    return readableFile(path);
}

// What `run` needs, one line per key (issue 24). Order: as docs/configuration.md lists the keys.
const std::vector<StartRequirement>& requirements() {
    static const std::vector<StartRequirement> kRequirements = {
        {"kiosk.state_dir", [](const Config& c) { return writableFolder(c.kiosk.stateDir); }},
        {"kiosk.test_issuer",
         [](const Config& c) -> Check {
             if (c.kiosk.testIssuer.empty()) return std::nullopt;
             auto list = loadTestCardIssuers(c);
             if (!list) return list.error().message;
             return std::nullopt;
         }},
        {"camera.source", replaySource},
        {"indicator.gpio.chip", gpioChip},
        {"trust.path",
         [](const Config& c) -> Check {
             // What `run` puts in force: an installed bundle that verifies, else trust.path. An
             // empty trust.path says "no trust list" on purpose (an online-only kiosk); with
             // trust.sync_url the list comes from the sync `run` starts (HC1 REFERred until then).
             if (c.trust.path.empty() || !c.trust.syncUrl.empty()) return std::nullopt;
             LoadedTrust loaded = loadTrustState(c);
             if (loaded.state && loaded.state->list) return std::nullopt;
             return loaded.error + " (no trust list: HC1 codes could not be verified; trust.path = \"\" says none on purpose)";
         }},
        {"trust.revocation_path",
         [](const Config& c) -> Check {
             // The loader `run` uses: a missing or tampered index is no index (a REFER with
             // trust.require_revocation, silently weaker without it), so say so before starting.
             if (c.trust.revocationPath.empty()) return std::nullopt;
             if (auto missing = readableFile(c.trust.revocationPath)) return missing;
             auto index = trust::RevocationIndex::load(c.trust.revocationPath);
             if (!index) return index.error().message;
             return std::nullopt;
         }},
        {"documents.mrz_font",
         [](const Config& c) { return c.documents.mrz ? readableFile(c.documents.mrzFont) : std::nullopt; }},
        {"policy.risk_list_path",
         [](const Config& c) -> Check {
             // A broken list is no list: travellers with stays would all be RISK_LIST_STALE.
             if (c.riskListPath.empty()) return std::nullopt;
             if (auto missing = readableFile(c.riskListPath)) return missing;
             if (auto file = readRiskAreasFile(c.riskListPath); !file) return file.error().message;
             return std::nullopt;
         }},
        {"trust.update_key",
         [](const Config& c) -> Check {
             // Verifies synced bundles and fleet commands.
             if (c.trust.syncUrl.empty() && c.fleet.brokerUrl.empty()) return std::nullopt;
             return readableFile(c.trust.updateKey);
         }},
        {"trust.sync_ca_file",
         [](const Config& c) {
             return c.trust.syncUrl.empty() ? std::nullopt : optionalFile(c.trust.syncCaFile);
         }},
        {"online.ca_file",
         [](const Config& c) {
             return c.online.baseUrl.empty() ? std::nullopt : optionalFile(c.online.caFile);
         }},
        {"online.token_file",
         [](const Config& c) {
             return c.online.baseUrl.empty() ? std::nullopt : readableFile(c.online.tokenFile);
         }},
        {"journal.path",
         [](const Config& c) -> Check {
             // The journal creates its folder (kiosk.state_dir by default) and its -wal/-shm files
             // there.
             const fs::path path = c.journal.path;
             std::error_code ec;
             if (fs::is_directory(path, ec)) return path.string() + ": is a folder, not a file";
             if (fs::exists(path, ec) && ::access(path.c_str(), R_OK | W_OK) != 0)
                 return errnoText(path);
             return writableFolder(fs::absolute(path, ec).parent_path());
         }},
        {"journal.upload_ca_file",
         [](const Config& c) {
             return c.journal.uploadUrl.empty() ? std::nullopt
                                                : optionalFile(c.journal.uploadCaFile);
         }},
        {"journal.upload_token_file",
         [](const Config& c) {
             return c.journal.uploadUrl.empty() ? std::nullopt
                                                : optionalFile(c.journal.uploadTokenFile);
         }},
        {"display.backend",
         [](const Config& c) { return backendFolder(c.display.backend, "png:"); }},
        {"voice.backend", [](const Config& c) { return backendFolder(c.voice.backend, "wav:"); }},
        {"fleet.ca_file",
         [](const Config& c) {
             return c.fleet.brokerUrl.empty() ? std::nullopt : optionalFile(c.fleet.caFile);
         }},
        {"fleet.cert_file",
         [](const Config& c) {
             return c.fleet.brokerUrl.empty() ? std::nullopt : optionalFile(c.fleet.certFile);
         }},
        {"fleet.key_file",
         [](const Config& c) {
             return c.fleet.brokerUrl.empty() ? std::nullopt : optionalFile(c.fleet.keyFile);
         }},
        {"fleet.password_file",
         [](const Config& c) {
             return c.fleet.brokerUrl.empty() ? std::nullopt : optionalFile(c.fleet.passwordFile);
         }},
        {"metrics.textfile",
         [](const Config& c) {
             return c.metrics.textfile.empty() ? std::nullopt : writableFile(c.metrics.textfile);
         }},
        {"rules.path",
         [](const Config& c) -> Check {
             if (c.rules.path.empty()) return std::nullopt;
             auto set = loadRuleSet(c.rules.path);  // the loader `run` uses
             if (!set) return set.error().message;
             return std::nullopt;
         }},
    };
    return kRequirements;
}

}  // namespace

Check readableFile(const fs::path& path) {
    if (path.empty()) return std::string("no file named");
    std::error_code ec;
    const auto st = fs::status(path, ec);
    if (st.type() == fs::file_type::not_found) return path.string() + ": no such file";
    if (st.type() == fs::file_type::directory) return path.string() + ": is a folder, not a file";
    if (::access(path.c_str(), R_OK) != 0) return errnoText(path);
    return std::nullopt;
}

Check writableFolder(const fs::path& dir) {
    if (dir.empty()) return std::string("no folder named");
    std::error_code ec;
    const auto st = fs::status(dir, ec);
    if (st.type() == fs::file_type::directory) {
        if (::access(dir.c_str(), W_OK | X_OK) != 0) return errnoText(dir);
        return std::nullopt;
    }
    if (st.type() != fs::file_type::not_found) return dir.string() + ": exists and is not a folder";
    // Created on first use: the nearest existing parent must let this user create it.
    fs::path parent = fs::absolute(dir, ec).parent_path();
    while (!parent.empty() && !fs::exists(parent, ec) && parent != parent.root_path())
        parent = parent.parent_path();
    if (!fs::is_directory(parent, ec))
        return dir.string() + ": cannot be created (" + parent.string() + " is not a folder)";
    if (::access(parent.c_str(), W_OK | X_OK) != 0) {
        return dir.string() + ": does not exist and cannot be created (" + parent.string() + ": " +
               std::strerror(errno) + ")";
    }
    return std::nullopt;
}

Check writableFile(const fs::path& path) {
    if (path.empty()) return std::string("no file named");
    std::error_code ec;
    const auto st = fs::status(path, ec);
    if (st.type() == fs::file_type::directory) return path.string() + ": is a folder, not a file";
    if (st.type() != fs::file_type::not_found && ::access(path.c_str(), W_OK) != 0)
        return errnoText(path);
    const fs::path dir = fs::absolute(path, ec).parent_path();
    if (!fs::is_directory(dir, ec))
        return path.string() + ": its folder " + dir.string() + " does not exist";
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        return path.string() + ": cannot write in " + errnoText(dir);
    return std::nullopt;
}

std::vector<ConfigProblem> checkStartable(const Config& config,
                                          std::span<const StartRequirement> extra) {
    std::vector<ConfigProblem> problems;
    auto run = [&](const StartRequirement& r) {
        if (auto what = r.check(config)) problems.push_back({std::string(r.key), std::move(*what)});
    };
    for (const auto& r : requirements()) run(r);
    for (const auto& r : extra) run(r);
    return problems;
}

std::string formatProblems(const std::vector<ConfigProblem>& problems, std::string_view indent) {
    std::string out;
    for (const auto& p : problems)
        out += std::string(indent) + "key '" + p.key + "': " + p.message + "\n";
    return out;
}

}  // namespace sentinel::kiosk

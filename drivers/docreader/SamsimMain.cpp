// sentinel-samsim: the simulated ID-card reader on a pseudo-terminal (see README.md).
//
//   sentinel-samsim [--script FILE|-] [--hold]
//
// Prints `pty /dev/pts/N` on stdout first (point `documents.reader = "sam:/dev/pts/N"` at it), then
// runs the script (`-`: steps typed on stdin, run as they come), then exits — or with --hold (or
// without a script) keeps answering until SIGINT/SIGTERM.

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include "drivers/docreader/SamScript.h"
#include "drivers/docreader/SamSimulator.h"

namespace {

using namespace sentinel;
using namespace sentinel::docreader;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;  // a step failed (a wait timed out)
constexpr int kExitUsage = 2;   // DESIGN §4: usage or configuration error
constexpr long kNanosPerMilli = 1'000'000;
constexpr long kMillisPerSecond = 1000;
// At exit, how long the reader gets to take the last replies off the line.
constexpr std::chrono::milliseconds kDrainTimeout{2000};

sigset_t stopSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

// Lets `d` pass; false when SIGINT or SIGTERM came (they are blocked and taken here).
bool pauseFor(std::chrono::milliseconds d) {
    const sigset_t set = stopSignals();
    timespec ts{static_cast<time_t>(d.count() / kMillisPerSecond),
                static_cast<long>(d.count() % kMillisPerSecond) * kNanosPerMilli};
    while (true) {
        const int s = sigtimedwait(&set, nullptr, &ts);
        if (s == SIGINT || s == SIGTERM) return false;
        if (s < 0 && errno == EINTR) continue;
        return true;
    }
}

int usage(const std::string& message) {
    if (!message.empty()) std::fprintf(stderr, "sentinel-samsim: %s\n", message.c_str());
    std::fprintf(stderr,
                 "usage: sentinel-samsim [--script FILE|-] [--hold]\n"
                 "  prints `pty /dev/pts/N`, then serves the SAM protocol of an ID-card reader "
                 "module there\n"
                 "  --script FILE  steps to run (one a line; see drivers/docreader/SamScript.h); "
                 "'-': stdin\n"
                 "  --hold         keep answering after the script until SIGINT/SIGTERM (default "
                 "without --script)\n");
    return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
    std::string scriptPath;
    bool hold = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--script" && i + 1 < argc) {
            scriptPath = argv[++i];
        } else if (a == "--hold") {
            hold = true;
        } else if (a == "--help" || a == "-h") {
            usage("");
            return kExitOk;
        } else {
            return usage("unknown or incomplete argument '" + std::string(a) + "'");
        }
    }
    std::vector<ScriptStep> steps;
    if (!scriptPath.empty() && scriptPath != "-") {
        std::ifstream in(scriptPath);
        if (!in) return usage("cannot read " + scriptPath);
        std::ostringstream text;
        text << in.rdbuf();
        auto parsed = parseScript(text.str());
        if (!parsed) return usage(scriptPath + ": " + parsed.error().message);
        steps = std::move(parsed).value();
    }
    // Blocked before the simulator's thread starts, so only pauseFor() takes them and the exit is
    // orderly. Steps typed on stdin leave them alone: Ctrl-C must end a blocked read of the
    // terminal.
    if (scriptPath != "-") {
        const sigset_t set = stopSignals();
        pthread_sigmask(SIG_BLOCK, &set, nullptr);
    }

    auto sim = SamSimulator::start();
    if (!sim) {
        std::fprintf(stderr, "sentinel-samsim: %s\n", sim.error().message.c_str());
        return kExitFailed;
    }
    std::cout << "pty " << (*sim)->path() << std::endl;
    ScriptRunner runner(**sim, pauseFor, &std::cerr);

    int code = kExitOk;
    if (scriptPath == "-") {
        std::string line;
        while (std::getline(std::cin, line)) {
            auto step = parseScriptLine(line);
            if (!step) {
                std::cerr << "sentinel-samsim: " << step.error().message << std::endl;
                continue;
            }
            if (!*step) continue;
            if (auto st = runner.run(**step); !st)
                std::cerr << "sentinel-samsim: " << st.error().message << std::endl;
        }
    } else {
        for (const auto& step : steps) {
            if (auto st = runner.run(step); !st) {
                std::cerr << "sentinel-samsim: " << step.text << ": " << st.error().message
                          << std::endl;
                code = kExitFailed;
                break;
            }
        }
    }
    if (code == kExitOk && (hold || scriptPath.empty())) {
        while (pauseFor(std::chrono::milliseconds{kMillisPerSecond})) {
        }
    }
    // The last replies reach the reader before the pty closes (a closed pty drops unread bytes).
    (*sim)->drain(kDrainTimeout);
    return code;
}

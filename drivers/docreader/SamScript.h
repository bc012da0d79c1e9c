#pragma once
// Scripts for the simulated reader (`sentinel-samsim --script FILE`, or typed on stdin): one step a
// line, `#` starts a comment, values with spaces in double quotes.
//
//   present KIND [FIELD=VALUE]...  a card enters the field: KIND cn-id | permit-j | pr-i; fields as
//                                  makeSimCard names them (name, birth, number, type, photo, …)
//   remove                         the card leaves the field
//   wait MS                        let MS milliseconds pass (the simulator keeps answering)
//   wait-read [TIMEOUT_MS]         until the card presented last has been read in full (default
//   10000) wait-find [TIMEOUT_MS]         until the reader's next "find card" has been answered
//   garbage COUNT|hex:BYTES [CMD]  bytes before the next reply (COUNT: a pattern with partial
//   preambles) drip MS|off                    every reply one byte at a time, MS apart stall MS
//   [CMD] [after=N]       hold the next reply (after its first N bytes) for MS bad-checksum [CMD]
//   the next reply's CHK is wrong status 0xNN [CMD]              the next reply carries this SW3
//   and no data silent [CMD]                   the next request gets no answer pull-mid-read
//   [after=N]        the next read: N bytes of the reply (default half), then the card
//                                  leaves and nothing more comes
//   sam-status 0xNN                SAM status answers this SW3 from now on (0x90 ready, 0x60,
//   0x66…) sam-id XX.XX-YYYYMMDD-N…-N…    the SAM id the module reports echo TEXT print TEXT (demo
//   narration)
// CMD: find | select | read | status | samid | reset | any (default any).

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/docreader/SamProtocol.h"
#include "drivers/docreader/SamSimulator.h"
#include "firmware/base/Result.h"

namespace sentinel::docreader {

// "05.01-20200101-0000000001-0123456789" → the 16 bytes formatSamId prints it from.
std::optional<std::array<std::uint8_t, kSamIdBytes>> parseSamId(std::string_view text);

// The garbage pattern of `garbage COUNT`: bytes that hold partial preambles but never a whole one.
std::vector<std::uint8_t> garbagePattern(std::size_t count);

class ScriptRunner;

struct ScriptStep {
    std::string text;  // the line, for messages
    // Runs the step; an error (a wait that timed out, an interrupted pause) ends the script.
    std::function<Status(ScriptRunner&)> run;
};

// A line → a step; nullopt for blank and comment lines; errors name the problem.
Result<std::optional<ScriptStep>> parseScriptLine(std::string_view line);
// Every line of `text`; errors name the line number.
Result<std::vector<ScriptStep>> parseScript(std::string_view text);

class ScriptRunner {
  public:
    // `pause` lets time pass and returns false when the run should stop (a signal); `log` (may be
    // null) gets one line per step.
    ScriptRunner(SamSimulator& simulator, std::function<bool(std::chrono::milliseconds)> pause,
                 std::ostream* log);

    Status run(const ScriptStep& step);

    SamSimulator& simulator() { return simulator_; }
    bool pause(std::chrono::milliseconds d) { return pause_(d); }
    void say(const std::string& line);
    // Reads counted by the device when the last card was presented (for wait-read).
    std::uint64_t readsAtPresent = 0;

  private:
    SamSimulator& simulator_;
    std::function<bool(std::chrono::milliseconds)> pause_;
    std::ostream* log_;
};

}  // namespace sentinel::docreader

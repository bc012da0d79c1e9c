#pragma once
// Runs checks one after the other, each on its own worker thread under its own deadline. A check
// that has not returned by its deadline is reported `fail` with detail "timed out after N ms" and
// the runner moves on; the worker is not detached: its thread goes into the report, whose owner
// joins it (RunReport's destructor waits for the check to return). A command that must not wait
// for a check stuck in a driver call flushes its output and leaves with std::_Exit (CmdDiag), so no
// destructor ever runs under a live worker.

#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

#include "firmware/diag/Check.h"

namespace sentinel::diag {

struct RunReport {
    std::vector<CheckResult> results;
    std::size_t abandoned = 0;          // checks that timed out and were still running when reported
    std::vector<std::jthread> stragglers;  // their workers: joined when the report is destroyed
    bool anyFailed() const;
};

// `onResult` (optional) sees each result as soon as it is known (progress on a terminal).
RunReport runChecks(const std::vector<Check>& checks, const std::function<void(const CheckResult&)>& onResult = {});

}  // namespace sentinel::diag

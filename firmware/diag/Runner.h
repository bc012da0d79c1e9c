#pragma once
// Runs checks one after the other, each on its own worker thread under its own deadline. A check
// that has not returned by its deadline is reported `fail` with detail "timed out after N ms" and
// abandoned: its thread is detached and keeps only what its body captured (see Check).

#include <cstddef>
#include <functional>
#include <vector>

#include "firmware/diag/Check.h"

namespace sentinel::diag {

struct RunReport {
    std::vector<CheckResult> results;
    std::size_t abandoned = 0;  // checks still running on a detached thread (timed out)
    bool anyFailed() const;
};

// `onResult` (optional) sees each result as soon as it is known (progress on a terminal).
RunReport runChecks(const std::vector<Check>& checks, const std::function<void(const CheckResult&)>& onResult = {});

}  // namespace sentinel::diag

#pragma once
// Renders a diagnostics report. JSON (DESIGN §7): ONE JSON array on ONE line,
// `[{"check":"camera","status":"ok","detail":"…","remedy":"…","ms":12.3},…]` — `remedy` is an extra
// field, empty when ok. The table is for a terminal: one row per check, the remedy under a row
// that is not ok, and a summary line.

#include <string>
#include <vector>

#include "firmware/diag/Check.h"

namespace sentinel::diag {

std::string renderJson(const std::vector<CheckResult>& results);  // newline-terminated
std::string renderTable(const std::vector<CheckResult>& results);  // newline-terminated

}  // namespace sentinel::diag

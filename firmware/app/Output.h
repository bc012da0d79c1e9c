#pragma once
// How decision records are printed by verify, scan and run: one JSON object per line (--json), or
// a short human summary.

#include <ostream>

#include "firmware/base/DecisionRecord.h"

namespace sentinel::app {

void printRecord(std::ostream& out, const DecisionRecord& record, bool json);

}  // namespace sentinel::app

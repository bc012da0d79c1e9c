#pragma once
// Identity-document reader check (DESIGN §7, §15): the reader's line opens, its SAM answers the
// status request, and the SAM id is shown for the technician's records. `sentinel diag` adds it
// only when `documents.reader` names a reader. The reader comes through hal::DocumentReader (app
// chooses the backend); the verdict is pure.

#include <chrono>
#include <string>
#include <string_view>

#include "drivers/hal/DocumentReader.h"
#include "firmware/diag/Check.h"

namespace sentinel::diag {

// The check applies when `documents.reader` is set to a reader (anything but "none" or empty).
bool documentsCheckApplies(std::string_view readerSetting);

// Pure: line not open → fail (remedy by cause: missing, permission, in use); SAM silent → fail
// (baud, wiring, power); SAM status other than ready → fail (self-test failed, not authorised…);
// SAM id not read → warn; otherwise ok with the SAM id.
Outcome judgeDocumentReader(const std::string& source, const hal::DocumentReaderHealth& health);

// Asks `reader` for its health (bounded by `timeout`) and judges it.
Outcome checkDocumentReader(hal::DocumentReader& reader, std::chrono::milliseconds timeout);

// A reader answers its status and id within two command timeouts; this leaves room for a card
// read in progress (the reader answers between rounds).
inline constexpr std::chrono::milliseconds kDocumentsCheckTimeout{4000};

}  // namespace sentinel::diag

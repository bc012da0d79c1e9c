#pragma once
// Identity-document reader interface (DESIGN §15): a card reader that reports a presented card as
// an IdentityDocument, its removal, and faults. Backends: the SAM serial protocol on a tty
// (drivers/docreader/SamReader, `documents.reader = "sam:/dev/ttyUSB0[@BAUD]"`), the same against
// the simulated reader on a pseudo-terminal (`sentinel-samsim`), and fakes in tests/.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "firmware/base/IdentityDocument.h"
#include "firmware/base/Time.h"

namespace sentinel::hal {

enum class DocumentEventKind {
    Presented,  // a card was read: `document` holds it
    Removed,    // the card that was read (or failed to read) left the field; the next card may come
    Fault,      // something went wrong: `fault`, `retryable`, `detail`
};

enum class DocumentFault {
    // A card was in the field and could not be read (a bad or interrupted read, a card that failed
    // its
    // authentication, an unknown card type, a text block that does not decode). The kiosk answers
    // REFER DOCUMENT_UNREADABLE ("please try again").
    Unreadable,
    // The reader itself: it cannot be opened, does not answer, answers garbage, or its SAM refuses
    // (self-test failed, not authorised). No card is involved; this is for the technician (log,
    // diag).
    // Reported once when it starts, not on every poll; a good answer ends it.
    Reader,
};

struct DocumentEvent {
    DocumentEventKind kind = DocumentEventKind::Fault;
    // Presented only. Personal data (STYLE 19): zeroised when the event goes. Never log it.
    IdentityDocument document;
    DocumentFault fault = DocumentFault::Reader;
    bool retryable = false;  // Fault: presenting the card again (or waiting) may help
    std::string detail;  // Fault: what went wrong, for logs and the technician; never personal data
    MonoTime at{};       // when the reader saw it
};

// What `sentinel diag` shows about the reader. None of it is personal data.
struct DocumentReaderHealth {
    bool deviceOpen = false;                // the line (tty) is open
    bool samAnswered = false;               // the SAM answered its status request
    std::optional<std::uint8_t> samStatus;  // the SW3 of that answer (0x90 = ready)
    std::string samId;   // "05.01-20200101-0000000001-0123456789"; empty when not read
    std::string detail;  // what failed, when something did
};

class DocumentReader {
  public:
    virtual ~DocumentReader() = default;
    // Waits at most `timeout` (0: does not wait) for the next event; nullopt when none came. Events
    // come from the reader's own thread, so a caller that also grabs camera frames is never held up
    // by the reader, nor the reader by it. Undelivered events are bounded: the oldest are dropped.
    virtual std::optional<DocumentEvent> poll(std::chrono::milliseconds timeout) = 0;
    // Asks the reader for its SAM status and id; returns within `timeout` whatever the device does.
    virtual DocumentReaderHealth health(std::chrono::milliseconds timeout) = 0;
    // The source, for logs and diag ("sam:/dev/ttyUSB0@115200").
    virtual std::string describe() const = 0;
};

}  // namespace sentinel::hal

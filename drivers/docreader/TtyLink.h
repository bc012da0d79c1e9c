#pragma once
// A serial line opened for the SAM protocol: termios raw, 8 data bits, no parity, 1 stop bit, no
// flow control, at a baud rate the modules support. The device is locked (flock) so that a second
// process (e.g. `sentinel diag` while the kiosk runs) is told it is in use instead of stealing
// bytes.

#include <memory>
#include <string>

#include "drivers/docreader/ByteLink.h"
#include "firmware/base/Result.h"

namespace sentinel::docreader {

// The rates module documentation lists: 115200 (default), 57600, 38400, 19200, 9600.
bool isSupportedBaud(int baud);

// Opens `path` (a tty or a pseudo-terminal). Errors name the path and the cause (missing,
// permission denied, in use, not a serial line, unsupported baud).
Result<std::unique_ptr<ByteLink>> openTty(const std::string& path, int baud);

}  // namespace sentinel::docreader

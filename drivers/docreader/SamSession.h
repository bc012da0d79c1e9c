#pragma once
// The SAM protocol conversation over one open line (DESIGN §15): commands with per-command
// timeouts, and the card state machine — find → select → read, then wait until the card leaves the
// field (find answers "no card") before the next read. No thread and no file descriptor of its
// own: SamReader runs it on its thread over a tty, tests run it over a scripted device on a fake
// clock.

#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>

#include "drivers/docreader/ByteLink.h"
#include "drivers/docreader/SamProtocol.h"
#include "drivers/hal/DocumentReader.h"
#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::docreader {

// Bytes on the wire for one character at 8N1: start bit, 8 data bits, stop bit.
inline constexpr int kBitsPerByte8N1 = 10;
// Replies to find, select, SAM status and SAM id are a few dozen bytes the module sends at once
// (modules answer in tens of milliseconds).
inline constexpr std::chrono::milliseconds kCommandTimeout{500};
// A read makes the module talk to the card first: vendor SDKs allow about 1.5 s before the reply's
// bytes start; its 1295 bytes then take their transfer time at the line's rate.
inline constexpr std::chrono::milliseconds kCardReadTime{1500};
inline constexpr std::size_t kReadReplyBytes = kHeaderBytes + 3 + 4 + 256 + 1024 + 1;

// Once a reply has begun, its deadline moves on while bytes keep coming: a module streams a reply
// without pause (a byte every 0.1–1 ms at 115200–9600 baud), so this much silence mid-frame means
// it stopped…
inline constexpr std::chrono::milliseconds kReplyGap{500};
// …but never past this: the longest reply (1295 bytes) needs 1.35 s at 9600 baud, and a line that
// delivers it slower than a byte per 7 ms is broken, not slow.
inline constexpr std::chrono::milliseconds kSlowestReply{10000};

struct SamTimeouts {
    std::chrono::milliseconds command = kCommandTimeout;
    std::chrono::milliseconds read = kCardReadTime;
};
// Command timeout as above; read timeout = kCardReadTime + the read reply's transfer time at
// `baud`.
SamTimeouts timeoutsForBaud(int baud);

// Why a command got no usable answer.
enum class ExchangeFailure {
    Timeout,      // no complete reply within the command's timeout
    BadChecksum,  // a complete reply whose CHK did not match
    LinkLost,     // the line is gone
    Stopped,      // the owner asked to stop (no event comes of it)
};

struct Exchange {
    std::optional<ExchangeFailure> failure;  // set: no reply
    std::string detail;                      // failure: what happened (no personal data)
    SamFrame frame;                          // reply frame (zeroised when the Exchange goes)
    ReplyView reply;                         // view into `frame`
};

class SamSession {
  public:
    // `stop`: the owning thread's token; a waiting exchange notices it within kStopCheck.
    SamSession(ByteLink& link, const Clock& clock, SamTimeouts timeouts, std::stop_token stop = {});
    // How often a wait for a reply looks at the stop token (docs/threads.md: prompt joins).
    static constexpr std::chrono::milliseconds kStopCheck{20};

    enum class Phase { Searching, CardInField };

    struct Step {
        std::optional<hal::DocumentEvent> event;
        bool linkLost = false;  // drop the link and open it again
    };
    // One round: find; for a card newly in the field select and read it (Presented, or Fault
    // Unreadable), then wait for it to leave (Removed). Reader faults are reported once until a
    // good answer comes.
    Step step();

    // SAM status (11 FF) and SAM id (12 FF), for diag.
    hal::DocumentReaderHealth health();

    // One command and its reply within `timeout` (extended by kReplyGap while a reply's bytes keep
    // coming, up to kSlowestReply). Stale replies (longer than the command can answer) and garbage
    // before a preamble are skipped; every buffer is zeroised before it returns.
    Exchange exchange(Command c, std::chrono::milliseconds timeout);

    Phase phase() const { return phase_; }
    // The decoder, for tests that prove no frame bytes are left in it after an exchange.
    const FrameDecoder& decoder() const { return decoder_; }

  private:
    Step readCard();
    Step readerFault(std::string detail, bool retryable, bool linkLost = false);
    Step unreadable(std::string detail, bool retryable);
    hal::DocumentEvent event(hal::DocumentEventKind kind);

    ByteLink& link_;
    const Clock& clock_;
    SamTimeouts timeouts_;
    std::stop_token stop_;
    FrameDecoder decoder_{FrameKind::Reply};
    Phase phase_ = Phase::Searching;
    std::string lastReaderFault_;
};

}  // namespace sentinel::docreader

#pragma once
// hal::DocumentReader over the SAM serial protocol (DESIGN §15): `documents.reader =
// "sam:/dev/ttyUSB0[@BAUD]"`. One thread of its own (a std::jthread member, stopped and joined by
// the destructor, which returns within SamSession::kStopCheck even mid-read) opens the line, runs
// the SamSession state machine every find interval, hands events to poll() through a bounded queue,
// answers health() between rounds, and reopens the line with a pause when it is lost. Nothing here
// blocks a caller past its timeout.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "drivers/docreader/ByteLink.h"
#include "drivers/docreader/SamSession.h"
#include "drivers/hal/DocumentReader.h"
#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::docreader {

inline constexpr int kDefaultBaud = 115200;  // module documentation: the factory default

// `documents.reader`: "none" (or empty) → nullopt; "sam:PATH[@BAUD]" → the line; anything else,
// an empty path or an unsupported baud → an error naming the problem.
struct ReaderSpec {
    std::string path;
    int baud = kDefaultBaud;
};
Result<std::optional<ReaderSpec>> parseReaderSpec(std::string_view text);

struct SamReaderOptions {
    ReaderSpec spec;
    SamTimeouts timeouts;  // SamReader::open fills these from the baud rate
    // Between two find commands. Vendors advise polling for a card no more often than every 300 ms.
    std::chrono::milliseconds findInterval{300};
    // Between attempts to open a line that is missing or was lost.
    std::chrono::milliseconds reopenInterval{1000};
    // Events not yet taken by poll(); beyond this the oldest go (and with them their documents).
    std::size_t maxQueuedEvents = 8;
};

using LinkOpener = std::function<Result<std::unique_ptr<ByteLink>>()>;

class SamReader final : public hal::DocumentReader {
  public:
    // The tty backend for `spec` (timeouts from its baud rate). The line is opened by the reader's
    // thread, so a reader that is unplugged at start comes up when it is plugged in.
    static std::unique_ptr<SamReader> open(const ReaderSpec& spec);

    // `opener` makes the link (tests: a scripted device); `clock` is the session's time source and
    // must outlive the reader (nullptr: the system clock).
    SamReader(SamReaderOptions options, LinkOpener opener, const Clock* clock = nullptr);
    ~SamReader() override;
    SamReader(const SamReader&) = delete;
    SamReader& operator=(const SamReader&) = delete;

    std::optional<hal::DocumentEvent> poll(std::chrono::milliseconds timeout) override;
    hal::DocumentReaderHealth health(std::chrono::milliseconds timeout) override;
    std::string describe() const override;

  private:
    struct HealthRequest;
    void loop(std::stop_token stop);
    void push(hal::DocumentEvent e);
    void answerHealth(SamSession* session, const std::string& closedDetail);

    SamReaderOptions options_;
    LinkOpener opener_;
    const Clock& clock_;

    std::mutex mutex_;
    std::condition_variable_any eventsReady_;
    std::condition_variable_any wake_;
    std::deque<hal::DocumentEvent> events_;
    std::deque<std::shared_ptr<HealthRequest>> healthRequests_;

    std::jthread thread_;  // last: started after everything it uses
};

}  // namespace sentinel::docreader

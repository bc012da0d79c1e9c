#include "drivers/docreader/SamReader.h"

#include <charconv>
#include <future>
#include <utility>

#include "drivers/docreader/TtyLink.h"
#include "firmware/base/Log.h"

namespace sentinel::docreader {
namespace {

constexpr std::string_view kNone = "none";
constexpr std::string_view kSamScheme = "sam:";
constexpr std::string_view kLogCategory = "DocReader";

const SystemClock& systemClock() {
    static const SystemClock clock;
    return clock;
}

}  // namespace

struct SamReader::HealthRequest {
    std::promise<hal::DocumentReaderHealth> answer;
};

Result<std::optional<ReaderSpec>> parseReaderSpec(std::string_view text) {
    if (text.empty() || text == kNone) return std::optional<ReaderSpec>{};
    if (text.substr(0, kSamScheme.size()) != kSamScheme) {
        return makeError("documents.reader: '" + std::string(text) +
                         "' is neither \"none\" nor \"sam:PATH[@BAUD]\"");
    }
    std::string_view rest = text.substr(kSamScheme.size());
    ReaderSpec spec;
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        const auto baudText = rest.substr(at + 1);
        int baud = 0;
        const auto [end, ec] =
            std::from_chars(baudText.data(), baudText.data() + baudText.size(), baud);
        if (ec != std::errc{} || end != baudText.data() + baudText.size() ||
            !isSupportedBaud(baud)) {
            return makeError("documents.reader: baud '" + std::string(baudText) +
                             "' is not one of 9600, 19200, 38400, 57600, 115200");
        }
        spec.baud = baud;
        rest = rest.substr(0, at);
    }
    if (rest.empty())
        return makeError("documents.reader: \"sam:\" needs a device path, e.g. sam:/dev/ttyUSB0");
    spec.path = std::string(rest);
    return std::optional<ReaderSpec>{std::move(spec)};
}

std::unique_ptr<SamReader> SamReader::open(const ReaderSpec& spec) {
    SamReaderOptions options;
    options.spec = spec;
    options.timeouts = timeoutsForBaud(spec.baud);
    auto opener = [spec]() { return openTty(spec.path, spec.baud); };
    return std::make_unique<SamReader>(std::move(options), std::move(opener));
}

SamReader::SamReader(SamReaderOptions options, LinkOpener opener, const Clock* clock)
    : options_(std::move(options)),
      opener_(std::move(opener)),
      clock_(clock ? *clock : systemClock()) {
    thread_ = std::jthread([this](std::stop_token stop) { loop(std::move(stop)); });
}

SamReader::~SamReader() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
}

std::string SamReader::describe() const {
    return std::string(kSamScheme) + options_.spec.path + "@" + std::to_string(options_.spec.baud);
}

void SamReader::push(hal::DocumentEvent e) {
    {
        std::lock_guard lock(mutex_);
        events_.push_back(std::move(e));
        while (events_.size() > options_.maxQueuedEvents) events_.pop_front();
    }
    eventsReady_.notify_all();
}

std::optional<hal::DocumentEvent> SamReader::poll(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!eventsReady_.wait_for(lock, timeout, [&] { return !events_.empty(); }))
        return std::nullopt;
    hal::DocumentEvent e = std::move(events_.front());
    events_.pop_front();
    return e;
}

hal::DocumentReaderHealth SamReader::health(std::chrono::milliseconds timeout) {
    auto request = std::make_shared<HealthRequest>();
    auto answer = request->answer.get_future();
    {
        std::lock_guard lock(mutex_);
        healthRequests_.push_back(request);
    }
    wake_.notify_all();
    if (answer.wait_for(timeout) == std::future_status::ready) return answer.get();
    hal::DocumentReaderHealth h;
    h.detail = "the reader thread did not answer within " + std::to_string(timeout.count()) +
               " ms (busy reading, or stuck)";
    return h;
}

void SamReader::answerHealth(SamSession* session, const std::string& closedDetail) {
    while (true) {
        std::shared_ptr<HealthRequest> request;
        {
            std::lock_guard lock(mutex_);
            if (healthRequests_.empty()) return;
            request = std::move(healthRequests_.front());
            healthRequests_.pop_front();
        }
        hal::DocumentReaderHealth h;
        if (session) {
            h = session->health();
        } else {
            h.detail = closedDetail;
        }
        request->answer.set_value(std::move(h));
    }
}

void SamReader::loop(std::stop_token stop) {
    std::unique_ptr<ByteLink> link;
    std::unique_ptr<SamSession> session;
    std::string openError;
    auto pause = [&](std::chrono::milliseconds d) {
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, stop, d, [&] { return !healthRequests_.empty(); });
    };
    while (!stop.stop_requested()) {
        if (!session) {
            auto opened = opener_();
            if (!opened) {
                if (opened.error().message != openError) {
                    openError = opened.error().message;
                    SLOG(kLogCategory, Warn) << openError;
                    hal::DocumentEvent e;
                    e.kind = hal::DocumentEventKind::Fault;
                    e.fault = hal::DocumentFault::Reader;
                    e.retryable = true;
                    e.detail = openError;
                    e.at = clock_.monotonic();
                    push(std::move(e));
                }
                answerHealth(nullptr, openError);
                pause(options_.reopenInterval);
                continue;
            }
            if (!openError.empty()) {
                SLOG(kLogCategory, Info) << describe() << ": line open";
            }
            openError.clear();
            link = std::move(opened).value();
            session = std::make_unique<SamSession>(*link, clock_, options_.timeouts, stop);
        }
        answerHealth(session.get(), {});
        auto step = session->step();
        if (step.event) {
            // Fault details name the command and the status, never card contents.
            if (step.event->kind == hal::DocumentEventKind::Fault) {
                SLOG(kLogCategory, Warn) << step.event->detail;
            }
            push(std::move(*step.event));
        }
        if (step.linkLost) {
            session.reset();
            link.reset();
            pause(options_.reopenInterval);
            continue;
        }
        pause(options_.findInterval);
    }
    answerHealth(nullptr, "the reader is shutting down");
}

}  // namespace sentinel::docreader

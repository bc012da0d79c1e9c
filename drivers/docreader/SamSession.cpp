#include "drivers/docreader/SamSession.h"

#include <algorithm>
#include <array>
#include <utility>

#include "drivers/docreader/CardText.h"
#include "drivers/docreader/SamStatus.h"
#include "firmware/base/Secret.h"

namespace sentinel::docreader {
namespace {

// Bytes read from the line at a time (a stack buffer, zeroised after each read).
constexpr std::size_t kReadChunk = 512;
// The most data a reply to find (IIN, 4), select (serial, 8), SAM status (0) or SAM id (16)
// carries; a longer reply to one of them is a late answer to an earlier read and is skipped.
constexpr std::size_t kShortReplyMaxData = kSamIdBytes;

std::string ms(std::chrono::milliseconds t) {
    return std::to_string(t.count()) + " ms";
}

}  // namespace

SamTimeouts timeoutsForBaud(int baud) {
    SamTimeouts t;
    if (baud > 0) {
        const auto transferMs =
            static_cast<long long>(kReadReplyBytes) * kBitsPerByte8N1 * 1000 / baud + 1;
        t.read = kCardReadTime + std::chrono::milliseconds{transferMs};
    }
    return t;
}

SamSession::SamSession(ByteLink& link, const Clock& clock, SamTimeouts timeouts,
                       std::stop_token stop)
    : link_(link), clock_(clock), timeouts_(timeouts), stop_(std::move(stop)) {}

Exchange SamSession::exchange(Command c, std::chrono::milliseconds timeout) {
    Exchange x;
    link_.discardInput();
    decoder_.reset();
    const auto request = encodeRequest(c);
    if (auto st = link_.write(request, timeouts_.command); !st) {
        x.failure = ExchangeFailure::LinkLost;
        x.detail = st.error().message;
        return x;
    }
    const std::size_t maxData = c == kReadText ? kMaxLen : kShortReplyMaxData;
    const auto start = clock_.monotonic();
    const auto cap = start + std::max(timeout, kSlowestReply);
    auto deadline = start + timeout;
    bool extended = false;
    std::array<std::uint8_t, kReadChunk> chunk{};
    bool sawBadChecksum = false;
    while (true) {
        const auto now = clock_.monotonic();
        if (now >= deadline) break;
        if (stop_.stop_requested()) {
            x.failure = ExchangeFailure::Stopped;
            x.detail = "stopping";
            break;
        }
        const auto wait =
            std::min(std::chrono::ceil<std::chrono::milliseconds>(deadline - now), kStopCheck);
        auto n = link_.read(chunk, wait);
        if (!n) {
            x.failure = ExchangeFailure::LinkLost;
            x.detail = n.error().message;
            break;
        }
        std::span<const std::uint8_t> bytes(chunk.data(), *n);
        while (!bytes.empty() && !x.frame.body.size() && !sawBadChecksum) {
            bytes = bytes.subspan(decoder_.push(bytes));
            while (auto d = decoder_.next()) {
                if (d->status == DecodeStatus::BadChecksum) {
                    sawBadChecksum = true;
                    break;
                }
                if (d->status != DecodeStatus::Frame) continue;  // a bad LEN: resynchronising
                auto reply = replyOf(d->frame);
                if (!reply || reply->data.size() > maxData) continue;  // stale
                x.frame = std::move(d->frame);
                x.reply = *replyOf(x.frame);
                break;
            }
        }
        secureZero(chunk.data(), chunk.size());
        if (x.frame.body.size() || sawBadChecksum) break;
        if (*n > 0 && decoder_.buffered() > 0) {
            const auto more = std::min(clock_.monotonic() + kReplyGap, cap);
            if (more > deadline) {
                deadline = more;
                extended = true;
            }
        }
    }
    const bool partial = decoder_.buffered() > 0;
    decoder_.reset();
    if (x.failure || x.frame.body.size()) return x;
    if (sawBadChecksum) {
        x.failure = ExchangeFailure::BadChecksum;
        x.detail = "the answer to " + commandName(c) + " failed its checksum";
        return x;
    }
    x.failure = ExchangeFailure::Timeout;
    if (extended && deadline == cap) {
        x.detail = "the answer to " + commandName(c) + " took over " + ms(kSlowestReply);
    } else if (extended) {
        x.detail = "the answer to " + commandName(c) + " stopped mid-frame (no byte for " +
                   ms(kReplyGap) + ")";
    } else {
        x.detail = "no complete answer to " + commandName(c) + " within " + ms(timeout) +
                   (partial ? " (it stopped mid-frame)" : "");
    }
    return x;
}

hal::DocumentEvent SamSession::event(hal::DocumentEventKind kind) {
    hal::DocumentEvent e;
    e.kind = kind;
    e.at = clock_.monotonic();
    return e;
}

SamSession::Step SamSession::readerFault(std::string detail, bool retryable, bool linkLost) {
    Step s;
    s.linkLost = linkLost;
    if (detail == lastReaderFault_) return s;
    lastReaderFault_ = detail;
    auto e = event(hal::DocumentEventKind::Fault);
    e.fault = hal::DocumentFault::Reader;
    e.retryable = retryable;
    e.detail = std::move(detail);
    s.event = std::move(e);
    return s;
}

SamSession::Step SamSession::unreadable(std::string detail, bool retryable) {
    Step s;
    auto e = event(hal::DocumentEventKind::Fault);
    e.fault = hal::DocumentFault::Unreadable;
    e.retryable = retryable;
    e.detail = std::move(detail);
    s.event = std::move(e);
    return s;
}

SamSession::Step SamSession::step() {
    auto found = exchange(kFindCard, timeouts_.command);
    if (found.failure == ExchangeFailure::Stopped) return {};
    if (found.failure) {
        const bool lost = *found.failure == ExchangeFailure::LinkLost;
        return readerFault(found.detail, true, lost);
    }
    const std::uint8_t status = found.reply.sw3;
    if (status == sw3::kNoCard || status == sw3::kCardFound) lastReaderFault_.clear();
    if (phase_ == Phase::CardInField) {
        if (status == sw3::kNoCard) {
            phase_ = Phase::Searching;
            Step s;
            s.event = event(hal::DocumentEventKind::Removed);
            return s;
        }
        if (status == sw3::kCardFound) return {};
        const auto m = meaningOf(status);
        if (m.scope == StatusScope::Reader)
            return readerFault("find card: " + describeStatus(status), m.retryable);
        return {};
    }
    if (status == sw3::kNoCard) return {};
    if (status == sw3::kCardFound) return readCard();
    const auto m = meaningOf(status);
    if (m.scope == StatusScope::Card) {
        phase_ = Phase::CardInField;
        return unreadable("find card: " + describeStatus(status), m.retryable);
    }
    return readerFault("find card: " + describeStatus(status), m.retryable);
}

SamSession::Step SamSession::readCard() {
    // Whatever happens now, the card must leave the field before it is read again.
    phase_ = Phase::CardInField;
    auto failed = [&](const Exchange& x) {
        if (*x.failure == ExchangeFailure::Stopped) return Step{};
        if (*x.failure == ExchangeFailure::LinkLost) {
            Step s = unreadable(x.detail, true);
            s.linkLost = true;
            return s;
        }
        return unreadable(x.detail, true);
    };
    auto refused = [&](Command c, std::uint8_t status) {
        const auto m = meaningOf(status);
        const std::string what = status == sw3::kNoCard ? std::string("the card left the field")
                                                        : describeStatus(status);
        return unreadable(commandName(c) + ": " + what, m.retryable || status == sw3::kNoCard);
    };
    {
        auto selected = exchange(kSelectCard, timeouts_.command);
        if (selected.failure) return failed(selected);
        if (selected.reply.sw3 != sw3::kSuccess) return refused(kSelectCard, selected.reply.sw3);
    }
    auto read = exchange(kReadText, timeouts_.read);
    if (read.failure) {
        if (*read.failure == ExchangeFailure::Timeout) read.detail += " (card pulled mid-read?)";
        return failed(read);
    }
    if (read.reply.sw3 != sw3::kSuccess) return refused(kReadText, read.reply.sw3);
    auto doc = decodeReadData(read.reply.data);
    read.frame.body.wipe();
    if (!doc) return unreadable(doc.error().message, false);
    Step s;
    s.event = event(hal::DocumentEventKind::Presented);
    s.event->document = std::move(doc).value();
    return s;
}

hal::DocumentReaderHealth SamSession::health() {
    hal::DocumentReaderHealth h;
    h.deviceOpen = true;
    auto status = exchange(kSamStatus, timeouts_.command);
    if (status.failure) {
        h.detail = status.detail;
        return h;
    }
    h.samAnswered = true;
    h.samStatus = status.reply.sw3;
    if (status.reply.sw3 != sw3::kSuccess) {
        h.detail = "SAM status: " + describeStatus(status.reply.sw3);
        return h;
    }
    auto id = exchange(kSamId, timeouts_.command);
    if (id.failure) {
        h.detail = id.detail;
    } else if (id.reply.sw3 != sw3::kSuccess) {
        h.detail = "read SAM id: " + describeStatus(id.reply.sw3);
    } else if (auto text = formatSamId(id.reply.data)) {
        h.samId = *text;
    } else {
        h.detail = "read SAM id: " + std::to_string(id.reply.data.size()) + " bytes, not " +
                   std::to_string(kSamIdBytes);
    }
    return h;
}

}  // namespace sentinel::docreader

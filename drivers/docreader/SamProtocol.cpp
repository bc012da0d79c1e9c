#include "drivers/docreader/SamProtocol.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "firmware/base/Secret.h"

namespace sentinel::docreader {
namespace {

constexpr std::size_t kRequestHead = 2;  // CMD PARA
constexpr std::size_t kReplyHead = 3;    // SW1 SW2 SW3
constexpr unsigned kByteBits = 8;
constexpr unsigned kByteMask = 0xFF;

std::vector<std::uint8_t> encodeFrame(std::span<const std::uint8_t> head,
                                      std::span<const std::uint8_t> data) {
    const std::size_t room = kMaxLen - 1 - head.size();
    if (data.size() > room) data = data.first(room);
    const std::size_t len = head.size() + data.size() + 1;
    std::vector<std::uint8_t> out(kHeaderBytes + len);
    std::copy(kPreamble.begin(), kPreamble.end(), out.begin());
    out[kPreamble.size()] = static_cast<std::uint8_t>(len >> kByteBits);
    out[kPreamble.size() + 1] = static_cast<std::uint8_t>(len & kByteMask);
    std::copy(head.begin(), head.end(), out.begin() + kHeaderBytes);
    std::copy(data.begin(), data.end(),
              out.begin() + static_cast<std::ptrdiff_t>(kHeaderBytes + head.size()));
    out.back() = xorChecksum(std::span<const std::uint8_t>(out).subspan(kPreamble.size(), len + 1));
    return out;
}

std::uint32_t littleEndian(std::span<const std::uint8_t> b) {
    std::uint32_t v = 0;
    for (std::size_t i = b.size(); i > 0; --i) v = (v << kByteBits) | b[i - 1];
    return v;
}

}  // namespace

std::string commandName(Command c) {
    if (c == kResetSam) return "reset SAM";
    if (c == kSamStatus) return "SAM status";
    if (c == kSamId) return "read SAM id";
    if (c == kFindCard) return "find card";
    if (c == kSelectCard) return "select card";
    if (c == kReadText) return "read card";
    char buf[32];
    std::snprintf(buf, sizeof buf, "command 0x%02X 0x%02X", c.cmd, c.para);
    return buf;
}

std::uint8_t xorChecksum(std::span<const std::uint8_t> bytes) {
    std::uint8_t x = 0;
    for (auto b : bytes) x ^= b;
    return x;
}

std::vector<std::uint8_t> encodeRequest(Command c, std::span<const std::uint8_t> data) {
    const std::array<std::uint8_t, kRequestHead> head{c.cmd, c.para};
    return encodeFrame(head, data);
}

std::vector<std::uint8_t> encodeReply(std::uint8_t sw1, std::uint8_t sw2, std::uint8_t sw3,
                                      std::span<const std::uint8_t> data) {
    const std::array<std::uint8_t, kReplyHead> head{sw1, sw2, sw3};
    return encodeFrame(head, data);
}

std::optional<ReplyView> replyOf(const SamFrame& frame) {
    const auto b = frame.body.span();
    if (b.size() < kReplyHead) return std::nullopt;
    return ReplyView{b[0], b[1], b[2], b.subspan(kReplyHead)};
}

std::optional<RequestView> requestOf(const SamFrame& frame) {
    const auto b = frame.body.span();
    if (b.size() < kRequestHead) return std::nullopt;
    return RequestView{Command{b[0], b[1]}, b.subspan(kRequestHead)};
}

FrameDecoder::FrameDecoder(FrameKind kind) : kind_(kind), storage_(kMaxFrameBytes) {}

std::size_t FrameDecoder::push(std::span<const std::uint8_t> bytes) {
    const std::size_t n = std::min(bytes.size(), storage_.size() - size_);
    if (n > 0) std::memcpy(storage_.data() + size_, bytes.data(), n);
    size_ += n;
    return n;
}

void FrameDecoder::drop(std::size_t n) {
    n = std::min(n, size_);
    std::uint8_t* s = storage_.data();
    std::memmove(s, s + n, size_ - n);
    secureZero(s + size_ - n, n);
    size_ -= n;
}

void FrameDecoder::reset() {
    secureZero(storage_.data(), storage_.size());
    size_ = 0;
}

std::optional<Decoded> FrameDecoder::next() {
    const std::uint8_t* s = storage_.data();
    // Find the preamble; keep a tail that may be its beginning.
    std::size_t start = 0;
    for (; start < size_; ++start) {
        const std::size_t have = std::min(kPreamble.size(), size_ - start);
        if (std::equal(kPreamble.begin(), kPreamble.begin() + static_cast<std::ptrdiff_t>(have),
                       s + start))
            break;
    }
    if (start > 0) {
        discarded_ += start;
        drop(start);
    }
    if (size_ < kHeaderBytes) return std::nullopt;

    const std::size_t len =
        (static_cast<std::size_t>(s[kPreamble.size()]) << kByteBits) | s[kPreamble.size() + 1];
    const std::size_t minLen = kind_ == FrameKind::Request ? kMinRequestLen : kMinReplyLen;
    if (len < minLen || len > kMaxLen) {
        drop(1);
        ++discarded_;
        return Decoded{DecodeStatus::BadLength, {}};
    }
    if (size_ < kHeaderBytes + len) return std::nullopt;

    const std::size_t chkAt = kHeaderBytes + len - 1;
    const std::uint8_t expected = xorChecksum({s + kPreamble.size(), chkAt - kPreamble.size()});
    if (expected != s[chkAt]) {
        drop(1);
        ++discarded_;
        return Decoded{DecodeStatus::BadChecksum, {}};
    }
    Decoded d{DecodeStatus::Frame,
              SamFrame{WipedBytes(std::span<const std::uint8_t>(s + kHeaderBytes, len - 1))}};
    drop(kHeaderBytes + len);
    return d;
}

std::optional<std::string> formatSamId(std::span<const std::uint8_t> data) {
    constexpr std::size_t kShort = 2, kLong = 4;
    if (data.size() != kSamIdBytes) return std::nullopt;
    const auto a = littleEndian(data.subspan(0, kShort));
    const auto b = littleEndian(data.subspan(kShort, kShort));
    const auto c = littleEndian(data.subspan(2 * kShort, kLong));
    const auto d = littleEndian(data.subspan(2 * kShort + kLong, kLong));
    const auto e = littleEndian(data.subspan(2 * kShort + 2 * kLong, kLong));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%02u.%02u-%08u-%010u-%010u", a, b, c, d, e);
    return std::string(buf);
}

}  // namespace sentinel::docreader

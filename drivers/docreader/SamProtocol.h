#pragma once
// The SAM serial protocol of ID-card reader modules (DESIGN §15), pure: frame encoding, an
// incremental frame decoder that resynchronises on the preamble, and the replies' fixed parts.
//
//   request  AA AA AA 96 69  LEN(2, big-endian)  CMD PARA [DATA]     CHK
//   reply    AA AA AA 96 69  LEN(2, big-endian)  SW1 SW2 SW3 [DATA]  CHK
//
// LEN counts every byte after itself (CHK included); CHK is the XOR of LEN through the last data
// byte. No I/O, no threads, no clock: the decoder is fed bytes and hands out frames (fuzz target
// `samframe`).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/docreader/WipedBytes.h"

namespace sentinel::docreader {

// Frame start: three sync bytes and the two start-of-frame bytes (module protocol, "Preamble").
inline constexpr std::array<std::uint8_t, 5> kPreamble{0xAA, 0xAA, 0xAA, 0x96, 0x69};
inline constexpr std::size_t kLenBytes = 2;
inline constexpr std::size_t kHeaderBytes = kPreamble.size() + kLenBytes;
// LEN bounds. The shortest request is CMD PARA CHK; the shortest reply SW1 SW2 SW3 CHK. The longest
// frame module documentation lists is the reply to "read text, photo and fingerprint" (30 10):
// SW1-3 (3) + three lengths (6) + text (256) + photo (1024) + fingerprint (1024) + CHK (1) = 2314.
// Anything longer is garbage, refused at once instead of waited for.
inline constexpr std::size_t kMinRequestLen = 3;
inline constexpr std::size_t kMinReplyLen = 4;
inline constexpr std::size_t kMaxLen = 2314;
inline constexpr std::size_t kMaxFrameBytes = kHeaderBytes + kMaxLen;

struct Command {
    std::uint8_t cmd = 0;
    std::uint8_t para = 0;
    bool operator==(const Command&) const = default;
};

// The commands this driver sends (module protocol, table "CMD and Para").
inline constexpr Command kResetSam{0x10, 0xFF};
inline constexpr Command kSamStatus{0x11, 0xFF};
inline constexpr Command kSamId{0x12, 0xFF};  // "read SAM management information": the SAM id
inline constexpr Command kFindCard{0x20, 0x01};
inline constexpr Command kSelectCard{0x20, 0x02};
inline constexpr Command kReadText{0x30, 0x01};  // "read basic information": text and photo

// "find card", "select card", …; "command 0xNN 0xNN" for others.
std::string commandName(Command c);

// XOR of every byte (LEN through the last data byte, as the protocol defines CHK).
std::uint8_t xorChecksum(std::span<const std::uint8_t> bytes);

// Whole frames. Data longer than a frame may hold is cut to fit (callers never send that much).
std::vector<std::uint8_t> encodeRequest(Command c, std::span<const std::uint8_t> data = {});
std::vector<std::uint8_t> encodeReply(std::uint8_t sw1, std::uint8_t sw2, std::uint8_t sw3,
                                      std::span<const std::uint8_t> data = {});

// One frame's body: the bytes between LEN and CHK (CMD PARA DATA, or SW1 SW2 SW3 DATA). A read
// reply's body holds personal data: it is zeroised when the frame goes.
struct SamFrame {
    WipedBytes body;
};

struct ReplyView {
    std::uint8_t sw1 = 0, sw2 = 0, sw3 = 0;
    std::span<const std::uint8_t> data;
};
struct RequestView {
    Command command;
    std::span<const std::uint8_t> data;
};
// Views into `frame` (valid while it lives); nullopt when the body is too short for the kind.
std::optional<ReplyView> replyOf(const SamFrame& frame);
std::optional<RequestView> requestOf(const SamFrame& frame);

enum class FrameKind { Request, Reply };

enum class DecodeStatus {
    Frame,        // a complete frame with a good checksum
    BadChecksum,  // a complete frame whose CHK does not match: dropped
    BadLength,    // a preamble followed by a LEN outside the bounds: dropped
};

struct Decoded {
    DecodeStatus status = DecodeStatus::Frame;
    SamFrame frame;  // Frame only
};

// Incremental decoder. Bytes before a preamble are skipped (counted in discardedBytes()); after a
// bad LEN or a bad checksum it drops the first byte of that preamble and searches again, so a frame
// hidden behind garbage is still found. Its storage is fixed (kMaxFrameBytes) and zeroised as bytes
// leave it.
//
//   while (!bytes.empty()) {
//       bytes = bytes.subspan(decoder.push(bytes));
//       while (auto d = decoder.next()) handle(*d);
//   }
class FrameDecoder {
  public:
    explicit FrameDecoder(FrameKind kind);

    // Takes as many bytes as fit (at least one once next() has returned nullopt); returns how many.
    std::size_t push(std::span<const std::uint8_t> bytes);
    // The next frame or error, or nullopt when more bytes are needed.
    std::optional<Decoded> next();
    // Drops (and zeroises) everything buffered.
    void reset();

    std::size_t buffered() const { return size_; }
    std::uint64_t discardedBytes() const { return discarded_; }
    // The whole storage, for tests that prove no frame bytes are left behind.
    std::span<const std::uint8_t> storage() const { return storage_.span(); }

  private:
    void drop(std::size_t n);

    FrameKind kind_;
    WipedBytes storage_;
    std::size_t size_ = 0;
    std::uint64_t discarded_ = 0;
};

// The reply to 12 FF: 16 bytes, shown as "XX.XX-YYYYMMDD-NNNNNNNNNN-NNNNNNNNNN" (two little-endian
// 16-bit numbers and three little-endian 32-bit numbers, as vendor tools print it). Not personal
// data: it names the reader's security module. nullopt unless exactly 16 bytes.
std::optional<std::string> formatSamId(std::span<const std::uint8_t> data);
inline constexpr std::size_t kSamIdBytes = 16;

}  // namespace sentinel::docreader

// The SAM frame codec and the incremental decoder: round trips, resynchronisation, bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "drivers/docreader/SamProtocol.h"

namespace sentinel::docreader {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Feeds `bytes` in chunks of `chunk` and collects what the decoder hands out.
std::vector<Decoded> decodeAll(FrameDecoder& d, const Bytes& bytes, std::size_t chunk = 4096) {
    std::vector<Decoded> out;
    std::span<const std::uint8_t> rest(bytes);
    while (!rest.empty()) {
        auto piece = rest.first(std::min(chunk, rest.size()));
        rest = rest.subspan(piece.size());
        while (!piece.empty()) {
            piece = piece.subspan(d.push(piece));
            while (auto x = d.next()) out.push_back(std::move(*x));
        }
    }
    return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

TEST(SamProtocol, FindCardRequestMatchesTheModuleDocumentation) {
    // Vendor examples: find AA AA AA 96 69 00 03 20 01 22, select … 20 02 21, read … 30 01 32.
    EXPECT_EQ(encodeRequest(kFindCard),
              (Bytes{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22}));
    EXPECT_EQ(encodeRequest(kSelectCard).back(), 0x21);
    EXPECT_EQ(encodeRequest(kReadText).back(), 0x32);
    EXPECT_EQ(encodeRequest(kSamStatus).back(), 0xED);
}

TEST(SamProtocol, FindCardFoundReplyMatchesTheModuleDocumentation) {
    const Bytes iin(4, 0);
    EXPECT_EQ(encodeReply(0, 0, 0x9F, iin), (Bytes{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x08, 0x00,
                                                   0x00, 0x9F, 0x00, 0x00, 0x00, 0x00, 0x97}));
    EXPECT_EQ(encodeReply(0, 0, 0x80),
              (Bytes{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x80, 0x84}));
}

TEST(SamProtocol, ReplyRoundTripsThroughTheDecoder) {
    const Bytes data{1, 2, 3, 0xAA, 0x96, 0x69};
    FrameDecoder d(FrameKind::Reply);
    auto out = decodeAll(d, encodeReply(0x12, 0x34, 0x90, data));
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].status, DecodeStatus::Frame);
    auto r = replyOf(out[0].frame);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->sw1, 0x12);
    EXPECT_EQ(r->sw2, 0x34);
    EXPECT_EQ(r->sw3, 0x90);
    EXPECT_EQ(Bytes(r->data.begin(), r->data.end()), data);
}

TEST(SamProtocol, RequestRoundTripsThroughTheDecoder) {
    FrameDecoder d(FrameKind::Request);
    auto out = decodeAll(d, encodeRequest(kReadText));
    ASSERT_EQ(out.size(), 1u);
    auto r = requestOf(out[0].frame);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->command, kReadText);
    EXPECT_TRUE(r->data.empty());
}

TEST(SamProtocol, LargestReplyRoundTrips) {
    const Bytes data(kMaxLen - 4, 0x5A);
    FrameDecoder d(FrameKind::Reply);
    auto out = decodeAll(d, encodeReply(0, 0, 0x90, data));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(replyOf(out[0].frame)->data.size(), data.size());
}

TEST(SamProtocol, GarbageBeforeThePreambleIsSkipped) {
    const Bytes garbage{0x00, 0xAA, 0xAA, 0x96, 0x69, 0xAA, 0xAA, 0xAA, 0x96, 0x13, 0xFF, 0xAA};
    FrameDecoder d(FrameKind::Reply);
    auto out = decodeAll(d, concat({garbage, encodeReply(0, 0, 0x80)}));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status, DecodeStatus::Frame);
    EXPECT_EQ(replyOf(out[0].frame)->sw3, 0x80);
    EXPECT_EQ(d.discardedBytes(), garbage.size());
}

TEST(SamProtocol, OneByteAtATimeGivesTheSameFrames) {
    const Bytes stream = concat({encodeReply(0, 0, 0x9F, Bytes(4, 0)), Bytes{0x42, 0xAA},
                                 encodeReply(0, 0, 0x90, Bytes(8, 7))});
    FrameDecoder d(FrameKind::Reply);
    auto out = decodeAll(d, stream, 1);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(replyOf(out[0].frame)->sw3, 0x9F);
    EXPECT_EQ(replyOf(out[1].frame)->sw3, 0x90);
    EXPECT_EQ(replyOf(out[1].frame)->data.size(), 8u);
}

TEST(SamProtocol, BadChecksumIsReportedAndTheNextFrameStillDecodes) {
    Bytes bad = encodeReply(0, 0, 0x90, Bytes(8, 1));
    bad.back() ^= 0x01;
    FrameDecoder d(FrameKind::Reply);
    auto out = decodeAll(d, concat({bad, encodeReply(0, 0, 0x80)}));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].status, DecodeStatus::BadChecksum);
    EXPECT_EQ(out[1].status, DecodeStatus::Frame);
    EXPECT_EQ(replyOf(out[1].frame)->sw3, 0x80);
}

TEST(SamProtocol, LengthOverTheBoundIsRefusedWithoutWaitingForIt) {
    const Bytes hugeLen{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF};
    FrameDecoder d(FrameKind::Reply);
    auto out = decodeAll(d, concat({hugeLen, encodeReply(0, 0, 0x9F, Bytes(4, 0))}));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].status, DecodeStatus::BadLength);
    EXPECT_EQ(replyOf(out[1].frame)->sw3, 0x9F);
}

TEST(SamProtocol, LengthTooShortForAReplyIsRefused) {
    // LEN 3 is a whole request (CMD PARA CHK) but too short for a reply (SW1 SW2 SW3 CHK).
    FrameDecoder d(FrameKind::Reply);
    auto out = decodeAll(d, encodeRequest(kFindCard));
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0].status, DecodeStatus::BadLength);
}

TEST(SamProtocol, PreambleInsideACorruptFrameIsFoundAgain) {
    // A frame whose LEN claims more than came, followed by a good frame: the good one decodes after
    // the first fails its checksum.
    const Bytes good = encodeReply(0, 0, 0x80);
    Bytes liar{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x0C, 0x00, 0x00};
    FrameDecoder d(FrameKind::Reply);
    auto out = decodeAll(d, concat({liar, good, Bytes(8, 0)}));
    bool found = false;
    for (const auto& x : out)
        found = found || (x.status == DecodeStatus::Frame && replyOf(x.frame)->sw3 == 0x80);
    EXPECT_TRUE(found);
}

TEST(SamProtocol, StorageHoldsNoFrameBytesAfterTheFrameIsTaken) {
    const Bytes canary{'C', 0, 'A', 0, 'N', 0, 'A', 0, 'R', 0, 'Y', 0};
    FrameDecoder d(FrameKind::Reply);
    auto out = decodeAll(d, encodeReply(0, 0, 0x90, canary));
    ASSERT_EQ(out.size(), 1u);
    const auto s = d.storage();
    EXPECT_EQ(std::search(s.begin(), s.end(), canary.begin(), canary.end()), s.end());
    EXPECT_TRUE(std::all_of(s.begin(), s.end(), [](std::uint8_t b) { return b == 0; }));
}

TEST(SamProtocol, ResetZeroisesAPartialFrame) {
    Bytes frame = encodeReply(0, 0, 0x90, Bytes(64, 0x77));
    frame.resize(frame.size() / 2);
    FrameDecoder d(FrameKind::Reply);
    EXPECT_TRUE(decodeAll(d, frame).empty());
    EXPECT_GT(d.buffered(), 0u);
    d.reset();
    EXPECT_EQ(d.buffered(), 0u);
    EXPECT_TRUE(
        std::all_of(d.storage().begin(), d.storage().end(), [](std::uint8_t b) { return b == 0; }));
}

TEST(SamProtocol, SamIdFormatsAsVendorToolsPrintIt) {
    const Bytes id{0x05, 0x00, 0x01, 0x00, 0xA5, 0x3A, 0x34, 0x01,
                   0x01, 0x00, 0x00, 0x00, 0x15, 0xCD, 0x5B, 0x07};
    EXPECT_EQ(formatSamId(id), "05.01-20200101-0000000001-0123456789");
    EXPECT_FALSE(formatSamId(Bytes(15, 0)));
}

}  // namespace
}  // namespace sentinel::docreader

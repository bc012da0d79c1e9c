// libFuzzer target `samframe` (DESIGN §15): the SAM frame decoder (both directions, fed in chunks)
// and the card text block decoder. Input: byte 0 = chunk size (0: all at once), the rest = the
// bytes on the line; the first 256 of them are also decoded as a text block. Oracles: the decoder
// always makes progress and stays within its bounds; every frame it hands out re-encodes and
// decodes to the same body; a decoded document has the shapes the lookup relies on.
#include <algorithm>
#include <cstdlib>
#include <span>
#include <vector>

#include "drivers/docreader/CardText.h"
#include "drivers/docreader/SamProtocol.h"

namespace {

using namespace sentinel;
using namespace sentinel::docreader;

void checkDocument(const Result<IdentityDocument>& doc) {
    if (!doc) return;
    const auto birth = doc->birthDate.view();
    if (birth.size() != 10 || birth[4] != '-' || birth[7] != '-') std::abort();
    if (doc->number.empty() || doc->name.empty() || doc->nationality.size() != 3) std::abort();
}

void checkFrame(FrameKind kind, const SamFrame& frame) {
    const auto body = frame.body.span();
    if (body.size() + 1 > kMaxLen) std::abort();
    std::vector<std::uint8_t> again;
    if (kind == FrameKind::Reply) {
        const auto r = replyOf(frame);
        if (!r) std::abort();
        again = encodeReply(r->sw1, r->sw2, r->sw3, r->data);
        if (r->sw3 == 0x90) checkDocument(decodeReadData(r->data));
    } else {
        const auto r = requestOf(frame);
        if (!r) std::abort();
        again = encodeRequest(r->command, r->data);
    }
    FrameDecoder d(kind);
    if (d.push(again) != again.size()) std::abort();
    auto x = d.next();
    if (!x || x->status != DecodeStatus::Frame) std::abort();
    const auto b2 = x->frame.body.span();
    if (b2.size() != body.size() || !std::equal(b2.begin(), b2.end(), body.begin())) std::abort();
}

void run(FrameKind kind, std::span<const std::uint8_t> stream, std::size_t chunk) {
    FrameDecoder d(kind);
    while (!stream.empty()) {
        auto piece = stream.first(std::min(chunk, stream.size()));
        stream = stream.subspan(piece.size());
        while (!piece.empty()) {
            const std::size_t taken = d.push(piece);
            if (taken == 0) std::abort();  // no progress: a reader would hang
            piece = piece.subspan(taken);
            while (auto x = d.next()) {
                if (x->status == DecodeStatus::Frame) checkFrame(kind, x->frame);
            }
            if (d.buffered() > kMaxFrameBytes) std::abort();
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::size_t chunk = data[0] == 0 ? size : data[0];
    const std::span<const std::uint8_t> stream(data + 1, size - 1);
    run(FrameKind::Reply, stream, chunk);
    run(FrameKind::Request, stream, chunk);
    if (stream.size() >= kTextBlockBytes)
        checkDocument(decodeTextBlock(stream.first(kTextBlockBytes)));
    return 0;
}

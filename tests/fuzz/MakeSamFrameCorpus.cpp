// Writes the seed corpus of the `samframe` fuzz target (run by hand:
// fuzz_make_samframe_corpus tests/fuzz/corpus/samframe): replies of every kind the SAM protocol
// has, a read reply of each card type from the simulated reader's made-up cards, and the line
// faults the decoder must survive. Byte 0 of each seed is the chunk size (see FuzzSamFrame.cpp).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "drivers/docreader/SamDevice.h"
#include "drivers/docreader/SamScript.h"
#include "drivers/docreader/SamStatus.h"

namespace {

using namespace sentinel::docreader;
using Bytes = std::vector<std::uint8_t>;

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

Bytes readReply(SimCardKind kind) {
    auto card = makeSimCard(kind, {});
    Bytes data{0x01, 0x00, 0x04, 0x00};
    data.insert(data.end(), card->text.begin(), card->text.end());
    data.insert(data.end(), card->photo.begin(), card->photo.end());
    return encodeReply(0, 0, sw3::kSuccess, data);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_make_samframe_corpus DIR\n");
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    auto write = [&](const std::string& name, std::uint8_t chunk, const Bytes& stream) {
        std::ofstream out(dir / name, std::ios::binary);
        out.put(static_cast<char>(chunk));
        out.write(reinterpret_cast<const char*>(stream.data()),
                  static_cast<std::streamsize>(stream.size()));
    };
    const auto id = parseSamId("05.01-20200101-0000000001-0123456789");
    write("find-found", 0, encodeReply(0, 0, sw3::kCardFound, Bytes(4, 0)));
    write("find-none", 0, encodeReply(0, 0, sw3::kNoCard));
    write("select", 0, encodeReply(0, 0, sw3::kSuccess, Bytes(8, 0)));
    write("sam-id", 0, encodeReply(0, 0, sw3::kSuccess, Bytes(id->begin(), id->end())));
    write("requests", 0,
          cat({encodeRequest(kFindCard), encodeRequest(kSelectCard), encodeRequest(kReadText)}));
    write("read-cn-id", 0, readReply(SimCardKind::CnId));
    write("read-permit-j", 7, readReply(SimCardKind::PermitJ));
    write("read-pr-i", 64, readReply(SimCardKind::ForeignI));
    write("one-byte-at-a-time", 1,
          cat({encodeReply(0, 0, sw3::kCardFound, Bytes(4, 0)),
               encodeReply(0, 0, sw3::kReadFailed)}));
    write("garbage-then-read", 0, cat({garbagePattern(37), readReply(SimCardKind::CnId)}));
    Bytes bad = encodeReply(0, 0, sw3::kSuccess, Bytes(8, 1));
    bad.back() ^= 0xFF;
    write("bad-checksum-then-good", 0, cat({bad, encodeReply(0, 0, sw3::kNoCard)}));
    write("bad-length-then-good", 3,
          cat({Bytes{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF},
               encodeReply(0, 0, sw3::kCardFound, Bytes(4, 0))}));
    // Text blocks alone at the start of the stream: the text decoder's own seeds.
    for (auto [name, kind] : {std::pair{"text-cn-id", SimCardKind::CnId},
                              std::pair{"text-permit-j", SimCardKind::PermitJ},
                              std::pair{"text-pr-i", SimCardKind::ForeignI}}) {
        auto card = makeSimCard(kind, {});
        write(name, 0, Bytes(card->text.begin(), card->text.end()));
    }
    Bytes pulled = readReply(SimCardKind::CnId);
    pulled.resize(pulled.size() / 2);
    write("read-cut-short", 0, pulled);
    return 0;
}

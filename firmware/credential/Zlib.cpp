#include "firmware/credential/Zlib.h"

#include <zlib.h>

#include <array>

namespace sentinel::credential {
namespace {

// RFC 1950 §2.2: CMF low nibble 8 = deflate, CINFO ≤ 7 (32 KiB window), FDICT bit 5 of FLG,
// (CMF·256 + FLG) a multiple of 31.
constexpr uint8_t kMethodDeflate = 8;
constexpr uint8_t kMaxWindowInfo = 7;
constexpr uint8_t kPresetDictionaryFlag = 0x20;
constexpr unsigned kHeaderCheckModulus = 31;
constexpr size_t kChunkBytes = 4096;

bool isZlibHeader(std::span<const uint8_t> in) {
    if (in.size() < 2) return false;
    const uint8_t cmf = in[0], flg = in[1];
    if ((cmf & 0x0F) != kMethodDeflate || (cmf >> 4) > kMaxWindowInfo) return false;
    if ((flg & kPresetDictionaryFlag) != 0) return false;
    return ((static_cast<unsigned>(cmf) << 8) | flg) % kHeaderCheckModulus == 0;
}

}  // namespace

Result<std::vector<uint8_t>> inflateZlib(std::span<const uint8_t> input, size_t maxOutputBytes) {
    if (!isZlibHeader(input)) return makeError("zlib: not a zlib stream");
    z_stream zs{};
    if (inflateInit(&zs) != Z_OK) return makeError("zlib: init failed");
    zs.next_in = const_cast<Bytef*>(input.data());
    zs.avail_in = static_cast<uInt>(input.size());
    std::vector<uint8_t> out;
    std::array<uint8_t, kChunkBytes> chunk{};
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        zs.next_out = chunk.data();
        zs.avail_out = static_cast<uInt>(chunk.size());
        rc = inflate(&zs, Z_NO_FLUSH);
        const size_t produced = chunk.size() - zs.avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&zs);
            return makeError(rc == Z_BUF_ERROR ? "zlib: truncated stream" : "zlib: corrupt stream");
        }
        if (out.size() + produced > maxOutputBytes) {
            inflateEnd(&zs);
            return makeError("zlib: output over the cap");
        }
        out.insert(out.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(produced));
        if (rc == Z_OK && produced == 0 && zs.avail_in == 0) {
            inflateEnd(&zs);
            return makeError("zlib: truncated stream");
        }
    }
    const bool trailing = zs.avail_in != 0;
    inflateEnd(&zs);
    if (trailing) return makeError("zlib: bytes after the stream");
    return out;
}

std::vector<uint8_t> deflateZlib(std::span<const uint8_t> input) {
    uLongf size = compressBound(static_cast<uLong>(input.size()));
    std::vector<uint8_t> out(size);
    if (compress2(out.data(), &size, input.data(), static_cast<uLong>(input.size()), Z_BEST_COMPRESSION) != Z_OK) {
        return {};
    }
    out.resize(size);
    return out;
}

}  // namespace sentinel::credential

#include "drivers/audio/Wav.h"

#include <cstring>
#include <fstream>
#include <iterator>

namespace sentinel::audio {
namespace {

std::uint32_t le32(const unsigned char* p) {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 | static_cast<std::uint32_t>(p[2]) << 16 |
           static_cast<std::uint32_t>(p[3]) << 24;
}
std::uint16_t le16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | p[1] << 8); }

void put32(std::string& s, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put16(std::string& s, std::uint16_t v) {
    s.push_back(static_cast<char>(v & 0xFF));
    s.push_back(static_cast<char>(v >> 8));
}

}  // namespace

Result<Pcm16> readWav(const std::filesystem::path& file) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) return Error{"cannot read " + file.string() + ": " + ec.message()};
    if (size > kMaxWavBytes) return Error{file.string() + ": larger than a prompt can be"};
    std::ifstream in(file, std::ios::binary);
    std::vector<unsigned char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (b.size() < 12 || std::memcmp(b.data(), "RIFF", 4) != 0 || std::memcmp(b.data() + 8, "WAVE", 4) != 0) {
        return Error{file.string() + ": not a WAV file"};
    }
    Pcm16 pcm;
    bool haveFormat = false;
    std::size_t at = 12;
    while (at + 8 <= b.size()) {
        const std::uint32_t len = le32(&b[at + 4]);
        const std::size_t body = at + 8;
        const std::size_t avail = b.size() - body;
        const std::size_t n = std::min<std::size_t>(len, avail);  // espeak-ng to a pipe writes len 0x7ffff…
        if (std::memcmp(&b[at], "fmt ", 4) == 0 && n >= 16) {
            if (le16(&b[body]) != 1 || le16(&b[body + 14]) != 16) return Error{file.string() + ": not 16-bit PCM"};
            pcm.channels = le16(&b[body + 2]);
            pcm.rateHz = static_cast<int>(le32(&b[body + 4]));
            haveFormat = true;
        } else if (std::memcmp(&b[at], "data", 4) == 0) {
            if (!haveFormat) return Error{file.string() + ": data before format"};
            pcm.samples.resize(n / 2);
            for (std::size_t i = 0; i < pcm.samples.size(); ++i) {
                pcm.samples[i] = static_cast<std::int16_t>(le16(&b[body + 2 * i]));
            }
            if (pcm.channels <= 0 || pcm.rateHz <= 0) return Error{file.string() + ": bad format"};
            return pcm;
        }
        at = body + n + (n & 1);
    }
    return Error{file.string() + ": no audio data"};
}

Status writeWav(const Pcm16& pcm, const std::filesystem::path& file) {
    std::string s;
    const std::uint32_t dataBytes = static_cast<std::uint32_t>(pcm.samples.size() * 2);
    s += "RIFF";
    put32(s, 36 + dataBytes);
    s += "WAVEfmt ";
    put32(s, 16);
    put16(s, 1);
    put16(s, static_cast<std::uint16_t>(pcm.channels));
    put32(s, static_cast<std::uint32_t>(pcm.rateHz));
    put32(s, static_cast<std::uint32_t>(pcm.rateHz * pcm.channels * 2));
    put16(s, static_cast<std::uint16_t>(pcm.channels * 2));
    put16(s, 16);
    s += "data";
    put32(s, dataBytes);
    for (std::int16_t v : pcm.samples) put16(s, static_cast<std::uint16_t>(v));
    const std::filesystem::path tmp = file.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(s.data(), static_cast<std::streamsize>(s.size()));
        if (!out) return Error{"cannot write " + tmp.string()};
    }
    std::error_code ec;
    std::filesystem::rename(tmp, file, ec);
    if (ec) return Error{"cannot rename " + tmp.string() + ": " + ec.message()};
    return Ok{};
}

}  // namespace sentinel::audio

#pragma once
// Minimal RIFF/WAVE PCM (16-bit little-endian) reading and writing: what espeak-ng writes.

#include <cstdint>
#include <filesystem>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::audio {

struct Pcm16 {
    int rateHz = 0;
    int channels = 0;
    std::vector<std::int16_t> samples;  // interleaved

    double seconds() const {
        return rateHz > 0 && channels > 0 ? static_cast<double>(samples.size()) / (rateHz * channels) : 0.0;
    }
};

// Reads a PCM 16-bit WAV file (any chunk order; unknown chunks skipped). Bounded: files over
// kMaxWavBytes are refused.
Result<Pcm16> readWav(const std::filesystem::path& file);
// Writes `pcm` as a WAV file (whole: a temporary file, then rename).
Status writeWav(const Pcm16& pcm, const std::filesystem::path& file);

inline constexpr std::uintmax_t kMaxWavBytes = 16u << 20;  // a prompt is a few hundred KiB

}  // namespace sentinel::audio

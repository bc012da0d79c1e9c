#include "drivers/audio/WavVoice.h"

#include <cstdio>

namespace sentinel::audio {

WavVoice::WavVoice(std::filesystem::path dir)
    : dir_(std::move(dir)), thread_([this](const PromptRequest& r, const std::function<bool()>&) { write(r); }) {}

void WavVoice::play(const std::vector<std::filesystem::path>& prompts, const std::string& name) {
    thread_.submit({prompts, name});
}

std::string WavVoice::lastError() const {
    std::lock_guard lk(mutex_);
    return lastError_;
}

void WavVoice::write(const PromptRequest& request) {
    Pcm16 joined;
    std::string error;
    for (const auto& p : request.prompts) {
        auto pcm = readWav(p);
        if (!pcm) {
            error = pcm.error().message;
            continue;
        }
        if (joined.rateHz == 0) {
            joined.rateHz = pcm->rateHz;
            joined.channels = pcm->channels;
        }
        if (pcm->rateHz != joined.rateHz || pcm->channels != joined.channels) {
            error = p.string() + ": format differs from the first prompt";
            continue;
        }
        joined.samples.insert(joined.samples.end(), pcm->samples.begin(), pcm->samples.end());
    }
    if (joined.rateHz > 0) {
        std::error_code ec;
        std::filesystem::create_directories(dir_, ec);
        char prefix[16];
        std::snprintf(prefix, sizeof prefix, "%02d-", written_ + 1);
        if (auto s = writeWav(joined, dir_ / (prefix + request.name + ".wav")); s) {
            ++written_;
        } else {
            error = s.error().message;
        }
    }
    std::lock_guard lk(mutex_);
    lastError_ = error;
}

}  // namespace sentinel::audio

#pragma once
// `voice.backend = "wav:DIR"`: writes what it would play as DIR/NN-NAME.wav (the prompts of one
// announcement joined; NN = 01, 02, … in order). For tests, demos and remote support.

#include <map>
#include <mutex>

#include "drivers/audio/PlaybackThread.h"
#include "drivers/audio/Wav.h"
#include "drivers/hal/Voice.h"

namespace sentinel::audio {

class WavVoice final : public hal::Voice {
public:
    explicit WavVoice(std::filesystem::path dir);
    void play(const std::vector<std::filesystem::path>& prompts, const std::string& name) override;
    std::string lastError() const override;
    std::string describe() const override { return "wav:" + dir_.string(); }
    bool waitIdle(std::chrono::milliseconds timeout) override { return thread_.waitIdle(timeout); }

private:
    void write(const PromptRequest& request);

    std::filesystem::path dir_;
    int written_ = 0;  // playback thread only
    mutable std::mutex mutex_;
    std::string lastError_;
    PlaybackThread thread_;  // last
};

}  // namespace sentinel::audio

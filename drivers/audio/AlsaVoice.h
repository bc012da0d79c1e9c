#pragma once
// `voice.backend = "alsa"`: plays prompts through an ALSA PCM (voice.device) from its own thread.
// A new announcement drops the one playing (snd_pcm_drop) within one chunk (20 ms). A missing or
// busy sound card is reported through lastError() and retried on the next announcement; it never
// reaches the kiosk loop.

#include <map>
#include <mutex>

#include "drivers/audio/PlaybackThread.h"
#include "drivers/audio/Wav.h"
#include "drivers/hal/Voice.h"

namespace sentinel::audio {

class AlsaVoice final : public hal::Voice {
public:
    explicit AlsaVoice(std::string device);
    void play(const std::vector<std::filesystem::path>& prompts, const std::string& name) override;
    std::string lastError() const override;
    std::string describe() const override { return "alsa:" + device_; }
    bool waitIdle(std::chrono::milliseconds timeout) override { return thread_.waitIdle(timeout); }
    // Announcements played to the end / cut short (tests, diag).
    int completed() const;
    int cutShort() const;

    // Opens `device` for playback and closes it again: the diag check. Empty = it works.
    static std::string probe(const std::string& device);

private:
    void playRequest(const PromptRequest& request, const std::function<bool()>& superseded);
    void setError(std::string e);

    // The open snd_pcm_t, closed when the voice is destroyed (after the thread: declared before it).
    struct PcmHandle {
        void* pcm = nullptr;
        PcmHandle() = default;
        PcmHandle(const PcmHandle&) = delete;
        PcmHandle& operator=(const PcmHandle&) = delete;
        ~PcmHandle();
        void close();
    };

    std::string device_;
    PcmHandle pcm_;  // playback thread only
    std::map<std::filesystem::path, Pcm16> cache_;  // playback thread only
    mutable std::mutex mutex_;
    std::string lastError_;
    int completed_ = 0, cutShort_ = 0;
    PlaybackThread thread_;  // last: stopped first
};

}  // namespace sentinel::audio

#include "drivers/audio/AlsaVoice.h"

#include <alsa/asoundlib.h>

#include "firmware/base/Log.h"

namespace sentinel::audio {
namespace {

constexpr const char* kLog = "Voice";
// Device buffer latency: short enough that a cut-short prompt stops at once, long enough not to
// underrun on a loaded board.
constexpr unsigned kLatencyUs = 100000;
// Frames written per call: 20 ms, the granularity at which a newer announcement cuts in.
constexpr int kChunksPerSecond = 50;

snd_pcm_t* asPcm(void* p) { return static_cast<snd_pcm_t*>(p); }

}  // namespace

AlsaVoice::AlsaVoice(std::string device)
    : device_(std::move(device)),
      thread_([this](const PromptRequest& r, const std::function<bool()>& superseded) { playRequest(r, superseded); }) {}

AlsaVoice::PcmHandle::~PcmHandle() { close(); }
void AlsaVoice::PcmHandle::close() {
    if (pcm) snd_pcm_close(asPcm(pcm));
    pcm = nullptr;
}

void AlsaVoice::play(const std::vector<std::filesystem::path>& prompts, const std::string& name) {
    thread_.submit({prompts, name});
}

std::string AlsaVoice::lastError() const {
    std::lock_guard lk(mutex_);
    return lastError_;
}
int AlsaVoice::completed() const {
    std::lock_guard lk(mutex_);
    return completed_;
}
int AlsaVoice::cutShort() const {
    std::lock_guard lk(mutex_);
    return cutShort_;
}

void AlsaVoice::setError(std::string e) {
    if (!e.empty()) {
        SLOG(kLog, Warn) << e;
    }
    std::lock_guard lk(mutex_);
    lastError_ = std::move(e);
}

std::string AlsaVoice::probe(const std::string& device) {
    snd_pcm_t* pcm = nullptr;
    const int rc = snd_pcm_open(&pcm, device.c_str(), SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK);
    if (rc < 0) return "cannot open ALSA device '" + device + "': " + snd_strerror(rc);
    snd_pcm_close(pcm);
    return {};
}

void AlsaVoice::playRequest(const PromptRequest& request, const std::function<bool()>& superseded) {
    if (!pcm_.pcm) {
        snd_pcm_t* pcm = nullptr;
        const int rc = snd_pcm_open(&pcm, device_.c_str(), SND_PCM_STREAM_PLAYBACK, 0);
        if (rc < 0) {
            setError("voice: cannot open ALSA device '" + device_ + "': " + snd_strerror(rc));
            return;
        }
        pcm_.pcm = pcm;
    }
    snd_pcm_t* pcm = asPcm(pcm_.pcm);
    std::string error;
    for (const auto& path : request.prompts) {
        auto it = cache_.find(path);
        if (it == cache_.end()) {
            auto loaded = readWav(path);
            if (!loaded) {
                error = loaded.error().message;
                continue;
            }
            it = cache_.emplace(path, std::move(loaded).value()).first;
        }
        const Pcm16& p = it->second;
        int rc = snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED,
                                    static_cast<unsigned>(p.channels), static_cast<unsigned>(p.rateHz), 1, kLatencyUs);
        if (rc < 0) {
            error = "voice: ALSA device '" + device_ + "': " + snd_strerror(rc);
            break;
        }
        const std::size_t chunk = static_cast<std::size_t>(p.rateHz / kChunksPerSecond) * static_cast<std::size_t>(p.channels);
        std::size_t at = 0;
        while (at < p.samples.size()) {
            if (superseded()) {
                snd_pcm_drop(pcm);
                std::lock_guard lk(mutex_);
                ++cutShort_;
                return;
            }
            const std::size_t n = std::min(chunk, p.samples.size() - at);
            snd_pcm_sframes_t w = snd_pcm_writei(pcm, p.samples.data() + at, n / static_cast<std::size_t>(p.channels));
            if (w < 0) w = snd_pcm_recover(pcm, static_cast<int>(w), 1);
            if (w < 0) {
                error = "voice: ALSA device '" + device_ + "' lost: " + snd_strerror(static_cast<int>(w));
                pcm_.close();
                setError(error);
                return;
            }
            at += static_cast<std::size_t>(w) * static_cast<std::size_t>(p.channels);
        }
        snd_pcm_drain(pcm);
    }
    setError(error);
    std::lock_guard lk(mutex_);
    ++completed_;
}

}  // namespace sentinel::audio

#pragma once
// Voice interface (DESIGN §10): plays prompt files (WAV, generated at build time by espeak-ng).
// Backends: ALSA (drivers/audio/AlsaVoice), WAV files (drivers/audio/WavVoice), fakes in tests/.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace sentinel::hal {

class Voice {
public:
    virtual ~Voice() = default;
    // Plays `prompts` one after another, from the backend's own thread: returns at once. A new
    // call cuts the prompt still playing short. `name` names the announcement ("DENY-TEST_TOO_OLD").
    virtual void play(const std::vector<std::filesystem::path>& prompts, const std::string& name) = 0;
    // Waits until every announcement handed over was played (or cut short); false after `timeout`.
    // For orderly exits and tests; never called from the decision thread.
    virtual bool waitIdle(std::chrono::milliseconds timeout) = 0;
    // The last playback problem (no sound card, a bad file), empty when the last prompt played.
    virtual std::string lastError() const = 0;
    virtual std::string describe() const = 0;
};

}  // namespace sentinel::hal

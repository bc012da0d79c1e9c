#pragma once
// The voice backends' own thread: play() hands a request over and returns; a newer request
// supersedes the one playing (the body polls `superseded` and stops early) and any not yet started.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sentinel::audio {

struct PromptRequest {
    std::vector<std::filesystem::path> prompts;
    std::string name;
};

class PlaybackThread {
public:
    using Body = std::function<void(const PromptRequest&, const std::function<bool()>& superseded)>;
    explicit PlaybackThread(Body body);
    ~PlaybackThread();  // stops (the body sees superseded() = true) and joins
    PlaybackThread(const PlaybackThread&) = delete;
    PlaybackThread& operator=(const PlaybackThread&) = delete;

    void submit(PromptRequest request);
    // Waits until every request submitted so far was played or superseded; false after `timeout`.
    bool waitIdle(std::chrono::milliseconds timeout);

private:
    void loop(std::stop_token stop);

    Body body_;
    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::optional<PromptRequest> next_;
    std::uint64_t submitted_ = 0, finished_ = 0;
    std::jthread thread_;  // last: started after everything it uses
};

}  // namespace sentinel::audio

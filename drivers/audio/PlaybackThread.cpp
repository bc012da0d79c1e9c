#include "drivers/audio/PlaybackThread.h"

#include <atomic>

namespace sentinel::audio {

PlaybackThread::PlaybackThread(Body body) : body_(std::move(body)) {
    thread_ = std::jthread([this](std::stop_token st) { loop(st); });
}

PlaybackThread::~PlaybackThread() {
    thread_.request_stop();
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void PlaybackThread::submit(PromptRequest request) {
    {
        std::lock_guard lk(mutex_);
        next_ = std::move(request);
        ++submitted_;
    }
    wake_.notify_all();
}

bool PlaybackThread::waitIdle(std::chrono::milliseconds timeout) {
    std::unique_lock lk(mutex_);
    return wake_.wait_for(lk, timeout, [&] { return finished_ >= submitted_; });
}

void PlaybackThread::loop(std::stop_token stop) {
    while (!stop.stop_requested()) {
        PromptRequest request;
        std::uint64_t generation = 0;
        {
            std::unique_lock lk(mutex_);
            wake_.wait(lk, stop, [&] { return next_.has_value(); });
            if (stop.stop_requested()) break;
            request = std::move(*next_);
            next_.reset();
            generation = submitted_;
        }
        const auto superseded = [&] {
            if (stop.stop_requested()) return true;
            std::lock_guard lk(mutex_);
            return submitted_ != generation;
        };
        body_(request, superseded);
        {
            std::lock_guard lk(mutex_);
            // Everything up to this request is done; a newer one (if any) is still to play.
            if (finished_ < generation) finished_ = generation;
            if (!next_) finished_ = submitted_;
        }
        wake_.notify_all();
    }
    std::lock_guard lk(mutex_);
    finished_ = submitted_;
    wake_.notify_all();
}

}  // namespace sentinel::audio

#pragma once
// Test transports for the uploader: a scripted fake (unit tests) and a decorator that loses
// responses after the server has acted on the request (the "ack lost" case of at-least-once).

#include <deque>
#include <mutex>
#include <vector>

#include "drivers/hal/HttpTransport.h"

namespace sentinel::fleet::testing {

class ScriptedTransport final : public hal::HttpTransport {
public:
    // Responses handed out in order; when the script is empty every request gets `fallback`.
    void push(hal::HttpResponse r) { script_.push_back(std::move(r)); }
    void setFallback(hal::HttpResponse r) { fallback_ = std::move(r); }
    hal::HttpResponse post(const hal::HttpRequest& request, MonoTime) override {
        requests.push_back(request);
        if (script_.empty()) return fallback_;
        auto r = script_.front();
        script_.pop_front();
        return r;
    }
    static hal::HttpResponse status(long code) {
        hal::HttpResponse r;
        r.outcome = hal::HttpOutcome::Response;
        r.status = code;
        return r;
    }
    static hal::HttpResponse outcome(hal::HttpOutcome o) {
        hal::HttpResponse r;
        r.outcome = o;
        r.detail = "scripted";
        return r;
    }

    std::vector<hal::HttpRequest> requests;

private:
    std::deque<hal::HttpResponse> script_;
    hal::HttpResponse fallback_ = status(200);
};

class LosingTransport final : public hal::HttpTransport {
public:
    explicit LosingTransport(hal::HttpTransport& inner) : inner_(inner) {}
    void loseNextResponses(int n) {
        std::lock_guard lock(mutex_);
        toLose_ = n;
    }
    hal::HttpResponse post(const hal::HttpRequest& request, MonoTime deadline) override {
        hal::HttpResponse r = inner_.post(request, deadline);
        std::lock_guard lock(mutex_);
        if (toLose_ > 0 && r.outcome == hal::HttpOutcome::Response) {
            --toLose_;
            return ScriptedTransport::outcome(hal::HttpOutcome::Timeout);
        }
        return r;
    }

private:
    hal::HttpTransport& inner_;
    std::mutex mutex_;
    int toLose_ = 0;
};

}  // namespace sentinel::fleet::testing

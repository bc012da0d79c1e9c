#include "drivers/indicator/StaffButton.h"

#include <algorithm>

#include "firmware/base/Log.h"

namespace sentinel::indicator {

void ButtonDebouncer::edge(const InputEdge& e) {
    level_ = e.active;
    lastEdge_ = e.at;
    pending_ = true;
}

std::optional<MonoTime> ButtonDebouncer::due() const {
    if (!pending_) return std::nullopt;
    return lastEdge_ + stable_;
}

bool ButtonDebouncer::settle(MonoTime now) {
    if (!pending_ || now - lastEdge_ < stable_) return false;
    pending_ = false;
    if (level_ == settled_) return false;
    settled_ = level_;
    return settled_;
}

StaffButton::StaffButton(std::unique_ptr<InputLine> line, std::function<void()> onPress, std::chrono::milliseconds stable)
    : line_(std::move(line)), onPress_(std::move(onPress)), debouncer_(stable) {
    thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
}

StaffButton::~StaffButton() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
}

void StaffButton::loop(std::stop_token stop) {
    auto pressed = [this] {
        SLOG("StaffButton", Info) << "staff button pressed";
        if (onPress_) onPress_();
    };
    while (!stop.stop_requested()) {
        auto wait = kPollInterval;
        if (auto due = debouncer_.due()) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(*due - std::chrono::steady_clock::now());
            wait = std::clamp(left, std::chrono::milliseconds{0}, kPollInterval);
        }
        auto e = line_->waitEdge(wait);
        if (e) {
            // What the line did before this edge settles first, by event times (the kernel's
            // stamps), not by when we read them; more queued edges are read before the clock counts.
            if (debouncer_.settle(e->at)) pressed();
            debouncer_.edge(*e);
            continue;
        }
        if (debouncer_.settle(std::chrono::steady_clock::now())) pressed();
    }
}

}  // namespace sentinel::indicator

#include "drivers/indicator/GpioIndicator.h"

#include "firmware/base/Log.h"

namespace sentinel::indicator {
namespace {
constexpr const char* kLog = "Indicator";
}

GpioIndicator::GpioIndicator(std::unique_ptr<GpioLines> lines, GpioOptions options)
    : lines_(std::move(lines)), options_(options) {
    lines_->set(Line::Relay, false);  // gate shut before anything else
    for (Line l : {Line::Green, Line::Red, Line::Amber, Line::Buzzer}) lines_->set(l, false);
    timer_ = std::thread([this] { timerLoop(); });
}

GpioIndicator::~GpioIndicator() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    if (timer_.joinable()) timer_.join();
    lines_->set(Line::Relay, false);
    for (Line l : {Line::Green, Line::Red, Line::Amber, Line::Buzzer}) lines_->set(l, false);
}

void GpioIndicator::show(const hal::Indication& ind) {
    std::lock_guard lock(mutex_);
    const auto now = Steady::now();
    const bool pass = ind.decision == Decision::Pass && !ind.testCard;
    // The relay never opens for anything but a clear PASS; shut it first on any other decision.
    if (!pass) {
        lines_->set(Line::Relay, false);
        relayOffAt_ = {};
    }
    lines_->set(Line::Green, pass || ind.testCard);
    lines_->set(Line::Red, ind.decision == Decision::Deny);
    lines_->set(Line::Amber, ind.decision == Decision::Refer || alarmOn_);
    lampsOffAt_ = now + options_.lampHold;
    if (pass) {
        lines_->set(Line::Relay, true);
        // The pulse is timed from the write that opened the relay, not from the start of show():
        // the lamp writes before it must not shorten the time the gate stays open.
        relayOffAt_ = Steady::now() + options_.relayPulse;
    }
    if (ind.decision != Decision::Pass) {
        lines_->set(Line::Buzzer, true);
        buzzerOffAt_ = Steady::now() + options_.buzz;
    }
    cv_.notify_all();
}

void GpioIndicator::shut() {
    std::lock_guard lock(mutex_);
    lines_->set(Line::Relay, false);
    relayOffAt_ = {};
    for (Line l : {Line::Green, Line::Red, Line::Buzzer}) lines_->set(l, false);
    lines_->set(Line::Amber, alarmOn_);
}

void GpioIndicator::alarm(std::string_view message) {
    std::lock_guard lock(mutex_);
    alarmOn_ = true;
    lines_->set(Line::Amber, true);
    SLOG(kLog, Warn) << "alarm: " << message;
}

void GpioIndicator::timerLoop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
        const auto now = Steady::now();
        if (relayOffAt_ != Steady::time_point{} && now >= relayOffAt_) {
            lines_->set(Line::Relay, false);
            relayOffAt_ = {};
        }
        if (buzzerOffAt_ != Steady::time_point{} && now >= buzzerOffAt_) {
            lines_->set(Line::Buzzer, false);
            buzzerOffAt_ = {};
        }
        if (lampsOffAt_ != Steady::time_point{} && now >= lampsOffAt_) {
            lines_->set(Line::Green, false);
            lines_->set(Line::Red, false);
            lines_->set(Line::Amber, alarmOn_);
            lampsOffAt_ = {};
        }
        Steady::time_point next = Steady::time_point::max();
        for (auto t : {relayOffAt_, buzzerOffAt_, lampsOffAt_}) {
            if (t != Steady::time_point{} && t < next) next = t;
        }
        if (next == Steady::time_point::max()) {
            cv_.wait(lock);
        } else {
            cv_.wait_until(lock, next);
        }
    }
}

}  // namespace sentinel::indicator

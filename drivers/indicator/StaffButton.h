#pragma once
// The staff button (DESIGN §11, `staff.button_line`): a GPIO input on the indicator's chip, read
// through edge events, debounced, reported as "pressed" from its own thread. The line access
// (`InputLine`) is separate from the logic (`ButtonDebouncer`, pure; `StaffButton`, the thread),
// so both are tested against fakes; backends: libgpiod, and the simulated chip (`sim:FILE`: a FIFO
// next to the line log that a test or a technician writes to).

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::indicator {

// One level change of an input, in logical levels (true = pressed), stamped on CLOCK_MONOTONIC.
struct InputEdge {
    MonoTime at;
    bool active = false;
};

class InputLine {
public:
    virtual ~InputLine() = default;
    // Waits at most `timeout` for the next edge; nullopt when none came.
    virtual std::optional<InputEdge> waitEdge(std::chrono::milliseconds timeout) = 0;
};

// libgpiod: line `offset` of `chip` requested as input with both-edge events (`activeLow`: a
// button that pulls the line to ground reads as pressed).
Result<std::unique_ptr<InputLine>> openGpiodInput(const std::string& chip, int offset, bool activeLow);

// The simulated chip's input: a FIFO at `fifo` (created if missing). Each line written to it is an
// event: `1` (pressed now), `0` (released now), or `press` (a clean press: held kSimPressHold, then
// released; several presses follow one another, each kSimPressHold after the last release). Other
// lines are ignored. Edges are delivered when they are due.
Result<std::unique_ptr<InputLine>> openSimInput(const std::filesystem::path& fifo);
// A simulated `press` holds the button this long: longer than any debounce that makes sense.
inline constexpr std::chrono::milliseconds kSimPressHold{200};

// Debounce by stability: a level counts once the line has stayed at it for `stable`; a press is
// the change from released to pressed. Contacts bounce for a few ms; glitches shorter than
// `stable` are ignored. Pure: the caller passes the times.
class ButtonDebouncer {
public:
    explicit ButtonDebouncer(std::chrono::milliseconds stable) : stable_(stable) {}
    // A raw edge, in time order.
    void edge(const InputEdge& e);
    // When settle() should next be called; nullopt when nothing is pending.
    std::optional<MonoTime> due() const;
    // Returns true when, by `now`, the line has settled pressed after being released (one press).
    bool settle(MonoTime now);

private:
    std::chrono::milliseconds stable_;
    bool level_ = false;    // last raw level
    bool settled_ = false;  // last stable level
    MonoTime lastEdge_{};
    bool pending_ = false;
};

// Staff.button_line debounce: 30 ms outlasts contact bounce of ordinary push buttons (typically
// under 10 ms) and is far below a deliberate press (~100 ms or more).
inline constexpr std::chrono::milliseconds kButtonDebounce{30};

class StaffButton {
public:
    // Starts the thread; `onPress` is called from it once per debounced press and must return at
    // once (the kiosk queues an override request).
    StaffButton(std::unique_ptr<InputLine> line, std::function<void()> onPress,
                std::chrono::milliseconds stable = kButtonDebounce);
    ~StaffButton();  // stops and joins the thread (within one poll interval)
    StaffButton(const StaffButton&) = delete;
    StaffButton& operator=(const StaffButton&) = delete;

    // The thread checks for a stop at least this often.
    static constexpr std::chrono::milliseconds kPollInterval{100};

private:
    void loop(std::stop_token stop);

    std::unique_ptr<InputLine> line_;
    std::function<void()> onPress_;
    ButtonDebouncer debouncer_;
    std::jthread thread_;
};

}  // namespace sentinel::indicator

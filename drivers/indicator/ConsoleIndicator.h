#pragma once
// Console indicator: one clear line per decision, coloured on a terminal, with the reason in
// Chinese and English. Used by `demo`, by bench set-ups and alongside GPIO for the service log.

#include <mutex>
#include <ostream>

#include "drivers/hal/Indicator.h"

namespace sentinel::indicator {

class ConsoleIndicator final : public hal::Indicator {
public:
    ConsoleIndicator(std::ostream& out, bool colour);
    void show(const hal::Indication& indication) override;
    void shut() override;
    void alarm(std::string_view message) override;

    // The line show() prints, without colour codes (also used by tests). It names no holder.
    static std::string formatLine(const hal::Indication& indication);

private:
    std::ostream& out_;
    bool colour_;
    std::mutex mutex_;
};

}  // namespace sentinel::indicator

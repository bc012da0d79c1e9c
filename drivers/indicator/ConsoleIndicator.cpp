#include "drivers/indicator/ConsoleIndicator.h"

#include <cstdio>
#include <sstream>

namespace sentinel::indicator {
namespace {

const char* colourOf(Decision d, bool testCard) {
    if (testCard) return "\x1b[1;36m";  // cyan: test card
    switch (d) {
        case Decision::Pass: return "\x1b[1;32m";
        case Decision::Deny: return "\x1b[1;31m";
        case Decision::Refer: return "\x1b[1;33m";
    }
    return "";
}

constexpr const char* kReset = "\x1b[0m";

}  // namespace

ConsoleIndicator::ConsoleIndicator(std::ostream& out, bool colour) : out_(out), colour_(colour) {}

std::string ConsoleIndicator::formatLine(const hal::Indication& ind) {
    std::ostringstream os;
    std::string label = ind.testCard ? "TEST CARD" : std::string(toString(ind.decision));
    char pad[16];
    std::snprintf(pad, sizeof pad, "%-9s", label.c_str());
    os << pad << ' ' << toString(ind.reason) << "  " << reasonTextZh(ind.reason) << " / " << reasonTextEn(ind.reason);
    if (!ind.format.empty()) os << "  [" << ind.format << "]";
    // No holder, not even masked: this line is the service log's (stdout goes to the journal under
    // systemd), and only the traveller's screen may show the masked holder (DESIGN §10, §15).
    if (!ind.detail.empty()) os << "  — " << ind.detail;
    if (ind.latencyMs) {
        char ms[32];
        std::snprintf(ms, sizeof ms, "  %.1f ms", *ind.latencyMs);
        os << ms;
    }
    return os.str();
}

void ConsoleIndicator::show(const hal::Indication& ind) {
    std::lock_guard lock(mutex_);
    if (colour_) {
        out_ << colourOf(ind.decision, ind.testCard) << formatLine(ind) << kReset << '\n';
    } else {
        out_ << formatLine(ind) << '\n';
    }
    out_.flush();
}

void ConsoleIndicator::shut() {}

void ConsoleIndicator::alarm(std::string_view message) {
    std::lock_guard lock(mutex_);
    out_ << (colour_ ? "\x1b[1;33m" : "") << "ALARM     " << message << (colour_ ? kReset : "") << '\n';
    out_.flush();
}

}  // namespace sentinel::indicator

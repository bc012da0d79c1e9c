#pragma once
// Per-category logging (libcamera style). Levels come from SENTINEL_LOG_LEVELS, e.g.
// `SENTINEL_LOG_LEVELS=Decode:Debug,Net:Warn,*:Info`, or from configuration. Output goes to
// stderr (journald picks it up under systemd). Never log personal data or raw payloads.

#include <sstream>
#include <string>
#include <string_view>

namespace sentinel::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3, Off = 4 };

// Parses "Cat:Level,Cat2:Level" ("*" = every category); unknown levels are ignored.
void configure(std::string_view spec);
bool enabled(std::string_view category, Level level);
void write(std::string_view category, Level level, std::string_view message);

class Line {
public:
    Line(std::string_view category, Level level) : category_(category), level_(level) {}
    ~Line() { write(category_, level_, stream_.str()); }
    template <class T>
    Line& operator<<(const T& v) {
        stream_ << v;
        return *this;
    }

private:
    std::string_view category_;
    Level level_;
    std::ostringstream stream_;
};

}  // namespace sentinel::log

#define SLOG(category, level)                                                                   \
    if (!::sentinel::log::enabled(category, ::sentinel::log::Level::level)) {                   \
    } else                                                                                      \
        ::sentinel::log::Line(category, ::sentinel::log::Level::level)

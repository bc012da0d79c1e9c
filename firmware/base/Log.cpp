#include "firmware/base/Log.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>

namespace sentinel::log {
namespace {

struct State {
    std::mutex mutex;
    std::map<std::string, Level, std::less<>> levels;
    Level fallback = Level::Warn;
    bool initialised = false;
};

State& state() {
    static State s;
    return s;
}

std::optional<Level> parseLevel(std::string_view s) {
    if (s == "Debug" || s == "debug") return Level::Debug;
    if (s == "Info" || s == "info") return Level::Info;
    if (s == "Warn" || s == "warn" || s == "Warning") return Level::Warn;
    if (s == "Error" || s == "error") return Level::Error;
    if (s == "Off" || s == "off") return Level::Off;
    return std::nullopt;
}

void configureLocked(State& st, std::string_view spec) {
    while (!spec.empty()) {
        auto comma = spec.find(',');
        auto item = spec.substr(0, comma);
        spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
        auto colon = item.find(':');
        if (colon == std::string_view::npos) continue;
        auto level = parseLevel(item.substr(colon + 1));
        if (!level) continue;
        auto cat = item.substr(0, colon);
        if (cat == "*") {
            st.fallback = *level;
        } else {
            st.levels[std::string(cat)] = *level;
        }
    }
}

void initLocked(State& st) {
    if (st.initialised) return;
    st.initialised = true;
    if (const char* env = std::getenv("SENTINEL_LOG_LEVELS")) configureLocked(st, env);
}

const char* name(Level l) {
    switch (l) {
        case Level::Debug: return "DEBUG";
        case Level::Info: return "INFO";
        case Level::Warn: return "WARN";
        case Level::Error: return "ERROR";
        case Level::Off: return "OFF";
    }
    return "?";
}

}  // namespace

void configure(std::string_view spec) {
    auto& st = state();
    std::lock_guard lock(st.mutex);
    initLocked(st);
    configureLocked(st, spec);
    // The environment wins over configuration so a technician can turn up one category.
    if (const char* env = std::getenv("SENTINEL_LOG_LEVELS")) configureLocked(st, env);
}

bool enabled(std::string_view category, Level level) {
    auto& st = state();
    std::lock_guard lock(st.mutex);
    initLocked(st);
    auto it = st.levels.find(category);
    Level threshold = it != st.levels.end() ? it->second : st.fallback;
    return level >= threshold && level != Level::Off;
}

// sd-daemon(3) priority prefixes, so journald files each line under its level.
int syslogPriority(Level l) {
    switch (l) {
        case Level::Debug: return 7;
        case Level::Info: return 6;
        case Level::Warn: return 4;
        case Level::Error: return 3;
        case Level::Off: return 6;
    }
    return 6;
}

void write(std::string_view category, Level level, std::string_view message) {
    // Under systemd, stderr is a journal stream (JOURNAL_STREAM is set): use the priority prefix.
    static const bool toJournal = std::getenv("JOURNAL_STREAM") != nullptr;
    if (toJournal) {
        std::fprintf(stderr, "<%d>%.*s: %.*s\n", syslogPriority(level), static_cast<int>(category.size()), category.data(),
                     static_cast<int>(message.size()), message.data());
        return;
    }
    std::fprintf(stderr, "[%s] %.*s: %.*s\n", name(level), static_cast<int>(category.size()), category.data(),
                 static_cast<int>(message.size()), message.data());
}

}  // namespace sentinel::log

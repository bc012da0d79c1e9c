#include "firmware/base/Time.h"

#include <cstdio>

namespace sentinel {
namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
        char c = s[pos + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

bool isLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int y, int m) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

}  // namespace

std::optional<UtcTime> parseRfc3339(std::string_view s) {
    int year = 0, month = 0, day = 0;
    if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
        !digits(s, 8, 2, day))
        return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return std::nullopt;
    int hour = 0, minute = 0, second = 0;
    long long millis = 0;
    size_t pos = 10;
    if (pos < s.size()) {
        char sep = s[pos];
        if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
        if (!digits(s, 11, 2, hour) || s.size() < 16 || s[13] != ':' || !digits(s, 14, 2, minute)) return std::nullopt;
        pos = 16;
        if (pos < s.size() && s[pos] == ':') {
            if (!digits(s, 17, 2, second)) return std::nullopt;
            pos = 19;
            if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
                ++pos;
                size_t start = pos;
                int scale = 100;
                while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                    millis += (s[pos] - '0') * scale;
                    scale /= 10;
                    ++pos;
                }
                if (pos == start) return std::nullopt;
            }
        }
        if (hour > 23 || minute > 59 || second > 60) return std::nullopt;  // 60: leap second
        int offsetMin = 0;
        if (pos < s.size()) {
            char z = s[pos];
            if ((z == 'Z' || z == 'z') && pos + 1 == s.size()) {
                pos = s.size();
            } else if (z == '+' || z == '-') {
                int oh = 0, om = 0;
                if (!digits(s, pos + 1, 2, oh)) return std::nullopt;
                size_t rest = s.size() - (pos + 3);
                if (rest == 0) {
                } else if (rest == 3 && s[pos + 3] == ':' && digits(s, pos + 4, 2, om)) {
                } else if (rest == 2 && digits(s, pos + 3, 2, om)) {
                } else {
                    return std::nullopt;
                }
                if (oh > 23 || om > 59) return std::nullopt;
                offsetMin = (oh * 60 + om) * (z == '-' ? -1 : 1);
            } else {
                return std::nullopt;
            }
        }
        using namespace std::chrono;
        sys_days d = year_month_day{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                    std::chrono::day{static_cast<unsigned>(day)}};
        auto t = time_point_cast<milliseconds>(d) + hours{hour} + minutes{minute} + seconds{second} +
                 milliseconds{millis} - minutes{offsetMin};
        return t;
    }
    using namespace std::chrono;
    sys_days d = year_month_day{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                std::chrono::day{static_cast<unsigned>(day)}};
    return time_point_cast<milliseconds>(d);
}

std::string formatRfc3339(UtcTime t) {
    using namespace std::chrono;
    auto dp = floor<days>(t);
    year_month_day ymd{dp};
    hh_mm_ss hms{t - dp};
    char buf[40];
    long long ms = hms.subseconds().count();
    if (ms != 0) {
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                      static_cast<long long>(hms.hours().count()), static_cast<long long>(hms.minutes().count()),
                      static_cast<long long>(hms.seconds().count()), ms);
    } else {
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                      static_cast<long long>(hms.hours().count()), static_cast<long long>(hms.minutes().count()),
                      static_cast<long long>(hms.seconds().count()));
    }
    return buf;
}

}  // namespace sentinel

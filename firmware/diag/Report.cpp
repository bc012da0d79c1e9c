#include "firmware/diag/Report.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

namespace sentinel::diag {
namespace {

double roundTenth(double ms) { return std::round(ms * 10.0) / 10.0; }

std::string pad(std::string s, std::size_t width) {
    if (s.size() < width) s.resize(width, ' ');
    return s;
}

}  // namespace

std::string renderJson(const std::vector<CheckResult>& results) {
    // ordered_json: keys in the order of DESIGN §7 ("check","status","detail", then "remedy","ms").
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& r : results) {
        arr.push_back({{"check", r.check},
                       {"status", std::string(toString(r.status))},
                       {"detail", r.detail},
                       {"remedy", r.remedy},
                       {"ms", roundTenth(r.ms)}});
    }
    // Replace invalid UTF-8 rather than throwing: details may quote device strings.
    return arr.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string renderTable(const std::vector<CheckResult>& results) {
    std::size_t nameWidth = 5;
    for (const auto& r : results) nameWidth = std::max(nameWidth, r.check.size());
    nameWidth += 2;
    std::ostringstream os;
    os << pad("CHECK", nameWidth) << pad("STATUS", 8) << pad("MS", 9) << "DETAIL\n";
    int ok = 0, warn = 0, fail = 0;
    for (const auto& r : results) {
        char ms[32];
        std::snprintf(ms, sizeof ms, "%.1f", r.ms);
        std::string status(toString(r.status));
        if (r.status == Status::Fail) status = "FAIL";
        os << pad(r.check, nameWidth) << pad(status, 8) << pad(ms, 9) << r.detail << '\n';
        if (!r.remedy.empty()) os << pad("", nameWidth + 17) << "→ " << r.remedy << '\n';
        (r.status == Status::Ok ? ok : r.status == Status::Warn ? warn : fail)++;
    }
    os << '\n' << results.size() << " checks: " << ok << " ok, " << warn << " warn, " << fail << " fail\n";
    return os.str();
}

}  // namespace sentinel::diag

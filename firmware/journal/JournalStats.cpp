#include "firmware/journal/JournalStats.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "firmware/journal/Schema.h"
#include "firmware/journal/Sqlite.h"

namespace sentinel::journal {
namespace {

double roundMs(double v) { return std::round(v * 100.0) / 100.0; }  // 10 µs, as in the decision record

std::string fixed(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

}  // namespace

std::uint64_t staffOverrides(const JournalStats& s) {
    auto it = s.reasons.find("STAFF_OVERRIDE");
    return it == s.reasons.end() ? 0 : it->second;
}

nlohmann::json toJson(const JournalStats& s) {
    nlohmann::json j;
    j["decisions"] = nlohmann::json::object();
    for (const auto& [k, v] : s.decisions) j["decisions"][k] = v;
    j["reasons"] = nlohmann::json::object();
    for (const auto& [k, v] : s.reasons) j["reasons"][k] = v;
    if (s.latency) {
        j["latency_ms"] = {{"p50", roundMs(s.latency->p50Ms)},
                           {"p95", roundMs(s.latency->p95Ms)},
                           {"p99", roundMs(s.latency->p99Ms)},
                           {"max", roundMs(s.latency->maxMs)},
                           {"samples", s.latency->samples}};
    } else {
        j["latency_ms"] = nullptr;
    }
    j["decode_failures"] = s.decodeFailures;
    j["staff_overrides"] = staffOverrides(s);
    j["test_cards"] = s.testCards;
    j["records"] = s.records;
    j["since"] = s.since ? nlohmann::json(formatRfc3339(*s.since)) : nlohmann::json(nullptr);
    j["first_seq"] = s.firstSeq ? nlohmann::json(*s.firstSeq) : nlohmann::json(nullptr);
    j["last_seq"] = s.lastSeq ? nlohmann::json(*s.lastSeq) : nlohmann::json(nullptr);
    return j;
}

std::string renderStatsTable(const JournalStats& s) {
    std::ostringstream out;
    auto row = [&](const std::string& label, const std::string& value) {
        out << "  " << label;
        for (std::size_t i = label.size(); i < 26; ++i) out << ' ';
        out << value << '\n';
    };
    out << "Decisions";
    if (s.since) out << " since " << formatRfc3339(*s.since);
    if (s.oldest && s.newest) out << " (" << formatRfc3339(*s.oldest) << " … " << formatRfc3339(*s.newest) << ")";
    out << '\n';
    for (const char* d : {"PASS", "DENY", "REFER"}) {
        auto it = s.decisions.find(d);
        row(d, std::to_string(it == s.decisions.end() ? 0 : it->second));
    }
    row("total", std::to_string(s.records));
    out << "Reasons\n";
    if (s.reasons.empty()) row("(none)", "");
    for (const auto& [reason, n] : s.reasons) row(reason, std::to_string(n));
    out << "Latency (total, ms)\n";
    if (s.latency) {
        row("p50", fixed(s.latency->p50Ms));
        row("p95", fixed(s.latency->p95Ms));
        row("p99", fixed(s.latency->p99Ms));
        row("max", fixed(s.latency->maxMs));
        row("samples", std::to_string(s.latency->samples));
    } else {
        row("(no samples)", "");
    }
    out << "Decode failures\n";
    row("frames not read", std::to_string(s.decodeFailures));
    out << "Staff overrides\n";
    row("gate opened by staff", std::to_string(staffOverrides(s)));
    out << "Test cards (diagnostics mode; not decisions)\n";
    row("test cards read", std::to_string(s.testCards));
    return out.str();
}

Result<JournalStats> readJournalStats(const std::filesystem::path& path, std::optional<UtcTime> since) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return makeError("no journal at " + path.string());
    auto db = detail::Connection::open(path, SQLITE_OPEN_READONLY);
    if (!db) return db.error();
    sqlite3_busy_timeout(db->get(), detail::kBusyTimeoutMs);
    auto stats = detail::computeStats(*db, since);
    if (!stats) return makeError("journal " + path.string() + ": " + stats.error().message);
    return stats;
}

}  // namespace sentinel::journal

namespace sentinel::journal {

Result<std::uint64_t> readUploadBacklog(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return makeError("no journal at " + path.string());
    auto db = detail::Connection::open(path, SQLITE_OPEN_READONLY);
    if (!db) return db.error();
    sqlite3_busy_timeout(db->get(), detail::kBusyTimeoutMs);
    auto n = db->queryInt(
        "SELECT count(*) FROM decisions WHERE seq > coalesce((SELECT acked_through FROM upload_state WHERE id = 1), 0)");
    if (!n) return makeError("journal " + path.string() + ": " + n.error().message);
    return static_cast<std::uint64_t>(*n);
}

}  // namespace sentinel::journal

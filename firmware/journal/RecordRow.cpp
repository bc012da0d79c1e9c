#include "firmware/journal/RecordRow.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace sentinel::journal::detail {
namespace {

// Column indexes into RecordRow (kRecordColumns order).
enum Col : std::size_t {
    kUtcMs, kMonoMs, kBootId, kKioskId, kFormat, kDecision, kReason, kTestType, kTestAge, kTestResult, kCode,
    kStages, kDecodeMs, kVerifyMs, kBackendMs, kTotalMs, kSubject, kOverrides, kStaff, kRoute, kRiskLevel,
    kRiskList, kPolicyVersion, kRevocation, kBinding
};

// The JSON line prints latencies and the test age rounded to 0.01 (DecisionRecord.cpp); they are
// stored so. Beyond this magnitude x * 100 loses integer precision and the rounding is no longer
// idempotent; no latency or age comes near it (1e12 ms is 31 years).
constexpr double kMaxStoredMagnitude = 1e12;
constexpr double kHundredths = 100.0;

// `+ 0.0` turns -0.0 into 0.0: SQLite may keep an integral REAL as an integer, and reads -0.0 back as 0.0.
double round2(double x) { return std::round(x * kHundredths) / kHundredths + 0.0; }

bool isUtf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const int len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (len == 0 || i + static_cast<std::size_t>(len) > s.size()) return false;
        std::uint32_t cp = len == 1 ? c : c & (0x7f >> len);
        for (int k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += static_cast<std::size_t>(len);
    }
    return true;
}

std::optional<double> canonicalMs(const std::optional<double>& v) {
    if (!v || !std::isfinite(*v)) return std::nullopt;
    return round2(std::clamp(*v, -kMaxStoredMagnitude, kMaxStoredMagnitude));
}

double canonicalAge(double v) {
    if (!std::isfinite(v)) return 0.0;
    return round2(std::clamp(v, -kMaxStoredMagnitude, kMaxStoredMagnitude));
}

char stageChar(const std::optional<bool>& s) { return s ? (*s ? 'T' : 'F') : '-'; }

std::string encodeStages(const Stages& s) {
    return {stageChar(s.prefix), stageChar(s.base45),    stageChar(s.inflate), stageChar(s.cbor),
            stageChar(s.signature), stageChar(s.keyUsage), stageChar(s.expiry), stageChar(s.policy)};
}

// Stage flags stored as 8 characters, DESIGN §3 order: 'T' passed, 'F' failed, '-' not reached.
std::optional<bool> stageFrom(char c) {
    if (c == 'T') return true;
    if (c == 'F') return false;
    return std::nullopt;
}

Stages parseStages(const std::string& s) {
    auto at = [&](std::size_t i) { return i < s.size() ? stageFrom(s[i]) : std::nullopt; };
    Stages st;
    st.prefix = at(0);
    st.base45 = at(1);
    st.inflate = at(2);
    st.cbor = at(3);
    st.signature = at(4);
    st.keyUsage = at(5);
    st.expiry = at(6);
    st.policy = at(7);
    return st;
}

TestType testTypeFrom(const std::string& s) {
    if (s == "NAAT") return TestType::Naat;
    if (s == "RAT") return TestType::Rat;
    return TestType::Other;
}

SqlValue text(std::string s) { return SqlValue{std::move(s)}; }
SqlValue optText(const std::optional<std::string>& s) { return s ? SqlValue{*s} : SqlValue{}; }
SqlValue textOrNull(const std::string& s) { return s.empty() ? SqlValue{} : SqlValue{s}; }
SqlValue optReal(const std::optional<double>& v) { return v ? SqlValue{*v} : SqlValue{}; }

// Lenient readers: any storage class gives something, as sqlite3_column_* would.
std::optional<std::string> asText(const SqlValue& v) {
    if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    if (const auto* b = std::get_if<Blob>(&v)) return b->bytes;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, std::get<double>(v));
    return std::string(buf, ec == std::errc{} ? p : buf);
}

std::optional<double> asReal(const SqlValue& v) {
    if (const auto* d = std::get_if<double>(&v)) return *d;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
    auto t = asText(v);
    double d = 0.0;
    std::from_chars(t->data(), t->data() + t->size(), d);
    return d;
}

std::int64_t asInt(const SqlValue& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
    if (const auto* d = std::get_if<double>(&v)) {
        return std::isfinite(*d) && std::fabs(*d) < 9.2e18 ? static_cast<std::int64_t>(*d) : 0;
    }
    if (std::holds_alternative<std::monostate>(v)) return 0;
    auto t = asText(v);
    std::int64_t i = 0;
    std::from_chars(t->data(), t->data() + t->size(), i);
    return i;
}

}  // namespace

std::string recordColumnList() {
    std::string s;
    for (std::size_t i = 0; i < kRecordColumns.size(); ++i) {
        if (i > 0) s += ", ";
        s += kRecordColumns[i];
    }
    return s;
}

JournalEntry storedEntry(const DecisionRecord& record, std::int64_t seq, UtcTime utc, std::int64_t monoMs,
                         const std::string& bootId, const std::string& kioskId) {
    JournalEntry e;
    e.seq = seq;
    e.utc = utc;
    e.monoMs = monoMs;
    e.bootId = bootId;
    e.kioskId = kioskId;
    e.record = record;
    DecisionRecord& r = e.record;
    r.file.clear();
    r.rules.reset();
    if (r.test) {
        r.test->collectedAt.clear();
        r.test->ageHours = canonicalAge(r.test->ageHours);
    }
    r.latency.decodeMs = canonicalMs(r.latency.decodeMs);
    r.latency.verifyMs = canonicalMs(r.latency.verifyMs);
    r.latency.backendMs = canonicalMs(r.latency.backendMs);
    r.latency.totalMs = canonicalMs(r.latency.totalMs);
    return e;
}

RecordRow encodeRow(const JournalEntry& e) {
    const DecisionRecord& r = e.record;
    RecordRow row;
    row[kUtcMs] = static_cast<std::int64_t>(e.utc.time_since_epoch().count());
    row[kMonoMs] = e.monoMs;
    row[kBootId] = text(e.bootId);
    row[kKioskId] = text(e.kioskId);
    row[kFormat] = textOrNull(r.format);
    row[kDecision] = text(std::string(toString(r.decision)));
    row[kReason] = text(std::string(toString(r.reason)));
    if (r.test) {
        row[kTestType] = text(std::string(toString(r.test->type)));
        row[kTestAge] = canonicalAge(r.test->ageHours);
        row[kTestResult] = text(r.test->result);
    }
    row[kCode] = optText(r.code);
    row[kStages] = text(encodeStages(r.stages));
    row[kDecodeMs] = optReal(canonicalMs(r.latency.decodeMs));
    row[kVerifyMs] = optReal(canonicalMs(r.latency.verifyMs));
    row[kBackendMs] = optReal(canonicalMs(r.latency.backendMs));
    row[kTotalMs] = optReal(canonicalMs(r.latency.totalMs));
    row[kSubject] = textOrNull(r.subject);
    if (r.overrides) row[kOverrides] = *r.overrides;
    row[kStaff] = optText(r.staff);
    row[kRoute] = optText(r.route);
    if (r.risk) {
        row[kRiskLevel] = text(r.risk->level);
        row[kRiskList] = text(r.risk->list);
    }
    row[kPolicyVersion] = textOrNull(r.policyVersion);
    row[kRevocation] = optText(r.revocation);
    row[kBinding] = optText(r.binding);
    return row;
}

JournalEntry decodeRow(std::int64_t seq, const RecordRow& row) {
    JournalEntry e;
    e.seq = seq;
    e.utc = UtcTime{std::chrono::milliseconds{asInt(row[kUtcMs])}};
    e.monoMs = asInt(row[kMonoMs]);
    e.bootId = asText(row[kBootId]).value_or("");
    e.kioskId = asText(row[kKioskId]).value_or("");
    DecisionRecord& r = e.record;
    r.format = asText(row[kFormat]).value_or("");
    r.decision = decisionFromString(asText(row[kDecision]).value_or("")).value_or(Decision::Refer);
    r.reason = reasonFromString(asText(row[kReason]).value_or("")).value_or(Reason::InternalError);
    if (auto type = asText(row[kTestType])) {
        TestSummary t;
        t.type = testTypeFrom(*type);
        t.ageHours = asReal(row[kTestAge]).value_or(0.0);
        t.result = asText(row[kTestResult]).value_or("unknown");
        r.test = t;
    }
    r.code = asText(row[kCode]);
    r.stages = parseStages(asText(row[kStages]).value_or(""));
    r.latency.decodeMs = asReal(row[kDecodeMs]);
    r.latency.verifyMs = asReal(row[kVerifyMs]);
    r.latency.backendMs = asReal(row[kBackendMs]);
    r.latency.totalMs = asReal(row[kTotalMs]);
    r.subject = asText(row[kSubject]).value_or("");
    if (!std::holds_alternative<std::monostate>(row[kOverrides])) r.overrides = asInt(row[kOverrides]);
    r.staff = asText(row[kStaff]);
    r.route = asText(row[kRoute]);
    if (auto level = asText(row[kRiskLevel])) r.risk = RiskOutcome{*level, asText(row[kRiskList]).value_or("")};
    r.policyVersion = asText(row[kPolicyVersion]).value_or("");
    r.revocation = asText(row[kRevocation]);
    r.binding = asText(row[kBinding]);
    return e;
}

std::string_view firstNonCanonicalColumn(const RecordRow& row) { return firstNonCanonicalColumn(row, decodeRow(0, row)); }

std::string_view firstNonCanonicalColumn(const RecordRow& row, const JournalEntry& decoded) {
    const RecordRow canonical = encodeRow(decoded);
    for (std::size_t i = 0; i < row.size(); ++i) {
        if (!(row[i] == canonical[i])) return kRecordColumns[i];
        // The line replaces invalid UTF-8, so only valid text is determined by it.
        if (const auto* t = std::get_if<std::string>(&row[i]); t && !isUtf8(*t)) return kRecordColumns[i];
    }
    return {};
}

bool isValidUtf8(std::string_view s) { return isUtf8(s); }

bool isCanonical(const RecordRow& row) { return firstNonCanonicalColumn(row).empty(); }

void bindRow(Statement& s, int first, const RecordRow& row) {
    for (std::size_t i = 0; i < row.size(); ++i) {
        const int index = first + static_cast<int>(i);
        std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::monostate>) s.bindNull(index);
                else if constexpr (std::is_same_v<T, Blob>) s.bindBlob(index, v.bytes);
                else if constexpr (std::is_same_v<T, std::string>) s.bind(index, std::string_view(v));
                else s.bind(index, v);
            },
            row[i]);
    }
}

SqlValue readValue(const Statement& s, int column) {
    switch (s.columnType(column)) {
        case SQLITE_INTEGER: return s.columnInt(column);
        case SQLITE_FLOAT: return s.columnDouble(column);
        case SQLITE_TEXT: return s.columnText(column);
        case SQLITE_BLOB: return Blob{s.columnBlob(column)};
        default: return std::monostate{};
    }
}

RecordRow readRow(const Statement& s, int first) {
    RecordRow row;
    for (std::size_t i = 0; i < row.size(); ++i) row[i] = readValue(s, first + static_cast<int>(i));
    return row;
}

}  // namespace sentinel::journal::detail

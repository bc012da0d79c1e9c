#include "firmware/journal/Checkpoint.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "firmware/journal/Base64.h"

namespace sentinel::journal {
namespace {

constexpr std::string_view kMigrated = "migrated ";
constexpr std::string_view kAbsent = " absent ";
constexpr std::string_view kProofHeader = "c2sp.org/tlog-proof@v1";
constexpr std::string_view kExtra = "extra ";
constexpr std::string_view kIndex = "index ";
constexpr std::size_t kMaxProofHashes = 64;  // a 64-bit tree's path is at most 64 hashes long

// ASCII decimal, no sign, no leading zeroes (except "0").
template <class T>
std::optional<T> parseDecimal(std::string_view s) {
    if (s.empty() || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
    }
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::vector<std::string_view> splitLines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        lines.push_back(text.substr(0, nl));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return lines;
}

}  // namespace

std::string checkpointOrigin(std::string_view kioskId, std::string_view journalId) {
    return "sentinel.kiosk/" + std::string(kioskId) + "/" + std::string(journalId);
}

bool Migration::isAbsent(std::int64_t seq) const {
    for (const auto& s : absent) {
        if (s.contains(seq)) return true;
        if (s.from > seq) break;
    }
    return false;
}

std::string formatMigrationLine(const Migration& m) {
    std::string line = std::string(kMigrated) + std::to_string(m.size);
    if (!m.absent.empty()) {
        line += kAbsent;
        for (std::size_t i = 0; i < m.absent.size(); ++i) {
            if (i > 0) line += ',';
            line += std::to_string(m.absent[i].from) + "-" + std::to_string(m.absent[i].to);
        }
    }
    return line;
}

std::optional<Migration> parseMigrationLine(std::string_view line) {
    if (line.substr(0, kMigrated.size()) != kMigrated) return std::nullopt;
    line.remove_prefix(kMigrated.size());
    const auto sp = line.find(' ');
    auto size = parseDecimal<std::int64_t>(line.substr(0, sp));
    if (!size) return std::nullopt;
    Migration m;
    m.size = *size;
    if (sp == std::string_view::npos) return m;
    line.remove_prefix(sp);
    if (line.substr(0, kAbsent.size()) != kAbsent) return std::nullopt;
    line.remove_prefix(kAbsent.size());
    std::int64_t previous = 0;
    while (!line.empty()) {
        const auto comma = line.find(',');
        const auto item = line.substr(0, comma);
        const auto dash = item.find('-');
        if (dash == std::string_view::npos) return std::nullopt;
        auto from = parseDecimal<std::int64_t>(item.substr(0, dash));
        auto to = parseDecimal<std::int64_t>(item.substr(dash + 1));
        if (!from || !to || *from < 1 || *to < *from || *from <= previous || *to > m.size) return std::nullopt;
        m.absent.push_back({*from, *to});
        previous = *to;
        if (comma == std::string_view::npos) break;
        line.remove_prefix(comma + 1);
        if (line.empty()) return std::nullopt;
    }
    return m;
}

std::string formatCheckpointBody(const CheckpointBody& body) {
    std::string text = body.origin + "\n" + std::to_string(body.size) + "\n" + tlog::toBase64(body.root) + "\n";
    for (const auto& e : body.extensions) text += e + "\n";
    return text;
}

Result<CheckpointBody> parseCheckpointBody(std::string_view text) {
    if (text.empty() || text.back() != '\n') return makeError("checkpoint text does not end in a newline");
    auto lines = splitLines(text.substr(0, text.size() - 1));
    if (lines.size() < 3) return makeError("a checkpoint has an origin, a size and a root");
    CheckpointBody b;
    b.origin = std::string(lines[0]);
    if (b.origin.empty()) return makeError("checkpoint origin is empty");
    auto size = parseDecimal<std::uint64_t>(lines[1]);
    if (!size) return makeError("checkpoint size is not a decimal number");
    b.size = *size;
    auto root = tlog::hashFromBase64(lines[2]);
    if (!root) return makeError("checkpoint root is not base64 of 32 bytes");
    b.root = *root;
    for (std::size_t i = 3; i < lines.size(); ++i) {
        if (lines[i].empty()) return makeError("checkpoint has an empty extension line");
        b.extensions.emplace_back(lines[i]);
    }
    return b;
}

std::optional<Migration> migrationOf(const CheckpointBody& body) {
    for (const auto& e : body.extensions) {
        if (auto m = parseMigrationLine(e)) return m;
    }
    return std::nullopt;
}

std::string checkpointMessage(std::string_view note, UtcTime at) {
    nlohmann::json j{{"checkpoint", std::string(note)}, {"at", formatRfc3339(at)}};
    return j.dump();
}

Result<CheckpointMessage> parseCheckpointMessage(std::string_view line) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return makeError("not a JSON object");
    auto it = j.find("checkpoint");
    if (it == j.end() || !it->is_string()) return makeError("no \"checkpoint\" string");
    CheckpointMessage m;
    m.note = it->get<std::string>();
    if (auto at = j.find("at"); at != j.end() && at->is_string()) m.at = parseRfc3339(at->get<std::string>());
    return m;
}

std::string formatTlogProof(const TlogProof& proof) {
    std::string out = std::string(kProofHeader) + "\n";
    if (proof.extra) out += std::string(kExtra) + base64Encode(*proof.extra) + "\n";
    out += std::string(kIndex) + std::to_string(proof.index) + "\n";
    for (const auto& h : proof.path) out += tlog::toBase64(h) + "\n";
    out += "\n";
    out += proof.checkpoint;
    return out;
}

Result<TlogProof> parseTlogProof(std::string_view text) {
    TlogProof p;
    auto takeLine = [&text]() -> std::optional<std::string_view> {
        const auto nl = text.find('\n');
        if (nl == std::string_view::npos) return std::nullopt;
        auto line = text.substr(0, nl);
        text.remove_prefix(nl + 1);
        return line;
    };
    auto line = takeLine();
    if (!line || *line != kProofHeader) return makeError("not a c2sp.org/tlog-proof@v1 file");
    line = takeLine();
    if (line && line->substr(0, kExtra.size()) == kExtra) {
        auto extra = base64Decode(line->substr(kExtra.size()));
        if (!extra) return makeError("tlog-proof: extra is not base64");
        p.extra = std::move(*extra);
        line = takeLine();
    }
    if (!line || line->substr(0, kIndex.size()) != kIndex) return makeError("tlog-proof: no index line");
    auto index = parseDecimal<std::uint64_t>(line->substr(kIndex.size()));
    if (!index) return makeError("tlog-proof: index is not a decimal number");
    p.index = *index;
    for (;;) {
        line = takeLine();
        if (!line) return makeError("tlog-proof: no blank line before the checkpoint");
        if (line->empty()) break;
        if (p.path.size() >= kMaxProofHashes) return makeError("tlog-proof: too many proof hashes");
        auto h = tlog::hashFromBase64(*line);
        if (!h) return makeError("tlog-proof: a proof line is not base64 of 32 bytes");
        p.path.push_back(*h);
    }
    if (text.empty()) return makeError("tlog-proof: no checkpoint");
    p.checkpoint = std::string(text);
    return p;
}

}  // namespace sentinel::journal

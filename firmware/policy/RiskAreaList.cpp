#include "firmware/policy/RiskAreaList.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace sentinel::policy {
namespace {

using nlohmann::json;

// Index into RiskAreaList::byLength_ of a code of `digits` digits (2, 4, 6), else npos.
constexpr std::size_t kNoLength = static_cast<std::size_t>(-1);
std::size_t lengthIndex(std::size_t digits) {
    switch (digits) {
        case 2: return 0;
        case 4: return 1;
        case 6: return 2;
        default: return kNoLength;
    }
}
constexpr std::array<std::size_t, 3> kPrefixDigits{2, 4, 6};

bool allDigits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::uint32_t numberOf(std::string_view digits) {
    std::uint32_t v = 0;
    for (char c : digits) v = v * 10 + static_cast<std::uint32_t>(c - '0');
    return v;
}

// Printable ASCII without quotes or backslashes: a version travels into logs, records and MQTT.
bool printableVersion(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7F && c != '"' && c != '\\'; });
}

// Nesting depth of a JSON text by a scan that does not recurse (the parser's trees are walked and
// destroyed later on; a text nested 100 000 deep must not reach them).
bool depthWithin(std::string_view text, std::size_t maxDepth) {
    std::size_t depth = 0;
    bool inString = false, escaped = false;
    for (char c : text) {
        if (inString) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                inString = false;
            }
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > maxDepth) return false;
        } else if (c == ']' || c == '}') {
            if (depth > 0) --depth;
        }
    }
    return true;
}

class Problems {
public:
    void add(std::string path, std::string message) {
        if (list_.size() < kMaxRiskListProblems) {
            list_.push_back({std::move(path), std::move(message)});
        } else if (list_.size() == kMaxRiskListProblems) {
            list_.push_back({"$", "more problems not shown (the first " + std::to_string(kMaxRiskListProblems) + " are)"});
        }
    }
    bool empty() const { return list_.empty(); }
    std::vector<RiskListProblem> take() { return std::move(list_); }

private:
    std::vector<RiskListProblem> list_;
};

// A required (or optional, `required` false) RFC 3339 member.
std::optional<UtcTime> timeMember(const json& obj, const char* key, const std::string& path, Problems& problems, bool required) {
    const auto it = obj.find(key);
    if (it == obj.end() || (!required && it->is_null())) {
        if (required) problems.add(path, std::string("\"") + key + "\" is missing (an RFC 3339 date-time)");
        return std::nullopt;
    }
    const std::string at = path + "." + key;
    if (!it->is_string()) {
        problems.add(at, "must be an RFC 3339 date-time string");
        return std::nullopt;
    }
    const auto& s = it->get_ref<const std::string&>();
    if (s.size() > kMaxRiskTimeChars) {
        problems.add(at, "longer than " + std::to_string(kMaxRiskTimeChars) + " characters");
        return std::nullopt;
    }
    auto t = parseRfc3339(s);
    if (!t) problems.add(at, "not an RFC 3339 date-time");
    return t;
}

}  // namespace

std::string_view toString(RiskLevel level) {
    switch (level) {
        case RiskLevel::High: return "high";
        case RiskLevel::Medium: return "medium";
        case RiskLevel::Low: return "low";
    }
    return "low";
}

std::optional<RiskLevel> riskLevelFromString(std::string_view s) {
    if (s == "high") return RiskLevel::High;
    if (s == "medium") return RiskLevel::Medium;
    if (s == "low") return RiskLevel::Low;
    return std::nullopt;
}

// Builds a RiskAreaList (a friend: the list itself is immutable to everyone else).
struct RiskAreaListBuilder {
    static ParsedRiskAreaList parse(std::string_view text);
};

ParsedRiskAreaList RiskAreaListBuilder::parse(std::string_view text) {
    ParsedRiskAreaList out;
    Problems problems;
    auto fail = [&](std::string message) {
        problems.add("$", std::move(message));
        out.problems = problems.take();
        return out;
    };
    if (text.size() > kMaxRiskListBytes) return fail("larger than " + std::to_string(kMaxRiskListBytes) + " bytes");
    if (!depthWithin(text, kMaxRiskListDepth)) return fail("nests deeper than " + std::to_string(kMaxRiskListDepth) + " levels");
    const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return fail("not valid JSON");
    if (!doc.is_object()) return fail("must be a JSON object");

    auto list = std::make_shared<RiskAreaList>();
    const auto format = doc.find("format");
    if (format == doc.end() || !format->is_string() || format->get_ref<const std::string&>() != kRiskAreasFormat) {
        problems.add("$.format", "must be \"" + std::string(kRiskAreasFormat) + "\"");
    }
    const auto version = doc.find("version");
    if (version == doc.end() || !version->is_string()) {
        problems.add("$.version", "is missing or not a string");
    } else {
        const auto& v = version->get_ref<const std::string&>();
        if (v.empty() || v.size() > kMaxRiskVersionChars || !printableVersion(v)) {
            problems.add("$.version", "must be 1 to " + std::to_string(kMaxRiskVersionChars) +
                                          " printable ASCII characters without spaces or quotes");
        } else {
            list->version_ = v;
        }
    }
    if (auto t = timeMember(doc, "issued_at", "$", problems, true)) list->issuedAt_ = *t;
    if (auto t = timeMember(doc, "effective_from", "$", problems, true)) list->effectiveFrom_ = *t;

    const auto areas = doc.find("areas");
    if (areas == doc.end() || !areas->is_array()) {
        problems.add("$.areas", "is missing or not an array");
    } else if (areas->size() > kMaxRiskAreas) {
        problems.add("$.areas", "has " + std::to_string(areas->size()) + " entries, more than " + std::to_string(kMaxRiskAreas));
    } else {
        list->entries_.reserve(areas->size());
        for (std::size_t i = 0; i < areas->size(); ++i) {
            const json& a = (*areas)[i];
            const std::string path = "$.areas[" + std::to_string(i) + "]";
            if (!a.is_object()) {
                problems.add(path, "must be an object {\"code\",\"level\",\"until\"?}");
                continue;
            }
            RiskAreaList::Entry e;
            bool ok = true;
            const auto code = a.find("code");
            if (code == a.end() || !code->is_string()) {
                problems.add(path + ".code", "is missing or not a string");
                ok = false;
            } else {
                const auto& c = code->get_ref<const std::string&>();
                if (lengthIndex(c.size()) == kNoLength || !allDigits(c)) {
                    problems.add(path + ".code", "must be a GB/T 2260 code of 2, 4 or 6 digits");
                    ok = false;
                } else {
                    e.code = c;
                }
            }
            const auto level = a.find("level");
            const auto parsedLevel = level != a.end() && level->is_string()
                                         ? riskLevelFromString(level->get_ref<const std::string&>())
                                         : std::nullopt;
            if (!parsedLevel) {
                problems.add(path + ".level", "must be \"high\", \"medium\" or \"low\"");
                ok = false;
            } else {
                e.level = *parsedLevel;
            }
            if (a.contains("until")) {
                const auto& u = a["until"];
                if (!u.is_null()) {
                    e.until = timeMember(a, "until", path, problems, false);
                    if (!e.until) ok = false;
                }
            }
            if (!ok) continue;
            list->entries_.push_back(std::move(e));
        }
    }
    if (!problems.empty()) {
        out.problems = problems.take();
        return out;
    }
    for (std::uint32_t i = 0; i < list->entries_.size(); ++i) {
        const auto& e = list->entries_[i];
        list->byLength_[lengthIndex(e.code.size())][numberOf(e.code)].push_back(i);
        switch (e.level) {
            case RiskLevel::High: ++list->counts_.high; break;
            case RiskLevel::Medium: ++list->counts_.medium; break;
            case RiskLevel::Low: ++list->counts_.low; break;
        }
        if (e.until) ++list->counts_.withUntil;
    }
    list->size_ = list->entries_.size();
    out.list = std::move(list);
    return out;
}

ParsedRiskAreaList parseRiskAreaList(std::string_view text) {
    try {
        return RiskAreaListBuilder::parse(text);
    } catch (const std::exception& e) {  // bad_alloc and the like: a refused list, never a crash
        ParsedRiskAreaList out;
        out.problems.push_back({"$", std::string("cannot be read: ") + e.what()});
        return out;
    }
}

RiskLevel RiskAreaList::levelOf(std::string_view region, UtcTime now) const {
    RiskLevel best = RiskLevel::Low;
    if (!allDigits(region)) return best;
    for (std::size_t k = 0; k < kPrefixDigits.size() && kPrefixDigits[k] <= region.size(); ++k) {
        const auto& map = byLength_[k];
        const auto it = map.find(numberOf(region.substr(0, kPrefixDigits[k])));
        if (it == map.end()) continue;
        for (const std::uint32_t i : it->second) {
            const Entry& e = entries_[i];
            if (e.until && *e.until <= now) continue;
            best = std::max(best, e.level);
        }
    }
    return best;
}

std::vector<std::string> RiskAreaList::codesAt(RiskLevel level, UtcTime now) const {
    std::vector<std::string> out;
    for (const auto& e : entries_) {
        if (e.level == level && !(e.until && *e.until <= now)) out.push_back(e.code);
    }
    return out;
}

std::optional<UtcTime> RiskAreaList::nextChangeAfter(UtcTime now) const {
    std::optional<UtcTime> next;
    for (const auto& e : entries_) {
        if (e.until && *e.until > now && (!next || *e.until < *next)) next = e.until;
    }
    return next;
}

}  // namespace sentinel::policy

#pragma once
// Risk-area lists (DESIGN §14): which GB/T 2260 administrative divisions are high or medium risk.
// Pure: JSON text in, an immutable list out; matching takes the time as a parameter.
//
//   {"format":"sentinel-risk-areas/1","version":"2026-12-08.1","issued_at":"<RFC 3339>",
//    "effective_from":"<RFC 3339>","areas":[{"code":"110105","level":"high"},
//    {"code":"3101","level":"medium","until":"<RFC 3339>"}]}
//
// A list is hostile input (it arrives in a bundle or over the fleet link): the text is size- and
// depth-checked before it is parsed, the number of areas and every string are bounded, codes are
// 2, 4 or 6 ASCII digits, levels high|medium|low, times RFC 3339. A list with any problem is refused
// whole. Unknown members are ignored (a list may name its areas for people: "name":"朝阳区").
//
// Matching: a code covers every region code that starts with it; among the entries that cover a
// region the highest level wins; unlisted = low. An entry whose `until` has passed (until ≤ now) is no
// longer listed. One hash lookup per prefix length (2, 4, 6 digits): O(1) per region.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "firmware/base/Time.h"

namespace sentinel::policy {

enum class RiskLevel { Low = 0, Medium = 1, High = 2 };
std::string_view toString(RiskLevel level);  // "low" | "medium" | "high"
std::optional<RiskLevel> riskLevelFromString(std::string_view s);

inline constexpr std::string_view kRiskAreasFormat = "sentinel-risk-areas/1";
// GB/T 2260 has ~3 600 codes at all three levels (34 provinces, ~340 prefectures, ~3 200 counties):
// a list naming every one of them fits with room to spare.
inline constexpr std::size_t kMaxRiskAreas = 8192;
// kMaxRiskAreas entries of ~80 bytes each ({"code":"110105","level":"medium","until":"…"}, a name).
inline constexpr std::size_t kMaxRiskListBytes = 1u << 20;
// The document nests 3 deep (object → areas → entry); a little room for names as objects.
inline constexpr std::size_t kMaxRiskListDepth = 8;
// `version` is shown in status, records and fleet messages: short, printable.
inline constexpr std::size_t kMaxRiskVersionChars = 64;
// RFC 3339 date-times with a fraction of any length stay far below this.
inline constexpr std::size_t kMaxRiskTimeChars = 64;
// Problems reported per list (a broken list of 8 192 entries should not print 8 192 lines).
inline constexpr std::size_t kMaxRiskListProblems = 50;

struct RiskListProblem {
    std::string path;     // JSONPath of the offending value: "$.areas[3].code", "$" for the document
    std::string message;  // never personal data (lists hold none)
};

struct RiskLevelCounts {
    std::size_t high = 0, medium = 0, low = 0;
    std::size_t withUntil = 0;  // entries that expire on their own
};

class RiskAreaList {
public:
    const std::string& version() const { return version_; }
    UtcTime issuedAt() const { return issuedAt_; }
    UtcTime effectiveFrom() const { return effectiveFrom_; }
    std::size_t size() const { return size_; }
    // Entries per level as listed (whatever their `until`).
    const RiskLevelCounts& counts() const { return counts_; }

    // The level of `region` (digits; a 6-digit GB/T 2260 code) at `now`: the highest level among the
    // entries covering it that are still listed at `now` (until > now), else Low.
    RiskLevel levelOf(std::string_view region, UtcTime now) const;

    // The codes listed at `level` at `now` (entries whose until has passed left out), in list order.
    std::vector<std::string> codesAt(RiskLevel level, UtcTime now) const;

    // The earliest `until` later than `now`, if any: until then codesAt(…, now) stays the same.
    std::optional<UtcTime> nextChangeAfter(UtcTime now) const;

private:
    friend struct RiskAreaListBuilder;
    struct Entry {
        std::string code;
        RiskLevel level = RiskLevel::Low;
        std::optional<UtcTime> until;
    };
    // Per prefix length (2, 4, 6 digits): the code as a number → indices into entries_.
    static constexpr std::size_t kLengths = 3;
    std::array<std::unordered_map<std::uint32_t, std::vector<std::uint32_t>>, kLengths> byLength_;

    std::string version_;
    UtcTime issuedAt_{};
    UtcTime effectiveFrom_{};
    std::vector<Entry> entries_;
    std::size_t size_ = 0;
    RiskLevelCounts counts_;
};

struct ParsedRiskAreaList {
    std::shared_ptr<const RiskAreaList> list;  // set only when `problems` is empty
    std::vector<RiskListProblem> problems;     // at most kMaxRiskListProblems (+ one saying so)
};

// Parses and checks a list. Never throws; every problem is reported with its JSONPath.
ParsedRiskAreaList parseRiskAreaList(std::string_view text);

}  // namespace sentinel::policy

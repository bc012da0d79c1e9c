#include "firmware/journal/LogCheck.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace sentinel::journal {

nlohmann::json toJson(const Problem& p) {
    return {{"seq", p.seq > 0 ? nlohmann::json(p.seq) : nlohmann::json(nullptr)}, {"problem", p.kind}, {"detail", p.detail}};
}

nlohmann::json toJson(const SeqSpan& s) {
    if (s.empty()) return nullptr;
    return {{"from", s.from}, {"to", s.to}};
}

Result<CheckpointClaim> readClaim(std::string_view note, const NoteVerifier* verifier) {
    auto parsed = parseNote(note);
    if (!parsed) return parsed.error();
    auto body = parseCheckpointBody(parsed->text);
    if (!body) return body.error();
    CheckpointClaim c;
    c.size = body->size;
    c.root = body->root;
    c.origin = body->origin;
    c.migration = migrationOf(*body);
    if (verifier) {
        auto opened = verifier->open(note);
        c.signature = opened ? CheckpointClaim::Signature::Verified : CheckpointClaim::Signature::Invalid;
        if (!opened) c.signatureError = opened.error().message;
    }
    return c;
}

LogReplay::LogReplay(tlog::CompactRange pruned, std::vector<CheckpointClaim> claims)
    : range_(std::move(pruned)), prunedSize_(range_.size()), claims_(std::move(claims)) {
    std::stable_sort(claims_.begin(), claims_.end(), [](const auto& a, const auto& b) { return a.size < b.size; });
    // Claims inside the pruned prefix: only the one at its very end can still be checked.
    while (next_ < claims_.size() && claims_[next_].size <= range_.size()) {
        if (claims_[next_].size == range_.size()) {
            check(claims_[next_]);
        } else {
            ++uncheckable_;
            if (claims_[next_].signature == CheckpointClaim::Signature::Invalid) {
                problems_.push_back({1, "signature",
                                     "checkpoint " + std::to_string(claims_[next_].size) + ": " + claims_[next_].signatureError});
            }
        }
        ++next_;
    }
}

std::int64_t LogReplay::rangeStart(std::uint64_t size) const {
    std::uint64_t from = prunedSize_;
    for (auto v : verified_) {
        if (v < size) from = std::max(from, v);
    }
    return static_cast<std::int64_t>(from) + 1;
}

void LogReplay::check(const CheckpointClaim& c) {
    const std::int64_t from = rangeStart(c.size);
    if (c.signature == CheckpointClaim::Signature::Invalid) {
        problems_.push_back({from, "signature", "checkpoint " + std::to_string(c.size) + ": " + c.signatureError,
                             static_cast<std::int64_t>(c.size)});
        return;
    }
    if (c.root != range_.root()) {
        problems_.push_back({from, "root",
                             "checkpoint " + std::to_string(c.size) + " signed another root: a record in " + std::to_string(from) +
                                 "–" + std::to_string(c.size) + " is not what it covered",
                             static_cast<std::int64_t>(c.size)});
        return;
    }
    verified_.push_back(c.size);
}

void LogReplay::append(const tlog::Hash& leaf) {
    range_.append(leaf);
    while (next_ < claims_.size() && claims_[next_].size == range_.size()) {
        if (lost_) {
            ++uncheckable_;
        } else {
            check(claims_[next_]);
        }
        ++next_;
    }
}

void LogReplay::finish(std::uint64_t logSize) {
    for (; next_ < claims_.size(); ++next_) {
        const auto& c = claims_[next_];
        if (c.size > logSize && c.signature == CheckpointClaim::Signature::Invalid) {
            problems_.push_back({static_cast<std::int64_t>(logSize) + 1, "signature",
                                 "checkpoint " + std::to_string(c.size) + ": " + c.signatureError});
        } else if (c.size > logSize) {
            problems_.push_back({static_cast<std::int64_t>(logSize) + 1, "beyond_log",
                                 "checkpoint " + std::to_string(c.size) + " covers records the log does not have (size " +
                                     std::to_string(logSize) + ")"});
        } else {
            ++uncheckable_;
        }
    }
}

std::uint64_t LogReplay::lastVerifiedBelow(std::int64_t firstBad) const {
    std::uint64_t best = 0;
    for (auto v : verified_) {
        if (static_cast<std::int64_t>(v) < firstBad) best = std::max(best, v);
    }
    return best;
}

std::optional<std::int64_t> firstBadSeq(const std::vector<Problem>& problems) {
    std::optional<std::int64_t> first;
    for (const auto& p : problems) {
        if (p.seq > 0 && (!first || p.seq < *first)) first = p.seq;
    }
    return first;
}

void narrowSpans(std::vector<Problem>& problems) {
    for (auto& p : problems) {
        if (p.spanEnd == 0) continue;
        std::int64_t first = 0;
        for (const auto& q : problems) {
            if (q.spanEnd == 0 && q.seq >= p.seq && q.seq <= p.spanEnd && (first == 0 || q.seq < first)) first = q.seq;
        }
        if (first > 0) p.seq = first;
    }
}

void sortProblems(std::vector<Problem>& problems) {
    std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
        if ((a.seq > 0) != (b.seq > 0)) return a.seq > 0;
        return a.seq < b.seq;
    });
}

std::optional<std::string> kioskOfKeyName(std::string_view keyName) {
    constexpr std::string_view kPrefix = "sentinel.kiosk/";
    if (keyName.substr(0, kPrefix.size()) != kPrefix || keyName.size() == kPrefix.size()) return std::nullopt;
    return std::string(keyName.substr(kPrefix.size()));
}

}  // namespace sentinel::journal

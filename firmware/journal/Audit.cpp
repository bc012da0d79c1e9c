#include "firmware/journal/Audit.h"

#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace sentinel::journal {
namespace {

constexpr std::string_view kOriginPrefix = "sentinel.kiosk/";

struct ReceivedJournal {
    std::map<std::int64_t, std::string> lines;  // seq → the first line received with it
    std::int64_t highest = 0;                   // the highest seq so far, in arrival order
    std::uint64_t repeats = 0;
    std::vector<Problem> problems;
    std::vector<CheckpointClaim> claims;
    std::set<std::string> notes;  // checkpoints already taken (a retained one arrives again on resubscribe)
};

std::vector<std::string_view> lines(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        out.push_back(text.substr(0, nl));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return out;
}

std::string span(std::int64_t from, std::int64_t to) {
    return from == to ? std::to_string(from) : std::to_string(from) + "–" + std::to_string(to);
}

struct RecordId {
    std::int64_t seq = 0;
    std::string kioskId, journalId;
};

Result<RecordId> recordIdOf(std::string_view line) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return makeError("not a JSON object");
    auto seq = j.find("seq");
    auto kiosk = j.find("kiosk_id");
    auto journal = j.find("journal_id");
    if (seq == j.end() || !seq->is_number_integer() || kiosk == j.end() || !kiosk->is_string() || journal == j.end() ||
        !journal->is_string()) {
        return makeError("no seq, kiosk_id or journal_id");
    }
    RecordId id{seq->get<std::int64_t>(), kiosk->get<std::string>(), journal->get<std::string>()};
    if (id.seq < 1) return makeError("seq below 1");
    return id;
}

// "sentinel.kiosk/{kiosk}/{journal}" → kiosk, journal.
std::optional<std::pair<std::string, std::string>> splitOrigin(std::string_view origin) {
    if (origin.substr(0, kOriginPrefix.size()) != kOriginPrefix) return std::nullopt;
    origin.remove_prefix(kOriginPrefix.size());
    const auto slash = origin.rfind('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == origin.size()) return std::nullopt;
    return std::pair{std::string(origin.substr(0, slash)), std::string(origin.substr(slash + 1))};
}

JournalAudit replay(const std::string& journalId, ReceivedJournal& in) {
    JournalAudit out;
    out.journalId = journalId;
    out.records = in.lines.size();
    out.repeats = in.repeats;
    out.problems = std::move(in.problems);
    // How far to replay: the largest checkpoint the key signed (a forged one may claim any size; it
    // is checked only as far as records were received).
    const std::int64_t highest = in.lines.empty() ? 0 : in.lines.rbegin()->first;
    std::uint64_t maxClaim = 0;
    for (const auto& c : in.claims) {
        const bool signedByKey = c.signature == CheckpointClaim::Signature::Verified;
        maxClaim = std::max(maxClaim, signedByKey ? c.size : std::min<std::uint64_t>(c.size, static_cast<std::uint64_t>(highest)));
        if (signedByKey) {
            if (!out.migration && c.migration) out.migration = c.migration;
            out.latestCheckpoint = std::max(out.latestCheckpoint.value_or(0), c.size);
        }
    }
    out.checkpoints = in.claims.size();
    const Migration migration = out.migration.value_or(Migration{});
    LogReplay log(tlog::CompactRange{}, std::move(in.claims));
    const tlog::Hash absentLeaf = tlog::leafHash("");
    auto it = in.lines.begin();
    std::int64_t missingFrom = 0;
    for (std::int64_t seq = 1; seq <= static_cast<std::int64_t>(maxClaim); ++seq) {
        while (it != in.lines.end() && it->first < seq) ++it;
        const bool have = it != in.lines.end() && it->first == seq;
        if (have || migration.isAbsent(seq)) {
            if (missingFrom > 0) {
                out.problems.push_back({missingFrom, "missing", "record " + span(missingFrom, seq - 1) + " was not received"});
                missingFrom = 0;
            }
            if (have && migration.isAbsent(seq)) {
                out.problems.push_back({seq, "extra", "record " + std::to_string(seq) + " was absent when the log began"});
            }
            log.append(migration.isAbsent(seq) ? absentLeaf : tlog::leafHash(it->second));
        } else {
            if (missingFrom == 0) missingFrom = seq;
            log.lose();
            log.append(tlog::Hash{});
        }
    }
    if (missingFrom > 0) {
        out.problems.push_back(
            {missingFrom, "missing", "record " + span(missingFrom, static_cast<std::int64_t>(maxClaim)) + " was not received"});
    }
    log.finish(maxClaim);
    for (const auto& p : log.problems()) out.problems.push_back(p);
    narrowSpans(out.problems);
    sortProblems(out.problems);
    out.checkpointsVerified = log.verifiedClaims();
    const auto firstBad = firstBadSeq(out.problems);
    const auto lastGood = static_cast<std::int64_t>(log.lastVerifiedBelow(firstBad.value_or(INT64_MAX)));
    out.verified = {1, lastGood};
    out.unattested = {lastGood + 1, highest};
    return out;
}

ProofAudit checkProof(std::string_view text, const NoteVerifier& key, const std::string& kioskId,
                      std::map<std::string, ReceivedJournal>& journals, bool haveRecords) {
    ProofAudit p;
    auto proof = parseTlogProof(text);
    if (!proof) {
        p.detail = proof.error().message;
        return p;
    }
    p.seq = static_cast<std::int64_t>(proof->index) + 1;
    auto claim = readClaim(proof->checkpoint, &key);
    if (!claim) {
        p.detail = "checkpoint: " + claim.error().message;
        return p;
    }
    p.checkpointSize = claim->size;
    auto origin = splitOrigin(claim->origin);
    if (!origin || origin->first != kioskId) {
        p.detail = "the checkpoint is of another log (" + claim->origin + ")";
        return p;
    }
    p.journalId = origin->second;
    if (claim->signature != CheckpointClaim::Signature::Verified) {
        p.detail = "checkpoint: " + claim->signatureError;
        return p;
    }
    if (!proof->extra) {
        p.detail = "the proof carries no record line (extra)";
        return p;
    }
    auto id = recordIdOf(*proof->extra);
    if (!id || id->seq != p.seq || id->journalId != p.journalId || id->kioskId != kioskId) {
        p.detail = "the record line is not record " + std::to_string(p.seq) + " of this log";
        return p;
    }
    std::vector<std::string> path;
    for (const auto& h : proof->path) path.emplace_back(tlog::bytesOf(h));
    if (auto ok = tlog::verifyInclusion(proof->index, claim->size, tlog::bytesOf(tlog::leafHash(*proof->extra)), path,
                                        tlog::bytesOf(claim->root));
        !ok) {
        p.detail = "inclusion: " + ok.error().message;
        return p;
    }
    if (haveRecords) {
        auto& j = journals[p.journalId];
        auto it = j.lines.find(p.seq);
        if (it != j.lines.end() && it->second != *proof->extra) {
            p.detail = "the record received with seq " + std::to_string(p.seq) + " is not the one proven";
            return p;
        }
        // The proof's checkpoint is checked against the received records like the others.
        if (j.notes.insert(proof->checkpoint).second) j.claims.push_back(*claim);
    }
    p.ok = true;
    p.detail = "record " + std::to_string(p.seq) + " is in checkpoint " + std::to_string(claim->size);
    return p;
}

}  // namespace

bool AuditReport::intact() const {
    if (!problems.empty() || (proof && !proof->ok)) return false;
    for (const auto& j : journals) {
        if (!j.problems.empty()) return false;
    }
    return true;
}

std::optional<std::int64_t> AuditReport::firstBadSeq() const {
    std::optional<std::int64_t> first = journal::firstBadSeq(problems);
    for (const auto& j : journals) {
        auto f = journal::firstBadSeq(j.problems);
        if (f && (!first || *f < *first)) first = f;
    }
    if (proof && !proof->ok && proof->seq > 0 && (!first || proof->seq < *first)) first = proof->seq;
    return first;
}

Result<AuditReport> audit(const AuditInput& input, const NoteVerifier& key) {
    auto kiosk = kioskOfKeyName(key.name());
    if (!kiosk) return makeError("the key is not a kiosk's journal key (name sentinel.kiosk/ID): " + key.name());
    AuditReport report;
    report.kioskId = *kiosk;
    report.key = key.toString();
    std::map<std::string, ReceivedJournal> journals;

    if (input.records) {
        std::size_t lineNo = 0;
        for (auto line : lines(*input.records)) {
            ++lineNo;
            if (line.empty()) continue;  // mosquitto_sub -F %p ends each payload with a newline of its own
            auto id = recordIdOf(line);
            if (!id) {
                report.problems.push_back({0, "malformed", "records line " + std::to_string(lineNo) + ": " + id.error().message});
                continue;
            }
            if (id->kioskId != report.kioskId) {
                ++report.otherKiosks;
                continue;
            }
            auto& j = journals[id->journalId];
            auto [it, fresh] = j.lines.try_emplace(id->seq, std::string(line));
            if (!fresh) {
                if (it->second == line) {
                    ++j.repeats;
                } else {
                    j.problems.push_back({id->seq, "conflict", "two different records with seq " + std::to_string(id->seq) +
                                                                   " (records line " + std::to_string(lineNo) + ")"});
                }
            } else if (id->seq < j.highest) {
                j.problems.push_back({id->seq, "reordered", "record " + std::to_string(id->seq) + " arrived after record " +
                                                                std::to_string(j.highest) + " (records line " + std::to_string(lineNo) + ")"});
            }
            j.highest = std::max(j.highest, id->seq);
        }
    }
    if (input.checkpoints) {
        std::size_t lineNo = 0;
        for (auto line : lines(*input.checkpoints)) {
            ++lineNo;
            if (line.empty()) continue;
            auto message = parseCheckpointMessage(line);
            auto claim = message ? readClaim(message->note, &key) : Result<CheckpointClaim>(message.error());
            if (!claim) {
                report.problems.push_back({0, "malformed", "checkpoints line " + std::to_string(lineNo) + ": " + claim.error().message});
                continue;
            }
            auto origin = splitOrigin(claim->origin);
            if (!origin || origin->first != report.kioskId) {
                // Another kiosk's checkpoint — unless it carries a signature under this kiosk's key name.
                bool underOurName = false;
                if (auto note = parseNote(message->note)) {
                    for (const auto& sig : note->signatures) underOurName = underOurName || sig.keyName == key.name();
                }
                if (underOurName) {
                    report.problems.push_back({0, "origin", "checkpoints line " + std::to_string(lineNo) + ": signed as " +
                                                                key.name() + " for another log (" + claim->origin + ")"});
                } else {
                    ++report.otherKiosks;
                }
                continue;
            }
            auto& j = journals[origin->second];
            if (j.notes.insert(message->note).second) j.claims.push_back(std::move(*claim));
        }
    }
    if (input.proof) report.proof = checkProof(*input.proof, key, report.kioskId, journals, input.records.has_value());
    for (auto& [id, j] : journals) report.journals.push_back(replay(id, j));
    return report;
}

nlohmann::json toJson(const AuditReport& r) {
    nlohmann::json journals = nlohmann::json::array();
    for (const auto& j : r.journals) {
        nlohmann::json problems = nlohmann::json::array();
        for (const auto& p : j.problems) problems.push_back(toJson(p));
        nlohmann::json migrated = nullptr;
        if (j.migration) {
            nlohmann::json absent = nlohmann::json::array();
            for (const auto& s : j.migration->absent) absent.push_back(toJson(s));
            migrated = {{"size", j.migration->size}, {"absent", absent}};
        }
        journals.push_back({{"journal_id", j.journalId},
                            {"records", j.records},
                            {"repeats", j.repeats},
                            {"checkpoints", {{"total", j.checkpoints}, {"verified", j.checkpointsVerified},
                                             {"latest", j.latestCheckpoint ? nlohmann::json(*j.latestCheckpoint) : nlohmann::json(nullptr)}}},
                            {"verified", toJson(j.verified)},
                            {"unattested", toJson(j.unattested)},
                            {"migrated", migrated},
                            {"problems", problems}});
    }
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& p : r.problems) problems.push_back(toJson(p));
    const auto first = r.firstBadSeq();
    nlohmann::json out{{"ok", r.intact()},
                       {"kiosk_id", r.kioskId},
                       {"key", r.key},
                       {"journals", journals},
                       {"problems", problems},
                       {"other_kiosks", r.otherKiosks},
                       {"first_bad_seq", first ? nlohmann::json(*first) : nlohmann::json(nullptr)}};
    if (r.proof) {
        out["proof"] = {{"ok", r.proof->ok},
                        {"seq", r.proof->seq > 0 ? nlohmann::json(r.proof->seq) : nlohmann::json(nullptr)},
                        {"journal_id", r.proof->journalId},
                        {"checkpoint", r.proof->checkpointSize},
                        {"detail", r.proof->detail}};
    }
    return out;
}

std::string renderAuditReport(const AuditReport& r) {
    std::ostringstream os;
    os << "kiosk " << r.kioskId << " (key " << r.key << ")\n";
    auto spanText = [](const SeqSpan& s) { return s.empty() ? std::string("none") : span(s.from, s.to); };
    for (const auto& j : r.journals) {
        os << "journal " << j.journalId << ": " << j.records << " records received";
        if (j.repeats > 0) os << " (+" << j.repeats << " repeats)";
        os << ", " << j.checkpointsVerified << " of " << j.checkpoints << " checkpoints verified\n";
        if (j.migration) os << "  migrated:   " << formatMigrationLine(*j.migration) << '\n';
        os << "  verified:   " << spanText(j.verified) << '\n';
        os << "  unattested: " << spanText(j.unattested) << (j.unattested.empty() ? "" : " (after the last checkpoint)") << '\n';
        for (const auto& p : j.problems) os << "  seq " << p.seq << ": " << p.kind << ": " << p.detail << '\n';
    }
    for (const auto& p : r.problems) os << p.kind << ": " << p.detail << '\n';
    if (r.otherKiosks > 0) os << r.otherKiosks << " lines of other kiosks ignored\n";
    if (r.proof) os << "proof: " << (r.proof->ok ? "ok: " : "FAILED: ") << r.proof->detail << '\n';
    os << (r.intact() ? "intact\n" : "TAMPERED\n");
    return os.str();
}

}  // namespace sentinel::journal

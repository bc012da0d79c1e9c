#pragma once
// The journal's checkpoints and proofs as text (DESIGN §16), pure: C2SP tlog-checkpoint bodies
// (origin, size, base64 root, extension lines), the line published on the checkpoints topic, the
// migration note, and C2SP tlog-proof files.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/Result.h"
#include "firmware/base/Time.h"
#include "firmware/journal/MerkleLog.h"

namespace sentinel::journal {

// "sentinel.kiosk/{kioskId}/{journalId}".
std::string checkpointOrigin(std::string_view kioskId, std::string_view journalId);

// A closed range of sequence numbers; empty when to < from.
struct SeqSpan {
    std::int64_t from = 1;
    std::int64_t to = 0;
    bool empty() const { return to < from; }
    std::int64_t count() const { return empty() ? 0 : to - from + 1; }
    bool contains(std::int64_t seq) const { return seq >= from && seq <= to; }
    bool operator==(const SeqSpan&) const = default;
};

// A journal that existed before the log: its records became the first leaves when the log was
// added. Sequence numbers below `size` with no record left then (pruned or lost before the log)
// stand as the leaf of an empty line, leafHash(""). Every checkpoint of such a log carries the
// extension line "migrated <size>" or "migrated <size> absent <a>-<b>,<c>-<d>,…".
struct Migration {
    std::int64_t size = 0;        // the log size at migration: every seq up to here was there before it
    std::vector<SeqSpan> absent;  // ascending, disjoint
    bool isAbsent(std::int64_t seq) const;
};
std::string formatMigrationLine(const Migration& m);
std::optional<Migration> parseMigrationLine(std::string_view line);

struct CheckpointBody {
    std::string origin;
    std::uint64_t size = 0;
    tlog::Hash root{};
    std::vector<std::string> extensions;  // non-empty lines after the root
};
// "origin\nsize\nbase64(root)\n" then each extension line and "\n".
std::string formatCheckpointBody(const CheckpointBody& body);
// The text of a note (as NoteVerifier::open returns it): at least three lines, a decimal size without
// leading zeroes, a base64 root of 32 bytes, no empty extension line.
Result<CheckpointBody> parseCheckpointBody(std::string_view text);
// The migration note among a checkpoint's extension lines, if any.
std::optional<Migration> migrationOf(const CheckpointBody& body);

// What the checkpoints topic carries (QoS 1, retained), one JSON line:
// {"checkpoint":"<the signed note>","at":"<RFC 3339>"}.
std::string checkpointMessage(std::string_view note, UtcTime at);
struct CheckpointMessage {
    std::string note;
    std::optional<UtcTime> at;
};
Result<CheckpointMessage> parseCheckpointMessage(std::string_view line);

// C2SP tlog-proof (https://c2sp.org/tlog-proof): `sentinel journal prove` writes one for a record;
// `extra` carries the record's leaf line, so the proof stands alone.
struct TlogProof {
    std::optional<std::string> extra;  // decoded bytes: the record's published line
    std::uint64_t index = 0;           // seq − 1
    std::vector<tlog::Hash> path;      // inclusion proof, leaf's sibling first
    std::string checkpoint;            // the signed note, verbatim
};
std::string formatTlogProof(const TlogProof& proof);
Result<TlogProof> parseTlogProof(std::string_view text);

}  // namespace sentinel::journal

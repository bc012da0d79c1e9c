#pragma once
// What `journal verify` and `audit` share (DESIGN §16), pure: the problems they report, the
// checkpoints they check, and the replay of a log's leaves against those checkpoints.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "firmware/journal/Checkpoint.h"
#include "firmware/journal/MerkleLog.h"
#include "firmware/journal/SignedNote.h"

namespace sentinel::journal {

// One thing found wrong. `kind` is a stable identifier (docs/journal.md lists them):
//   missing      a record the log (or a checkpoint) covers is not there
//   altered      a record's columns or leaf differ from what was logged
//   extra        a record where the log has none (beyond it, in the pruned prefix, in an absent seq)
//   conflict     two different records received with one seq (audit)
//   reordered    a record received after a higher seq, not as a repeat of one already received (audit)
//   malformed    a line or note that cannot be read
//   root         a checkpoint's root differs from the records' (something in its range changed)
//   signature    a checkpoint of this log without a valid signature by the key
//   beyond_log   a checkpoint larger than the log
//   origin       a checkpoint of another log among this one's
//   log_state    the stored log (size, compact range) differs from the records'
//   no_log       a journal without a log (older firmware never opened it)
struct Problem {
    std::int64_t seq = 0;  // the first record concerned; 0 = not tied to a record
    std::string kind;
    std::string detail;
    std::int64_t spanEnd = 0;  // root/signature: the last seq of the span the checkpoint adds
};
nlohmann::json toJson(const Problem& p);
nlohmann::json toJson(const SeqSpan& s);  // {"from","to"}, or null when empty

// One checkpoint as read from its note.
struct CheckpointClaim {
    enum class Signature { Verified, NotChecked, Invalid };
    std::uint64_t size = 0;
    tlog::Hash root{};
    std::string origin;
    std::optional<Migration> migration;
    Signature signature = Signature::NotChecked;
    std::string signatureError;  // why Invalid
};
// Parses `note` as a checkpoint; with a verifier, its signature is checked (a note without a valid
// signature by it is Invalid, not an error). Errors: the note or its checkpoint text is malformed.
Result<CheckpointClaim> readClaim(std::string_view note, const NoteVerifier* verifier);

// Replays a log's leaves in order from its pruned prefix and checks each checkpoint claim when the
// replay reaches its size. Claims are checked once, in size order; claims below the pruned prefix
// cannot be checked (counted apart). After a leaf is lost (`lose`), later claims cannot be checked.
class LogReplay {
public:
    LogReplay(tlog::CompactRange pruned, std::vector<CheckpointClaim> claims);

    std::uint64_t size() const { return range_.size(); }
    const tlog::CompactRange& range() const { return range_; }
    bool lost() const { return lost_; }
    void append(const tlog::Hash& leaf);
    void lose() { lost_ = true; }
    // Claims beyond the replayed size are reported as beyond_log (call once, at the end).
    void finish(std::uint64_t logSize);

    const std::vector<Problem>& problems() const { return problems_; }
    std::size_t claims() const { return claims_.size(); }
    std::size_t verifiedClaims() const { return verified_.size(); }
    std::size_t uncheckable() const { return uncheckable_; }  // below the pruned prefix or after a lost leaf
    // The largest verified claim size below `firstBad` (0 = none).
    std::uint64_t lastVerifiedBelow(std::int64_t firstBad) const;

private:
    void check(const CheckpointClaim& c);
    std::int64_t rangeStart(std::uint64_t size) const;  // first seq of the span a claim adds

    tlog::CompactRange range_;
    std::uint64_t prunedSize_ = 0;
    std::vector<CheckpointClaim> claims_;  // sorted by size
    std::size_t next_ = 0;
    bool lost_ = false;
    std::vector<std::uint64_t> verified_;
    std::size_t uncheckable_ = 0;
    std::vector<Problem> problems_;
};

// The smallest seq among the problems with one (nullopt when none names a seq).
std::optional<std::int64_t> firstBadSeq(const std::vector<Problem>& problems);
// A checkpoint problem names the first seq of its span; when a record problem inside that span names
// the record, the checkpoint problem is its consequence and names that record too.
void narrowSpans(std::vector<Problem>& problems);
// Orders problems by seq (those without one last), keeping the order of equal ones.
void sortProblems(std::vector<Problem>& problems);

// The kiosk a key name "sentinel.kiosk/{kioskId}" speaks for (nullopt for any other name).
std::optional<std::string> kioskOfKeyName(std::string_view keyName);

}  // namespace sentinel::journal

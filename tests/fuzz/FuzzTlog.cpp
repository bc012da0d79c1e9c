// libFuzzer target: what `sentinel audit` reads from the back office's files (DESIGN §16: hostile
// input) — signed notes, checkpoint texts and messages, tlog-proof files, migration lines, and whole
// records + checkpoints + proof inputs. The input is split at the first two NUL bytes into records,
// checkpoints and proof; each part is also parsed alone. The key is fixed (seed 32 × 0x5e) so seeds
// signed with it reach the root and inclusion checks. Any crash, hang or unbounded allocation is a
// bug; errors are expected.
#include <cstdint>
#include <string_view>

#include "firmware/journal/Audit.h"
#include "firmware/journal/Checkpoint.h"
#include "firmware/journal/SignedNote.h"

namespace {

constexpr std::size_t kMaxInput = 1 << 16;
constexpr unsigned char kSeedByte = 0x5e;

const sentinel::journal::NoteSigner& fuzzKey() {
    static const auto kSigner =
        std::move(sentinel::journal::NoteSigner::fromSeed(sentinel::journal::journalKeyName("FUZZ-01"),
                                                          std::string(sentinel::journal::kEd25519KeyBytes, static_cast<char>(kSeedByte)))
                      .value());
    return kSigner;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
    using namespace sentinel::journal;
    if (size > kMaxInput) return 0;
    const std::string_view input(reinterpret_cast<const char*>(bytes), size);
    const NoteVerifier& key = fuzzKey().verifier();

    (void)key.open(input);
    if (auto note = parseNote(input)) (void)parseCheckpointBody(note->text);
    (void)parseCheckpointBody(input);
    (void)parseCheckpointMessage(input);
    (void)parseTlogProof(input);
    (void)parseMigrationLine(input);
    (void)NoteVerifier::parse(input);

    const auto first = input.find('\0');
    const auto second = first == std::string_view::npos ? first : input.find('\0', first + 1);
    AuditInput in;
    in.records = input.substr(0, first);
    if (first != std::string_view::npos) in.checkpoints = input.substr(first + 1, second == std::string_view::npos ? second : second - first - 1);
    if (second != std::string_view::npos) in.proof = input.substr(second + 1);
    (void)audit(in, key);
    return 0;
}

// journal_tlog_child JOURNAL STATE_DIR SEED: the kill -9 test's victim. Opens the journal, starts a
// Checkpointer (a checkpoint every 3 records) with the device key in STATE_DIR, and appends random
// records — single and in batches — until it is killed, printing each committed seq on stdout.

#include <cstdio>
#include <cstdlib>
#include <random>

#include "firmware/journal/Checkpointer.h"
#include "firmware/journal/Journal.h"
#include "tests/journal/JournalTestSupport.h"

int main(int argc, char** argv) {
    using namespace sentinel;
    if (argc != 4) {
        std::fprintf(stderr, "usage: journal_tlog_child JOURNAL STATE_DIR SEED\n");
        return 2;
    }
    SystemClock clock;
    journal::JournalOptions o;
    o.path = argv[1];
    o.kioskId = journal::testing::kTestKiosk;
    auto j = journal::Journal::open(o, clock);
    if (!j) {
        std::fprintf(stderr, "%s\n", j.error().message.c_str());
        return 1;
    }
    auto key = journal::loadOrCreateJournalKey(argv[2], o.kioskId);
    if (!key) {
        std::fprintf(stderr, "%s\n", key.error().message.c_str());
        return 1;
    }
    journal::Checkpointer checkpointer(**j, std::move(*key), o.kioskId, {3, std::chrono::seconds{1}}, clock, nullptr);
    std::mt19937 rng(static_cast<std::uint32_t>(std::strtoul(argv[3], nullptr, 10)));
    for (;;) {
        Result<std::int64_t> seq = makeError("");
        if (rng() % 4 == 0) {
            std::vector<DecisionRecord> batch;
            for (unsigned n = 1 + rng() % 5; n > 0; --n) batch.push_back(journal::testing::randomRecord(rng));
            seq = (*j)->appendBatch(batch);
        } else {
            seq = (*j)->append(journal::testing::randomRecord(rng));
        }
        if (!seq) {
            std::fprintf(stderr, "%s\n", seq.error().message.c_str());
            return 1;
        }
        std::printf("%lld\n", static_cast<long long>(*seq));
        std::fflush(stdout);
    }
}

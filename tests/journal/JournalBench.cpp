// journal_bench: measured figures for docs and reports (not a test).
//   journal_bench [RECORDS] [DIR]   default 20000 records in a fresh folder under /tmp
// Prints one JSON object: append latency (synchronous=FULL, one fsync per decision), the cost of
// bulk-filling (in one transaction, to reach RECORDS quickly), open (integrity_check) and stats
// on the filled journal, and the file size per record.


#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "firmware/journal/Journal.h"
#include "tests/journal/JournalTestSupport.h"

using namespace sentinel;
using Ms = std::chrono::duration<double, std::milli>;

namespace {

double pct(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

}  // namespace

int main(int argc, char** argv) {
    const long records = argc > 1 ? std::atol(argv[1]) : 20000;
    std::filesystem::path dir = argc > 2 ? argv[2] : std::filesystem::temp_directory_path() / ("journal-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto path = dir / "journal.db";
    std::filesystem::remove(path);
    SystemClock clock;
    journal::JournalOptions o;
    o.path = path;
    o.kioskId = "BENCH-01";
    nlohmann::json out;
    out["records"] = records;
    out["dir"] = dir.string();
    {
        auto j = journal::Journal::open(o, clock);
        if (!j) {
            std::cerr << j.error().message << '\n';
            return 1;
        }
        std::vector<double> appendMs;
        for (int i = 0; i < 500; ++i) {
            auto t0 = std::chrono::steady_clock::now();
            if (!(*j)->append(journal::testing::makeRecord(i % 3 ? Reason::Ok : Reason::TestTooOld, 4.0 + i % 40,
                                                           std::string(64, 'a')))) {
                return 1;
            }
            appendMs.push_back(Ms(std::chrono::steady_clock::now() - t0).count());
        }
        out["append_ms"] = {{"samples", appendMs.size()}, {"p50", pct(appendMs, 50)}, {"p95", pct(appendMs, 95)},
                            {"p99", pct(appendMs, 99)}, {"max", pct(appendMs, 100)}};
    }
    // Bulk fill with the same record shape, 10 000 records per transaction (appendBatch keeps the
    // Merkle log; raw inserts would leave records beyond it, which open() refuses).
    {
        o.retainMaxBytes = std::uint64_t{1} << 40;  // keep them all: open is measured on all of them
        auto j = journal::Journal::open(o, clock);
        if (!j) return 1;
        std::vector<DecisionRecord> batch;
        for (long i = 500; i < records; ++i) {
            batch.push_back(journal::testing::makeRecord(i % 3 ? Reason::Ok : Reason::TestTooOld, 4.0 + i % 97, std::string(64, 'a')));
            if (batch.size() == 10000 || i + 1 == records) {
                if (!(*j)->appendBatch(batch)) return 1;
                batch.clear();
            }
        }
    }
    auto t0 = std::chrono::steady_clock::now();
    auto j = journal::Journal::open(o, clock);
    out["open_with_integrity_check_ms"] = Ms(std::chrono::steady_clock::now() - t0).count();
    if (!j) return 1;
    t0 = std::chrono::steady_clock::now();
    auto st = journal::readJournalStats(path, std::nullopt);
    out["stats_ms"] = Ms(std::chrono::steady_clock::now() - t0).count();
    if (!st) return 1;
    out["stats_records"] = st->records;
    out["file_bytes"] = std::filesystem::file_size(path);
    out["bytes_per_record"] = static_cast<double>(std::filesystem::file_size(path)) / static_cast<double>(records);
    std::cout << out.dump() << '\n';
    std::filesystem::remove_all(dir);
    return 0;
}

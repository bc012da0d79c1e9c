// `sentinel bench revocation [--entries N] [--json] …` (DESIGN §17, issue 29 "Measure"): what the
// revocation index costs — its resident memory, lookup latency, load + verify + swap time, false
// positives over random non-members, and the offline decision with and without an index, A/B
// alternated in one run.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "firmware/app/CliUtil.h"
#include "firmware/app/bench/BenchUtil.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/issuer/TestIssuer.h"
#include "firmware/trust/RevocationIndex.h"
#include "firmware/trust/TrustList.h"
#include "firmware/verify/Hc1Verifier.h"

namespace sentinel::app {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kHelp = R"HELP(Usage: sentinel bench revocation [--entries N] [--lookups N] [--non-members N] [--rounds N]
                                [--decisions N] [--loads N] [--json]

Builds an index of N random 16-byte hashes in a scratch folder (three lists for every kid: UCI
half of them, COUNTRYCODEUCI and SIGNATURE a quarter each), then measures:
  rss        resident memory the index adds: VmRSS (/proc/self/status) before loading and after
             loading it (validation reads every page, as lookups would) and after the lookups
  load       load + verify (bounds, order, SHA-256) + atomic swap, ms (the first load and the
             median and max of --loads more, each replacing the one in force)
  swap       the longest lookup seen on another thread while those loads swapped indexes in under
             it (its snapshot's release included), against the same loads into a holder of their
             own (no swap: this machine's scheduling noise); what releasing (unmapping) one costs
  lookup     one hash looked up in the UCI list (half members, half not), µs p50/p99/max
  false_positives  lookups of --non-members random hashes that are not in the index
  decision   the offline HC1 decision (ES256 signature, policy) without an index (A: today's path)
             and with it (B: hashes + lookups of a credential that is not revoked), alternated
             ABBA over --rounds rounds of --decisions decisions; p50/p99 per side and the
             run-to-run spread (max − min of the per-round p99 of A)

Options:
  --entries N      entries in the index (default 1000000)
  --lookups N      timed lookups (default 1000000)
  --non-members N  random non-members looked up for false positives (default 10000000)
  --rounds N       A/B rounds (default 20)
  --decisions N    decisions per side per round (default 300)
  --loads N        timed reloads after the first (default 5)
  --json           one JSON object with every figure
  --help           this text

Exit status: 0 done (and no false positive), 1 a false positive or a failed step, 2 usage.
)HELP";

struct Percentiles {
    double p50 = 0, p99 = 0, max = 0;
};

Percentiles percentiles(std::vector<double> v) {
    Percentiles p;
    if (v.empty()) return p;
    p.p50 = nearestRank(v, 0.50);
    p.p99 = nearestRank(v, 0.99);
    p.max = *std::max_element(v.begin(), v.end());
    return p;
}

double microsSince(Clock::time_point t0) { return std::chrono::duration<double, std::micro>(Clock::now() - t0).count(); }

// VmRSS of this process in KiB; 0 when /proc is not there.
long residentKib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    }
    return 0;
}

trust::RevocationHash randomHash(std::mt19937_64& rng) {
    trust::RevocationHash h{};
    const std::uint64_t a = rng(), b = rng();
    std::memcpy(h.data(), &a, sizeof a);
    std::memcpy(h.data() + sizeof a, &b, sizeof b);
    return h;
}

bool parseCount(const Args& args, const char* name, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out, CliContext& ctx) {
    const auto v = args.value(name);
    if (!v) return true;
    char* end = nullptr;
    const unsigned long long n = std::strtoull(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || n < lo || n > hi) {
        ctx.err << "sentinel bench revocation: " << name << " takes a number from " << lo << " to " << hi << '\n';
        return false;
    }
    out = n;
    return true;
}

json percentilesJson(const Percentiles& p, const char* unit) {
    auto r3 = [](double x) { return std::round(x * 1000.0) / 1000.0; };
    return {{std::string("p50_") + unit, r3(p.p50)}, {std::string("p99_") + unit, r3(p.p99)}, {std::string("max_") + unit, r3(p.max)}};
}

}  // namespace

int cmdBenchRevocation(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json"}, {"--entries", "--lookups", "--non-members", "--rounds", "--decisions", "--loads"}}, kHelp, ctx,
                            exitCode);
    if (!args) return exitCode;
    std::uint64_t entries = 1'000'000, lookups = 1'000'000, nonMembers = 10'000'000, rounds = 20, decisions = 300, loads = 5;
    if (!parseCount(*args, "--entries", 1, trust::kMaxRevocationEntries, entries, ctx) ||
        !parseCount(*args, "--lookups", 1, 100'000'000, lookups, ctx) ||
        !parseCount(*args, "--non-members", 0, 1'000'000'000, nonMembers, ctx) ||
        !parseCount(*args, "--rounds", 1, 1000, rounds, ctx) || !parseCount(*args, "--decisions", 1, 100'000, decisions, ctx) ||
        !parseCount(*args, "--loads", 1, 1000, loads, ctx)) {
        return kExitUsage;
    }

    std::string dirTemplate = (std::filesystem::temp_directory_path() / "sentinel-bench-revocation-XXXXXX").string();
    if (::mkdtemp(dirTemplate.data()) == nullptr) {
        ctx.err << "sentinel bench revocation: cannot make a scratch folder in " << std::filesystem::temp_directory_path() << '\n';
        return kExitFail;
    }
    const std::filesystem::path dir = dirTemplate;
    struct Cleanup {
        std::filesystem::path dir;
        ~Cleanup() {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    } cleanup{dir};
    const auto indexPath = dir / "revocation.idx";

    // Members come from one seed, non-members from another: a 128-bit collision between them has
    // probability ~N·M/2^128, so every hit on a non-member is a false positive of the index.
    constexpr std::uint64_t kMemberSeed = 29, kNonMemberSeed = 2029, kLookupSeed = 7;
    const std::uint64_t otherEntries = entries / 4;
    std::vector<trust::RevocationHash> sampleMembers;  // UCI members looked up later
    {
        std::mt19937_64 rng(kMemberSeed);
        trust::RevocationIndexBuilder builder;
        const std::uint64_t sizes[3] = {entries - 2 * otherEntries, otherEntries, otherEntries};
        for (std::size_t t = 0; t < trust::kRevocationHashTypes.size(); ++t) {
            std::vector<trust::RevocationHash> hashes(sizes[t]);
            for (auto& h : hashes) h = randomHash(rng);
            if (t == 0) {
                constexpr std::size_t kSampleMembers = 65536;
                for (std::size_t i = 0; i < std::min<std::size_t>(kSampleMembers, hashes.size()); ++i) sampleMembers.push_back(hashes[i]);
            }
            if (auto s = builder.addList({}, static_cast<uint8_t>(trust::kRevocationHashTypes[t]), std::nullopt, std::move(hashes)); !s) {
                ctx.err << "sentinel bench revocation: " << s.error().message << '\n';
                return kExitFail;
            }
        }
        const auto bytes = builder.build(SystemClock().now());
        if (auto s = kiosk::writeFileAtomically(indexPath, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())); !s) {
            ctx.err << "sentinel bench revocation: " << s.error().message << '\n';
            return kExitFail;
        }
    }

    // Resident memory and the first load. The lookup timings' buffer is touched before the
    // baseline, so the growth is the index's own.
    std::vector<double> lookupUs(lookups, 0.0);
    trust::RevocationHolder holder;
    const long rssBeforeKib = residentKib();
    auto t0 = Clock::now();
    auto first = holder.loadAndSwap(indexPath);
    const double firstLoadMs = microsSince(t0) / 1000.0;
    if (!first) {
        ctx.err << "sentinel bench revocation: " << first.error().message << '\n';
        return kExitFail;
    }
    const long rssAfterLoadKib = residentKib();
    const auto fileBytes = (*first)->fileBytes();
    first = Error{};  // the holder keeps the only reference

    // Lookups: half members, half random, in random order.
    std::uint64_t memberHits = 0;
    {
        const auto index = holder.current();
        std::mt19937_64 rng(kLookupSeed);
        const UtcTime at = SystemClock().now();
        for (std::uint64_t i = 0; i < lookups; ++i) {
            const bool member = (i & 1) == 0;
            const trust::RevocationHash h = member ? sampleMembers[rng() % sampleMembers.size()] : randomHash(rng);
            const auto s = Clock::now();
            const bool hit = index->contains({}, trust::RevocationHashType::Uci, h, at);
            lookupUs[i] = microsSince(s);
            if (member && hit) ++memberHits;
        }
    }
    const long rssAfterLookupsKib = residentKib();
    const Percentiles lookup = percentiles(std::move(lookupUs));

    // False positives over random non-members, every type.
    std::uint64_t falsePositives = 0;
    double nonMemberSeconds = 0;
    {
        const auto index = holder.current();
        std::mt19937_64 rng(kNonMemberSeed);
        const UtcTime at = SystemClock().now();
        const auto s = Clock::now();
        for (std::uint64_t i = 0; i < nonMembers; ++i) {
            const auto type = trust::kRevocationHashTypes[i % trust::kRevocationHashTypes.size()];
            if (index->contains({}, type, randomHash(rng), at)) ++falsePositives;
        }
        nonMemberSeconds = microsSince(s) / 1e6;
    }

    // Reloads while another thread keeps looking up in `holder`: first loaded into a holder of their
    // own (the same work, no swap under the reader: the baseline of this machine's scheduling), then
    // swapped into the reader's holder. The reader's longest lookup in each phase is compared.
    struct SwapPhase {
        std::vector<double> loadMs;
        double lookupMaxUs = 0;
        std::uint64_t lookups = 0;
    };
    std::string reloadError;
    auto swapPhase = [&](bool swapUnderReader) {
        SwapPhase phase;
        trust::RevocationHolder own;
        trust::RevocationHolder& target = swapUnderReader ? holder : own;
        std::atomic<bool> stop{false};
        std::thread reader([&] {
            std::mt19937_64 rng(kLookupSeed + 1);
            while (!stop.load(std::memory_order_relaxed)) {
                const auto h = randomHash(rng);
                const auto s = Clock::now();
                {
                    // Timed with the snapshot's release: the last holder of a replaced index unmaps it.
                    const auto index = holder.current();
                    (void)index->contains({}, trust::RevocationHashType::Uci, h, UtcTime{});
                }
                phase.lookupMaxUs = std::max(phase.lookupMaxUs, microsSince(s));
                ++phase.lookups;
            }
        });
        for (std::uint64_t i = 0; i < loads && reloadError.empty(); ++i) {
            const auto s = Clock::now();
            auto r = target.loadAndSwap(indexPath);
            phase.loadMs.push_back(microsSince(s) / 1000.0);
            if (!r) reloadError = r.error().message;
        }
        stop = true;
        reader.join();
        return phase;
    };
    const SwapPhase noSwap = swapPhase(false);
    const SwapPhase swapped = swapPhase(true);
    if (!reloadError.empty()) {
        ctx.err << "sentinel bench revocation: reload: " << reloadError << '\n';
        return kExitFail;
    }
    const std::vector<double>& loadMs = swapped.loadMs;
    const double lookupDuringSwapMaxUs = swapped.lookupMaxUs;
    const std::uint64_t lookupsDuringSwaps = swapped.lookups;
    const Percentiles load = percentiles(loadMs);
    // What dropping the last reference of an index costs (the unmapping): the holder's caller pays it
    // after a swap, unless a decision still holds the old snapshot — then that decision pays it.
    double releaseMs = 0;
    {
        auto last = holder.replace(nullptr);
        const auto s = Clock::now();
        last.reset();
        releaseMs = microsSince(s) / 1000.0;
        if (auto r = holder.loadAndSwap(indexPath); !r) {
            ctx.err << "sentinel bench revocation: reload: " << r.error().message << '\n';
            return kExitFail;
        }
    }

    // Offline decisions, A (no index) against B (the index), alternated ABBA.
    const UtcTime now = SystemClock().now();
    issuer::IssuerOptions io;
    io.notBefore = now - std::chrono::hours{24 * 30};
    io.notAfter = now + std::chrono::hours{24 * 365};
    const auto issuer = issuer::TestIssuer::generate(io);
    auto trustList = trust::TrustList::fromCertificates({{issuer.certificateDer(), "XX", std::nullopt}}, now);
    if (!trustList) {
        ctx.err << "sentinel bench revocation: " << trustList.error().message << '\n';
        return kExitFail;
    }
    constexpr int kCredentials = 32;  // distinct identifiers and signatures, cycled
    std::vector<std::string> payloads;
    for (int i = 0; i < kCredentials; ++i) {
        auto spec = issuer::testCredential(TestType::Naat, now - std::chrono::hours{2}, false, now);
        spec.certificateIdentifier = "URN:UVCI:01:XX:BENCHREVOCATION" + std::to_string(1000 + i) + "#Q";
        payloads.push_back(issuer.issue(spec));
    }
    verify::OfflineContext a;
    a.trust = &*trustList;
    a.now = now;
    a.subjectKey = "bench-device-secret";
    a.rules.builtin = verify::makeBuiltinRules(a.policy, a.rules.country);
    verify::OfflineContext b = a;
    const auto inForce = holder.current();
    b.revocation = inForce.get();
    std::vector<double> aUs, bUs, aRoundP99;
    std::uint64_t notPassed = 0;
    auto run = [&](const verify::OfflineContext& c, std::vector<double>& all) {
        std::vector<double> round;
        round.reserve(decisions);
        for (std::uint64_t i = 0; i < decisions; ++i) {
            const auto& p = payloads[i % payloads.size()];
            const auto s = Clock::now();
            const auto rec = verify::verifyHc1(p, c);
            round.push_back(microsSince(s));
            if (rec.decision != Decision::Pass) ++notPassed;
        }
        all.insert(all.end(), round.begin(), round.end());
        return percentiles(std::move(round)).p99;
    };
    run(a, aUs);  // warm-up of both paths, not counted
    run(b, bUs);
    aUs.clear();
    bUs.clear();
    for (std::uint64_t r = 0; r < rounds; ++r) {
        if (r % 2 == 0) {
            aRoundP99.push_back(run(a, aUs));
            run(b, bUs);
        } else {
            run(b, bUs);
            aRoundP99.push_back(run(a, aUs));
        }
    }
    const Percentiles decA = percentiles(aUs), decB = percentiles(bUs);
    const auto [minA, maxA] = std::minmax_element(aRoundP99.begin(), aRoundP99.end());
    const double spreadUs = *maxA - *minA;

    const double rssLoadMib = static_cast<double>(rssAfterLoadKib - rssBeforeKib) / 1024.0;
    const double rssLookupsMib = static_cast<double>(std::max(rssAfterLoadKib, rssAfterLookupsKib) - rssBeforeKib) / 1024.0;
    const double fileMib = static_cast<double>(fileBytes) / (1024.0 * 1024.0);
    const bool ok = falsePositives == 0 && memberHits == (lookups + 1) / 2 && notPassed == 0;

    if (args->has("--json")) {
        auto r2 = [](double x) { return std::round(x * 100.0) / 100.0; };
        json j;
        j["entries"] = entries;
        j["file_mib"] = r2(fileMib);
        j["rss"] = {{"growth_after_load_mib", r2(rssLoadMib)}, {"growth_after_lookups_mib", r2(rssLookupsMib)}};
        j["load"] = {{"first_ms", r2(firstLoadMs)}, {"reloads", loads}, {"median_ms", r2(load.p50)}, {"max_ms", r2(load.max)}};
        j["swap"] = {{"lookup_max_us_during_swaps", r2(lookupDuringSwapMaxUs)}, {"lookups_during_swaps", lookupsDuringSwaps},
                     {"lookup_max_us_during_loads_without_swap", r2(noSwap.lookupMaxUs)}, {"release_ms", r2(releaseMs)}};
        j["lookup"] = percentilesJson(lookup, "us");
        j["lookup"]["count"] = lookups;
        j["lookup"]["member_hits"] = memberHits;
        j["false_positives"] = {{"non_members", nonMembers}, {"hits", falsePositives},
                                {"mean_us", nonMembers ? r2(nonMemberSeconds * 1e6 / static_cast<double>(nonMembers)) : 0.0}};
        j["decision"] = {{"rounds", rounds},
                         {"decisions_per_round", decisions},
                         {"without_index", percentilesJson(decA, "us")},
                         {"with_index", percentilesJson(decB, "us")},
                         {"p99_difference_us", r2(decB.p99 - decA.p99)},
                         {"run_to_run_spread_p99_us", r2(spreadUs)},
                         {"not_passed", notPassed}};
        ctx.out << j.dump() << '\n';
    } else {
        char line[256];
        std::snprintf(line, sizeof line, "revocation index: %llu entries, %.2f MiB file\n", static_cast<unsigned long long>(entries), fileMib);
        ctx.out << line;
        std::snprintf(line, sizeof line, "resident memory   +%.2f MiB after load, +%.2f MiB after %llu lookups (VmRSS)\n", rssLoadMib,
                      rssLookupsMib, static_cast<unsigned long long>(lookups));
        ctx.out << line;
        std::snprintf(line, sizeof line, "load+verify+swap  first %.1f ms; %llu reloads median %.1f ms, max %.1f ms\n", firstLoadMs,
                      static_cast<unsigned long long>(loads), load.p50, load.max);
        ctx.out << line;
        std::snprintf(line, sizeof line,
                      "during swaps      longest of %llu lookups on another thread %.1f µs (loads without a swap: %.1f µs); "
                      "releasing an index %.2f ms\n",
                      static_cast<unsigned long long>(lookupsDuringSwaps), lookupDuringSwapMaxUs, noSwap.lookupMaxUs, releaseMs);
        ctx.out << line;
        std::snprintf(line, sizeof line, "lookup            p50 %.3f µs, p99 %.3f µs, max %.1f µs (%llu; members found %llu of %llu)\n",
                      lookup.p50, lookup.p99, lookup.max, static_cast<unsigned long long>(lookups),
                      static_cast<unsigned long long>(memberHits), static_cast<unsigned long long>((lookups + 1) / 2));
        ctx.out << line;
        std::snprintf(line, sizeof line, "false positives   %llu of %llu random non-members (%.3f µs each)\n",
                      static_cast<unsigned long long>(falsePositives), static_cast<unsigned long long>(nonMembers),
                      nonMembers ? nonMemberSeconds * 1e6 / static_cast<double>(nonMembers) : 0.0);
        ctx.out << line;
        std::snprintf(line, sizeof line, "offline decision  A no index   p50 %.1f µs, p99 %.1f µs\n", decA.p50, decA.p99);
        ctx.out << line;
        std::snprintf(line, sizeof line, "                  B with index p50 %.1f µs, p99 %.1f µs (B−A p99 %+.1f µs; run-to-run spread of A's p99 %.1f µs)\n",
                      decB.p50, decB.p99, decB.p99 - decA.p99, spreadUs);
        ctx.out << line;
        std::snprintf(line, sizeof line, "                  %llu rounds ABBA x %llu decisions per side%s\n", static_cast<unsigned long long>(rounds),
                      static_cast<unsigned long long>(decisions), notPassed ? " — SOME DID NOT PASS" : "");
        ctx.out << line;
    }
    return ok ? kExitOk : kExitFail;
}

}  // namespace sentinel::app

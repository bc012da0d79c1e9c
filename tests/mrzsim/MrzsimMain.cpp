// sentinel-mrzsim --out DIR --seed N [--per-category K] [--negatives K]
// Writes a simulated passport set (see PassportSimulator.h). Exit 0 ok, 1 write error, 2 usage.

#include <charconv>
#include <iostream>
#include <string>
#include <vector>

#include "tests/mrzsim/PassportSimulator.h"

namespace {

constexpr long long kDefaultPerCategory = 20;
constexpr long long kDefaultNegatives = 20;

int usage(const std::string& why) {
    std::cerr << "sentinel-mrzsim: " << why << "\n"
              << "usage: sentinel-mrzsim --out DIR --seed N [--per-category K] [--negatives K]\n"
                 "  simulated 1280x720 camera frames of passport data pages (TD3) and cards (TD1) in OCR-B,\n"
                 "  one folder per category, and frames without a document; DIR/manifest.tsv lists them.\n"
                 "  Seeds: 27 development (tuning), 2027 report (docs/PERFORMANCE.md).\n";
    return 2;
}

bool parseInt(const std::string& s, long long& v) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc{} && ptr == s.data() + s.size();
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string out;
    long long seed = -1, perCategory = kDefaultPerCategory, negatives = kDefaultNegatives;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            usage("passport simulator");
            return 0;
        }
        if (i + 1 >= args.size()) return usage("missing value after " + a);
        const std::string& v = args[++i];
        if (a == "--out") {
            out = v;
        } else if (a == "--seed") {
            if (!parseInt(v, seed) || seed < 0) return usage("--seed takes a non-negative integer");
        } else if (a == "--per-category") {
            if (!parseInt(v, perCategory) || perCategory < 0 || perCategory > 100000) return usage("--per-category takes 0..100000");
        } else if (a == "--negatives") {
            if (!parseInt(v, negatives) || negatives < 0 || negatives > 100000) return usage("--negatives takes 0..100000");
        } else {
            return usage("unknown option " + a);
        }
    }
    if (out.empty() || seed < 0) return usage("--out and --seed are required");
    auto manifest = sentinel::mrzsim::writeSet(out, static_cast<std::uint64_t>(seed), static_cast<int>(perCategory),
                                               static_cast<int>(negatives));
    if (!manifest) {
        std::cerr << "sentinel-mrzsim: " << manifest.error().message << "\n";
        return 1;
    }
    std::cout << manifest->string() << "\n";
    return 0;
}

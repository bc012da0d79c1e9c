// sentinel-camsim --out DIR --seed N --level realistic|hard [--count-per-category K] [--empty K]
//                 [--hc1 issuer|synthetic]
// Writes a simulated camera set (see CameraSimulator.h). Exit 0 ok, 1 write error, 2 usage.

#include <charconv>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tests/camsim/CameraSimulator.h"

namespace {

constexpr int kDefaultCountPerCategory = 20;

int usage(const std::string& why) {
    std::cerr << "sentinel-camsim: " << why << "\n"
              << "usage: sentinel-camsim --out DIR --seed N --level realistic|hard [--count-per-category K] [--empty K]\n"
                 "         [--hc1 issuer|synthetic]   HC1 payloads: signed by the test issuer (default; the\n"
                 "                                    signatures differ per run) or synthetic (bit-for-bit reproducible)\n";
    return 2;
}

bool parseInt(const std::string& s, long long& v) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc{} && ptr == s.data() + s.size();
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string out, levelText, hc1Source = "issuer";
    long long seed = -1, count = kDefaultCountPerCategory, empty = 0;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            usage("simulated 1280x720 camera frames of QR codes, one folder per impairment category");
            return 0;
        }
        if (i + 1 >= args.size()) return usage("missing value after " + a);
        const std::string& v = args[++i];
        if (a == "--out") {
            out = v;
        } else if (a == "--level") {
            levelText = v;
        } else if (a == "--seed") {
            if (!parseInt(v, seed) || seed < 0) return usage("--seed takes a non-negative integer");
        } else if (a == "--count-per-category") {
            if (!parseInt(v, count) || count < 1 || count > 100000) return usage("--count-per-category takes 1..100000");
        } else if (a == "--hc1") {
            if (v != "issuer" && v != "synthetic") return usage("--hc1 takes issuer or synthetic");
            hc1Source = v;
        } else if (a == "--empty") {
            if (!parseInt(v, empty) || empty < 0 || empty > 100000) return usage("--empty takes 0..100000");
        } else {
            return usage("unknown option " + a);
        }
    }
    if (out.empty() || levelText.empty() || seed < 0) return usage("--out, --seed and --level are required");
    auto level = sentinel::camsim::parseLevel(levelText);
    if (!level) return usage(level.error().message);
    std::unique_ptr<sentinel::camsim::Hc1Source> hc1;
    if (hc1Source == "issuer") {
        hc1 = std::make_unique<sentinel::camsim::IssuerHc1>();
    } else {
        hc1 = std::make_unique<sentinel::camsim::SyntheticHc1>();
    }
    auto manifest = sentinel::camsim::writeSet(out, static_cast<std::uint64_t>(seed), *level, static_cast<int>(count),
                                                static_cast<int>(empty), hc1.get());
    if (!manifest) {
        std::cerr << "sentinel-camsim: " << manifest.error().message << "\n";
        return 1;
    }
    std::cout << manifest->string() << "\n";
    return 0;
}

#include "firmware/mrz/bench/BenchMrz.h"

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <ostream>
#include <sstream>

#include "firmware/base/Secret.h"
#include "firmware/mrz/MrzParser.h"
#include "firmware/mrz/MrzReader.h"
#include "firmware/mrz/MrzTracker.h"

extern char** environ;

namespace sentinel::mrz {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kUsage =
    "usage: sentinel bench mrz --manifest TSV [--json] [--peers] [--frames N] [--font PATH]\n"
    "  TSV lines: image<TAB>expected[<TAB>pitch=P], expected = the MRZ lines joined by one space (empty: no document)\n"
    "  --peers: also the tesseract command (subprocess, --psm 6, MRZ whitelist) on each image\n"
    "  tilt (JSON tilt_hint, tilt_hint_unread): scenes where a reflection blocked a read, so the kiosk's screen\n"
    "  asked the traveller to tilt the page\n";
// Pitch bands of issue 27's figures (px): [10, 13), [13, 20), [20, ∞).
constexpr double kSmallBandPx = 13.0;
constexpr double kLargeBandPx = 20.0;
constexpr const char* kTesseractWhitelist = "tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<";

struct Entry {
    fs::path image;
    std::string expected;  // empty: no document
    double pitchPx = 0;
    std::string category;
};

struct PeerTally {
    int read = 0;
    int wrong = 0;
    std::vector<double> ms;
};

struct Tally {
    int total = 0;
    int read = 0;
    int wrong = 0;
    // Scenes in which a reflection blocked a read (ReadReport::reflectionBlocked) within the frames:
    // on a kiosk the screen asked the traveller to tilt the page.
    int tiltHint = 0;
    int tiltHintUnread = 0;  // … of them, never read within the frames
    std::vector<double> frameMs;
    std::vector<double> frameCpuMs;
    std::vector<double> framesToRead;
    std::vector<std::string> missed;
    std::vector<std::string> wrongImages;
    PeerTally tesseract;
    bool peerRan = false;
};

double msSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// This thread's CPU time (ms): on a loaded machine the wall-clock times of a frame include waiting
// for a core; the CPU time is what the frame cost.
double threadCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * double(v.size())));
    return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

double round2(double x) { return std::round(x * 100.0) / 100.0; }

std::string bandOf(double pitchPx) {
    if (pitchPx <= 0) return "unknown";
    if (pitchPx < kSmallBandPx) return "10-13";
    if (pitchPx < kLargeBandPx) return "13-20";
    return "20+";
}

bool parseManifest(const fs::path& manifest, std::vector<Entry>& entries, std::ostream& err) {
    std::ifstream in(manifest);
    if (!in) {
        err << "bench mrz: cannot read manifest " << manifest << "\n";
        return false;
    }
    const fs::path base = manifest.parent_path();
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> cols;
        std::size_t start = 0;
        while (true) {
            const auto tab = line.find('\t', start);
            cols.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
            if (tab == std::string::npos) break;
            start = tab + 1;
        }
        if (cols.size() < 2) {
            err << "bench mrz: " << manifest.string() << ":" << lineNo << ": expected image<TAB>expected\n";
            return false;
        }
        Entry e;
        e.image = fs::path(cols[0]);
        if (e.image.is_relative()) e.image = base / e.image;
        e.expected = cols[1];
        if (!e.expected.empty() && e.expected[0] == '@') e.expected.erase(0, 1);
        for (std::size_t i = 2; i < cols.size(); ++i) {
            if (cols[i].rfind("pitch=", 0) == 0) {
                const std::string v = cols[i].substr(6);
                e.pitchPx = std::strtod(v.c_str(), nullptr);
            }
        }
        e.category = e.image.parent_path().filename().string();
        entries.push_back(std::move(e));
    }
    return true;
}

std::string joined(const MrzRead& read) {
    std::string s;
    for (const auto& l : read.lines) {
        if (!s.empty()) s += ' ';
        s += l.view();
    }
    return s;
}

// Runs `tesseract IMAGE stdout --psm 6 -c WHITELIST` (one thread), returns its standard output.
std::string runTesseract(const fs::path& image) {
    int pipeFds[2];
    if (pipe(pipeFds) != 0) return {};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipeFds[0]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    const std::string path = image.string();
    std::vector<std::string> argvS{"tesseract", path, "stdout", "--psm", "6", "-c", kTesseractWhitelist};
    std::vector<char*> argv;
    for (auto& a : argvS) argv.push_back(a.data());
    argv.push_back(nullptr);
    // One thread, as the reader: tesseract's OpenMP would take every core.
    std::vector<std::string> envS{"OMP_THREAD_LIMIT=1"};
    for (char** e = environ; *e != nullptr; ++e) envS.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : envS) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, "tesseract", &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(pipeFds[1]);
    std::string output;
    if (rc == 0) {
        char buf[4096];
        ssize_t n;
        while ((n = read(pipeFds[0], buf, sizeof buf)) > 0) output.append(buf, std::size_t(n));
        int status = 0;
        waitpid(pid, &status, 0);
    }
    close(pipeFds[0]);
    return output;
}

// The peer's verdict on its output: 1 read (equals expected), -1 wrong (a passing MRZ that differs),
// 0 nothing.
int scorePeer(const std::string& output, const std::string& expected) {
    std::vector<std::string> lines;
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line)) {
        line.erase(std::remove_if(line.begin(), line.end(), [](unsigned char c) { return std::isspace(c) != 0; }), line.end());
        if (!line.empty()) lines.push_back(line);
    }
    int verdict = 0;
    for (int count : {kTd3Lines, kTd1Lines}) {
        for (std::size_t i = 0; i + std::size_t(count) <= lines.size(); ++i) {
            std::vector<std::string_view> views(lines.begin() + std::ptrdiff_t(i), lines.begin() + std::ptrdiff_t(i) + count);
            auto parsed = parseMrz(views);
            if (!parsed || !parsed->checks.all()) continue;
            std::string text;
            for (auto v : views) text += (text.empty() ? "" : " ") + std::string(v);
            const bool right = text == expected;
            secureZero(text.data(), text.size());
            if (right) return 1;
            verdict = -1;
        }
    }
    for (auto& l : lines) secureZero(l.data(), l.size());
    return verdict;
}

nlohmann::json tallyJson(const Tally& t, bool full) {
    nlohmann::json j = {{"total", t.total}, {"read", t.read}, {"wrong", t.wrong}, {"tilt_hint", t.tiltHint}, {"tilt_hint_unread", t.tiltHintUnread}};
    j["read_pct"] = t.total ? round2(100.0 * t.read / t.total) : 0.0;
    if (full) {
        j["median_ms"] = round2(percentile(t.frameMs, 50));
        j["p95_ms"] = round2(percentile(t.frameMs, 95));
        j["p99_ms"] = round2(percentile(t.frameMs, 99));
        j["max_ms"] = round2(percentile(t.frameMs, 100));
        j["cpu_median_ms"] = round2(percentile(t.frameCpuMs, 50));
        j["cpu_p99_ms"] = round2(percentile(t.frameCpuMs, 99));
        j["frames_to_read"] = {{"median", percentile(t.framesToRead, 50)}, {"p95", percentile(t.framesToRead, 95)}};
        if (!t.missed.empty()) j["missed"] = t.missed;
    }
    if (!t.wrongImages.empty()) j["wrong_images"] = t.wrongImages;
    if (t.peerRan) {
        j["peers"] = {{"tesseract",
                       {{"read", t.tesseract.read}, {"wrong", t.tesseract.wrong}, {"median_ms", round2(percentile(t.tesseract.ms, 50))}}}};
    }
    return j;
}

void printTable(const Tally& all, const std::map<std::string, Tally>& cats, const std::map<std::string, Tally>& bands,
                const Tally& empty, bool peers, std::ostream& out) {
    out << std::left << std::setw(12) << "set" << std::right << std::setw(6) << "total" << std::setw(6) << "read"
        << std::setw(8) << "%" << std::setw(8) << "wrong" << std::setw(9) << "frm p50" << std::setw(9) << "frm p95"
        << std::setw(9) << "ms p50" << std::setw(9) << "ms p95" << std::setw(9) << "ms p99" << std::setw(9) << "ms max" << std::setw(9) << "cpu p50" << std::setw(9) << "cpu p99" << std::setw(6) << "tilt";
    if (peers) out << std::setw(18) << "tesseract read";
    out << "\n";
    auto row = [&](const std::string& name, const Tally& t) {
        out << std::left << std::setw(12) << name << std::right << std::fixed << std::setprecision(1) << std::setw(6)
            << t.total << std::setw(6) << t.read << std::setw(8) << (t.total ? 100.0 * t.read / t.total : 0.0)
            << std::setw(8) << t.wrong << std::setw(9) << percentile(t.framesToRead, 50) << std::setw(9)
            << percentile(t.framesToRead, 95) << std::setw(9) << percentile(t.frameMs, 50) << std::setw(9)
            << percentile(t.frameMs, 95) << std::setw(9) << percentile(t.frameMs, 99) << std::setw(9)
            << percentile(t.frameMs, 100) << std::setw(9) << percentile(t.frameCpuMs, 50) << std::setw(9)
            << percentile(t.frameCpuMs, 99) << std::setw(6) << t.tiltHint;
        if (peers) {
            std::ostringstream s;
            s << t.tesseract.read << " (" << std::setprecision(0) << percentile(t.tesseract.ms, 50) << " ms)";
            out << std::setw(18) << s.str();
        }
        out << "\n";
    };
    for (const auto& [name, t] : cats) row(name, t);
    for (const auto& [name, t] : bands) row("pitch " + name, t);
    row("ALL", all);
    if (empty.total > 0) {
        out << "no document: " << empty.total << " scenes, " << empty.frameMs.size() << " frames, ms p50 "
            << std::setprecision(2) << percentile(empty.frameMs, 50) << ", p95 " << percentile(empty.frameMs, 95)
            << ", p99 " << percentile(empty.frameMs, 99) << "; cpu ms p50 " << percentile(empty.frameCpuMs, 50) << ", p99 "
            << percentile(empty.frameCpuMs, 99) << ", wrong " << empty.wrong << ", tilt hints " << empty.tiltHint << "\n";
    }
}

}  // namespace

int runBenchMrz(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    std::string manifest, fontPath = kDefaultOcrBFontPath;
    bool json = false, peers = false;
    int frames = kFramesPerScene;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--json") {
            json = true;
        } else if (args[i] == "--peers") {
            peers = true;
        } else if (args[i] == "--manifest" && i + 1 < args.size()) {
            manifest = args[++i];
        } else if (args[i] == "--font" && i + 1 < args.size()) {
            fontPath = args[++i];
        } else if (args[i] == "--frames" && i + 1 < args.size()) {
            const std::string& v = args[++i];
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), frames);
            if (ec != std::errc{} || p != v.data() + v.size() || frames < 1 || frames > 1000) {
                err << "bench mrz: --frames takes 1..1000\n" << kUsage;
                return 2;
            }
        } else if (args[i] == "--help" || args[i] == "-h") {
            out << kUsage;
            return 0;
        } else {
            err << "bench mrz: unexpected argument '" << args[i] << "'\n" << kUsage;
            return 2;
        }
    }
    if (manifest.empty()) {
        err << "bench mrz: --manifest is required\n" << kUsage;
        return 2;
    }
    std::vector<Entry> entries;
    if (!parseManifest(manifest, entries, err)) return 2;
    ReaderOptions options;
    options.fontPath = fontPath;
    auto reader = MrzReader::create(options);
    if (!reader) {
        err << "bench mrz: " << reader.error().message << "\n";
        return 2;
    }
    // One thread, as on the kiosk's decision path.
    cv::setNumThreads(1);
    MrzTracker tracker;
    Tally all, empty;
    std::map<std::string, Tally> cats, bands;

    for (const Entry& e : entries) {
        const cv::Mat img = cv::imread(e.image.string(), cv::IMREAD_GRAYSCALE);
        if (img.empty()) {
            err << "bench mrz: cannot read image " << e.image << "\n";
            return 1;
        }
        const GrayView view{img.data, img.cols, img.rows, static_cast<int>(img.step)};
        const bool document = !e.expected.empty();
        std::vector<Tally*> tallies{&cats[e.category]};
        if (document) {
            tallies.push_back(&all);
            tallies.push_back(&bands[bandOf(e.pitchPx)]);
        } else {
            tallies.push_back(&empty);
        }
        for (Tally* t : tallies) t->total++;
        reader->reset();
        tracker.reset();
        bool done = false, hinted = false;
        for (int frame = 1; frame <= frames && !done; ++frame) {
            const auto t0 = Clock::now();
            const double cpu0 = threadCpuMs();
            auto read = reader->readFrame(view);
            auto accepted = tracker.observe(std::move(read));
            const double ms = msSince(t0), cpuMs = threadCpuMs() - cpu0;
            hinted = hinted || reader->lastReport().reflectionBlocked;
            for (Tally* t : tallies) {
                t->frameMs.push_back(ms);
                t->frameCpuMs.push_back(cpuMs);
            }
            if (!accepted) continue;
            std::string text = joined(*accepted);
            const bool right = document && text == e.expected;
            secureZero(text.data(), text.size());
            for (Tally* t : tallies) {
                if (right) {
                    t->read++;
                    t->framesToRead.push_back(frame);
                } else {
                    t->wrong++;
                    t->wrongImages.push_back(e.image.string());
                }
            }
            done = true;
        }
        if (!done && document)
            for (Tally* t : tallies) t->missed.push_back(e.image.string());
        for (Tally* t : tallies) {
            t->tiltHint += hinted;
            t->tiltHintUnread += hinted && !done;
        }
        if (!peers) continue;
        const auto t0 = Clock::now();
        const std::string output = runTesseract(e.image);
        const double ms = msSince(t0);
        const int verdict = scorePeer(output, e.expected);
        for (Tally* t : tallies) {
            t->peerRan = true;
            t->tesseract.ms.push_back(ms);
            t->tesseract.read += verdict > 0 && document;
            t->tesseract.wrong += verdict < 0 || (verdict > 0 && !document);
        }
    }

    if (json) {
        nlohmann::json j = tallyJson(all, true);
        j["categories"] = nlohmann::json::object();
        for (const auto& [name, t] : cats) j["categories"][name] = tallyJson(t, true);
        j["pitch_bands"] = nlohmann::json::object();
        for (const auto& [name, t] : bands) j["pitch_bands"][name] = tallyJson(t, true);
        if (empty.total > 0) {
            j["no_document"] = {{"scenes", empty.total},
                                {"frames", empty.frameMs.size()},
                                {"median_ms", round2(percentile(empty.frameMs, 50))},
                                {"p95_ms", round2(percentile(empty.frameMs, 95))},
                                {"p99_ms", round2(percentile(empty.frameMs, 99))},
                                {"cpu_median_ms", round2(percentile(empty.frameCpuMs, 50))},
                                {"cpu_p99_ms", round2(percentile(empty.frameCpuMs, 99))},
                                {"wrong", empty.wrong},
                                {"tilt_hint", empty.tiltHint}};
            if (!empty.wrongImages.empty()) j["no_document"]["wrong_images"] = empty.wrongImages;
        }
        out << j.dump() << "\n";
    } else {
        printTable(all, cats, bands, empty, peers, out);
    }
    return 0;
}

}  // namespace sentinel::mrz

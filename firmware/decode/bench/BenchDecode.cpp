#include "firmware/decode/bench/BenchDecode.h"

#define ZX_USE_UTF8 1
#include <ZXing/DecodeHints.h>
#include <ZXing/ReadBarcode.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/wechat_qrcode.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <ostream>
#include <sstream>

#include "firmware/base/Log.h"
#include "firmware/decode/DecodeEngine.h"
#include "firmware/mrz/MrzReader.h"

namespace sentinel::decode {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kUsage =
    "usage: sentinel bench decode --manifest TSV [--json] [--peers] [--still] [--mrz]\n"
    "  TSV lines: image<TAB>expected, expected = @literal text or a path to a file holding it\n"
    "  --still: one decodeStill call per image (the whole cascade, no frame budget) instead of live frames\n"
    "  --mrz: also the MRZ reader's readFrame on every live frame, inside the same per-frame timing\n";

struct Entry {
    fs::path image;
    std::string expected;
    bool emptyScene = false;
    std::string category;
};

struct PeerTally {
    int decoded = 0;
    int within = 0;
    int misreads = 0;
    std::vector<double> ms;
};

struct Tally {
    int total = 0;
    int decoded = 0;
    int misreads = 0;
    std::vector<double> frameMs;
    std::vector<double> framesToRead;
    std::map<std::string, PeerTally> peers;
    std::map<std::string, int> readBy;  // variant that read, per scene read
    std::vector<std::string> missed;    // images not read within the frames (per category only)
    std::vector<std::string> misread;   // images read as something else (per category only)
};

double msSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// Nearest-rank percentile (p in 0..100) of an unsorted sample; 0 for an empty one.
double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * double(v.size())));
    return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

double round2(double x) { return std::round(x * 100.0) / 100.0; }

bool readFile(const fs::path& p, std::string& out) {
    std::ifstream f(p, std::ios::binary);
    if (!f) return false;
    std::ostringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    return true;
}

bool parseManifest(const fs::path& manifest, std::vector<Entry>& entries, std::ostream& err) {
    std::ifstream in(manifest);
    if (!in) {
        err << "bench decode: cannot read manifest " << manifest << "\n";
        return false;
    }
    const fs::path base = manifest.parent_path();
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        const auto tab = line.find('\t');
        if (tab == std::string::npos) {
            err << "bench decode: " << manifest.string() << ":" << lineNo << ": expected image<TAB>expected\n";
            return false;
        }
        Entry e;
        e.image = fs::path(line.substr(0, tab));
        if (e.image.is_relative()) e.image = base / e.image;
        const std::string spec = line.substr(tab + 1);
        if (!spec.empty() && spec[0] == '@') {
            e.expected = spec.substr(1);
            e.emptyScene = e.expected.empty();
        } else {
            fs::path p(spec);
            if (p.is_relative()) p = base / p;
            if (!readFile(p, e.expected)) {
                err << "bench decode: " << manifest.string() << ":" << lineNo << ": cannot read " << p << "\n";
                return false;
            }
        }
        e.category = e.image.parent_path().filename().string();
        entries.push_back(std::move(e));
    }
    return true;
}

// One peer call; returns true if it read the expected payload. Misreads counted in the tally.
template <class Fn>
void runPeer(PeerTally& overall, PeerTally& category, const Entry& e, Fn&& call) {
    const auto t0 = Clock::now();
    std::vector<std::string> got;
    try {
        got = call();
    } catch (const std::exception&) {
        got.clear();
    }
    const double ms = msSince(t0);
    const bool ok = std::find(got.begin(), got.end(), e.expected) != got.end();
    const bool wrong = !got.empty() && !ok;
    for (PeerTally* t : {&overall, &category}) {
        t->ms.push_back(ms);
        t->decoded += ok;
        t->within += ok && ms <= kPeerDeadlineMs;
        t->misreads += wrong;
    }
}

nlohmann::json peersJson(const std::map<std::string, PeerTally>& peers) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [name, t] : peers) {
        j[name] = {{"decoded", t.decoded},
                   {"within_500ms", t.within},
                   {"median_ms", round2(percentile(t.ms, 50))},
                   {"misreads", t.misreads}};
    }
    return j;
}

nlohmann::json tallyJson(const Tally& t, bool full) {
    nlohmann::json j = {{"total", t.total},
                        {"decoded", t.decoded},
                        {"median_ms", round2(percentile(t.frameMs, 50))},
                        {"p95_ms", round2(percentile(t.frameMs, 95))}};
    if (full) {
        j["p99_ms"] = round2(percentile(t.frameMs, 99));
        j["max_ms"] = round2(percentile(t.frameMs, 100));
        j["frames_to_read"] = {{"median", percentile(t.framesToRead, 50)}, {"p95", percentile(t.framesToRead, 95)}};
    }
    j["misreads"] = t.misreads;
    if (full && !t.readBy.empty()) j["read_by"] = t.readBy;
    if (!t.missed.empty()) j["missed"] = t.missed;
    if (!t.misread.empty()) j["misread"] = t.misread;
    if (!t.peers.empty()) j["peers"] = peersJson(t.peers);
    return j;
}

std::string peerCell(const std::map<std::string, PeerTally>& peers, const std::string& name) {
    auto it = peers.find(name);
    if (it == peers.end()) return "-";
    std::ostringstream s;
    s << it->second.within << " (" << std::fixed << std::setprecision(1) << percentile(it->second.ms, 50) << " ms)";
    return s.str();
}

void printTable(const Tally& all, const std::map<std::string, Tally>& cats, const Tally& empty, bool peers,
                std::ostream& out) {
    out << std::left << std::setw(12) << "category" << std::right << std::setw(6) << "total" << std::setw(8)
        << "decoded" << std::setw(8) << "%" << std::setw(9) << "frm p50" << std::setw(9) << "frm p95" << std::setw(9)
        << "ms p50" << std::setw(9) << "ms p95" << std::setw(9) << "ms p99" << std::setw(9) << "ms max"
        << std::setw(9) << "misread";
    if (peers) out << std::setw(20) << "zxing <=0.5s" << std::setw(22) << "wechat <=0.5s";
    out << "\n";
    auto row = [&](const std::string& name, const Tally& t) {
        out << std::left << std::setw(12) << name << std::right << std::fixed << std::setprecision(1) << std::setw(6)
            << t.total << std::setw(8) << t.decoded << std::setw(8)
            << (t.total ? 100.0 * t.decoded / t.total : 0.0) << std::setw(9) << percentile(t.framesToRead, 50)
            << std::setw(9) << percentile(t.framesToRead, 95) << std::setw(9) << percentile(t.frameMs, 50)
            << std::setw(9) << percentile(t.frameMs, 95) << std::setw(9) << percentile(t.frameMs, 99) << std::setw(9)
            << percentile(t.frameMs, 100) << std::setw(9) << t.misreads;
        if (peers) out << std::setw(20) << peerCell(t.peers, "zxing") << std::setw(22) << peerCell(t.peers, "wechat_qrcode");
        out << "\n";
    };
    for (const auto& [name, t] : cats) row(name, t);
    row("ALL", all);
    if (empty.total > 0) {
        out << "empty scenes: " << empty.total << " x " << kFramesPerScene << " frames, ms p50 " << std::setprecision(2)
            << percentile(empty.frameMs, 50) << ", p95 " << percentile(empty.frameMs, 95) << ", p99 "
            << percentile(empty.frameMs, 99) << ", misreads " << empty.misreads << "\n";
    }
}

}  // namespace

int runBenchDecode(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    std::string manifest;
    bool json = false, peers = false, stillMode = false, withMrz = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--json") {
            json = true;
        } else if (args[i] == "--peers") {
            peers = true;
        } else if (args[i] == "--still") {
            stillMode = true;
        } else if (args[i] == "--mrz") {
            withMrz = true;
        } else if (args[i] == "--manifest" && i + 1 < args.size()) {
            manifest = args[++i];
        } else if (args[i] == "--help" || args[i] == "-h") {
            out << kUsage;
            return 0;
        } else {
            err << "bench decode: unexpected argument '" << args[i] << "'\n" << kUsage;
            return 2;
        }
    }
    if (manifest.empty()) {
        err << "bench decode: --manifest is required\n" << kUsage;
        return 2;
    }
    std::vector<Entry> entries;
    if (!parseManifest(manifest, entries, err)) return 2;

    // Issue 8 measures one thread: the engine and both peers run on the calling thread only.
    cv::setNumThreads(1);
    DecodeEngine engine;
    // --mrz: the kiosk runs the MRZ search beside the QR engine on every frame (issue 27: it shares
    // the frame budget); its cost lands in the same per-frame times.
    std::unique_ptr<mrz::MrzReader> mrzReader;
    if (withMrz) {
        auto r = mrz::MrzReader::create();
        if (!r) {
            err << "bench decode: --mrz: " << r.error().message << "\n";
            return 2;
        }
        mrzReader = std::make_unique<mrz::MrzReader>(std::move(*r));
    }
    Tally all, empty;
    std::map<std::string, Tally> cats;
    ZXing::DecodeHints zxingHints;
    zxingHints.setFormats(ZXing::BarcodeFormat::QRCode);
    std::unique_ptr<cv::wechat_qrcode::WeChatQRCode> wechat;
    if (peers) wechat = std::make_unique<cv::wechat_qrcode::WeChatQRCode>();

    for (const Entry& e : entries) {
        const cv::Mat img = cv::imread(e.image.string(), cv::IMREAD_GRAYSCALE);
        if (img.empty()) {
            err << "bench decode: cannot read image " << e.image << "\n";
            return 1;
        }
        const GrayView view{img.data, img.cols, img.rows, static_cast<int>(img.step)};
        Tally& cat = e.emptyScene ? empty : cats[e.category];
        cat.total++;
        if (!e.emptyScene) all.total++;
        const int frames = stillMode ? 1 : kFramesPerScene;
        SLOG("Decode", Debug) << "scene " << e.image.string();  // ties the engine's per-frame lines to an image
        for (int frame = 1; frame <= frames; ++frame) {
            const auto t0 = Clock::now();
            const std::vector<std::string> got = stillMode ? engine.decodeStill(view) : engine.decodeFrame(view);
            if (mrzReader && !stillMode) (void)mrzReader->readFrame(view);
            const double ms = msSince(t0);
            cat.frameMs.push_back(ms);
            if (!e.emptyScene) all.frameMs.push_back(ms);
            // A kiosk acts on the first payloads it reads: payloads without the expected one are one
            // misread for the scene.
            const bool right = !e.emptyScene && std::find(got.begin(), got.end(), e.expected) != got.end();
            const bool wrong = !got.empty() && !right;
            if (wrong) {
                cat.misread.push_back(e.image.string());
                SLOG("Decode", Debug) << "misread by " << engine.lastReport().readBy;
                cat.misreads++;
                if (!e.emptyScene) all.misreads++;
            }
            if (right) {
                cat.decoded++;
                all.decoded++;
                cat.framesToRead.push_back(frame);
                all.framesToRead.push_back(frame);
                cat.readBy[engine.lastReport().readBy]++;
                all.readBy[engine.lastReport().readBy]++;
            }
            if (wrong || right) break;
            if (frame == frames && !e.emptyScene) cat.missed.push_back(e.image.string());
        }
        if (!peers || e.emptyScene) continue;
        runPeer(all.peers["zxing"], cat.peers["zxing"], e, [&] {
            std::vector<std::string> texts;
            ZXing::ImageView zv(img.data, img.cols, img.rows, ZXing::ImageFormat::Lum, static_cast<int>(img.step));
            for (const auto& r : ZXing::ReadBarcodes(zv, zxingHints)) texts.push_back(r.text());
            return texts;
        });
        runPeer(all.peers["wechat_qrcode"], cat.peers["wechat_qrcode"], e, [&] { return wechat->detectAndDecode(img); });
    }

    if (json) {
        nlohmann::json j = tallyJson(all, true);
        j["categories"] = nlohmann::json::object();
        for (const auto& [name, t] : cats) j["categories"][name] = tallyJson(t, true);
        if (empty.total > 0) {
            j["empty"] = {{"scenes", empty.total},
                          {"frames", empty.frameMs.size()},
                          {"median_ms", round2(percentile(empty.frameMs, 50))},
                          {"p95_ms", round2(percentile(empty.frameMs, 95))},
                          {"p99_ms", round2(percentile(empty.frameMs, 99))},
                          {"misreads", empty.misreads}};
        }
        out << j.dump() << "\n";
    } else {
        printTable(all, cats, empty, peers, out);
    }
    return 0;
}

}  // namespace sentinel::decode

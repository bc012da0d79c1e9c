// `sentinel mrz [--json] [--show] [--font PATH] IMAGE…` (DESIGN §15): a desk tool for technicians
// and tests. MRZ text is personal data: without --show only its shape is printed (every character
// but the filler masked).
#include <chrono>
#include <cmath>

#include <nlohmann/json.hpp>

#include "drivers/camera/ImageFile.h"
#include "firmware/app/CliUtil.h"
#include "firmware/base/Secret.h"
#include "firmware/mrz/MrzReader.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel mrz [--json] [--show] [--font PATH] IMAGE…

Finds and reads an ICAO 9303 machine readable zone (passport TD3, card TD1) in each image with the
kiosk's own OCR-B reader, as a still image. A read counts only when every check digit passes.
Prints per image the type and check result, with --json one object per image:
{"file":"a.png","read":true,"type":"TD3","checks_ok":true,"ms":14.2,"masked":["P<***…"]}; an image
without a read says why ("why": no_text, no_zone, reflection, unsure, state or checks).
The MRZ is personal data: its lines are printed only with --show ("lines"); otherwise every
character but the filler '<' is masked.

Options:
  --json         one JSON object per line
  --show         print the lines read (personal data: for the desk, never for logs)
  --font PATH    the OCR-B font (default /usr/share/fonts/opentype/ocr-b/OCRB.otf, fonts-ocr-b)
  --help         this text

Exit status: 0 every image held a readable MRZ, 1 some image held none or could not be read, 2 usage.
)HELP";

// Why nothing was read, from the reader's report: a short code (JSON "why") and what a technician
// can do about it. The most specific cause first: a zone refused for a reflection or for blur was
// found and read as far as its checks.
struct Why {
    const char* code;
    const char* advice;
};
Why whyNotRead(const mrz::ReadReport& r) {
    if (r.bandsFound == 0) return {"no_text", "no line of text found: is the page in view, lit and in focus?"};
    if (r.clipped > 0 || r.reflectionBlocked) return {"reflection", "a reflection covers part of the zone: tilt the page or move the light"};
    if (r.zonesFound == 0) return {"no_zone", "text found, but no two or three lines shaped like an MRZ"};
    if (r.belowConfidence > 0) return {"unsure", "characters too blurred to tell apart with confidence: hold still, closer, in focus"};
    if (r.unknownState > 0) return {"state", "the issuing state or nationality is not an ICAO code"};
    return {"checks", "the check digits do not pass: blur, damage, or not an MRZ"};
}

std::string masked(std::string_view line) {
    std::string m(line.size(), '*');
    for (std::size_t i = 0; i < line.size(); ++i)
        if (line[i] == mrz::kFiller) m[i] = mrz::kFiller;
    return m;
}

}  // namespace

int cmdMrz(const std::vector<std::string>& argv, CliContext& ctx) {
    int exitCode = kExitOk;
    auto args = parseOrExit(argv, {{"--json", "--show"}, {"--font"}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    if (args->positionals.empty()) {
        ctx.err << "sentinel mrz: no IMAGE given\n\n" << kHelp;
        return kExitUsage;
    }
    const bool json = args->has("--json"), show = args->has("--show");
    mrz::ReaderOptions options;
    if (auto font = args->value("--font")) options.fontPath = *font;
    auto reader = mrz::MrzReader::create(options);
    if (!reader) {
        ctx.err << "sentinel mrz: " << reader.error().message << '\n';
        return kExitUsage;
    }
    int status = kExitOk;
    for (const auto& file : args->positionals) {
        auto frame = camera::loadGrayImage(file);
        if (!frame) {
            ctx.err << "sentinel mrz: " << frame.error().message << '\n';
            if (json) ctx.out << nlohmann::json{{"file", file}, {"read", false}, {"error", frame.error().message}}.dump() << '\n';
            status = kExitFail;
            continue;
        }
        const auto t0 = std::chrono::steady_clock::now();
        const auto read = reader->readStill(frame->gray);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (!read) status = kExitFail;
        if (json) {
            nlohmann::json j{{"file", file}, {"read", read.has_value()}, {"ms", std::round(ms * 100) / 100}};
            if (!read) j["why"] = whyNotRead(reader->lastReport()).code;
            if (read) {
                j["type"] = std::string(mrz::toString(read->format));
                j["checks_ok"] = read->parsed.checks.all();
                nlohmann::json lines = nlohmann::json::array();
                for (const auto& l : read->lines) lines.push_back(show ? std::string(l.view()) : masked(l.view()));
                j[show ? "lines" : "masked"] = std::move(lines);
            }
            std::string text = j.dump();
            ctx.out << text << '\n';
            secureZero(text.data(), text.size());
        } else {
            ctx.out << file << ": ";
            if (!read) {
                ctx.out << "(no MRZ read: " << whyNotRead(reader->lastReport()).advice << ")\n";
                continue;
            }
            ctx.out << mrz::toString(read->format) << ", every check digit passes (" << std::round(ms * 10) / 10 << " ms)\n";
            for (const auto& l : read->lines) ctx.out << "  " << (show ? std::string(l.view()) : masked(l.view())) << '\n';
        }
    }
    return status;
}

}  // namespace sentinel::app

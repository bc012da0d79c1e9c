#include "firmware/ui/KioskVoice.h"

#include <cstdlib>

#include "firmware/ui/Texts.h"

namespace sentinel::ui {

KioskVoice::KioskVoice(hal::Voice& voice, std::filesystem::path promptsDir, std::vector<std::string> languages)
    : voice_(voice), dir_(std::move(promptsDir)), languages_(std::move(languages)) {}

std::vector<std::filesystem::path> KioskVoice::promptsFor(Decision d, Reason r, const std::optional<std::string>& route) const {
    std::vector<std::filesystem::path> files;
    for (const auto& language : languages_) {
        for (const auto& f : ui::promptFiles(d, r, language)) files.push_back(dir_ / f);
        if (route) {
            if (auto f = ui::routePromptFile(*route, language); !f.empty()) files.push_back(dir_ / f);
        }
    }
    return files;
}

void KioskVoice::decided(const DecisionRecord& record, const kiosk::Verdict&, std::int64_t) {
    voice_.play(promptsFor(record.decision, record.reason, record.route),
                std::string(toString(record.decision)) + "-" + std::string(toString(record.reason)));
}

void KioskVoice::awaitingDocument() {
    std::vector<std::filesystem::path> files;
    for (const auto& language : languages_) {
        if (auto f = ui::documentPromptFile(language); !f.empty()) files.push_back(dir_ / f);
    }
    voice_.play(files, "AWAIT-DOCUMENT");
}

void KioskVoice::frameProcessed(const hal::Frame&, const kiosk::FrameObservation& what) {
    if (what.documentGlare && !glare_) {
        std::vector<std::filesystem::path> files;
        for (const auto& language : languages_) {
            if (auto f = ui::tiltPromptFile(language); !f.empty()) files.push_back(dir_ / f);
        }
        voice_.play(files, "HINT-TILT");
    }
    glare_ = what.documentGlare;
}

std::filesystem::path locatePrompts() {
    namespace fs = std::filesystem;
    std::error_code ec;
    auto has = [&](const fs::path& dir) { return fs::is_regular_file(dir / "en" / "decision-PASS.wav", ec); };
    if (const char* env = std::getenv("SENTINEL_PROMPTS_DIR"); env && *env) return env;
    const auto self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        for (const auto& candidate : {self.parent_path() / ".." / "share" / "sentinel" / "prompts",
                                      self.parent_path() / ".." / ".." / "prompts"}) {
            if (has(candidate)) return fs::weakly_canonical(candidate, ec);
        }
    }
    return {};
}

}  // namespace sentinel::ui

#include "firmware/decode/DecodeEngine.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <deque>

#include "firmware/base/Log.h"
#include "firmware/decode/Cascade.h"

namespace sentinel::decode {
namespace {

using Clock = std::chrono::steady_clock;
using detail::cascade;
using detail::runVariant;

constexpr std::string_view kLog = "Decode";
// Index of the full-size plain pass in the cascade (index 0 is the half-size cheap pass).
constexpr std::size_t kFullSizePass = 1;
// Variants that read recently are tried first on later frames (a kiosk sees the same kind of phone
// screen many times in a row).
constexpr std::size_t kRecentWinners = 3;
// Without evidence of a code, the expensive cascade runs on one frame in this many (keeps the
// median cost of an empty frame at the cheap pass, yet still finds codes the evidence misses).
constexpr int kIdleDutyCycle = 4;
// Escalation credits regained per frame (1/4: a textured empty scene escalates one frame in four
// in the long run, like the idle duty cycle).
constexpr double kCreditRefillPerFrame = 0.25;
// A variant whose estimate exceeds kLargestVariantOfBudget budgets is skipped and its estimate
// decays by kSkippedCostDecay, so that it is measured again after a few passes. 2 budgets = 24 ms:
// the deconvolve-and-sample-the-grid variants (≈ 20 ms idle; issue 16: defocus, motion, low light)
// run as a frame's first variant, and with the cheap pass (≈ 1–3 ms) a frame stays within the
// 33 ms period; on a loaded CPU they are skipped rather than overrun it.
constexpr double kLargestVariantOfBudget = 2.0;
constexpr double kSkippedCostDecay = 0.8;
// Variants that can stop part-way (the module-grid readers) stop at this many budgets after the
// frame began (24 ms for the default 12 ms), so that a frame whose variant costs more than it
// predicted still ends within the 33 ms period of a 30 fps camera (the reader checks the clock
// every millisecond or two).
constexpr double kFrameDeadlineOfBudget = 2.0;

// Scene-change detection on a thumbnail: mean absolute difference in grey levels above which the
// frame shows a new scene (a phone entering the view changes far more than sensor noise, ≈2).
constexpr int kThumbWidthPx = 80;
constexpr int kThumbHeightPx = 45;
constexpr double kSceneChangeMeanAbsDiff = 6.0;
// Learned cost: rises fast, decays slowly (a loaded CPU must not make the budget optimistic).
constexpr double kCostRiseWeight = 1.0;
constexpr double kCostDecayWeight = 0.1;
// Costs are learned only from runs with at least this much work (tiny regions are dominated by
// fixed overheads).
constexpr double kMinLearnMegapixels = 0.05;
// Symbol locations carried from frame to frame within a scene.
constexpr std::size_t kMaxSceneSymbols = 4;

cv::Mat wrap(const GrayView& v) {
    return cv::Mat(v.heightPx, v.widthPx, CV_8UC1, const_cast<std::uint8_t*>(v.data),
                   static_cast<std::size_t>(v.strideBytes));
}

std::chrono::microseconds since(Clock::time_point t0) {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
}

}  // namespace

struct DecodeEngine::Impl {
    EngineOptions options;
    std::vector<double> msPerMp;  // learned per-variant cost per megapixel of work
    std::deque<std::size_t> winners;
    std::deque<std::size_t> pending;  // variants still to try on the current scene, in order
    double credits = 0;  // frames of escalation a QR-like texture region may still trigger
    long frameCount = 0;
    cv::Mat lastThumb;
    // Where ZXing located a symbol it could not decode, on earlier frames of the current scene: the
    // candidate regions of later frames start from them (as one still pass accumulates them).
    std::vector<cv::Rect> sceneSymbols;
    // A grid variant that stopped at a frame's deadline: it goes on first on the scene's next frames.
    std::shared_ptr<detail::GridJob> job;
    std::size_t jobVariant = 0;
    FrameReport report;

    explicit Impl(EngineOptions o) : options(o), credits(double(o.escalationFrames)) {
        for (const auto& v : cascade()) msPerMp.push_back(v.costHintMs);
    }

    double predictMs(std::size_t index, detail::FrameContext& frame) const {
        return msPerMp[index] * detail::workMegapixels(cascade()[index], frame);
    }

    void rememberWinner(std::size_t index) {
        if (index == 0) return;
        winners.erase(std::remove(winners.begin(), winners.end(), index), winners.end());
        winners.push_front(index);
        if (winners.size() > kRecentWinners) winners.pop_back();
    }

    bool sceneChanged(detail::FrameContext& frame) {
        cv::Mat thumb;
        cv::resize(frame.half(), thumb, cv::Size(kThumbWidthPx, kThumbHeightPx), 0, 0, cv::INTER_AREA);
        bool changed = lastThumb.empty() || lastThumb.size() != thumb.size() ||
                       cv::norm(thumb, lastThumb, cv::NORM_L1) / double(thumb.total()) > kSceneChangeMeanAbsDiff;
        lastThumb = thumb;
        return changed;
    }

    // Runs variant `index`, learns its cost; returns its payloads.
    detail::VariantOutcome run(std::size_t index, detail::FrameContext& frame, Clock::time_point deadline = Clock::time_point::max()) {
        const double workMp = detail::workMegapixels(cascade()[index], frame);
        const auto t0 = Clock::now();
        detail::VariantOutcome outcome = runVariant(cascade()[index], frame, deadline);
        const double ms = double(since(t0).count()) / 1000.0;
        SLOG(kLog, Debug) << "variant " << cascade()[index].name << " work_mp=" << workMp
                          << " predicted_ms=" << msPerMp[index] * workMp << " ms=" << ms;
        if (workMp >= kMinLearnMegapixels) {
            double& c = msPerMp[index];
            const double observed = ms / workMp;
            c += (observed > c ? kCostRiseWeight : kCostDecayWeight) * (observed - c);
        }
        ++report.variantsTried;
        report.symbolSeen = report.symbolSeen || outcome.symbolSeen;
        if (!outcome.payloads.empty()) report.readBy = cascade()[index].name;
        return outcome;
    }

    std::vector<std::string> frame(const cv::Mat& img) {
        const auto t0 = Clock::now();
        report = {};
        ++frameCount;
        detail::FrameContext context(img);
        if (sceneChanged(context)) {  // a new scene starts the cascade from the top
            pending.clear();
            sceneSymbols.clear();
            job.reset();
        }
        context.symbols() = sceneSymbols;
        // Nothing read on this frame: the symbols it located are kept for the scene's next frames.
        auto nothing = [&] {
            keepSymbols(context);
            return finish(t0, {});
        };
        auto outcome = run(0, context);
        if (!outcome.payloads.empty()) {
            credits = double(options.escalationFrames);
            return finish(t0, withFullSizeCodes(std::move(outcome.payloads), context));
        }

        // Escalation: a symbol ZXing saw but could not read always escalates; a QR-like texture
        // region escalates while credits last (one credit a frame, refilled at kCreditRefillPerFrame
        // and in full after a read); otherwise one frame in kIdleDutyCycle. Empty scenes, textured
        // or not, thus settle at the cheap pass on most frames.
        const bool strong = outcome.symbolSeen;
        bool escalate = strong || frameCount % kIdleDutyCycle == 0;
        // Candidates (≈0.5 ms) are looked for only when credits could pay for an escalation.
        if (!escalate && credits >= 1.0 && !context.candidates().empty()) {
            credits -= 1.0;
            escalate = true;
        }
        credits = std::min(double(options.escalationFrames), credits + kCreditRefillPerFrame);
        if (!escalate) return nothing();

        const double budgetMs = double(options.frameBudget.count()) / 1000.0;
        const auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(options.frameBudget * kFrameDeadlineOfBudget);
        bool ranExpensive = false;
        if (job && Clock::now() < deadline) {
            // The grid variant cut short on an earlier frame goes on, as this frame's first variant.
            ranExpensive = true;
            const bool finishedBefore = job->done();
            const bool done = job->step(deadline);
            ++report.variantsTried;
            SLOG(kLog, Debug) << "variant " << cascade()[jobVariant].name << " resumed done=" << done;
            // Begun on an earlier frame: its result counts only if the current frame shows the
            // same symbol where the job found it (a scene change the thumbnail missed, one phone
            // taking another's place, must not pass the earlier phone's code).
            if (job->result() && !finishedBefore &&
                Clock::now() + std::chrono::microseconds(std::int64_t(job->holdsOnMs() * 1000)) > deadline) {
                // Read, but confirming it would overrun this frame: it is confirmed first on the next.
                return nothing();
            }
            if (job->result() && !job->holdsOn(context)) {
                SLOG(kLog, Debug) << "variant " << cascade()[jobVariant].name << " read on an earlier frame, not on this one";
                job.reset();
                return nothing();
            }
            if (job->result()) {
                std::vector<std::string> payloads{*job->result()};
                report.readBy = cascade()[jobVariant].name;
                report.resumed = true;
                job.reset();
                return accept(jobVariant, t0, std::move(payloads));
            }
            if (!done) return nothing();
            job.reset();
        }
        if (pending.empty()) refill();
        while (!pending.empty()) {
            const std::size_t i = pending.front();
            const double predictedMs = predictMs(i, context);
            const bool bounded = detail::stopsAtDeadline(cascade()[i]) && Clock::now() < deadline;
            if (predictedMs > budgetMs * kLargestVariantOfBudget && !bounded) {
                // Too slow for any frame on this machine now: skip it this pass, and let the
                // estimate decay so that it is measured again later. (A variant that stops at its
                // deadline is bounded by it: it runs as a frame's first variant.)
                msPerMp[i] *= kSkippedCostDecay;
                pending.pop_front();
                continue;
            }
            const double leftMs = budgetMs - double(since(t0).count()) / 1000.0;
            // The first variant always runs (progress guarantee: its estimate is within 2 budgets,
            // so a frame costs at most the cheap pass plus that).
            if (ranExpensive && predictedMs > leftMs) break;
            pending.pop_front();
            ranExpensive = true;
            outcome = run(i, context, deadline);
            if (!outcome.payloads.empty()) return accept(i, t0, std::move(outcome.payloads));
            if (outcome.unfinished) {
                // Cut short at the frame's deadline: it goes on from there on the next frame.
                job = std::move(outcome.unfinished);
                jobVariant = i;
                break;
            }
        }
        return nothing();
    }

    // The half-size pass can miss a second, smaller code beside the one it read (a code nested in
    // another, two phones): the full-size pass (≈2 ms, only on frames that read) adds those.
    std::vector<std::string> withFullSizeCodes(std::vector<std::string> payloads, detail::FrameContext& context) {
        for (auto& p : run(kFullSizePass, context).payloads) {
            if (std::find(payloads.begin(), payloads.end(), p) == payloads.end()) payloads.push_back(std::move(p));
        }
        report.readBy = cascade()[0].name;
        return payloads;
    }

    // One pass over the cascade for the current scene: recent winners first, then the still order.
    // A grid variant (it may go on over several frames) keeps its place even when it won: first on
    // a scene unlike the last it holds the frames the cheap variants need (the demo's dark-mode
    // code after a tilted one went unread in 2 of 9 runs).
    void refill() {
        pending.clear();
        for (std::size_t w : winners)
            if (!detail::stopsAtDeadline(cascade()[w])) pending.push_back(w);
        for (std::size_t i = 1; i < cascade().size(); ++i) {
            if (!cascade()[i].live) continue;
            if (std::find(pending.begin(), pending.end(), i) == pending.end()) pending.push_back(i);
        }
    }

    std::vector<std::string> still(const cv::Mat& img) {
        const auto t0 = Clock::now();
        report = {};
        detail::FrameContext context(img);
        for (std::size_t i = 0; i < cascade().size(); ++i) {
            auto outcome = run(i, context);
            if (!outcome.payloads.empty()) {
                return finish(t0, i == 0 ? withFullSizeCodes(std::move(outcome.payloads), context)
                                         : std::move(outcome.payloads));
            }
        }
        return finish(t0, {});
    }

    // Variant `index` read `payloads` on this frame: it goes first on the next scenes and on this
    // scene's next frame, and the escalation credits refill. A code held before the camera then
    // reads frame after frame; with the pass going on down the cascade instead, the variants after
    // the one that read a hard code (a 35° tilt: roi-x2) do not all read it, and it went unread for
    // several frames in a row. A grid variant keeps its place (see refill()).
    std::vector<std::string> accept(std::size_t index, Clock::time_point t0, std::vector<std::string> payloads) {
        rememberWinner(index);
        if (index != 0 && !detail::stopsAtDeadline(cascade()[index])) {
            pending.erase(std::remove(pending.begin(), pending.end(), index), pending.end());
            pending.push_front(index);
        }
        credits = double(options.escalationFrames);
        return finish(t0, std::move(payloads));
    }

    // The symbols this frame located, kept for the scene's next frames (the first kMaxSceneSymbols,
    // one per place).
    void keepSymbols(detail::FrameContext& context) {
        for (const cv::Rect& r : context.symbols()) {
            if (sceneSymbols.size() >= kMaxSceneSymbols) break;
            const bool known = std::any_of(sceneSymbols.begin(), sceneSymbols.end(),
                                           [&](const cv::Rect& q) { return (q & r).area() > 0.6 * std::min(q.area(), r.area()); });
            if (!known) sceneSymbols.push_back(r);
        }
    }

    std::vector<std::string> finish(Clock::time_point t0, std::vector<std::string> payloads) {
        report.elapsed = since(t0);
        SLOG(kLog, Debug) << "variants=" << report.variantsTried << " read_by=" << report.readBy
                          << " symbol_seen=" << report.symbolSeen << " us=" << report.elapsed.count();
        return payloads;
    }
};

DecodeEngine::DecodeEngine(EngineOptions options) : impl_(std::make_unique<Impl>(options)) {}
DecodeEngine::~DecodeEngine() = default;
DecodeEngine::DecodeEngine(DecodeEngine&&) noexcept = default;
DecodeEngine& DecodeEngine::operator=(DecodeEngine&&) noexcept = default;

std::vector<std::string> DecodeEngine::decodeFrame(const GrayView& frame) {
    if (frame.empty() || frame.strideBytes < frame.widthPx) return {};
    const cv::Mat img = wrap(frame);
    try {
        return impl_->frame(img);
    } catch (const std::exception& e) {
        SLOG(kLog, Warn) << "frame decode failed: " << e.what();
        return {};
    }
}

std::vector<std::string> DecodeEngine::decodeStill(const GrayView& image) {
    if (image.empty() || image.strideBytes < image.widthPx) return {};
    try {
        return impl_->still(wrap(image));
    } catch (const std::exception& e) {
        SLOG(kLog, Warn) << "still decode failed: " << e.what();
        return {};
    }
}

void DecodeEngine::reset() {
    impl_->winners.clear();
    impl_->pending.clear();
    impl_->credits = double(impl_->options.escalationFrames);
    impl_->frameCount = 0;
    impl_->lastThumb.release();
    impl_->sceneSymbols.clear();
    impl_->job.reset();
}

const FrameReport& DecodeEngine::lastReport() const { return impl_->report; }

std::vector<std::string> DecodeEngine::variantNames(bool liveOnly) {
    std::vector<std::string> names;
    for (const auto& v : cascade()) {
        if (v.live || !liveOnly) names.emplace_back(v.name);
    }
    return names;
}

}  // namespace sentinel::decode

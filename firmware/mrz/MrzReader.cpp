#include "firmware/mrz/MrzReader.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <time.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "firmware/mrz/BandFinder.h"
#include "firmware/mrz/CheckCorrection.h"
#include "firmware/mrz/OcrB.h"
#include "firmware/mrz/StateCodes.h"
#include "firmware/mrz/ZoneReader.h"

namespace sentinel::mrz {
namespace {

using std::chrono::microseconds;

// The budget is counted in the calling thread's CPU time: what the reader takes from the frame's
// thread, the same on a kiosk's own core and on a loaded machine (where wall-clock time would
// include waiting for a core).
struct Clock {
    using time_point = microseconds;
    static time_point now() {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return microseconds(std::int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000);
    }
};

// The steps of one zone read, each run within one frame's budget (time slicing).
enum class Step { Scale, Cut, Lines, Sample, Sharpen, Rank, Classify };
constexpr std::size_t kStepKinds = 7;
// First estimates of each step's CPU time (development seed 28's every 4th image, 1280 × 720, thread
// CPU time on the development machine: medians of about 1.4, 0.8, 1.6, 2.8, 2.2 and 1.3 ms; the
// cells' unsharp mask costs about as much as sampling them); then the running mean of measured steps.
constexpr std::array<microseconds, kStepKinds> kFirstStepEstimate{microseconds{1400}, microseconds{1500}, microseconds{1600},
                                                                 microseconds{3000}, microseconds{3000}, microseconds{2200},
                                                                 microseconds{1300}};
constexpr double kEstimateWeight = 0.2;
// A step runs when its running mean plus this many running mean deviations fits: a step's cost
// varies with the zone (a cored cell's masked correlation, a longer band), and the mean alone let
// about one frame in twenty overrun the budget. Development seeds 28 and 30 (thread CPU per frame):
// p99 9.96 / 9.62 ms with the mean alone, 8.63 / 8.58 ms with 2 deviations, every page still read
// (441 / 825), frames to read p95 4 → 6; 3 and 4 deviations came closer to 8 ms but left pages
// unread within 10 frames (seed 28: up to 2 and 16 fewer).
constexpr double kEstimateSpread = 2.0;
// A step whose estimate does not fit in what is left of a frame's budget waits for the next frame;
// after this many frames without a step one runs anyway (a budget smaller than any step must not
// stop reading altogether).
constexpr int kMaxIdleFrames = 2;
// A band whose read ended with fewer than two passing classifications is not read again for this
// many frames (0.5 s at 30 fps) while a band stays within kSameBandDistancePx (frame pixels) of it:
// the same pixels would give the same classifications (two agreeing reads must come from two
// different template sets, or from frames apart), and text that is not an MRZ must not cost a read
// every frame. A page that moves is a new band at once.
constexpr int kFailedBandHoldFrames = 15;
constexpr double kSameBandDistancePx = 40.0;
// A job classifies its zone with the template levels in rank order until it has this many reads
// (the tracker's agreement needs two) or the levels run out.
constexpr int kReadsPerJob = 2;

microseconds since(Clock::time_point t0) { return Clock::now() - t0; }

cv::Mat wrap(const GrayView& v) {
    return cv::Mat(v.heightPx, v.widthPx, CV_8UC1, const_cast<std::uint8_t*>(v.data), std::size_t(v.strideBytes));
}

}  // namespace

bool MrzRead::sameText(const MrzRead& other) const {
    if (format != other.format || lines.size() != other.lines.size()) return false;
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (!(lines[i] == other.lines[i])) return false;
    return true;
}

struct MrzReader::Impl {
    ReaderOptions options;
    detail::GlyphTemplates glyphs;
    detail::BandFinder finder;
    // The copy of the frame a read starts on, kept from read to read (a frame-sized allocation a
    // read would cost page faults).
    cv::Mat frameCopy;
    ReadReport report;
    std::array<microseconds, kStepKinds> estimate = kFirstStepEstimate;
    std::array<double, kStepKinds> deviation{};  // running mean |cost − estimate| (µs)
    int idleFrames = 0;
    struct HeldBand {
        cv::Point2f centre;
        int ageFrames = 0;
    };
    std::vector<HeldBand> failedBands;
    std::optional<cv::Point2f> lastRead;  // where the last read came from

    // One zone read in progress, carried over frames: the frame it started on (a copy: the
    // caller's buffer is the camera's), the band, and the steps done so far.
    struct Job {
        cv::Mat frame;
        detail::Band band;
        std::optional<detail::ScaledBand> scaled;
        std::optional<detail::CutOut> cut;
        std::optional<detail::LocatedZone> located;
        std::optional<detail::SampledZone> sampled;
        int classified = 0;
        int reads = 0;
    };
    std::optional<Job> job;
    detail::PatchStore patchStore;  // the job's cells (one job at a time)

    // The confidence floor and the check digits (with the correction) on one classification.
    // `rank`: the template set's place in the zone's fit ranking (0 = the best fit).
    std::optional<MrzRead> evaluate(detail::ZoneRead zone, int rank) {
        report.zonesFound++;
        std::vector<std::string> text;
        for (const auto& l : zone.lines) text.emplace_back(l.view());
        const std::vector<bool> erased = erasedCells(zone);
        std::vector<std::size_t> inferred;
        if (options.inferErasedFillers) inferred = detail::inferErasedFillers(text, zone.format, erased);
        const detail::CorrectionOutcome fix = detail::correctByCheckDigits(
            text, zone.format, zone.scores, {options.correctionMaxGap, options.minCharScore, options.correctionMaxCandidates,
                                             options.correctionMaxSubstitutions});
        std::optional<MrzRead> out;
        std::vector<std::string_view> views(text.begin(), text.end());
        auto parsed = parseMrz(views);
        if (fix.result == detail::CorrectionResult::None || fix.result == detail::CorrectionResult::Ambiguous || !parsed ||
            !parsed->checks.all()) {
            report.checksFailed++;
        } else if (!isStateCode(parsed->fields.issuingState.view()) || !isStateCode(parsed->fields.nationality.view())) {
            report.unknownState++;
        } else if (locallyClipped(zone, erased, inferred)) {
            report.clipped++;
        } else if (!confident(zone, fix.cells, erased, inferred, rank)) {
            report.belowConfidence++;
        } else {
            if (fix.result == detail::CorrectionResult::Corrected) report.corrected++;
            MrzRead read;
            read.format = zone.format;
            for (const auto& l : text) read.lines.emplace_back(l);
            read.parsed = std::move(*parsed);
            read.pitchPx = zone.pitchPx;
            read.templateSet = zone.level;
            out = std::move(read);
        }
        for (auto& l : text) secureZero(l.data(), l.size());
        return out;
    }

    // A cell clipped to white where most of the zone is not — more than maxClippedShare of it, or a
    // reflection's saturated core inside its glyph body however small, unless the glyph still
    // leads clearly on the pixels the core left: the reflection may have erased part of the glyph.
    // A zone whose paper is clipped throughout (an overexposed frame) keeps its strokes' contrast
    // everywhere and is read as usual.
    // Only positions no check digit covers block the read here (names, codes, sex); an erased cell
    // a check digit covers is judged in confident().
    bool locallyClipped(const detail::ZoneRead& zone, const std::vector<bool>& erased, const std::vector<std::size_t>& inferred) const {
        const auto& classes = layout(zone.format);
        const auto chars = std::size_t(lineLength(zone.format));
        bool uncheckedClipped = false;
        for (std::size_t k = 0; k < erased.size(); ++k) {
            if (std::find(inferred.begin(), inferred.end(), k) != inferred.end()) continue;
            uncheckedClipped = uncheckedClipped || (erased[k] && uncheckedByDigits(classes[k / chars][k % chars]));
        }
        return uncheckedClipped;
    }

    // Per cell: more than maxClippedShare of it clipped, or a core in its glyph body that leaves the
    // glyph no clear lead (guardClippedCores). One per cell of the format; none in a zone clipped
    // throughout (an overexposed frame, read as usual).
    std::vector<bool> erasedCells(const detail::ZoneRead& zone) const {
        const std::vector<float>& shares = zone.clippedShare;
        std::vector<bool> erased(std::size_t(lineLength(zone.format)) * layout(zone.format).size(), false);
        if (clippedThroughout(shares)) return erased;
        for (std::size_t k = 0; k < erased.size() && k < shares.size(); ++k) {
            const bool core = options.guardClippedCores && k < zone.clippedCore.size() && zone.clippedCore[k] &&
                              k < zone.scores.size() && zone.scores[k].unclippedMargin < options.minUncheckedMargin;
            const bool judged = options.judgeClippedCells && k < zone.scores.size() && zone.scores[k].unclippedJudged &&
                                zone.scores[k].unclippedMargin >= options.minUncheckedMargin;
            erased[k] = (shares[k] > options.maxClippedShare && !judged) || core;
        }
        return erased;
    }

    // An overexposed frame rather than a local reflection: the zone's median cell has at least half
    // the guard's share clipped (a glyph cell's paper is 50–90 % of it, a filler's more).
    bool clippedThroughout(std::vector<float> shares) const {
        if (shares.empty()) return false;
        const auto mid = shares.begin() + std::ptrdiff_t(shares.size() / 2);
        std::nth_element(shares.begin(), mid, shares.end());
        return *mid >= options.maxClippedShare / 2;
    }

    // A reflection lies on the zone: a cell more than maxClippedShare clipped to white, or with a
    // saturated core in its glyph body, while the zone's median cell is not clipped (not an
    // overexposed frame). Any position counts: whether the glyph survived decides the read, this
    // only what the traveller is asked to do when there is none.
    bool reflectionOn(const detail::SampledZone& zone) const {
        const std::vector<float>& shares = zone.clippedShare;
        bool local = false;
        for (std::size_t k = 0; k < shares.size(); ++k)
            local = local || shares[k] > options.maxClippedShare || (k < zone.clippedCore.size() && zone.clippedCore[k]);
        return local && !clippedThroughout(shares);
    }

    // A band of text whose lines could not be found while a reflection's saturated core lies in it
    // (a connected area clipped to white at least a character cell across, in a cut-out that is not
    // clipped throughout): the core may have cut the MRZ's lines.
    bool reflectionIn(const detail::CutOut& cut) const {
        if (cut.roi.empty() || cut.roiPitch <= 0) return false;
        cv::Mat clipped;
        cv::compare(cut.roi, detail::kClippedGrey, clipped, cv::CMP_GE);
        const double cell = cut.roiPitch * cut.roiPitch * 1.4;  // an OCR-B cell is 1.4 pitches high
        const int count = cv::countNonZero(clipped);
        if (count < cell || double(count) > double(cut.roi.total()) / 2) return false;
        cv::Mat labels, stats, centroids;
        const int n = cv::connectedComponentsWithStats(clipped, labels, stats, centroids, 8, CV_32S);
        for (int i = 1; i < n; ++i)
            if (stats.at<int>(i, cv::CC_STAT_AREA) >= cell) return true;
        return false;
    }

    // Every character must look like its glyph. Where no check digit covers a position (names,
    // codes, sex) it must lead its runner-up clearly, and lead its closest rivals without the
    // unsharp mask too (CharScore::plainAgrees). In a checked alphanumeric field (document
    // number, optional data) it must lead clearly the glyphs its check digits cannot tell from it
    // (value congruent mod 10: 6/G, 8/S, K/<, …); a close runner-up of another value is a
    // substitution the checks would have failed — for one cell. Two such cells could cancel in a
    // 7-3-1 sum (two 0/O swaps), so at most options.maxCloseCheckedCells cells of the zone may have
    // one, and then every check digit must lead clearly and none may have been corrected (a
    // compensating misread of a check digit is then not close either). Digit-only positions (dates,
    // check digits) need no lead otherwise: any digit swap there changes a check. A corrected cell
    // was chosen by the checks among close runner-ups: its own score must clear the floor.
    // Cells inferred from the zone's structure (inferErasedFillers) carry no glyph to judge; cells
    // a reflection erased where a check digit covers them are judged as ReaderOptions::
    // guardCheckedCells says.
    bool confident(const detail::ZoneRead& zone, const std::vector<std::size_t>& correctedCells, const std::vector<bool>& erased,
                   const std::vector<std::size_t>& inferred, int rank) const {
        const float uncheckedMargin = rank < options.bestFitSets ? options.minUncheckedMarginBestFit : options.minUncheckedMargin;
        const auto& classes = layout(zone.format);
        const int chars = lineLength(zone.format);
        int close = 0;
        const std::vector<int>& fields = checkedFields(zone.format);
        std::map<int, int> erasedIn, closeIn;  // per checked field (checkedFields)
        for (std::size_t k = 0; k < zone.scores.size(); ++k) {
            if (std::find(correctedCells.begin(), correctedCells.end(), k) != correctedCells.end()) continue;
            if (std::find(inferred.begin(), inferred.end(), k) != inferred.end()) continue;
            const CharClass cls = classes[k / std::size_t(chars)][k % std::size_t(chars)];
            const detail::CharScore& score = zone.scores[k];
            if (score.best < options.minCharScore) return false;
            if (options.guardCheckedCells && erased[k] && !uncheckedByDigits(cls)) {
                // Erased where a check digit covers it: any other value fails the field's check —
                // for one cell of the field (two can cancel). The glyphs of its own value must
                // still lead on the pixels the reflection left.
                if (cls == CharClass::AlphaNumeric &&
                    (!score.unclippedJudged || score.unclippedMargin < options.minCharMargin))
                    return false;
                if (++erasedIn[fields[k]] > 1) return false;
                continue;
            }
            if (cls == CharClass::AlphaNumeric) {
                if (score.congruentMargin < options.minCharMargin) return false;
                if (score.margin < options.minCharMargin) {
                    if (++close > options.maxCloseCheckedCells) return false;
                    closeIn[fields[k]]++;
                }
            } else if (uncheckedByDigits(cls)) {
                if (score.margin < uncheckedMargin || !score.plainAgrees) return false;
            } else if (score.margin < options.minCharMargin) {
                closeIn[fields[k]]++;  // a digit: its check sees it alone, not beside an erased cell
            }
        }
        for (std::size_t k : correctedCells) closeIn[fields[k]]++;
        // A field with an erased cell has no other cell its check could confuse: none close to
        // another value, none corrected.
        for (const auto& [field, n] : erasedIn)
            if (closeIn.contains(field)) return false;
        if (close == 0) return true;
        if (!correctedCells.empty()) return false;
        for (std::size_t k : checkDigitCells(zone.format))
            if (zone.scores[k].margin < options.minCharMargin) return false;
        return true;
    }

    Step nextStep() const {
        if (!job->scaled) return Step::Scale;
        if (!job->cut) return Step::Cut;
        if (!job->located) return Step::Lines;
        if (!job->sampled) return Step::Sample;
        if (job->sampled->patches.empty()) return Step::Sharpen;
        if (job->sampled->levelOrder.empty()) return Step::Rank;
        return Step::Classify;
    }

    // Runs the job's next step; a read when a classification passed. Ends the job when it is done.
    std::optional<MrzRead> advance() {
        std::optional<MrzRead> result;
        bool done = false;
        switch (nextStep()) {
            case Step::Scale:
                report.bandsRead++;
                job->scaled = detail::scaleBand(job->frame, job->band);
                job->frame.release();
                done = !job->scaled;
                break;
            case Step::Cut:
                job->cut = detail::cutOut(*job->scaled, job->band);
                job->scaled->source.release();
                done = !job->cut;
                break;
            case Step::Lines:
                job->located = detail::findZoneLines(*job->cut);
                if (!job->located && reflectionIn(*job->cut)) report.reflectionBlocked = true;
                job->cut->ink.release();
                done = !job->located;
                break;
            case Step::Sample:
                job->sampled = detail::sampleCells(*job->located, &patchStore);
                job->located->roi.release();
                break;
            case Step::Sharpen:
                detail::sharpenCells(*job->sampled, &patchStore);
                break;
            case Step::Rank:
                detail::rankTemplateSets(*job->sampled, glyphs);
                break;
            case Step::Classify:
                result = evaluate(detail::classifyZone(*job->sampled, glyphs, job->classified), job->classified);
                job->classified++;
                if (result) job->reads++;
                done = job->reads >= kReadsPerJob || job->classified >= int(job->sampled->levelOrder.size());
                break;
        }
        if (done) {
            if (job->reads < kReadsPerJob) failedBands.push_back({job->band.box.center, 0});
            if (job->reads == 0 && job->sampled && reflectionOn(*job->sampled)) report.reflectionBlocked = true;
            if (job->reads > 0) lastRead = job->band.box.center;
            job.reset();
        }
        return result;
    }

    // This frame's bands to read: those near a held failed band dropped, the band the last read
    // came from first.
    void order(std::vector<detail::Band>& bands) {
        for (HeldBand& h : failedBands) h.ageFrames++;
        std::erase_if(failedBands, [](const HeldBand& h) { return h.ageFrames > kFailedBandHoldFrames; });
        auto near = [](const cv::Point2f& p, const detail::Band& b) { return cv::norm(p - b.box.center) < kSameBandDistancePx; };
        std::erase_if(bands, [&](const detail::Band& b) {
            return std::any_of(failedBands.begin(), failedBands.end(), [&](const HeldBand& h) { return near(h.centre, b); });
        });
        if (lastRead) std::stable_partition(bands.begin(), bands.end(), [&](const detail::Band& b) { return near(*lastRead, b); });
    }

    // The band search on `gray`, counted in the report.
    std::vector<detail::Band> search(const cv::Mat& gray, Clock::time_point t0) {
        std::vector<detail::Band> bands = finder.find(gray, options.maxBands);
        report.bandsFound = int(bands.size());
        report.searchTime = since(t0);
        return bands;
    }

    std::optional<MrzRead> runFrame(const GrayView& view) {
        const auto t0 = Clock::now();
        report = ReadReport{};
        if (view.empty()) return std::nullopt;
        const cv::Mat gray = wrap(view);
        std::vector<detail::Band> bands = search(gray, t0);
        order(bands);  // a frame's bands not started on are found again on the next frame
        std::size_t nextBand = 0;
        std::optional<MrzRead> result;
        bool ranStep = false;
        while (!result) {
            if (!job) {
                if (nextBand >= bands.size()) break;
                job = Job{};
                gray.copyTo(frameCopy);
                job->frame = frameCopy;
                job->band = bands[nextBand++];
            }
            const Step step = nextStep();
            const auto k = std::size_t(step);
            const auto expected = estimate[k] + microseconds(std::lround(kEstimateSpread * deviation[k]));
            const bool fits = since(t0) + expected <= options.frameBudget;
            if (!fits && (ranStep || idleFrames < kMaxIdleFrames)) break;
            const auto s0 = Clock::now();
            result = advance();
            const microseconds cost = since(s0);
            deviation[k] = (1 - kEstimateWeight) * deviation[k] + kEstimateWeight * std::abs(double((cost - estimate[k]).count()));
            estimate[k] = microseconds(
                std::lround((1 - kEstimateWeight) * double(estimate[k].count()) + kEstimateWeight * double(cost.count())));
            report.steps++;
            ranStep = true;
        }
        idleFrames = ranStep ? 0 : idleFrames + 1;
        report.read = result.has_value();
        report.elapsed = since(t0);
        return result;
    }

    // Still image: every band, every template level, no budget; the first read that passes.
    std::optional<MrzRead> runStill(const GrayView& view) {
        const auto t0 = Clock::now();
        report = ReadReport{};
        if (view.empty()) return std::nullopt;
        const cv::Mat gray = wrap(view);
        const std::vector<detail::Band> bands = search(gray, t0);
        std::optional<MrzRead> result;
        for (std::size_t i = 0; i < bands.size() && !result; ++i) {
            report.bandsRead++;
            const auto scaled = detail::scaleBand(gray, bands[i]);
            const auto cut = scaled ? detail::cutOut(*scaled, bands[i]) : std::nullopt;
            if (!cut) continue;
            const auto located = detail::findZoneLines(*cut);
            if (!located) {
                if (reflectionIn(*cut)) report.reflectionBlocked = true;
                continue;
            }
            const detail::SampledZone sampled = detail::sampleZone(*located, glyphs, &patchStore);
            for (std::size_t v = 0; v < sampled.levelOrder.size() && !result; ++v)
                result = evaluate(detail::classifyZone(sampled, glyphs, int(v)), int(v));
            if (!result && reflectionOn(sampled)) report.reflectionBlocked = true;
        }
        report.read = result.has_value();
        report.elapsed = since(t0);
        return result;
    }
};

MrzReader::MrzReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MrzReader::~MrzReader() = default;
MrzReader::MrzReader(MrzReader&&) noexcept = default;
MrzReader& MrzReader::operator=(MrzReader&&) noexcept = default;

Result<MrzReader> MrzReader::create(ReaderOptions options) {
    auto glyphs = detail::renderTemplates(options.fontPath);
    if (!glyphs) return glyphs.error();
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    impl->glyphs = std::move(*glyphs);
    return MrzReader(std::move(impl));
}

std::optional<MrzRead> MrzReader::readFrame(const GrayView& frame) {
    try {
        return impl_->runFrame(frame);
    } catch (const cv::Exception&) {
        impl_->job.reset();
        return std::nullopt;  // an OpenCV failure on a strange frame is "nothing read"
    }
}

std::optional<MrzRead> MrzReader::readStill(const GrayView& image) {
    try {
        return impl_->runStill(image);
    } catch (const cv::Exception&) {
        return std::nullopt;
    }
}

int MrzReader::countBands(const GrayView& frame) {
    if (frame.empty()) return 0;
    try {
        return int(impl_->finder.find(wrap(frame), impl_->options.maxBands).size());
    } catch (const cv::Exception&) {
        return 0;
    }
}

void MrzReader::reset() {
    impl_->job.reset();
    impl_->idleFrames = 0;
    impl_->failedBands.clear();
    impl_->lastRead.reset();
}

const ReadReport& MrzReader::lastReport() const { return impl_->report; }

}  // namespace sentinel::mrz

#include "firmware/mrz/MrzReader.h"

#include <opencv2/core.hpp>

#include <algorithm>

#include "firmware/mrz/BandFinder.h"
#include "firmware/mrz/OcrB.h"
#include "firmware/mrz/ZoneReader.h"

namespace sentinel::mrz {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::microseconds;

// First estimate of one band's read (measured on the development seed: 3–7 ms); then the running
// mean of measured reads.
constexpr microseconds kFirstReadEstimate{5000};
constexpr double kEstimateWeight = 0.2;
// Bands read and failed on the previous frame go last on this one when their centres are this
// close (frame pixels): a page that does not read must not starve another band.
constexpr double kSameBandDistancePx = 40.0;
// Successive frames classify with the best and the runner-up template level in turn.
constexpr int kVariants = 2;

microseconds since(Clock::time_point t0) { return std::chrono::duration_cast<microseconds>(Clock::now() - t0); }

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
    ReadReport report;
    long long frameCount = 0;
    microseconds readEstimate = kFirstReadEstimate;
    std::vector<cv::Point2f> failedLastFrame;
    std::optional<cv::Point2f> lastRead;  // where the last read came from

    // Reads one band; the read if every check passes and every character clears the floor.
    std::optional<MrzRead> readBand(const cv::Mat& gray, const detail::Band& band, int variant) {
        report.bandsRead++;
        detail::ZoneAttempt attempt = detail::readZone(gray, band, glyphs, variant);
        if (attempt.outcome != detail::ZoneOutcome::Read || !attempt.read) return std::nullopt;
        report.zonesFound++;
        detail::ZoneRead& zone = *attempt.read;
        std::vector<std::string_view> views;
        for (const auto& l : zone.lines) views.push_back(l.view());
        auto parsed = parseMrz(views);
        if (!parsed || !parsed->checks.all()) {
            report.checksFailed++;
            return std::nullopt;
        }
        // Every character must look like its glyph; where a check digit would not catch a
        // substitution (letters and alphanumerics: names, codes, document numbers — two 0/O swaps can
        // cancel in a 7-3-1 sum) it must also lead its runner-up clearly. Digit-only positions
        // (dates, check digits) need no lead: any digit swap there changes a check.
        const auto& classes = layout(zone.format);
        const int chars = lineLength(zone.format);
        bool confident = true;
        for (std::size_t k = 0; k < zone.scores.size() && confident; ++k) {
            const CharClass cls = classes[k / std::size_t(chars)][k % std::size_t(chars)];
            const bool guarded = cls == CharClass::Numeric || cls == CharClass::NumericOrFiller;
            confident = zone.scores[k].best >= options.minCharScore && (guarded || zone.scores[k].margin >= options.minCharMargin);
        }
        if (!confident) {
            report.belowConfidence++;
            return std::nullopt;
        }
        MrzRead read;
        read.format = zone.format;
        read.lines = std::move(zone.lines);
        read.parsed = std::move(*parsed);
        read.pitchPx = zone.pitchPx;
        return read;
    }

    std::optional<MrzRead> run(const GrayView& view, bool still) {
        const auto t0 = Clock::now();
        report = ReadReport{};
        if (view.empty()) return std::nullopt;
        const cv::Mat gray = wrap(view);
        std::vector<detail::Band> bands = detail::findBands(gray, options.maxBands);
        report.bandsFound = int(bands.size());
        report.searchTime = since(t0);
        // The band the last read came from goes first, bands that failed on the previous frame last.
        auto near = [](const cv::Point2f& p, const detail::Band& b) { return cv::norm(p - b.box.center) < kSameBandDistancePx; };
        std::stable_partition(bands.begin(), bands.end(), [&](const detail::Band& b) {
            return std::none_of(failedLastFrame.begin(), failedLastFrame.end(), [&](const cv::Point2f& p) { return near(p, b); });
        });
        if (lastRead) {
            std::stable_partition(bands.begin(), bands.end(), [&](const detail::Band& b) { return near(*lastRead, b); });
        }
        std::vector<cv::Point2f> failed;
        std::optional<MrzRead> result;
        const int variant = int(frameCount++ % kVariants);
        for (std::size_t i = 0; i < bands.size() && !result; ++i) {
            if (!still && i > 0 && since(t0) + readEstimate > options.frameBudget) break;
            const auto r0 = Clock::now();
            for (int v : still ? std::vector<int>{0, 1} : std::vector<int>{variant}) {
                result = readBand(gray, bands[i], v);
                if (result) break;
            }
            const microseconds cost = since(r0);
            readEstimate = microseconds(
                std::lround((1 - kEstimateWeight) * double(readEstimate.count()) + kEstimateWeight * double(cost.count())));
            if (!result) failed.push_back(bands[i].box.center);
            if (result) lastRead = bands[i].box.center;
        }
        failedLastFrame = std::move(failed);
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
        return impl_->run(frame, false);
    } catch (const cv::Exception&) {
        return std::nullopt;  // an OpenCV failure on a strange frame is "nothing read"
    }
}

std::optional<MrzRead> MrzReader::readStill(const GrayView& image) {
    try {
        return impl_->run(image, true);
    } catch (const cv::Exception&) {
        return std::nullopt;
    }
}

int MrzReader::countBands(const GrayView& frame) {
    if (frame.empty()) return 0;
    try {
        return int(detail::findBands(wrap(frame), impl_->options.maxBands).size());
    } catch (const cv::Exception&) {
        return 0;
    }
}

void MrzReader::reset() {
    impl_->frameCount = 0;
    impl_->failedLastFrame.clear();
    impl_->lastRead.reset();
}

const ReadReport& MrzReader::lastReport() const { return impl_->report; }

}  // namespace sentinel::mrz

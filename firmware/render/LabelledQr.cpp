#include "firmware/render/LabelledQr.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include <opencv2/freetype.hpp>
#include <opencv2/imgproc.hpp>

namespace sentinel::render {
namespace {

// A freetype line of font height p takes about 1.25 p (ascender and descender): rows per line.
constexpr double kLineAdvance = 1.3;
// White space left and right of the text, and below the last line, as a fraction of the width.
constexpr double kMarginOfWidth = 0.04;
// Smallest font tried when shrinking a line to fit (px); smaller prints illegibly at 203 dpi.
constexpr int kMinFontPx = 10;
constexpr int kHersheyFont = cv::FONT_HERSHEY_DUPLEX;
// Hershey fonts: scale 1.0 is about 22 px tall; stroke width per scale unit.
constexpr double kHersheyPxPerScale = 22.0;
constexpr double kHersheyStrokePerScale = 2.0;
constexpr double kHersheyShrinkStep = 0.9;  // per try, until a line fits the width

// The ASCII characters of `s`, without the separators left dangling at its ends.
std::string asciiOnly(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (static_cast<unsigned char>(c) < 0x80) out += c;
    }
    const auto first = out.find_first_not_of(" /·-");
    const auto last = out.find_last_not_of(" /·-");
    return first == std::string::npos ? std::string() : out.substr(first, last - first + 1);
}

}  // namespace

Result<Image> renderLabelledQr(std::string_view text, const std::vector<std::string>& lines,
                               const LabelOptions& options, EcLevel ec, int modulePx,
                               int quietModules, int* labelTopPx) {
    auto code = renderQr(text, ec, modulePx, quietModules);
    if (!code) return code.error();
    const int width = code->widthPx;
    const int margin = static_cast<int>(width * kMarginOfWidth);
    std::vector<int> fontPx;
    int band = margin;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        fontPx.push_back(
            std::max(kMinFontPx, static_cast<int>(width * (i == 0 ? options.firstLineOfWidth
                                                                  : options.otherLinesOfWidth))));
        band += static_cast<int>(fontPx.back() * kLineAdvance);
    }
    Image out;
    out.widthPx = width;
    out.heightPx = code->heightPx + band;
    out.pixels.assign(static_cast<std::size_t>(out.widthPx) * out.heightPx, 255);
    if (labelTopPx) *labelTopPx = code->heightPx;
    // The text is drawn in colour (OpenCV's freetype draws on 3 channels only), then made gray.
    cv::Mat canvas(out.heightPx, out.widthPx, CV_8UC3, cv::Scalar::all(255));

    cv::Ptr<cv::freetype::FreeType2> font;
    std::error_code fsError;
    if (std::filesystem::is_regular_file(options.fontPath, fsError)) {
        try {
            font = cv::freetype::createFreeType2();
            font->loadFontData(options.fontPath, options.fontFace);
        } catch (const cv::Exception&) {
            font.reset();
        }
    }
    const cv::Scalar black = cv::Scalar::all(0);
    int y = code->heightPx;
    try {
        for (std::size_t i = 0; i < lines.size(); ++i) {
            int px = fontPx[i];
            const int advance = static_cast<int>(px * kLineAdvance);
            int baseline = 0;
            if (font) {
                cv::Size size = font->getTextSize(lines[i], px, -1, &baseline);
                while (size.width > width - 2 * margin && px > kMinFontPx)
                    size = font->getTextSize(lines[i], --px, -1, &baseline);
                font->putText(canvas, lines[i],
                              cv::Point((width - size.width) / 2, y + (advance - size.height) / 2),
                              px, black, -1, cv::LINE_AA, false);
            } else {
                const std::string ascii = asciiOnly(lines[i]);
                double scale = px / kHersheyPxPerScale;
                int thickness = std::max(1, static_cast<int>(scale * kHersheyStrokePerScale));
                cv::Size size = cv::getTextSize(ascii, kHersheyFont, scale, thickness, &baseline);
                while (size.width > width - 2 * margin && scale > kMinFontPx / kHersheyPxPerScale) {
                    scale *= kHersheyShrinkStep;
                    thickness = std::max(1, static_cast<int>(scale * kHersheyStrokePerScale));
                    size = cv::getTextSize(ascii, kHersheyFont, scale, thickness, &baseline);
                }
                cv::putText(canvas, ascii,
                            cv::Point((width - size.width) / 2, y + (advance + size.height) / 2),
                            kHersheyFont, scale, black, thickness, cv::LINE_AA);
            }
            y += advance;
        }
    } catch (const cv::Exception& e) {
        return Error{std::string("renderLabelledQr: ") + e.what()};
    }
    cv::Mat gray(out.heightPx, out.widthPx, CV_8UC1, out.pixels.data());
    cv::cvtColor(canvas, gray, cv::COLOR_BGR2GRAY);
    // The code itself, exactly as renderQr() made it.
    std::memcpy(out.pixels.data(), code->pixels.data(), code->pixels.size());
    return out;
}

}  // namespace sentinel::render

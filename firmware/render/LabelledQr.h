#pragma once
// A QR code with printed text under it (test cards: "TEST / 测试", issue 24), so a card is known
// for what it is without scanning it. The text goes in a band below the code's quiet zone: the
// code itself is exactly renderQr()'s.

#include <string>
#include <vector>

#include "firmware/base/Result.h"
#include "firmware/render/QrRender.h"

namespace sentinel::render {

struct LabelOptions {
    std::string fontPath;  // a CJK-capable font (the app passes the screen's, fonts-noto-cjk)
    int fontFace = 0;      // face within a collection (.ttc)
    // Heights of the label lines as a fraction of the code's width: the first line large, the
    // others small (a 600 px code: 66 px and 30 px lines, ~8 mm and ~4 mm at 203 dpi).
    double firstLineOfWidth = 0.11;
    double otherLinesOfWidth = 0.05;
};

// The code of renderQr(text, ec, modulePx, quietModules), and under it each of `lines` (UTF-8)
// centred, shrunk to fit the width. When the font cannot be loaded the lines are drawn with a
// built-in Latin font, keeping only their ASCII characters (so "TEST / 测试" still prints "TEST").
// `labelTopPx` (optional out) is the first row of the label band.
Result<Image> renderLabelledQr(std::string_view text, const std::vector<std::string>& lines,
                               const LabelOptions& options, EcLevel ec, int modulePx,
                               int quietModules, int* labelTopPx = nullptr);

}  // namespace sentinel::render

#pragma once
// `sentinel bench mrz --manifest TSV [--json] [--peers] [--frames N] [--font PATH]` (DESIGN §15).
//
// Each manifest line is `image<TAB>expected[<TAB>pitch=P]`: expected = the MRZ lines joined by one
// space (an optional leading '@' is dropped; empty = a frame without a document); pitch = the
// character pitch in px (tests/mrzsim writes it), for the per-pitch-band figures. Relative paths
// are relative to the manifest's folder; blank lines and lines starting with '#' are skipped.
// Each image is held before one live MrzReader + MrzTracker as a still scene and fed as successive
// frames until the tracker accepts a read or `--frames` (10) frames have passed. An accepted read
// that differs from the expected text (or any acceptance on a frame without a document) is a wrong
// read. The category of an image is its parent folder's name. With --peers, the `tesseract` command
// runs on the same images as a subprocess (`--psm 6`, the MRZ alphabet as whitelist; one call each)
// and its output counts as read when two or three consecutive lines parse as an MRZ whose every
// check passes and equal the expected text (wrong when they parse and pass but differ).
// Output: one JSON object (--json) or a readable table. The MRZ text never reaches the output:
// wrong reads are listed by image path. Returns 0, 1 when an image cannot be read, 2 on usage errors.

#include <iosfwd>
#include <string>
#include <vector>

namespace sentinel::mrz {

// 10 frames = 1/3 s at 30 fps (issue 27: a still page must read within 10 frames).
inline constexpr int kFramesPerScene = 10;

int runBenchMrz(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace sentinel::mrz

#pragma once
// `sentinel bench decode --manifest TSV [--json] [--peers] [--still] [--mrz]` (DESIGN §4).
//
// Each manifest line is `image<TAB>expected`: `@literal text`, or a path to a file holding the
// expected text; relative paths are relative to the manifest's folder; blank lines and lines
// starting with '#' are skipped. An expected `@` with no text marks an empty scene (no code): its
// frames are timed separately ("empty") and any payload read from it counts as a misread.
// Each image is held before one live DecodeEngine as a still scene and fed as successive frames
// until the expected payload is read or kFramesPerScene frames have passed. A scene for which payloads
// are returned without the expected one counts as one misread, and feeding stops there, as a kiosk
// acts on what it reads (an image may hold further codes besides the expected one). The category of an
// image is its parent folder's name. With --peers, the same images also go through plain
// ZXing-cpp (ReadBarcodes, QR only) and OpenCV's wechat_qrcode without models, one call each.
// With --still, each image gets one decodeStill call instead (the whole cascade, no frame budget:
// what the engine can read at all, independent of the machine's load; times are per image).
// With --mrz, the MRZ reader (firmware/mrz) also runs on every live frame inside the same timing.
// Output: one JSON object (--json) in the DESIGN §4 shape plus "misreads" and per-category peers,
// or a readable table. Returns 0 on success, 1 when an image cannot be read, 2 on usage errors.

#include <iosfwd>
#include <string>
#include <vector>

namespace sentinel::decode {

// 15 frames = 0.5 s at 30 fps (issue 8: a still code must read within 15 frames).
inline constexpr int kFramesPerScene = 15;
// Peers count as "read within 0.5 s" when their one call returned the payload within this.
inline constexpr double kPeerDeadlineMs = 500.0;

int runBenchDecode(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace sentinel::decode

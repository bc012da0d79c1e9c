#pragma once
// Internal to firmware/decode: reads a QR symbol by sampling its module grid ourselves, for symbols
// ZXing's own detector cannot locate (a finder pattern washed out by glare, edges spread by blur)
// but whose outline is known. The sampled grid (one bit per module, the frame's own pixels
// thresholded at each module's centre) goes to ZXing-cpp's QR decoder, which reads the format and
// version information and corrects errors (Reed–Solomon); only a valid result is returned. No
// module is synthesised: a module under a saturated spot is read as whatever the pixels show and
// left to error correction.

#include <opencv2/core.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace sentinel::decode::detail {

// `square`: an 8-bit image in which the symbol's outer edge is roughly (within a few modules) the
// axis-aligned square `box`, in any of the four orientations; the symbol's patterns are located
// there. The modules are sampled from `frame` (8-bit), of which `square` is a resampled view
// through `squareToFrame` (square → frame coordinates), or from `square` when `frame` is empty.
// `inverted`: light modules on a dark ground. Returns the payload, or nothing (also once
// `deadline` has passed: checked between stages of about a millisecond or two each).
std::optional<std::string> readGrid(const cv::Mat& square, const cv::Rect2f& box, bool inverted,
                                    const cv::Mat& frame = {}, const cv::Matx33d& squareToFrame = cv::Matx33d::eye(),
                                    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

// Where a read placed the module grid, and how it sampled it: enough to read the same symbol
// again from another image of the same scene (readPlaced).
struct GridPlacement {
    cv::Matx33d moduleToImage;  // module coordinates (0..modules) → the sampled image's pixels
    int modules = 0;            // N = 17 + 4·version
    double smoothPx = 0;        // Gaussian applied before sampling
    bool inverted = false;
    int window = 0;             // the local-mean threshold's width, in modules
    int turns = 0;              // clockwise quarter turns tried first
};

// The symbol at `p` read from `image` (8-bit, the same coordinates as the image the placement was
// found on): the payload when it decodes, else nothing. Confirms that a read made on an earlier
// frame still holds on the current one.
std::optional<std::string> readPlaced(const cv::Mat& image, const GridPlacement& p);

// readGrid that can stop at a deadline and go on later from where it stopped (a frame's slice of
// time ends; the next frame of the same scene continues): the same result as one uninterrupted
// readGrid. The images are shared (cv::Mat headers), not copied: the caller keeps them unchanged
// until the read is done.
class GridRead {
public:
    GridRead(cv::Mat square, cv::Rect2f box, bool inverted, cv::Mat frame = {}, cv::Matx33d squareToFrame = cv::Matx33d::eye());
    ~GridRead();
    GridRead(GridRead&&) noexcept;
    GridRead& operator=(GridRead&&) noexcept;

    // Works on until done or `deadline` (checked between stages of a millisecond or two; a stage
    // cut short runs again whole on the next step); true once done.
    bool step(std::chrono::steady_clock::time_point deadline);
    // The payload, once done (nothing if the symbol did not read).
    const std::optional<std::string>& result() const;
    // Where the grid that read was placed (with the result).
    const std::optional<GridPlacement>& placement() const;

private:
    struct Task;
    std::unique_ptr<Task> task_;
};

// ZXing-cpp's QR decoder on a module matrix (`dark`: 8-bit, non-zero = dark module, N x N with
// N = 17 + 4·version): the payload when format information, version and error correction all
// succeed, else nothing. Exposed for the tests.
std::optional<std::string> decodeModules(const cv::Mat& dark);

}  // namespace sentinel::decode::detail

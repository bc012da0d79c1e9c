#include "drivers/camera/ImageFile.h"

#include <opencv2/imgcodecs.hpp>

namespace sentinel::camera {

Result<hal::Frame> loadGrayImage(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return Error{path.string() + ": no such file"};
    auto mat = std::make_shared<cv::Mat>();
    try {
        *mat = cv::imread(path.string(), cv::IMREAD_GRAYSCALE);
    } catch (const cv::Exception& e) {
        return Error{path.string() + ": cannot read image: " + e.what()};
    }
    if (mat->empty()) return Error{path.string() + ": not an image this build can read"};
    hal::Frame f;
    f.gray = GrayView{mat->data, mat->cols, mat->rows, static_cast<int>(mat->step[0])};
    f.owner = mat;
    f.name = path.filename().string();
    f.capturedAt = std::chrono::steady_clock::now();
    return f;
}

}  // namespace sentinel::camera

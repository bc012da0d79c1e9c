#pragma once
// Loads an image file as an 8-bit grayscale frame (for `decode`, `scan`, benchmarks).

#include <filesystem>

#include "drivers/hal/Camera.h"
#include "firmware/base/Result.h"

namespace sentinel::camera {

Result<hal::Frame> loadGrayImage(const std::filesystem::path& path);

}  // namespace sentinel::camera

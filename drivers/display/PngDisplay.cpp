#include "drivers/display/PngDisplay.h"

#include <cstdio>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <vector>

#include <zlib.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace sentinel::display {

namespace {

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// One PNG chunk: length, type, data, CRC-32 of type + data.
void chunk(std::vector<std::uint8_t>& out, const char* type, const std::uint8_t* data, std::size_t size) {
    put32(out, static_cast<std::uint32_t>(size));
    const std::size_t typeAt = out.size();
    out.insert(out.end(), type, type + 4);
    if (size > 0) out.insert(out.end(), data, data + size);
    const uLong crc = crc32(0L, out.data() + typeAt, static_cast<uInt>(4 + size));
    put32(out, static_cast<std::uint32_t>(crc));
}

// Input per deflate call between two questions to `abandon`: ~1-2 ms of level-1 work on a camera
// picture, nothing on flat colour.
constexpr std::size_t kDeflateChunkBytes = 192 * 1024;

}  // namespace

Result<std::vector<std::uint8_t>> encodeRgbPng(const RgbImage& image, const std::function<bool()>& abandon) {
    if (image.empty()) return Error{"empty image"};
    const std::size_t rowBytes = static_cast<std::size_t>(image.widthPx) * 3;
    if (image.pixels.size() < rowBytes * static_cast<std::size_t>(image.heightPx)) return Error{"image smaller than its size"};
    // No row filter and zlib's fastest level: a kiosk screen is mostly flat colour, which deflate
    // finds as long matches without help; measured on the kiosk's screens this is 2-3x faster than
    // libpng's adaptive filtering (through OpenCV) for files within ~20 % of the size. It runs on
    // the screen thread, between a decision and its result card.
    std::vector<std::uint8_t> filtered((rowBytes + 1) * static_cast<std::size_t>(image.heightPx));
    for (int y = 0; y < image.heightPx; ++y) {
        std::uint8_t* dst = filtered.data() + (rowBytes + 1) * static_cast<std::size_t>(y);
        dst[0] = 0;  // filter type None
        std::memcpy(dst + 1, image.pixels.data() + rowBytes * static_cast<std::size_t>(y), rowBytes);
    }
    z_stream z{};
    if (deflateInit2(&z, 1, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return Error{"zlib: deflateInit2 failed"};
    std::vector<std::uint8_t> idat(deflateBound(&z, static_cast<uLong>(filtered.size())));
    z.next_out = idat.data();
    z.avail_out = static_cast<uInt>(idat.size());
    int rc = Z_OK;
    for (std::size_t at = 0; at < filtered.size();) {
        if (abandon && abandon()) {
            deflateEnd(&z);
            return std::vector<std::uint8_t>{};
        }
        const std::size_t n = std::min(kDeflateChunkBytes, filtered.size() - at);
        z.next_in = filtered.data() + at;
        z.avail_in = static_cast<uInt>(n);
        at += n;
        rc = deflate(&z, at == filtered.size() ? Z_FINISH : Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) break;
    }
    idat.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) return Error{"zlib: deflate failed"};

    std::vector<std::uint8_t> out{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    out.reserve(idat.size() + 64);
    std::vector<std::uint8_t> ihdr;
    put32(ihdr, static_cast<std::uint32_t>(image.widthPx));
    put32(ihdr, static_cast<std::uint32_t>(image.heightPx));
    ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8 bits, truecolour, deflate, adaptive filters, no interlace
    chunk(out, "IHDR", ihdr.data(), ihdr.size());
    chunk(out, "IDAT", idat.data(), idat.size());
    chunk(out, "IEND", nullptr, 0);
    return out;
}

namespace {

// Writes `png` to `file` whole: a temporary file, then rename.
Status storeFile(const std::vector<std::uint8_t>& bytes, const std::filesystem::path& file) {
    const std::vector<std::uint8_t>* png = &bytes;
    const std::filesystem::path tmp = file.string() + ".tmp.png";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(png->data()), static_cast<std::streamsize>(png->size()));
        f.close();
        if (!f) {
            std::error_code ignored;
            std::filesystem::remove(tmp, ignored);
            return Error{"cannot write " + tmp.string()};
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, file, ec);
    if (ec) return Error{"cannot rename " + tmp.string() + ": " + ec.message()};
    return Ok{};
}

}  // namespace

Status writeRgbPng(const RgbImage& image, const std::filesystem::path& file) {
    auto png = encodeRgbPng(image);
    if (!png) return Error{png.error().message + " for " + file.string()};
    return storeFile(*png, file);
}

Result<RgbImage> readRgbImage(const std::filesystem::path& file) {
    cv::Mat bgr;
    try {
        bgr = cv::imread(file.string(), cv::IMREAD_COLOR);
    } catch (const cv::Exception& e) {
        return Error{"cannot read " + file.string() + ": " + e.what()};
    }
    if (bgr.empty()) return Error{"cannot read " + file.string()};
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    RgbImage out;
    out.widthPx = rgb.cols;
    out.heightPx = rgb.rows;
    out.pixels.assign(rgb.data, rgb.data + rgb.total() * rgb.elemSize());
    return out;
}

PngDisplay::PngDisplay(PngOptions options) : options_(std::move(options)) {}

Status PngDisplay::present(const RgbImage& image, const hal::ScreenTag& tag) {
    if (!tag.newScreen) return Ok{};
    if (options_.resultsOnly && !tag.result) return Ok{};
    std::error_code ec;
    std::filesystem::create_directories(options_.dir, ec);
    if (ec) return Error{"display png: cannot create " + options_.dir.string() + ": " + ec.message()};
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "%02d-", written_ + 1);
    const std::filesystem::path file = options_.dir / (prefix + tag.name + ".png");
    auto png = encodeRgbPng(image, tag.result ? std::function<bool()>{} : tag.superseded);
    if (!png) return Error{png.error().message + " for " + file.string()};
    if (png->empty()) {
        ++dropped_;  // a result card waits: this screen was replaced before its file was done
        return Ok{};
    }
    auto s = storeFile(*png, file);
    if (s) ++written_;
    return s;
}

}  // namespace sentinel::display

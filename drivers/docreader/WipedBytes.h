#pragma once
// A fixed-size byte buffer that is zeroised when it goes (STYLE 19): frames from an ID-card reader
// carry names, numbers, birth dates and the photo, so every buffer that holds them is one of these
// (or is wiped by hand with secureZero). Move-only; never reallocates behind the caller's back.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "firmware/base/Secret.h"

namespace sentinel::docreader {

class WipedBytes {
  public:
    WipedBytes() = default;
    explicit WipedBytes(std::size_t size)
        : bytes_(size == 0 ? nullptr : new std::uint8_t[size]()), size_(size) {}
    explicit WipedBytes(std::span<const std::uint8_t> from) : WipedBytes(from.size()) {
        for (std::size_t i = 0; i < from.size(); ++i) bytes_[i] = from[i];
    }
    WipedBytes(WipedBytes&& o) noexcept : bytes_(std::move(o.bytes_)), size_(o.size_) {
        o.size_ = 0;
    }
    WipedBytes& operator=(WipedBytes&& o) noexcept {
        if (this != &o) {
            wipe();
            bytes_ = std::move(o.bytes_);
            size_ = o.size_;
            o.size_ = 0;
        }
        return *this;
    }
    WipedBytes(const WipedBytes&) = delete;
    WipedBytes& operator=(const WipedBytes&) = delete;
    ~WipedBytes() { wipe(); }

    // Zeroises the bytes and releases them.
    void wipe() noexcept {
        if (bytes_) secureZero(bytes_.get(), size_);
        bytes_.reset();
        size_ = 0;
    }

    std::uint8_t* data() { return bytes_.get(); }
    const std::uint8_t* data() const { return bytes_.get(); }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    std::span<std::uint8_t> span() { return {bytes_.get(), size_}; }
    std::span<const std::uint8_t> span() const { return {bytes_.get(), size_}; }

  private:
    std::unique_ptr<std::uint8_t[]> bytes_;
    std::size_t size_ = 0;
};

}  // namespace sentinel::docreader

#pragma once
// The byte line to a reader module: a tty in the kiosk (TtyLink), a scripted device in tests. The
// session above it never touches file descriptors, so its timeouts are tested on a fake clock.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "firmware/base/Result.h"

namespace sentinel::docreader {

class ByteLink {
  public:
    virtual ~ByteLink() = default;
    // Writes every byte within `timeout`. An error means the line is gone.
    virtual Status write(std::span<const std::uint8_t> bytes,
                         std::chrono::milliseconds timeout) = 0;
    // Waits at most `timeout` for bytes and returns how many it put in `into` (0: none came). An
    // error means the line is gone (unplugged, closed): the caller drops the link and opens it
    // again.
    virtual Result<std::size_t> read(std::span<std::uint8_t> into,
                                     std::chrono::milliseconds timeout) = 0;
    // Drops bytes received and not read yet (a late answer to an earlier command).
    virtual void discardInput() = 0;
};

}  // namespace sentinel::docreader

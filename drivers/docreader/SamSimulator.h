#pragma once
// The simulated reader on a pseudo-terminal: a SamDevice served on the master side of a pty by a
// thread of its own, so a SamReader (or anything that speaks the protocol) opens the slave path
// like a USB serial adapter. Used by `sentinel-samsim` (demos, `documents.reader =
// "sam:/dev/pts/N"`) and by the end-to-end tests.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "drivers/docreader/SamDevice.h"
#include "firmware/base/Result.h"

namespace sentinel::docreader {

class SamSimulator {
  public:
    // Opens a pseudo-terminal (posix_openpt) and starts serving. The slave is kept open by the
    // simulator too, so a reader may close and reopen it.
    static Result<std::unique_ptr<SamSimulator>> start();
    ~SamSimulator();  // stops and joins the thread, closes the pty
    SamSimulator(const SamSimulator&) = delete;
    SamSimulator& operator=(const SamSimulator&) = delete;

    // The slave's path ("/dev/pts/N").
    const std::string& path() const { return path_; }

    // Runs `f` on the device under the simulator's lock (present, remove, inject…).
    void withDevice(const std::function<void(SamDevice&)>& f);
    // Waits until `done(device)` holds (checked whenever a request was answered), at most
    // `timeout`.
    bool waitUntil(const std::function<bool(const SamDevice&)>& done,
                   std::chrono::milliseconds timeout);
    // Before exiting (a closed pty takes unread bytes with it): waits until the reader has sent its
    // next request — so it has taken every reply before it — at most `timeout`. False when it did
    // not.
    bool drain(std::chrono::milliseconds timeout);

  private:
    SamSimulator(int master, int slave, int wakeFd, std::string path);
    void serve(std::stop_token stop);

    int master_;
    int slave_;
    int wake_;  // eventfd: ends the thread's poll at once on stop
    std::string path_;
    std::mutex mutex_;
    std::condition_variable changed_;
    SamDevice device_;
    std::jthread thread_;  // last: started after everything it uses
};

}  // namespace sentinel::docreader

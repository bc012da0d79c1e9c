#pragma once
// Runs `sentinel-hcsim` as a child process (tests that must count only their own threads and file
// descriptors, bench scripts). Reads the "listening …" line the executable prints on start.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::hcsim {

class HcSimProcess {
public:
    // `args` after the executable name; must include --listen and --gen-pki/--cert. Waits for the
    // listening line at most `startTimeout`.
    static Result<std::unique_ptr<HcSimProcess>> spawn(const std::string& executable,
                                                       const std::vector<std::string>& args,
                                                       std::chrono::milliseconds startTimeout);
    ~HcSimProcess();  // SIGTERM, then SIGKILL if it has not exited within a second
    HcSimProcess(const HcSimProcess&) = delete;
    HcSimProcess& operator=(const HcSimProcess&) = delete;

    pid_t pid() const { return pid_; }
    int port() const { return port_; }
    const std::string& baseUrl() const { return baseUrl_; }
    const std::string& pin() const { return pin_; }

private:
    HcSimProcess() = default;
    pid_t pid_ = -1;
    int port_ = 0;
    std::string baseUrl_, pin_;
};

}  // namespace sentinel::hcsim

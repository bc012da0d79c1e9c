#pragma once
// Starts the reference health-code service (`sentinel-hcsim`, built from tests/hcsim) as a child
// process for the demo and the latency benchmark. The kiosk binary never links the service: it only
// talks to it over HTTPS on loopback, as it would to the real one.

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::app {

class HcsimProcess {
public:
    // Looks for sentinel-hcsim in $SENTINEL_HCSIM, beside this executable, in the build tree
    // (../../tests/hcsim/ from firmware/app/), then on PATH. Empty when none is found.
    static std::string locate();

    // Runs `exe --listen 127.0.0.1:0 --gen-pki pkiDir extraArgs…` and waits (≤ 10 s) for its
    // "listening URL port N pin P backup-pin B" line.
    static Result<std::unique_ptr<HcsimProcess>> start(const std::string& exe, const std::filesystem::path& pkiDir,
                                                       const std::vector<std::string>& extraArgs);
    ~HcsimProcess();  // SIGTERM, then SIGKILL after 1 s
    HcsimProcess(const HcsimProcess&) = delete;
    HcsimProcess& operator=(const HcsimProcess&) = delete;

    const std::string& baseUrl() const { return baseUrl_; }
    const std::string& pin() const { return pin_; }
    std::filesystem::path caFile() const { return pkiDir_ / "ca.pem"; }
    static constexpr const char* kDeviceToken = "sentinel-dev-token";  // the service's default

private:
    HcsimProcess() = default;
    pid_t pid_ = -1;
    std::string baseUrl_, pin_;
    std::filesystem::path pkiDir_;
};

}  // namespace sentinel::app

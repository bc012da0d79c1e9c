#include "firmware/diag/FactChecks.h"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "firmware/journal/DeviceSecret.h"

namespace sentinel::diag {
namespace {

std::string fmt1(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

constexpr double kMsPerHour = 3600.0 * 1000.0;
// Warn when three quarters of trust.max_age_h have passed: time to check the sync before it REFERs.
constexpr double kTrustWarnFraction = 0.75;


}  // namespace

Outcome judgeClock(const ClockFacts& f) {
    std::string detail = f.trustDetail;
    if (f.skewS) detail += "; skew vs service " + fmt1(*f.skewS) + " s";
    else detail += "; skew vs service not measured";
    if (!f.trusted && !f.enforced)
        return Outcome::warn(detail + " (replay source: `run` does not require trusted time; a live camera would REFER "
                                      "CLOCK_UNTRUSTED)",
                             "before service with a live camera: enable time sync (timedatectl set-ntp true)");
    if (!f.trusted)
        return Outcome::fail(detail + " → HC1/HK1 decisions REFER CLOCK_UNTRUSTED",
                             "enable time sync (timedatectl set-ntp true) and let it reach an NTP server; see docs/troubleshooting.md");
    if (f.skewS && std::fabs(*f.skewS) > f.maxSkewS)
        return Outcome::fail(detail + " (over clock.max_skew_s " + std::to_string(f.maxSkewS) + ")",
                             "the kiosk clock disagrees with the service: check NTP (timedatectl timesync-status)");
    return Outcome::ok(detail);
}

Outcome judgeTrustList(const TrustFacts& f) {
    if (!f.count)
        return Outcome::fail("trust list not loaded: " + f.loadError,
                             "install a trust list (`sentinel trust import FILE` or `sentinel trust sync`)");
    if (*f.count == 0) return Outcome::fail(f.source + ": no certificate", "install a trust list (`sentinel trust import FILE`)");
    std::string detail = std::to_string(*f.count) + " certificate(s) from " + f.source;
    if (!f.issuedAt) return Outcome::warn(detail + ", issue time unknown", "use a trust list with issued_at (signed bundle)");
    const double ageH = static_cast<double>((f.now - *f.issuedAt).count()) / kMsPerHour;
    detail += ", issued " + formatRfc3339(*f.issuedAt) + " (" + fmt1(ageH) + " h ago, limit " + fmt1(f.maxAgeH) + " h)";
    if (ageH > f.maxAgeH)
        return Outcome::fail(detail + " → HC1 codes REFER TRUST_LIST_STALE",
                             "run `sentinel trust sync` (check trust.sync_url and the network) or import a fresh list");
    if (ageH < -1.0) return Outcome::warn(detail + " (in the future)", "check the kiosk clock");
    if (ageH > kTrustWarnFraction * f.maxAgeH)
        return Outcome::warn(detail + " (nearly stale)", "check that trust sync works: `sentinel trust sync`");
    return Outcome::ok(detail);
}

Outcome checkStateDir(const std::filesystem::path& dir, std::uintmax_t minFreeBytes) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        return Outcome::fail(dir.string() + " does not exist",
                             "create it owned by the sentinel user (the Debian package does: /var/lib/sentinel)");
    const auto probe = dir / ".diag-write-probe";
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return Outcome::fail(dir.string() + " is not writable", "chown -R sentinel:sentinel " + dir.string() +
                                                                   " (systemd: ReadWritePaths must name it)");
    const bool synced = ::write(fd, "x", 1) == 1 && ::fsync(fd) == 0;
    ::close(fd);
    std::filesystem::remove(probe, ec);
    if (!synced) return Outcome::fail(dir.string() + ": write/fsync failed", "the storage is failing or full: check dmesg");
    auto space = std::filesystem::space(dir, ec);
    std::string detail = dir.string() + " writable";
    detail += std::filesystem::exists(dir / journal::kDeviceSecretFile, ec) ? ", device secret present" : ", no device secret yet";
    if (!ec) {
        detail += ", " + fmt1(static_cast<double>(space.available) / (1024.0 * 1024.0)) + " MiB free";
        if (space.available < minFreeBytes)
            return Outcome::fail(detail, "free space on the state partition (old logs, journal.retain_mb)");
    }
    return Outcome::ok(detail);
}

}  // namespace sentinel::diag

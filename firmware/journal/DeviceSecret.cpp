#include "firmware/journal/DeviceSecret.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include <openssl/rand.h>

#include "firmware/base/Log.h"

namespace sentinel::journal {
namespace {

constexpr mode_t kSecretMode = 0600;
constexpr mode_t kStateDirMode = 0700;

Error fileError(const std::filesystem::path& path, std::string_view what) {
    return makeError(path.string() + ": " + std::string(what) + ": " + std::strerror(errno));
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

Result<std::string> readSecret(const std::filesystem::path& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) return fileError(path, "cannot open device secret");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fileError(path, "cannot stat device secret");
    if (!S_ISREG(st.st_mode)) return makeError(path.string() + ": device secret is not a regular file");
    if (static_cast<std::size_t>(st.st_size) != kDeviceSecretBytes) {
        return makeError(path.string() + ": device secret has " + std::to_string(st.st_size) + " bytes, expected " +
                         std::to_string(kDeviceSecretBytes));
    }
    if ((st.st_mode & 077) != 0) {
        SLOG("Journal", Warn) << path.string() << ": device secret was readable by others; mode set to 0600";
        if (::fchmod(fd.get(), kSecretMode) != 0) return fileError(path, "cannot restrict device secret");
    }
    std::string secret(kDeviceSecretBytes, '\0');
    std::size_t got = 0;
    while (got < secret.size()) {
        ssize_t n = ::read(fd.get(), secret.data() + got, secret.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return fileError(path, "cannot read device secret");
        got += static_cast<std::size_t>(n);
    }
    return secret;
}

Status writeAll(int fd, const std::string& data, const std::filesystem::path& path) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return fileError(path, "cannot write device secret");
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) return fileError(path, "cannot fsync device secret");
    return Ok{};
}

void syncDirectory(const std::filesystem::path& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() >= 0) ::fsync(fd.get());
}

}  // namespace

Result<std::string> loadOrCreateDeviceSecret(const std::filesystem::path& stateDir) {
    std::error_code ec;
    if (!std::filesystem::exists(stateDir, ec)) {
        std::filesystem::create_directories(stateDir, ec);
        if (ec) return makeError(stateDir.string() + ": cannot create state directory: " + ec.message());
        ::chmod(stateDir.c_str(), kStateDirMode);
    }
    const auto path = stateDir / kDeviceSecretFile;
    if (::access(path.c_str(), F_OK) == 0) return readSecret(path);

    std::string secret(kDeviceSecretBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), static_cast<int>(secret.size())) != 1) {
        return makeError("no randomness for the device secret (RAND_bytes failed)");
    }
    // A name of its own per attempt (pid + counter), so concurrent first starts never share a temp file.
    static std::atomic<unsigned> attempt{0};
    const auto tmp = stateDir / (std::string(kDeviceSecretFile) + ".tmp-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(attempt.fetch_add(1)));
    {
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, kSecretMode));
        if (fd.get() < 0) return fileError(tmp, "cannot create device secret");
        // The umask may have cleared bits but never adds any; make the mode exact anyway.
        if (::fchmod(fd.get(), kSecretMode) != 0) return fileError(tmp, "cannot set device secret mode");
        if (auto st = writeAll(fd.get(), secret, tmp); !st) {
            ::unlink(tmp.c_str());
            return st.error();
        }
    }
    int linked = ::link(tmp.c_str(), path.c_str());
    int linkErrno = errno;
    ::unlink(tmp.c_str());
    if (linked != 0) {
        if (linkErrno == EEXIST) return readSecret(path);  // another process won the race: use its secret
        errno = linkErrno;
        return fileError(path, "cannot install device secret");
    }
    syncDirectory(stateDir);
    SLOG("Journal", Info) << "created device secret " << path.string();
    return secret;
}

}  // namespace sentinel::journal

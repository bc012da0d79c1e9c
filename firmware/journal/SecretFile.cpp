#include "firmware/journal/SecretFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "firmware/base/Log.h"

namespace sentinel::journal {
namespace {

constexpr mode_t kSecretMode = 0600;
constexpr mode_t kStateDirMode = 0700;
constexpr mode_t kOthersBits = 077;

Error fileError(const std::filesystem::path& path, std::string_view what, std::string_view doing) {
    return makeError(path.string() + ": cannot " + std::string(doing) + " " + std::string(what) + ": " + std::strerror(errno));
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

Status writeAll(int fd, std::string_view data, const std::filesystem::path& path, std::string_view what) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return fileError(path, what, "write");
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) return fileError(path, what, "fsync");
    return Ok{};
}

void syncDirectory(const std::filesystem::path& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() >= 0) ::fsync(fd.get());
}

}  // namespace

Status ensureStateDirectory(const std::filesystem::path& stateDir) {
    std::error_code ec;
    if (std::filesystem::exists(stateDir, ec)) return Ok{};
    std::filesystem::create_directories(stateDir, ec);
    if (ec) return makeError(stateDir.string() + ": cannot create state directory: " + ec.message());
    ::chmod(stateDir.c_str(), kStateDirMode);
    return Ok{};
}

Result<std::string> readSecretFile(const std::filesystem::path& path, std::string_view what, SecretFileLimits limits) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) return fileError(path, what, "open");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fileError(path, what, "stat");
    const std::string name(what);
    if (!S_ISREG(st.st_mode)) return makeError(path.string() + ": " + name + " is not a regular file");
    const auto size = static_cast<std::size_t>(st.st_size);
    if (limits.exactBytes && size != *limits.exactBytes) {
        return makeError(path.string() + ": " + name + " has " + std::to_string(size) + " bytes, expected " +
                         std::to_string(*limits.exactBytes));
    }
    if (size > limits.maxBytes) return makeError(path.string() + ": " + name + " is too large");
    if ((st.st_mode & kOthersBits) != 0) {
        SLOG("Journal", Warn) << path.string() << ": " << name << " was readable by others; mode set to 0600";
        if (::fchmod(fd.get(), kSecretMode) != 0) return fileError(path, what, "restrict");
    }
    std::string bytes(size, '\0');
    std::size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n = ::read(fd.get(), bytes.data() + got, bytes.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return fileError(path, what, "read");
        got += static_cast<std::size_t>(n);
    }
    return bytes;
}

Result<bool> installSecretFile(const std::filesystem::path& path, std::string_view contents, std::string_view what) {
    if (::access(path.c_str(), F_OK) == 0) return false;
    // A name of its own per attempt (pid + counter), so concurrent first starts never share a temp file.
    static std::atomic<unsigned> attempt{0};
    const auto tmp = path.parent_path() / (path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                                           std::to_string(attempt.fetch_add(1)));
    {
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, kSecretMode));
        if (fd.get() < 0) return fileError(tmp, what, "create");
        // The umask may have cleared bits but never adds any; make the mode exact anyway.
        Status written = ::fchmod(fd.get(), kSecretMode) == 0 ? writeAll(fd.get(), contents, tmp, what)
                                                               : Status(fileError(tmp, what, "set the mode of"));
        if (!written) {
            ::unlink(tmp.c_str());
            return written.error();
        }
    }
    const int linked = ::link(tmp.c_str(), path.c_str());
    const int linkErrno = errno;
    ::unlink(tmp.c_str());
    if (linked != 0) {
        if (linkErrno == EEXIST) return false;  // another process won the race: its file is the one
        errno = linkErrno;
        return fileError(path, what, "install");
    }
    syncDirectory(path.parent_path());
    return true;
}

}  // namespace sentinel::journal

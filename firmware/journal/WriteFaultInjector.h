#pragma once
// Fault injection on the journal's writes, for tests and `diag` drills: a SQLite VFS shim that
// forwards every call to the default VFS and, while a fault is armed, fails writes, truncations
// and fsyncs the way a full disk (SQLITE_FULL) or a failing medium (SQLITE_IOERR_*) would.
// Hand it to JournalOptions::faults; with no injector the journal uses the default VFS directly.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace sentinel::journal {

enum class WriteFault {
    None,      // pass everything through
    DiskFull,  // writes fail with SQLITE_FULL (what SQLite reports for ENOSPC)
    IoError,   // writes and fsyncs fail with SQLITE_IOERR_WRITE / SQLITE_IOERR_FSYNC (EIO)
};

class WriteFaultInjector {
public:
    // Registers a VFS under a name unique to this object. Throws nothing; if registration fails,
    // vfsName() is empty and the journal refuses to open with it.
    WriteFaultInjector();
    ~WriteFaultInjector();  // unregisters; every connection using it must be closed first
    WriteFaultInjector(const WriteFaultInjector&) = delete;
    WriteFaultInjector& operator=(const WriteFaultInjector&) = delete;

    void set(WriteFault fault) { fault_.store(fault); }
    WriteFault fault() const { return fault_.load(); }
    // How many write/truncate/sync calls were failed so far.
    std::uint64_t injectedFailures() const { return injected_.load(); }
    const std::string& vfsName() const { return name_; }

    // Used by the VFS shim: the SQLite result code to return for a write-like call, or 0 (SQLITE_OK).
    int onWrite();
    int onSync();

private:
    struct Vfs;
    std::atomic<WriteFault> fault_{WriteFault::None};
    std::atomic<std::uint64_t> injected_{0};
    std::string name_;
    std::unique_ptr<Vfs> vfs_;
};

}  // namespace sentinel::journal

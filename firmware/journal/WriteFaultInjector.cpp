#include "firmware/journal/WriteFaultInjector.h"

#include <sqlite3.h>

#include <atomic>
#include <cstring>

namespace sentinel::journal {
namespace {

// A file opened through the shim: our header, then the real VFS's file object right after it.
struct ShimFile {
    sqlite3_file base;
    WriteFaultInjector* injector;
    sqlite3_file* real;
};

sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f)->real; }
WriteFaultInjector* injectorOf(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f)->injector; }

int shimClose(sqlite3_file* f) { return real(f)->pMethods->xClose(real(f)); }
int shimRead(sqlite3_file* f, void* buf, int amount, sqlite3_int64 offset) {
    return real(f)->pMethods->xRead(real(f), buf, amount, offset);
}
int shimWrite(sqlite3_file* f, const void* buf, int amount, sqlite3_int64 offset) {
    if (int rc = injectorOf(f)->onWrite()) return rc;
    return real(f)->pMethods->xWrite(real(f), buf, amount, offset);
}
int shimTruncate(sqlite3_file* f, sqlite3_int64 size) {
    if (int rc = injectorOf(f)->onWrite()) return rc == SQLITE_IOERR_WRITE ? SQLITE_IOERR_TRUNCATE : rc;
    return real(f)->pMethods->xTruncate(real(f), size);
}
int shimSync(sqlite3_file* f, int flags) {
    if (int rc = injectorOf(f)->onSync()) return rc;
    return real(f)->pMethods->xSync(real(f), flags);
}
int shimFileSize(sqlite3_file* f, sqlite3_int64* size) { return real(f)->pMethods->xFileSize(real(f), size); }
int shimLock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int shimUnlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int shimCheckReservedLock(sqlite3_file* f, int* out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); }
int shimFileControl(sqlite3_file* f, int op, void* arg) { return real(f)->pMethods->xFileControl(real(f), op, arg); }
int shimSectorSize(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int shimDeviceCharacteristics(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
int shimShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
    return real(f)->pMethods->xShmMap(real(f), region, size, extend, out);
}
int shimShmLock(sqlite3_file* f, int offset, int n, int flags) {
    return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void shimShmBarrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int shimShmUnmap(sqlite3_file* f, int deleteFlag) { return real(f)->pMethods->xShmUnmap(real(f), deleteFlag); }
int shimFetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
    return real(f)->pMethods->xFetch(real(f), offset, amount, out);
}
int shimUnfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
    return real(f)->pMethods->xUnfetch(real(f), offset, p);
}

// Version 3 methods (WAL shared memory and memory-mapped I/O); used only when the real file offers them.
const sqlite3_io_methods kShimMethods = {
    3,           shimClose,        shimRead,        shimWrite,         shimTruncate,         shimSync,
    shimFileSize, shimLock,        shimUnlock,      shimCheckReservedLock, shimFileControl, shimSectorSize,
    shimDeviceCharacteristics, shimShmMap, shimShmLock, shimShmBarrier, shimShmUnmap, shimFetch, shimUnfetch,
};

}  // namespace

struct WriteFaultInjector::Vfs {
    sqlite3_vfs vfs{};
    sqlite3_vfs* root = nullptr;
    WriteFaultInjector* owner = nullptr;
    sqlite3_io_methods methods = kShimMethods;

    static Vfs* self(sqlite3_vfs* v) { return static_cast<Vfs*>(v->pAppData); }

    static int open(sqlite3_vfs* v, const char* name, sqlite3_file* file, int flags, int* outFlags) {
        Vfs* me = self(v);
        auto* shim = reinterpret_cast<ShimFile*>(file);
        shim->injector = me->owner;
        shim->real = reinterpret_cast<sqlite3_file*>(shim + 1);
        std::memset(shim->real, 0, static_cast<size_t>(me->root->szOsFile));
        int rc = me->root->xOpen(me->root, name, shim->real, flags, outFlags);
        if (rc != SQLITE_OK || shim->real->pMethods == nullptr) {
            file->pMethods = nullptr;
            return rc;
        }
        // Offer no more than the real file does (an older method table has fewer entries).
        me->methods.iVersion = shim->real->pMethods->iVersion < 3 ? shim->real->pMethods->iVersion : 3;
        file->pMethods = &me->methods;
        return rc;
    }
    static int remove(sqlite3_vfs* v, const char* name, int syncDir) {
        return self(v)->root->xDelete(self(v)->root, name, syncDir);
    }
    static int access(sqlite3_vfs* v, const char* name, int flags, int* out) {
        return self(v)->root->xAccess(self(v)->root, name, flags, out);
    }
    static int fullPathname(sqlite3_vfs* v, const char* name, int n, char* out) {
        return self(v)->root->xFullPathname(self(v)->root, name, n, out);
    }
    static void* dlOpen(sqlite3_vfs* v, const char* name) { return self(v)->root->xDlOpen(self(v)->root, name); }
    static void dlError(sqlite3_vfs* v, int n, char* out) { self(v)->root->xDlError(self(v)->root, n, out); }
    static void (*dlSym(sqlite3_vfs* v, void* handle, const char* symbol))(void) {
        return self(v)->root->xDlSym(self(v)->root, handle, symbol);
    }
    static void dlClose(sqlite3_vfs* v, void* handle) { self(v)->root->xDlClose(self(v)->root, handle); }
    static int randomness(sqlite3_vfs* v, int n, char* out) {
        return self(v)->root->xRandomness(self(v)->root, n, out);
    }
    static int sleep(sqlite3_vfs* v, int micros) { return self(v)->root->xSleep(self(v)->root, micros); }
    static int currentTime(sqlite3_vfs* v, double* out) { return self(v)->root->xCurrentTime(self(v)->root, out); }
    static int getLastError(sqlite3_vfs* v, int n, char* out) {
        return self(v)->root->xGetLastError ? self(v)->root->xGetLastError(self(v)->root, n, out) : 0;
    }
    static int currentTimeInt64(sqlite3_vfs* v, sqlite3_int64* out) {
        return self(v)->root->xCurrentTimeInt64(self(v)->root, out);
    }
};

WriteFaultInjector::WriteFaultInjector() : vfs_(std::make_unique<Vfs>()) {
    sqlite3_initialize();
    static std::atomic<unsigned> counter{0};
    sqlite3_vfs* root = sqlite3_vfs_find(nullptr);
    if (root == nullptr) return;
    std::string name = "sentinel-faults-" + std::to_string(counter.fetch_add(1));
    Vfs& v = *vfs_;
    v.root = root;
    v.owner = this;
    v.vfs.iVersion = 2;
    v.vfs.szOsFile = static_cast<int>(sizeof(ShimFile)) + root->szOsFile;
    v.vfs.mxPathname = root->mxPathname;
    v.vfs.pAppData = &v;
    v.vfs.xOpen = &Vfs::open;
    v.vfs.xDelete = &Vfs::remove;
    v.vfs.xAccess = &Vfs::access;
    v.vfs.xFullPathname = &Vfs::fullPathname;
    v.vfs.xDlOpen = &Vfs::dlOpen;
    v.vfs.xDlError = &Vfs::dlError;
    v.vfs.xDlSym = &Vfs::dlSym;
    v.vfs.xDlClose = &Vfs::dlClose;
    v.vfs.xRandomness = &Vfs::randomness;
    v.vfs.xSleep = &Vfs::sleep;
    v.vfs.xCurrentTime = &Vfs::currentTime;
    v.vfs.xGetLastError = &Vfs::getLastError;
    v.vfs.xCurrentTimeInt64 = &Vfs::currentTimeInt64;
    name_ = std::move(name);
    v.vfs.zName = name_.c_str();
    if (sqlite3_vfs_register(&v.vfs, 0) != SQLITE_OK) name_.clear();
}

WriteFaultInjector::~WriteFaultInjector() {
    if (!name_.empty()) sqlite3_vfs_unregister(&vfs_->vfs);
}

int WriteFaultInjector::onWrite() {
    switch (fault_.load()) {
        case WriteFault::None: return SQLITE_OK;
        case WriteFault::DiskFull: ++injected_; return SQLITE_FULL;
        case WriteFault::IoError: ++injected_; return SQLITE_IOERR_WRITE;
    }
    return SQLITE_OK;
}

int WriteFaultInjector::onSync() {
    switch (fault_.load()) {
        case WriteFault::None: return SQLITE_OK;
        // A full disk fails the write that needs space; an fsync of data already written succeeds.
        case WriteFault::DiskFull: return SQLITE_OK;
        case WriteFault::IoError: ++injected_; return SQLITE_IOERR_FSYNC;
    }
    return SQLITE_OK;
}

}  // namespace sentinel::journal

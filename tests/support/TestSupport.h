#pragma once
// Shared test helpers: a manual clock and temporary directories. Hardware fakes live beside their
// interface's tests (FakeCamera.h, FakeIndicator.h).

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

#include "firmware/base/Time.h"

namespace sentinel::testing {

// A clock the test moves by hand: no sleeps in tests.
class ManualClock final : public Clock {
public:
    explicit ManualClock(UtcTime start = UtcTime{std::chrono::seconds{1795000000}}) : now_(start) {}
    UtcTime now() const override { return now_; }
    MonoTime monotonic() const override { return mono_; }
    void advance(std::chrono::milliseconds d) {
        now_ += d;
        mono_ += d;
    }
    void setUtc(UtcTime t) { now_ = t; }

private:
    UtcTime now_;
    MonoTime mono_{std::chrono::hours{1}};
};

// A manual clock other threads may read while the test moves it (a link's or checkpointer's thread).
class SharedManualClock final : public Clock {
public:
    UtcTime now() const override { return UtcTime{std::chrono::seconds{1795000000}} + std::chrono::milliseconds{offsetMs_.load()}; }
    MonoTime monotonic() const override { return MonoTime{std::chrono::hours{1}} + std::chrono::milliseconds{offsetMs_.load()}; }
    void advance(std::chrono::milliseconds d) { offsetMs_ += d.count(); }

private:
    std::atomic<std::int64_t> offsetMs_{0};
};

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// The shared test data folder (../shared/testdata), or empty when it is absent.
std::filesystem::path testdataDir();

}  // namespace sentinel::testing

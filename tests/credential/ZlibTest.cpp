#include "firmware/credential/Zlib.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>

namespace sentinel::credential {
namespace {

// CPU time of this thread: the budget is about work done, not about how busy the shared machine is.
inline std::chrono::nanoseconds threadCpuTime() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec};
}

std::vector<uint8_t> bytesOf(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Zlib, RoundTrips) {
    const auto text = bytesOf("a health certificate, a health certificate, a health certificate");
    EXPECT_EQ(text, inflateZlib(deflateZlib(text)).value());
}

TEST(Zlib, OutputExactlyAtTheCapIsAccepted) {
    std::vector<uint8_t> big(kMaxInflatedBytes, 'x');
    EXPECT_EQ(kMaxInflatedBytes, inflateZlib(deflateZlib(big)).value().size());
}

TEST(Zlib, BombOverTheCapIsRejectedQuickly) {
    std::vector<uint8_t> huge(16 * 1024 * 1024, 0);  // 16 MiB of zeros deflates to ~16 KiB
    const auto bomb = deflateZlib(huge);
    const auto start = threadCpuTime();
    EXPECT_FALSE(inflateZlib(bomb).ok());
    EXPECT_LT(threadCpuTime() - start, std::chrono::milliseconds{20});
}

TEST(Zlib, OneByteOverTheCapIsRejected) {
    std::vector<uint8_t> big(kMaxInflatedBytes + 1, 'x');
    EXPECT_FALSE(inflateZlib(deflateZlib(big)).ok());
}

TEST(Zlib, RejectsNonZlibInput) {
    EXPECT_FALSE(inflateZlib(bytesOf("hello world")).ok());
    EXPECT_FALSE(inflateZlib({}).ok());
    // A CBOR COSE_Sign1 (tag 18 = 0xD2) is what an uncompressed HC1 would hold.
    EXPECT_FALSE(inflateZlib(std::vector<uint8_t>{0xD2, 0x84, 0x43, 0xA1, 0x01, 0x26}).ok());
}

TEST(Zlib, RejectsGzipHeader) {
    EXPECT_FALSE(inflateZlib(std::vector<uint8_t>{0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03}).ok());
}

TEST(Zlib, RejectsPresetDictionary) {
    // CMF 0x78, FLG with FDICT set and a valid check: 0x78BB (0x78BB % 31 == 0).
    EXPECT_FALSE(inflateZlib(std::vector<uint8_t>{0x78, 0xBB, 0, 0, 0, 0, 0x01}).ok());
}

TEST(Zlib, RejectsTruncatedStream) {
    auto z = deflateZlib(bytesOf("a health certificate, a health certificate"));
    for (size_t cut = 1; cut < z.size(); ++cut) {
        EXPECT_FALSE(inflateZlib(std::span(z).first(cut)).ok()) << "cut at " << cut;
    }
}

TEST(Zlib, RejectsCorruptChecksum) {
    auto z = deflateZlib(bytesOf("a health certificate"));
    z.back() ^= 0x01;
    EXPECT_FALSE(inflateZlib(z).ok());
}

TEST(Zlib, RejectsBytesAfterTheStream) {
    auto z = deflateZlib(bytesOf("a health certificate"));
    z.push_back(0);
    EXPECT_FALSE(inflateZlib(z).ok());
}

}  // namespace
}  // namespace sentinel::credential

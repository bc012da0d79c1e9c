#include "firmware/credential/Cbor.h"

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

using Bytes = std::vector<uint8_t>;

TEST(Cbor, DecodesIntegersOfEveryWidth) {
    EXPECT_EQ(23, cborDecode(Bytes{0x17}).value().asInt());
    EXPECT_EQ(24, cborDecode(Bytes{0x18, 0x18}).value().asInt());
    EXPECT_EQ(1000, cborDecode(Bytes{0x19, 0x03, 0xE8}).value().asInt());
    EXPECT_EQ(1000000, cborDecode(Bytes{0x1A, 0x00, 0x0F, 0x42, 0x40}).value().asInt());
    EXPECT_EQ(-260, cborDecode(Bytes{0x39, 0x01, 0x03}).value().asInt());
    auto big = cborDecode(Bytes{0x1B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}).value();
    EXPECT_EQ(CborType::Unsigned, big.type);
    EXPECT_FALSE(big.asInt());  // does not fit int64
}

TEST(Cbor, DecodesFloatsOfEveryWidth) {
    EXPECT_DOUBLE_EQ(1.5, cborDecode(Bytes{0xF9, 0x3E, 0x00}).value().real);
    EXPECT_DOUBLE_EQ(100000.0, cborDecode(Bytes{0xFA, 0x47, 0xC3, 0x50, 0x00}).value().real);
    EXPECT_DOUBLE_EQ(1.1, cborDecode(Bytes{0xFB, 0x3F, 0xF1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A}).value().real);
}

TEST(Cbor, DecodesIndefiniteContainersAndStrings) {
    // [_ 1, [2, 3]] and (_ h'01', h'02')
    auto a = cborDecode(Bytes{0x9F, 0x01, 0x82, 0x02, 0x03, 0xFF}).value();
    ASSERT_EQ(CborType::Array, a.type);
    EXPECT_EQ(2u, a.items.size());
    auto b = cborDecode(Bytes{0x5F, 0x41, 0x01, 0x41, 0x02, 0xFF}).value();
    EXPECT_EQ((Bytes{1, 2}), b.bytes);
}

TEST(Cbor, WriterOutputReadsBack) {
    CborWriter w;
    w.map(3).integer(-260).text("x").unsignedInt(70000).array(2).float64(2.5).boolean(true).text("k").null();
    auto v = cborDecode(w.data()).value();
    ASSERT_EQ(3u, v.mapSize());
    EXPECT_EQ("x", v.find(-260)->text);
    EXPECT_EQ(2u, v.find(70000)->items.size());
    EXPECT_DOUBLE_EQ(2.5, v.find(70000)->items[0].real);
    EXPECT_EQ(CborType::Simple, v.find("k")->type);
}

TEST(Cbor, RejectsTruncationAtEveryPoint) {
    CborWriter w;
    w.map(2).integer(1).text("abc").integer(-260).array(2).bytes(Bytes{1, 2, 3}).unsignedInt(1u << 20);
    const auto& full = w.data();
    for (size_t cut = 0; cut < full.size(); ++cut) {
        EXPECT_FALSE(cborDecode(std::span(full).first(cut)).ok()) << "cut at " << cut;
    }
}

TEST(Cbor, RejectsTrailingBytes) { EXPECT_FALSE(cborDecode(Bytes{0x01, 0x02}).ok()); }

TEST(Cbor, RejectsDeclaredStringLengthBeyondInput) {
    // bstr of 2^64-1 bytes, and of 4 GiB, with 1 byte present: rejected without allocating.
    const auto start = threadCpuTime();
    EXPECT_FALSE(cborDecode(Bytes{0x5B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00}).ok());
    EXPECT_FALSE(cborDecode(Bytes{0x7A, 0xFF, 0xFF, 0xFF, 0xFF, 'a'}).ok());
    EXPECT_FALSE(cborDecode(Bytes{0x43, 0x01, 0x02}).ok());
    EXPECT_LT(threadCpuTime() - start, std::chrono::milliseconds{20});
}

TEST(Cbor, RejectsDeclaredElementCountBeyondInput) {
    // The libcbor 0.8 killer: a 5-byte array header claiming 2^32-1 elements.
    const auto start = threadCpuTime();
    EXPECT_FALSE(cborDecode(Bytes{0x9A, 0xFF, 0xFF, 0xFF, 0xFF}).ok());
    EXPECT_FALSE(cborDecode(Bytes{0xBB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}).ok());
    EXPECT_FALSE(cborDecode(Bytes{0xA2, 0x01, 0x02, 0x03}).ok());  // 2 pairs, 3 bytes
    EXPECT_LT(threadCpuTime() - start, std::chrono::milliseconds{20});
}

TEST(Cbor, SixteenLevelsAreAcceptedSeventeenRejected) {
    Bytes sixteen(16, 0x81);
    sixteen.push_back(0x00);
    EXPECT_TRUE(cborDecode(sixteen).ok());
    Bytes seventeen(17, 0x81);
    seventeen.push_back(0x00);
    EXPECT_FALSE(cborDecode(seventeen).ok());
}

TEST(Cbor, DeepNestingOfIndefiniteArraysMapsAndTagsIsRejected) {
    EXPECT_FALSE(cborDecode(Bytes(100000, 0x9F)).ok());
    Bytes maps;
    for (int i = 0; i < 40; ++i) {
        maps.push_back(0xA1);
        maps.push_back(0x01);
    }
    maps.push_back(0x01);
    EXPECT_FALSE(cborDecode(maps).ok());
    Bytes tags(40, 0xC1);
    tags.push_back(0x01);
    EXPECT_FALSE(cborDecode(tags).ok());
}

TEST(Cbor, RejectsReservedAdditionalInformation) {
    for (uint8_t info : {28, 29, 30}) {
        EXPECT_FALSE(cborDecode(Bytes{static_cast<uint8_t>(info), 0, 0, 0, 0, 0, 0, 0, 0}).ok());
    }
}

TEST(Cbor, RejectsStrayBreakAndIndefiniteIntegers) {
    EXPECT_FALSE(cborDecode(Bytes{0xFF}).ok());
    EXPECT_FALSE(cborDecode(Bytes{0x1F}).ok());
    EXPECT_FALSE(cborDecode(Bytes{0xDF, 0x01}).ok());
    EXPECT_FALSE(cborDecode(Bytes{0xBF, 0x01, 0xFF}).ok());  // key without value
}

TEST(Cbor, RejectsIndefiniteStringWithForeignChunk) {
    EXPECT_FALSE(cborDecode(Bytes{0x5F, 0x61, 'a', 0xFF}).ok());
    EXPECT_FALSE(cborDecode(Bytes{0x5F, 0x5F, 0xFF, 0xFF}).ok());
}

TEST(Cbor, RejectsInvalidUtf8Text) {
    EXPECT_FALSE(cborDecode(Bytes{0x62, 0xC3, 0x28}).ok());
    EXPECT_FALSE(cborDecode(Bytes{0x61, 0xC3}).ok());
    EXPECT_FALSE(cborDecode(Bytes{0x63, 0xED, 0xA0, 0x80}).ok());  // surrogate
    EXPECT_TRUE(cborDecode(Bytes{0x63, 0xE5, 0xBC, 0xA0}).ok());   // 张
}

TEST(Cbor, RejectsTwoByteSimpleBelow32) { EXPECT_FALSE(cborDecode(Bytes{0xF8, 0x10}).ok()); }

TEST(Cbor, DuplicateMapKeysAreDetected) {
    CborWriter w;
    w.map(2).integer(1).integer(1).integer(1).integer(2);
    EXPECT_TRUE(cborDecode(w.data()).value().hasDuplicateKeys());
    CborWriter u;
    u.map(2).integer(1).integer(1).text("1").integer(2);
    EXPECT_FALSE(cborDecode(u.data()).value().hasDuplicateKeys());
}

}  // namespace
}  // namespace sentinel::credential

#include "firmware/base/Time.h"

#include <gtest/gtest.h>

namespace sentinel {
namespace {

long long epoch(std::string_view s) {
    auto t = parseRfc3339(s);
    EXPECT_TRUE(t.has_value()) << s;
    return t ? t->time_since_epoch().count() : -1;
}

TEST(Rfc3339, EveryOffsetFormMeansTheSameInstant) {
    const long long utc = epoch("2026-11-20T06:00:00Z");
    EXPECT_EQ(utc, epoch("2026-11-20T08:00:00+02:00"));
    EXPECT_EQ(utc, epoch("2026-11-20T08:00:00+0200"));
    EXPECT_EQ(utc, epoch("2026-11-20T08:00:00+02"));
    EXPECT_EQ(utc, epoch("2026-11-20T01:30:00-04:30"));
    EXPECT_EQ(utc, epoch("2026-11-20T06:00:00"));  // missing offset = UTC
    EXPECT_EQ(utc, epoch("2026-11-20t06:00:00z"));
}

TEST(Rfc3339, FractionsOfAnyLengthAreTruncatedToMilliseconds) {
    const long long base = epoch("2026-11-20T06:00:00Z");
    EXPECT_EQ(base + 500, epoch("2026-11-20T06:00:00.5Z"));
    EXPECT_EQ(base + 123, epoch("2026-11-20T06:00:00.123456789Z"));
    EXPECT_EQ(base + 120, epoch("2026-11-20T06:00:00.12+00:00"));
}

TEST(Rfc3339, KnownEpochValue) { EXPECT_EQ(1795000000000LL, epoch("2026-11-18T11:06:40Z")); }

TEST(Rfc3339, RejectsOutOfRangeAndGarbage) {
    for (auto bad : {"", "2026", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-20T24:00:00Z",
                     "2026-11-20T06:00:00+24:00", "2026-11-20T06:00:00Q", "2026-11-20T06:00:00.Z",
                     "2026-11-20X06:00:00Z", "2026-11-20T06:00:00+2", "2026-11-20T06:00:00Z "}) {
        EXPECT_FALSE(parseRfc3339(bad).has_value()) << bad;
    }
}

TEST(Rfc3339, FormatRoundTrips) {
    auto t = parseRfc3339("2026-11-20T06:00:00Z");
    ASSERT_TRUE(t);
    EXPECT_EQ("2026-11-20T06:00:00Z", formatRfc3339(*t));
    EXPECT_EQ("2026-11-20T06:00:00.250Z", formatRfc3339(*t + std::chrono::milliseconds{250}));
}

}  // namespace
}  // namespace sentinel

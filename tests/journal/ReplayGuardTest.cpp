#include "firmware/journal/ReplayGuard.h"

#include <gtest/gtest.h>

namespace sentinel::journal {
namespace {

using namespace std::chrono_literals;

const MonoTime kT0{std::chrono::hours{5}};

TEST(ReplayGuard, SameSubjectWithinTheWindowIsAReplay) {
    ReplayGuard g(60s);
    EXPECT_FALSE(g.seenRecently("aa", kT0));
    EXPECT_TRUE(g.seenRecently("aa", kT0 + 59s));
}

TEST(ReplayGuard, SameSubjectAtTheEndOfTheWindowIsNotAReplay) {
    ReplayGuard g(60s);
    EXPECT_FALSE(g.seenRecently("aa", kT0));
    EXPECT_FALSE(g.seenRecently("aa", kT0 + 60s));
    EXPECT_TRUE(g.seenRecently("aa", kT0 + 61s));  // the second use started a new window
}

TEST(ReplayGuard, AReplayDoesNotExtendTheWindow) {
    ReplayGuard g(60s);
    EXPECT_FALSE(g.seenRecently("aa", kT0));
    EXPECT_TRUE(g.seenRecently("aa", kT0 + 50s));
    EXPECT_FALSE(g.seenRecently("aa", kT0 + 70s));
}

TEST(ReplayGuard, DifferentSubjectsAreIndependent) {
    ReplayGuard g(60s);
    EXPECT_FALSE(g.seenRecently("aa", kT0));
    EXPECT_FALSE(g.seenRecently("bb", kT0 + 1s));
    EXPECT_TRUE(g.seenRecently("bb", kT0 + 2s));
}

TEST(ReplayGuard, WindowZeroIsOff) {
    ReplayGuard g(0s);
    EXPECT_FALSE(g.seenRecently("aa", kT0));
    EXPECT_FALSE(g.seenRecently("aa", kT0));
    EXPECT_EQ(0u, g.size());
}

TEST(ReplayGuard, EmptySubjectIsNeverAReplay) {
    ReplayGuard g(60s);
    EXPECT_FALSE(g.seenRecently("", kT0));
    EXPECT_FALSE(g.seenRecently("", kT0));
}

TEST(ReplayGuard, ExpiredSubjectsAreForgotten) {
    ReplayGuard g(60s);
    for (int i = 0; i < 1000; ++i) EXPECT_FALSE(g.seenRecently("s" + std::to_string(i), kT0 + std::chrono::milliseconds{i}));
    EXPECT_EQ(1000u, g.size());
    EXPECT_FALSE(g.seenRecently("late", kT0 + 120s));
    EXPECT_EQ(1u, g.size());
}

TEST(ReplayGuard, MemoryIsCappedByForgettingTheOldest) {
    ReplayGuard g(std::chrono::hours{24}, 100);
    for (int i = 0; i < 10000; ++i) g.seenRecently("s" + std::to_string(i), kT0 + std::chrono::seconds{i});
    EXPECT_LE(g.size(), 100u);
    EXPECT_TRUE(g.seenRecently("s9999", kT0 + 10001s));  // the newest are still remembered
    EXPECT_FALSE(g.seenRecently("s0", kT0 + 10002s));    // the oldest were forgotten
}

}  // namespace
}  // namespace sentinel::journal

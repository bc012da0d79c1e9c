// Which risk-area list is in force (DESIGN §14): the switch happens at effective_from on the
// trusted clock, to the second — not when the list arrives.
#include "firmware/policy/RiskSchedule.h"

#include <gtest/gtest.h>

namespace sentinel::policy {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::shared_ptr<const RiskAreaList> list(const std::string& version, const std::string& issued, const std::string& effective) {
    auto p = parseRiskAreaList(R"({"format":"sentinel-risk-areas/1","version":")" + version + R"(","issued_at":")" + issued +
                               R"(","effective_from":")" + effective + R"(","areas":[{"code":"11","level":"high"}]})");
    EXPECT_TRUE(p.problems.empty());
    return p.list;
}

const UtcTime k2000 = *parseRfc3339("2026-12-07T20:00:00Z");
const UtcTime kMidnight = *parseRfc3339("2026-12-08T00:00:00Z");

TEST(RiskSchedule, AListForMidnightPushedAtEightChangesNothingUntilMidnight) {
    RiskSchedule schedule;
    const auto today = list("2026-12-07.1", "2026-12-06T20:00:00Z", "2026-12-07T00:00:00Z");
    const auto tomorrow = list("2026-12-08.1", "2026-12-07T20:00:00Z", "2026-12-08T00:00:00Z");
    ASSERT_TRUE(schedule.add(today, k2000).ok());
    ASSERT_TRUE(schedule.add(tomorrow, k2000).ok());
    EXPECT_EQ(schedule.at(k2000).inForce, today);
    EXPECT_EQ(schedule.at(k2000).next, tomorrow);
    EXPECT_EQ(schedule.at(kMidnight - milliseconds{1}).inForce, today);
    EXPECT_EQ(schedule.at(kMidnight).inForce, tomorrow);
    EXPECT_EQ(schedule.at(kMidnight).next, nullptr);
}

TEST(RiskSchedule, NothingIsInForceBeforeTheFirstListsEffectiveFrom) {
    RiskSchedule schedule;
    const auto tomorrow = list("2026-12-08.1", "2026-12-07T20:00:00Z", "2026-12-08T00:00:00Z");
    ASSERT_TRUE(schedule.add(tomorrow, k2000).ok());
    EXPECT_EQ(schedule.at(k2000).inForce, nullptr);
    EXPECT_EQ(schedule.at(kMidnight - seconds{1}).inForce, nullptr);
    EXPECT_EQ(schedule.at(kMidnight).inForce, tomorrow);
}

TEST(RiskSchedule, ANewerListForTheSameTimeReplacesTheScheduledOne) {
    RiskSchedule schedule;
    const auto first = list("2026-12-08.1", "2026-12-07T20:00:00Z", "2026-12-08T00:00:00Z");
    const auto fixed = list("2026-12-08.2", "2026-12-07T20:30:00Z", "2026-12-08T00:00:00Z");
    ASSERT_TRUE(schedule.add(first, k2000).ok());
    ASSERT_TRUE(schedule.add(fixed, k2000 + hours{1}).ok());
    EXPECT_EQ(schedule.held().size(), 1u);
    EXPECT_EQ(schedule.at(kMidnight).inForce, fixed);
    EXPECT_FALSE(schedule.add(first, k2000 + hours{1}).ok());  // not newer
    EXPECT_EQ(schedule.at(kMidnight).inForce, fixed);
}

TEST(RiskSchedule, TheSameListAgainChangesNothing) {
    RiskSchedule schedule;
    const auto l = list("2026-12-08.1", "2026-12-07T20:00:00Z", "2026-12-08T00:00:00Z");
    ASSERT_TRUE(schedule.add(l, k2000).ok());
    EXPECT_TRUE(schedule.add(list("2026-12-08.1", "2026-12-07T20:00:00Z", "2026-12-08T00:00:00Z"), k2000).ok());
    EXPECT_EQ(schedule.held().size(), 1u);
    EXPECT_EQ(schedule.at(kMidnight).inForce, l);
}

TEST(RiskSchedule, AListSupersededByTheOneInForceIsRefused) {
    RiskSchedule schedule;
    const auto current = list("2026-12-08.1", "2026-12-07T20:00:00Z", "2026-12-08T00:00:00Z");
    ASSERT_TRUE(schedule.add(current, kMidnight + hours{1}).ok());
    const auto old = list("2026-12-07.1", "2026-12-06T20:00:00Z", "2026-12-07T00:00:00Z");
    EXPECT_FALSE(schedule.add(old, kMidnight + hours{1}).ok());
    EXPECT_EQ(schedule.at(kMidnight + hours{1}).inForce, current);
}

TEST(RiskSchedule, AListEffectiveAtOnceReplacesTheOneInForceAndTheOldIsDropped) {
    RiskSchedule schedule;
    const auto morning = list("2026-12-08.1", "2026-12-07T20:00:00Z", "2026-12-08T00:00:00Z");
    const auto urgent = list("2026-12-08.2", "2026-12-08T09:59:00Z", "2026-12-08T10:00:00Z");
    const UtcTime ten = *parseRfc3339("2026-12-08T10:00:00Z");
    ASSERT_TRUE(schedule.add(morning, ten - hours{1}).ok());
    ASSERT_TRUE(schedule.add(urgent, ten).ok());
    EXPECT_EQ(schedule.at(ten).inForce, urgent);
    EXPECT_EQ(schedule.held().size(), 1u);
}

TEST(RiskSchedule, HoldsABoundedNumberOfLists) {
    RiskSchedule schedule;
    for (std::size_t i = 0; i < kMaxHeldRiskLists; ++i) {
        const std::string day = std::to_string(10 + i);
        ASSERT_TRUE(schedule.add(list("v" + day, "2026-12-07T20:00:00Z", "2026-12-" + day + "T00:00:00Z"), k2000).ok());
    }
    EXPECT_FALSE(schedule.add(list("v30", "2026-12-07T20:00:00Z", "2026-12-30T00:00:00Z"), k2000).ok());
}

}  // namespace
}  // namespace sentinel::policy

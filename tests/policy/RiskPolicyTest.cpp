// The §14 part of policy::evaluate: itineraries against the list in force, lookbacks, staleness,
// pending results, routes — and the itinerary's lifetime.
#include <gtest/gtest.h>

#include <cstring>

#include "firmware/policy/Policy.h"

namespace sentinel::policy {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

const UtcTime kNow = *parseRfc3339("2026-12-08T08:00:00Z");
constexpr auto kDay = hours{24};

std::shared_ptr<const RiskAreaList> makeList(const std::string& areas, const std::string& issued = "2026-12-07T20:00:00Z") {
    auto p = parseRiskAreaList(R"({"format":"sentinel-risk-areas/1","version":"2026-12-08.1","issued_at":")" + issued +
                               R"(","effective_from":"2026-12-08T00:00:00Z","areas":[)" + areas + "]}");
    EXPECT_TRUE(p.problems.empty());
    return p.list;
}

const auto kList = makeList(R"({"code":"110105","level":"high"},{"code":"3101","level":"medium"},{"code":"42","level":"high"},)"
                            R"({"code":"440305","level":"high","until":"2026-12-01T00:00:00Z"})");

PolicyInput online(std::vector<std::pair<std::string, std::optional<milliseconds>>> stays) {
    PolicyInput in;
    in.statusColour = "green";
    in.tests.push_back({TestType::Naat, kNow - hours{6}, true, "negative"});
    Itinerary travel;
    for (const auto& [region, endedAgo] : stays) {
        const UtcTime to = kNow - endedAgo.value_or(milliseconds{0});
        travel.add(region, to - kDay, endedAgo ? std::optional(to) : std::nullopt);
    }
    in.travel = travel;
    return in;
}

Reason reasonOf(const PolicyInput& in, const PolicyConfig& config = {}, const RiskAreaList* list = kList.get()) {
    return evaluate(in, kNow, config, list).reason;
}

TEST(RiskPolicy, AStayInAHighRiskAreaWithinFourteenDaysIsIsolation) {
    const auto out = evaluate(online({{"110105", kDay * 14}}), kNow, {}, kList.get());
    EXPECT_EQ(out.reason, Reason::RiskAreaHigh);
    ASSERT_TRUE(out.risk);
    EXPECT_EQ(out.risk->level, "high");
    EXPECT_EQ(out.risk->list, "2026-12-08.1");
    EXPECT_EQ(routeFor(out.reason), "isolation");
}

TEST(RiskPolicy, AHighRiskStayThatEndedLongerAgoThanTheLookbackDoesNotCount) {
    EXPECT_EQ(reasonOf(online({{"110105", kDay * 14 + milliseconds{1}}})), Reason::Ok);
}

TEST(RiskPolicy, AStayInAMediumRiskAreaWithinSevenDaysIsObservation) {
    EXPECT_EQ(reasonOf(online({{"310115", kDay * 7}})), Reason::RiskAreaMedium);
    EXPECT_EQ(reasonOf(online({{"310115", kDay * 7 + milliseconds{1}}})), Reason::Ok);
    EXPECT_EQ(routeFor(Reason::RiskAreaMedium), "observation");
}

TEST(RiskPolicy, AnOpenStayCountsAsEndingNow) {
    EXPECT_EQ(reasonOf(online({{"310115", std::nullopt}})), Reason::RiskAreaMedium);
}

TEST(RiskPolicy, AProvinceListedAsAWholeCoversItsCounties) {
    EXPECT_EQ(reasonOf(online({{"420106", kDay}})), Reason::RiskAreaHigh);
}

TEST(RiskPolicy, AnEntryPastItsUntilNoLongerCounts) {
    EXPECT_EQ(reasonOf(online({{"440305", kDay}})), Reason::Ok);
}

TEST(RiskPolicy, HighWinsOverMediumAcrossStays) {
    const auto out = evaluate(online({{"310115", kDay}, {"110105", kDay * 10}}), kNow, {}, kList.get());
    EXPECT_EQ(out.reason, Reason::RiskAreaHigh);
}

TEST(RiskPolicy, LookbacksComeFromThePolicy) {
    PolicyConfig p;
    p.riskLookbackHighDays = 3;
    p.riskLookbackMediumDays = 1;
    EXPECT_EQ(reasonOf(online({{"110105", kDay * 4}}), p), Reason::Ok);
    EXPECT_EQ(reasonOf(online({{"110105", kDay * 3}}), p), Reason::RiskAreaHigh);
    EXPECT_EQ(reasonOf(online({{"310115", kDay * 2}}), p), Reason::Ok);
}

TEST(RiskPolicy, ACleanItineraryPassesAndRecordsLowRisk) {
    const auto out = evaluate(online({{"120101", kDay}, {"310115", kDay * 9}}), kNow, {}, kList.get());
    EXPECT_EQ(out.reason, Reason::Ok);
    ASSERT_TRUE(out.risk);
    EXPECT_EQ(out.risk->level, "low");
}

TEST(RiskPolicy, TravelAgainstAStaleListIsReferredToStaff) {
    const auto stale = makeList(R"({"code":"11","level":"high"})", "2026-12-06T20:00:00Z");  // 36 h before kNow
    EXPECT_EQ(reasonOf(online({{"120101", kDay}}), {}, stale.get()), Reason::Ok);          // exactly 36 h: fresh
    const auto older = makeList(R"({"code":"11","level":"high"})", "2026-12-06T19:59:59Z");
    const auto out = evaluate(online({{"120101", kDay}}), kNow, {}, older.get());
    EXPECT_EQ(out.reason, Reason::RiskListStale);
    EXPECT_FALSE(out.risk);
    EXPECT_EQ(routeFor(out.reason), "staff");
}

TEST(RiskPolicy, TravelWithoutAnyListIsStale) {
    EXPECT_EQ(reasonOf(online({{"120101", kDay}}), {}, nullptr), Reason::RiskListStale);
}

TEST(RiskPolicy, AStaleListDoesNotMatterWithoutStays) {
    PolicyInput in = online({});
    EXPECT_EQ(reasonOf(in, {}, nullptr), Reason::Ok);
    in.travel.reset();
    EXPECT_EQ(reasonOf(in, {}, nullptr), Reason::Ok);
}

TEST(RiskPolicy, NoTravelDataIsTravelUnknownOnlyWhenRequired) {
    PolicyInput in = online({});
    in.travel.reset();
    EXPECT_EQ(reasonOf(in), Reason::Ok);
    PolicyConfig p;
    p.requireTravel = true;
    EXPECT_EQ(reasonOf(in, p), Reason::TravelUnknown);
    EXPECT_FALSE(routeFor(Reason::TravelUnknown));
    PolicyInput hc1 = in;
    hc1.statusColour.reset();  // an offline certificate never carries travel
    EXPECT_EQ(reasonOf(hc1, p), Reason::Ok);
}

TEST(RiskPolicy, TheColourComesBeforeTheRisk) {
    PolicyInput in = online({{"110105", kDay}});
    in.statusColour = "red";
    EXPECT_EQ(reasonOf(in), Reason::CodeNotGreen);
}

TEST(RiskPolicy, TheRiskComesBeforeTheTests) {
    PolicyInput in = online({{"110105", kDay}});
    in.tests.clear();
    EXPECT_EQ(reasonOf(in), Reason::RiskAreaHigh);
}

TestEntry pending(milliseconds age, TestType type = TestType::Naat) {
    TestEntry t{type, kNow - age, false, "pending"};
    t.pending = true;
    return t;
}

TEST(RiskPolicy, APendingOnlyHolderIsSentToTesting) {
    PolicyInput in;
    in.statusColour = "green";
    in.tests = {pending(hours{3})};
    const auto out = evaluate(in, kNow, {});
    EXPECT_EQ(out.reason, Reason::TestResultPending);
    ASSERT_TRUE(out.test);
    EXPECT_EQ(out.test->result, "pending");
    EXPECT_EQ(routeFor(out.reason), "testing");
}

TEST(RiskPolicy, AQualifyingNegativeWinsOverANewerPendingTest) {
    PolicyInput in;
    in.tests = {pending(hours{2}), {TestType::Naat, kNow - hours{20}, true, "negative"}};
    EXPECT_EQ(evaluate(in, kNow, {}).reason, Reason::Ok);
}

TEST(RiskPolicy, APendingTestNewerThanAnExpiredNegativeIsPending) {
    PolicyInput in;
    in.tests = {pending(hours{2}), {TestType::Naat, kNow - hours{50}, true, "negative"}};
    EXPECT_EQ(evaluate(in, kNow, {}).reason, Reason::TestResultPending);
}

TEST(RiskPolicy, APendingTestOlderThanAPositiveOneIsNotTheNewest) {
    PolicyInput in;
    in.tests = {pending(hours{10}), {TestType::Naat, kNow - hours{2}, false, "positive"}};
    EXPECT_EQ(evaluate(in, kNow, {}).reason, Reason::TestPositive);
}

TEST(RiskPolicy, APendingTestBeyondTheLimitIsNoResult) {
    PolicyInput in;
    in.tests = {pending(hours{49})};
    EXPECT_EQ(evaluate(in, kNow, {}).reason, Reason::NoTestResult);
    PolicyConfig p;
    p.requireTest = false;
    EXPECT_EQ(evaluate(in, kNow, p).reason, Reason::Ok);
}

TEST(RiskPolicy, APendingTestOfATypeNotAcceptedIsNoResult) {
    PolicyInput in;
    in.tests = {pending(hours{1}, TestType::Rat)};
    EXPECT_EQ(evaluate(in, kNow, {}).reason, Reason::NoTestResult);
}

TEST(RiskPolicy, RoutesBelongToTheFourteenReasonsOnly) {
    EXPECT_EQ(routeFor(Reason::BackendUnavailable), "staff");
    EXPECT_FALSE(routeFor(Reason::Ok));
    EXPECT_FALSE(routeFor(Reason::TestTooOld));
    EXPECT_FALSE(routeFor(Reason::BackendTimeout));
}

TEST(Itinerary, RefusesRegionsThatAreNotSixDigitsAndMoreThanItsCapacity) {
    Itinerary it;
    EXPECT_FALSE(it.add("11010", kNow, std::nullopt));
    EXPECT_FALSE(it.add("11010x", kNow, std::nullopt));
    for (std::size_t i = 0; i < kMaxStays; ++i) ASSERT_TRUE(it.add("110105", kNow, std::nullopt));
    EXPECT_FALSE(it.add("110105", kNow, std::nullopt));
    EXPECT_EQ(it.size(), kMaxStays);
}

TEST(Itinerary, IsZeroisedWhenMovedFromAndWhenWiped) {
    Itinerary a;
    ASSERT_TRUE(a.add("542621", kNow - kDay, kNow));
    const Stay* storage = a.stays().data();
    Itinerary b(std::move(a));
    EXPECT_TRUE(a.empty());
    EXPECT_EQ(std::memcmp(storage->region.data(), "\0\0\0\0\0\0", kRegionDigits), 0);
    EXPECT_FALSE(storage->to.has_value());
    EXPECT_EQ(b.stays()[0].regionCode(), "542621");
    b.wipe();
    EXPECT_TRUE(b.empty());
}

}  // namespace
}  // namespace sentinel::policy

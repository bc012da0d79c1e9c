#include "firmware/policy/Policy.h"

#include <gtest/gtest.h>

namespace sentinel::policy {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const UtcTime kNow = *parseRfc3339("2026-11-22T08:00:00Z");

PolicyInput naat(UtcTime collected, bool negative = true) {
    PolicyInput in;
    in.tests.push_back({TestType::Naat, collected, negative, negative ? "negative" : "positive"});
    return in;
}

TEST(Policy, NaatExactlyFortyEightHoursOldPasses) {
    EXPECT_EQ(Reason::Ok, evaluate(naat(kNow - hours{48}), kNow, {}).reason);
}

TEST(Policy, NaatOneSecondOverFortyEightHoursIsTooOld) {
    EXPECT_EQ(Reason::TestTooOld, evaluate(naat(kNow - hours{48} - seconds{1}), kNow, {}).reason);
}

TEST(Policy, AgeIsReportedInHours) {
    auto out = evaluate(naat(kNow - hours{49} - minutes{30}), kNow, {});
    ASSERT_TRUE(out.test);
    EXPECT_DOUBLE_EQ(49.5, out.test->ageHours);
    EXPECT_EQ("2026-11-20T06:30:00Z", out.test->collectedAt);
}

TEST(Policy, PositiveTestIsDenied) {
    EXPECT_EQ(Reason::TestPositive, evaluate(naat(kNow - hours{1}, false), kNow, {}).reason);
}

TEST(Policy, RatIsNotAcceptedByDefaultButCanBe) {
    PolicyInput in;
    in.tests.push_back({TestType::Rat, kNow - hours{2}, true, "negative"});
    EXPECT_EQ(Reason::TestTypeNotAccepted, evaluate(in, kNow, {}).reason);
    PolicyConfig cfg;
    cfg.maxTestAgeRatH = 24;
    EXPECT_EQ(Reason::Ok, evaluate(in, kNow, cfg).reason);
}

TEST(Policy, SampleBeyondFutureToleranceIsRejected) {
    EXPECT_EQ(Reason::Ok, evaluate(naat(kNow + seconds{300}), kNow, {}).reason);
    EXPECT_EQ(Reason::TestInFuture, evaluate(naat(kNow + seconds{301}), kNow, {}).reason);
}

TEST(Policy, VaccinationAloneHasNoTestResult) {
    PolicyInput in;
    in.hasVaccination = true;
    EXPECT_EQ(Reason::NoTestResult, evaluate(in, kNow, {}).reason);
    PolicyConfig cfg;
    cfg.requireTest = false;
    EXPECT_EQ(Reason::Ok, evaluate(in, kNow, cfg).reason);
}

TEST(Policy, NewestTestDecides) {
    auto in = naat(kNow - hours{60});
    in.tests.push_back({TestType::Naat, kNow - hours{2}, true, "negative"});
    EXPECT_EQ(Reason::Ok, evaluate(in, kNow, {}).reason);
}

TEST(Policy, NewerTestOfATypeNotAcceptedDoesNotHideAValidNaat) {
    auto in = naat(kNow - hours{20});
    in.tests.push_back({TestType::Rat, kNow - hours{2}, false, "positive"});
    auto out = evaluate(in, kNow, {});
    EXPECT_EQ(Reason::Ok, out.reason);
    ASSERT_TRUE(out.test);
    EXPECT_EQ(TestType::Naat, out.test->type);
}

TEST(Policy, OnlyTestsOfTypesNotAcceptedAreRejectedAsSuch) {
    PolicyInput in;
    in.tests.push_back({TestType::Rat, kNow - hours{2}, true, "negative"});
    in.tests.push_back({TestType::Other, kNow - hours{1}, true, "negative"});
    EXPECT_EQ(Reason::TestTypeNotAccepted, evaluate(in, kNow, {}).reason);
}

TEST(Policy, NonGreenCodeIsDeniedBeforeTests) {
    auto in = naat(kNow - hours{1});
    in.statusColour = "yellow";
    EXPECT_EQ(Reason::CodeNotGreen, evaluate(in, kNow, {}).reason);
    in.statusColour = "green";
    EXPECT_EQ(Reason::Ok, evaluate(in, kNow, {}).reason);
}

TEST(Policy, MissingSampleTimeIsMalformed) {
    PolicyInput in;
    in.tests.push_back({TestType::Naat, std::nullopt, true, "negative"});
    EXPECT_EQ(Reason::Malformed, evaluate(in, kNow, {}).reason);
}

}  // namespace
}  // namespace sentinel::policy

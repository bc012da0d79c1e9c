#include "firmware/base/Reason.h"

#include <gtest/gtest.h>

#include "firmware/base/DecisionRecord.h"
#include <nlohmann/json.hpp>

namespace sentinel {
namespace {

TEST(Reason, EveryIdentifierRoundTrips) {
    for (int i = 0; i <= static_cast<int>(Reason::StaffOverride); ++i) {
        auto r = static_cast<Reason>(i);
        auto back = reasonFromString(toString(r));
        ASSERT_TRUE(back) << toString(r);
        EXPECT_EQ(r, *back);
        EXPECT_FALSE(reasonTextEn(r).empty());
        EXPECT_FALSE(reasonTextZh(r).empty());
    }
}

TEST(Reason, KioskFaultsReferAndCredentialFaultsDeny) {
    EXPECT_EQ(Decision::Pass, decisionFor(Reason::Ok));
    EXPECT_EQ(Decision::Refer, decisionFor(Reason::BackendTimeout));
    EXPECT_EQ(Decision::Refer, decisionFor(Reason::ClockUntrusted));
    EXPECT_EQ(Decision::Refer, decisionFor(Reason::TrustListStale));
    EXPECT_EQ(Decision::Deny, decisionFor(Reason::TestTooOld));
    EXPECT_EQ(Decision::Refer, decisionFor(Reason::UnsupportedFormat));  // amber: show a health code
}

TEST(DecisionRecord, JsonHasTheDesignShape) {
    DecisionRecord r;
    r.decide(Reason::TestTooOld);
    r.format = "HC1";
    r.test = TestSummary{TestType::Naat, "2026-11-20T06:00:00Z", 49.5, "negative"};
    r.stages.prefix = true;
    r.stages.policy = false;
    r.latency.totalMs = 4.0;
    auto j = toJson(r);
    EXPECT_EQ("DENY", j["decision"]);
    EXPECT_EQ("TEST_TOO_OLD", j["reason"]);
    EXPECT_EQ("NAAT", j["test"]["type"]);
    EXPECT_DOUBLE_EQ(49.5, j["test"]["age_h"].get<double>());
    EXPECT_TRUE(j["stages"]["prefix"].get<bool>());
    EXPECT_TRUE(j["stages"]["signature"].is_null());
    EXPECT_FALSE(j["stages"]["policy"].get<bool>());
    EXPECT_TRUE(j["code"].is_null());
    EXPECT_TRUE(j["latency_ms"]["backend"].is_null());
    EXPECT_EQ(8u, j["stages"].size());
}

}  // namespace
}  // namespace sentinel

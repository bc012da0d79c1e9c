// The check runner and the report (DESIGN §7): order, per-check deadline, exceptions, JSON shape.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include <nlohmann/json.hpp>

#include "firmware/diag/Report.h"
#include "firmware/diag/Runner.h"

namespace sentinel::diag {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST(DiagRunner, ReportsEveryCheckInOrderWithItsStatus) {
    std::vector<Check> checks{
        {"a", 1s, [] { return Outcome::ok("fine"); }},
        {"b", 1s, [] { return Outcome::warn("meh", "do x"); }},
        {"c", 1s, [] { return Outcome::fail("broken", "do y"); }},
    };
    auto report = runChecks(checks);
    ASSERT_EQ(3u, report.results.size());
    EXPECT_EQ("a", report.results[0].check);
    EXPECT_EQ(Status::Ok, report.results[0].status);
    EXPECT_EQ(Status::Warn, report.results[1].status);
    EXPECT_EQ("do y", report.results[2].remedy);
    EXPECT_TRUE(report.anyFailed());
    EXPECT_EQ(0u, report.abandoned);
}

TEST(DiagRunner, WarningsAloneAreNotAFailure) {
    auto report = runChecks({{"a", 1s, [] { return Outcome::warn("meh", "x"); }}});
    EXPECT_FALSE(report.anyFailed());
}

TEST(DiagRunner, AStuckCheckIsReportedAsTimedOutAndTheNextOneStillRuns) {
    auto release = std::make_shared<std::promise<void>>();
    std::shared_future<void> gate = release->get_future().share();
    std::vector<Check> checks{
        {"stuck", 50ms, [gate] { gate.wait(); return Outcome::ok("never seen"); }},
        {"after", 1s, [] { return Outcome::ok("ran"); }},
    };
    const auto t0 = std::chrono::steady_clock::now();
    auto report = runChecks(checks);
    const auto took = std::chrono::steady_clock::now() - t0;
    release->set_value();  // let the stuck worker finish; the report joins it when it goes
    ASSERT_EQ(2u, report.results.size());
    EXPECT_EQ(Status::Fail, report.results[0].status);
    EXPECT_THAT(report.results[0].detail, HasSubstr("timed out"));
    EXPECT_FALSE(report.results[0].remedy.empty());
    EXPECT_EQ(Status::Ok, report.results[1].status);
    EXPECT_EQ(1u, report.abandoned);
    EXPECT_LT(took, 900ms) << "the runner waited for the stuck check instead of its deadline";
    ASSERT_EQ(1u, report.stragglers.size());
    EXPECT_TRUE(report.stragglers[0].joinable()) << "the worker is owned by the report, not detached";
}

TEST(DiagRunner, AThrowingCheckIsAFailureNotACrash) {
    auto report = runChecks({{"boom", 1s, []() -> Outcome { throw std::runtime_error("bad"); }}});
    EXPECT_EQ(Status::Fail, report.results[0].status);
    EXPECT_THAT(report.results[0].detail, HasSubstr("bad"));
}

TEST(DiagRunner, ProgressCallbackSeesEachResult) {
    std::vector<std::string> seen;
    runChecks({{"a", 1s, [] { return Outcome::ok(""); }}, {"b", 1s, [] { return Outcome::ok(""); }}},
              [&](const CheckResult& r) { seen.push_back(r.check); });
    EXPECT_EQ((std::vector<std::string>{"a", "b"}), seen);
}

TEST(DiagReport, JsonIsOneArrayOnOneLineWithTheDesignFields) {
    std::vector<CheckResult> results{{"camera", Status::Fail, "no frame", "plug it in", 12.34},
                                     {"clock", Status::Ok, "synchronised", "", 0.5}};
    const std::string text = renderJson(results);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ('\n', text.back());
    EXPECT_EQ(text.find('\n'), text.size() - 1) << "more than one line";
    auto j = nlohmann::json::parse(text);
    ASSERT_TRUE(j.is_array());
    ASSERT_EQ(2u, j.size());
    EXPECT_EQ("camera", j[0]["check"]);
    EXPECT_EQ("fail", j[0]["status"]);
    EXPECT_EQ("no frame", j[0]["detail"]);
    EXPECT_EQ("plug it in", j[0]["remedy"]);
    EXPECT_DOUBLE_EQ(12.3, j[0]["ms"].get<double>());
    EXPECT_EQ("ok", j[1]["status"]);
    EXPECT_EQ(0u, text.find("[{\"check\":\"camera\",\"status\":\"fail\",\"detail\""));
}

TEST(DiagReport, TableShowsRemedyUnderAFailedRowAndASummary) {
    const std::string t = renderTable({{"camera", Status::Fail, "no frame", "plug it in", 1.0},
                                       {"clock", Status::Warn, "meh", "sync", 1.0},
                                       {"trust", Status::Ok, "42 certificates", "", 1.0}});
    EXPECT_THAT(t, HasSubstr("FAIL"));
    EXPECT_THAT(t, HasSubstr("→ plug it in"));
    EXPECT_THAT(t, HasSubstr("3 checks: 1 ok, 1 warn, 1 fail"));
}

}  // namespace
}  // namespace sentinel::diag

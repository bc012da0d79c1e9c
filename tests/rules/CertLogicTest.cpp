// CertLogic evaluator behaviours the upstream suites leave out: leap-day offsets, hostile-input
// bounds, date-time formats.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "firmware/rules/CertLogic.h"

namespace sentinel::rules {
namespace {

using nlohmann::json;

json eval(const json& e, const json& data = json::object()) {
    auto r = evaluate(e, data);
    EXPECT_TRUE(r) << e.dump() << ": " << (r ? "" : r.error().message);
    return r ? *r : json("<error>");
}

TEST(CertLogic, PlusTimeFollowsTheSpecificationsLeapDayTable) {
    EXPECT_EQ(eval({{"plusTime", {"2020-02-29", 1, "day"}}}), "2020-03-01T00:00:00.000Z");
    EXPECT_EQ(eval({{"plusTime", {"2020-02-29", 1, "month"}}}), "2020-03-29T00:00:00.000Z");
    EXPECT_EQ(eval({{"plusTime", {"2020-02-29", 1, "year"}}}), "2021-03-01T00:00:00.000Z");
    EXPECT_EQ(eval({{"plusTime", {"2021-01-31T10:00:00+02:00", -13, "month"}}}), "2019-12-31T08:00:00.000Z");
}

TEST(CertLogic, PlusTimeTakesTheExtensionUnitsMinuteSecondMillisecond) {
    EXPECT_EQ(eval({{"plusTime", {"2021-06-01T00:00:00Z", 30, "minute"}}}), "2021-06-01T00:30:00.000Z");
    EXPECT_EQ(eval({{"plusTime", {"2021-06-01T00:00:00Z", -300, "second"}}}), "2021-05-31T23:55:00.000Z");
    EXPECT_EQ(eval({{"plusTime", {"2021-06-01T00:00:00.999Z", 1, "millisecond"}}}), "2021-06-01T00:00:01.000Z");
    EXPECT_TRUE(validate({{"plusTime", {{{"var", "x"}}, 5, "second"}}}).empty());
    EXPECT_FALSE(validate({{"plusTime", {{{"var", "x"}}, 5, "week"}}}).empty());
}

TEST(CertLogic, DateTimesAreFormattedWithMillisecondsAndReadBack) {
    EXPECT_EQ(formatDateTimeMs(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(formatDateTimeMs(-1), "1969-12-31T23:59:59.999Z");
    EXPECT_EQ(formatDateTimeMs(1622505600123), "2021-06-01T00:00:00.123Z");
    EXPECT_EQ(formatDateTimeMs(*parseDateTimeMs("9999-12-31T23:59:59.999Z")), "9999-12-31T23:59:59.999Z");
    EXPECT_EQ(formatDateTimeMs(*parseDateTimeMs("0000-01-01T00:00:00Z")), "0000-01-01T00:00:00.000Z");
    EXPECT_EQ(formatDateTimeMs(*parseDateTimeMs("9999-12-31T23:00:00Z") + 2 * 3'600'000), "10000-01-01T01:00:00.000Z");
    for (std::int64_t ms = -86'400'000LL * 800; ms < 86'400'000LL * 40000; ms += 86'399'937LL * 7) {
        ASSERT_EQ(ms, parseDateTimeMs(formatDateTimeMs(ms))) << ms;
    }
}

TEST(CertLogic, DateTimesAcceptEveryOffsetFormAndTruncateFractionsToMilliseconds) {
    EXPECT_EQ(*parseDateTimeMs("2021-06-01T00:00:00Z"), 1622505600000);
    EXPECT_EQ(*parseDateTimeMs("2021-06-01T02:00:00+2"), 1622505600000);
    EXPECT_EQ(*parseDateTimeMs("2021-06-01T02:30:00+0230"), 1622505600000);
    EXPECT_EQ(*parseDateTimeMs("2021-06-01T02:30:00+2:30"), 1622505600000);
    EXPECT_EQ(*parseDateTimeMs("2021-05-31T22:00:00-02:00"), 1622505600000);
    EXPECT_EQ(*parseDateTimeMs("2021-06-01T00:00:00.1239999Z"), 1622505600123);
    EXPECT_EQ(*parseDateTimeMs("2021-06-01T00:00:00"), 1622505600000);
    EXPECT_FALSE(parseDateTimeMs("2021-13"));
    EXPECT_FALSE(parseDateTimeMs("2021-06-01T00:00"));
    EXPECT_FALSE(parseDateTimeMs("2021-06-01T00:00:00+123456"));
    EXPECT_EQ(*parseDateOfBirthMs("2004-02"), *parseDateTimeMs("2004-02-29"));
}

TEST(CertLogic, ATypeMismatchIsAnErrorValueNotACrash) {
    EXPECT_FALSE(evaluate({{"<", {1, "2"}}}, json::object()));
    EXPECT_FALSE(evaluate({{"in", {1, 2}}}, json::object()));
    EXPECT_FALSE(evaluate({{"!", {{{"plusTime", {"2021-01-01", 0, "day"}}}}}}, json::object()));
    EXPECT_FALSE(evaluate({{"+", {9223372036854775807LL, 1}}}, json::object()));
}

TEST(CertLogic, DeepNestingIsRejectedByValidation) {
    json e = true;
    for (int i = 0; i < 200; ++i) e = json{{"!", json::array({e})}};
    const auto issues = validate(e);
    ASSERT_FALSE(issues.empty());
    EXPECT_NE(issues.front().message.find("deeper"), std::string::npos);
    EXPECT_FALSE(evaluate(e, json::object()));
}

TEST(CertLogic, AReduceOverAHugeArrayStopsAtTheStepLimit) {
    const json data = {{"x", json::array()}};
    json big = data;
    for (int i = 0; i < 50000; ++i) big["x"].push_back(i);
    // reduce inside reduce: 50000² steps without the bound.
    const json inner = {{"reduce", {{{"var", "data.x"}}, {{"+", {{{"var", "accumulator"}}, 1}}}, 0}}};
    const json outer = {{"reduce", {{{"var", "x"}}, inner, 0}}};
    Limits limits;
    limits.maxSteps = 100000;
    const auto r = evaluate(outer, big, limits);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("steps"), std::string::npos);
}

TEST(CertLogic, LongStringsAndHugeExpressionsAreRejected) {
    Limits limits;
    limits.maxStringBytes = 16;
    EXPECT_FALSE(validate(std::string(17, 'a'), limits).empty());
    limits.maxNodes = 10;
    EXPECT_FALSE(validate(json::array({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}), limits).empty());
}

TEST(CertLogic, ParseBoundedRefusesDeepTextBeforeParsing) {
    const std::string deep(100000, '[');
    const auto r = parseBounded(deep, 1 << 20, 64);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("deeper"), std::string::npos);
    EXPECT_TRUE(parseBounded(R"({"a":"[[[[[["})", 1 << 20, 2));
}

TEST(CertLogic, OrAndDoubleNegationUseCertLogicTruthiness) {
    EXPECT_EQ(eval({{"or", {0, "", "x"}}}), "x");
    EXPECT_EQ(eval({{"!!", {json::array({1})}}}), true);
    EXPECT_EQ(eval({{"!==", {1, 2}}}), true);
}

}  // namespace
}  // namespace sentinel::rules

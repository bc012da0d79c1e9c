// Risk-area lists (DESIGN §14): parsing as hostile input, prefix matching, highest level, `until`.
#include "firmware/policy/RiskAreaList.h"

#include <gtest/gtest.h>

#include <string>

namespace sentinel::policy {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

const UtcTime kNow = *parseRfc3339("2026-12-08T08:00:00Z");

std::string listText(const std::string& areas, const std::string& extra = "") {
    return R"({"format":"sentinel-risk-areas/1","version":"2026-12-08.1","issued_at":"2026-12-07T20:00:00Z",)"
           R"("effective_from":"2026-12-08T00:00:00Z")" +
           extra + R"(,"areas":[)" + areas + "]}";
}

std::shared_ptr<const RiskAreaList> parsed(const std::string& areas) {
    auto p = parseRiskAreaList(listText(areas));
    EXPECT_TRUE(p.problems.empty()) << (p.problems.empty() ? "" : p.problems.front().path + ": " + p.problems.front().message);
    return p.list;
}

bool hasProblemAt(const ParsedRiskAreaList& p, const std::string& path) {
    for (const auto& pr : p.problems) {
        if (pr.path == path) return true;
    }
    return false;
}

TEST(RiskAreaList, AWellFormedListGivesItsHeaderAndCounts) {
    const auto list = parsed(R"({"code":"110105","level":"high"},{"code":"3101","level":"medium","until":"2026-12-09T00:00:00Z"},)"
                             R"({"code":"44","level":"low","name":"广东省"})");
    ASSERT_TRUE(list);
    EXPECT_EQ(list->version(), "2026-12-08.1");
    EXPECT_EQ(list->issuedAt(), *parseRfc3339("2026-12-07T20:00:00Z"));
    EXPECT_EQ(list->effectiveFrom(), *parseRfc3339("2026-12-08T00:00:00Z"));
    EXPECT_EQ(list->size(), 3u);
    EXPECT_EQ(list->counts().high, 1u);
    EXPECT_EQ(list->counts().medium, 1u);
    EXPECT_EQ(list->counts().low, 1u);
    EXPECT_EQ(list->counts().withUntil, 1u);
}

TEST(RiskAreaList, ACodeCoversEveryRegionThatStartsWithIt) {
    const auto list = parsed(R"({"code":"11","level":"medium"},{"code":"3101","level":"high"},{"code":"440305","level":"high"})");
    EXPECT_EQ(list->levelOf("110105", kNow), RiskLevel::Medium);  // province
    EXPECT_EQ(list->levelOf("310115", kNow), RiskLevel::High);    // prefecture
    EXPECT_EQ(list->levelOf("440305", kNow), RiskLevel::High);    // county
    EXPECT_EQ(list->levelOf("440306", kNow), RiskLevel::Low);     // the neighbouring county
    EXPECT_EQ(list->levelOf("120101", kNow), RiskLevel::Low);     // unlisted
    EXPECT_EQ(list->levelOf("310215", kNow), RiskLevel::Low);     // 31 alone is not listed
}

TEST(RiskAreaList, TheHighestLevelAmongCoveringEntriesWins) {
    const auto list = parsed(R"({"code":"31","level":"high"},{"code":"3101","level":"medium"},{"code":"310115","level":"low"},)"
                             R"({"code":"42","level":"medium"},{"code":"420106","level":"high"},{"code":"420106","level":"low"})");
    EXPECT_EQ(list->levelOf("310115", kNow), RiskLevel::High);
    EXPECT_EQ(list->levelOf("420106", kNow), RiskLevel::High);
    EXPECT_EQ(list->levelOf("420111", kNow), RiskLevel::Medium);
}

TEST(RiskAreaList, AnEntryIsNoLongerListedFromItsUntil) {
    const auto list = parsed(R"({"code":"3101","level":"high","until":"2026-12-08T12:00:00Z"},{"code":"31","level":"medium"})");
    const UtcTime until = *parseRfc3339("2026-12-08T12:00:00Z");
    EXPECT_EQ(list->levelOf("310115", until - milliseconds{1}), RiskLevel::High);
    EXPECT_EQ(list->levelOf("310115", until), RiskLevel::Medium);
    EXPECT_EQ(list->codesAt(RiskLevel::High, until - milliseconds{1}), std::vector<std::string>{"3101"});
    EXPECT_TRUE(list->codesAt(RiskLevel::High, until).empty());
    EXPECT_EQ(list->nextChangeAfter(kNow), until);
    EXPECT_FALSE(list->nextChangeAfter(until).has_value());
}

TEST(RiskAreaList, AnUntilOfNullMeansNone) {
    const auto list = parsed(R"({"code":"3101","level":"high","until":null})");
    EXPECT_EQ(list->levelOf("310115", kNow + hours{24 * 365}), RiskLevel::High);
}

TEST(RiskAreaList, BadEntriesAreReportedWithTheirJsonPath) {
    const auto p = parseRiskAreaList(listText(R"({"code":"110105","level":"high"},{"code":"11010","level":"high"},)"
                                              R"({"code":"11a1","level":"medium"},{"code":110105,"level":"high"},)"
                                              R"({"code":"1101","level":"severe"},{"code":"1101","level":"high","until":"tomorrow"},)"
                                              R"("110105")"));
    EXPECT_FALSE(p.list);
    EXPECT_TRUE(hasProblemAt(p, "$.areas[1].code"));
    EXPECT_TRUE(hasProblemAt(p, "$.areas[2].code"));
    EXPECT_TRUE(hasProblemAt(p, "$.areas[3].code"));
    EXPECT_TRUE(hasProblemAt(p, "$.areas[4].level"));
    EXPECT_TRUE(hasProblemAt(p, "$.areas[5].until"));
    EXPECT_TRUE(hasProblemAt(p, "$.areas[6]"));
    EXPECT_FALSE(hasProblemAt(p, "$.areas[0].code"));
}

TEST(RiskAreaList, TheHeaderIsChecked) {
    const auto p = parseRiskAreaList(R"({"format":"sentinel-risk-areas/2","version":"has space","issued_at":"2026-13-01T00:00:00Z","areas":{}})");
    EXPECT_FALSE(p.list);
    EXPECT_TRUE(hasProblemAt(p, "$.format"));
    EXPECT_TRUE(hasProblemAt(p, "$.version"));
    EXPECT_TRUE(hasProblemAt(p, "$.issued_at"));
    EXPECT_TRUE(hasProblemAt(p, "$"));  // effective_from missing
    EXPECT_TRUE(hasProblemAt(p, "$.areas"));
}

TEST(RiskAreaList, TextThatIsNotAListIsRefusedWithAClearError) {
    EXPECT_EQ(parseRiskAreaList("").problems.front().message, "not valid JSON");
    EXPECT_EQ(parseRiskAreaList("[1,2]").problems.front().message, "must be a JSON object");
    EXPECT_EQ(parseRiskAreaList("{\"areas\":[").problems.front().message, "not valid JSON");
}

TEST(RiskAreaList, DeepNestingIsRefusedBeforeParsing) {
    const std::string deep = listText("{\"code\":\"11\",\"level\":\"high\",\"name\":" + std::string(100000, '[') + std::string(100000, ']') + "}");
    const auto p = parseRiskAreaList(deep);
    ASSERT_FALSE(p.list);
    EXPECT_NE(p.problems.front().message.find("nests deeper"), std::string::npos);
}

TEST(RiskAreaList, OversizeTextIsRefusedBeforeParsing) {
    const auto p = parseRiskAreaList(std::string(kMaxRiskListBytes + 1, ' '));
    ASSERT_FALSE(p.list);
    EXPECT_NE(p.problems.front().message.find("larger than"), std::string::npos);
}

TEST(RiskAreaList, MoreAreasThanTheBoundAreRefused) {
    std::string areas;
    for (std::size_t i = 0; i <= kMaxRiskAreas; ++i) areas += std::string(i ? "," : "") + R"({"code":"11","level":"low"})";
    const auto p = parseRiskAreaList(listText(areas));
    ASSERT_FALSE(p.list);
    EXPECT_TRUE(hasProblemAt(p, "$.areas"));
}

TEST(RiskAreaList, ProblemsAreCappedSoABrokenListPrintsAFewLines) {
    std::string areas;
    for (int i = 0; i < 500; ++i) areas += std::string(i ? "," : "") + R"({"code":"x","level":"low"})";
    const auto p = parseRiskAreaList(listText(areas));
    EXPECT_EQ(p.problems.size(), kMaxRiskListProblems + 1);
}

TEST(RiskAreaList, ALongVersionIsRefused) {
    const auto p = parseRiskAreaList(R"({"format":"sentinel-risk-areas/1","version":")" + std::string(kMaxRiskVersionChars + 1, 'v') +
                                     R"(","issued_at":"2026-12-07T20:00:00Z","effective_from":"2026-12-08T00:00:00Z","areas":[]})");
    EXPECT_TRUE(hasProblemAt(p, "$.version"));
}

}  // namespace
}  // namespace sentinel::policy

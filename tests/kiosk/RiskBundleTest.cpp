// Issue 25 (DESIGN §14, §13.1): risk-area lists as a bundle part — one list or several, hostile
// input checked whole (a bad list refuses the whole bundle with the reason), composed across bundles
// (a bundle without them keeps the lists held; a scheduled list survives a newer bundle with only
// today's), the list in force asked per time; policy.risk_list_path until a bundle supplies lists.
#include "firmware/kiosk/TrustLoader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "firmware/kiosk/InForceStatus.h"
#include "tests/support/TestSupport.h"
#include "tests/support/UpdateKey.h"

namespace sentinel::kiosk {
namespace {

using ::testing::HasSubstr;
using sentinel::testing::TempDir;
using sentinel::testing::UpdateKey;
using namespace std::chrono_literals;

const UtcTime kT0{std::chrono::seconds{1795000000}};

nlohmann::json riskList(std::string_view version, UtcTime issuedAt, UtcTime effectiveFrom, std::string_view code = "110105",
                        std::string_view level = "high") {
    return {{"format", "sentinel-risk-areas/1"},
            {"version", version},
            {"issued_at", formatRfc3339(issuedAt)},
            {"effective_from", formatRfc3339(effectiveFrom)},
            {"areas", nlohmann::json::array({{{"code", code}, {"level", level}}})}};
}

struct RiskBundle : ::testing::Test {
    TempDir dir;
    UpdateKey key;
    Config config;

    RiskBundle() {
        config.kiosk.stateDir = dir / "state";
        config.trust.path = (dir / "no-such-trust").string();
        config.trust.updateKey = (dir / "update-key.pem").string();
        std::ofstream(config.trust.updateKey) << key.publicPem();
    }
    std::string bundle(UtcTime issuedAt, nlohmann::json parts) const {
        parts["issued_at"] = formatRfc3339(issuedAt);
        return key.envelope(kBundleFormat, parts.dump());
    }
    std::shared_ptr<const TrustState> inForce() const { return loadTrustState(config).state; }
    static std::string versionAt(const TrustState& st, UtcTime t) {
        const auto l = st.risk.at(t).inForce;
        return l ? l->version() : "";
    }
};

TEST_F(RiskBundle, ABundleWithOneListPutsItInForceFromItsEffectiveFrom) {
    TrustStore store(inForce());
    auto applied = applyBundle(config, bundle(kT0, {{"risk_areas", riskList("d1", kT0, kT0 + 1h)}}), &store);
    ASSERT_TRUE(applied) << applied.error().message;
    EXPECT_EQ(std::vector<std::string>{"risk_areas"}, applied->parts);
    const auto st = store.current();
    EXPECT_EQ("", versionAt(*st, kT0 + 1h - 1ms));
    EXPECT_EQ("d1", versionAt(*st, kT0 + 1h));
    EXPECT_THAT(st->riskSource, HasSubstr("bundle"));
}

TEST_F(RiskBundle, ABundleMayCarrySeveralListsTodaysAndTomorrows) {
    ASSERT_TRUE(applyBundle(config, bundle(kT0, {{"risk_areas", {riskList("today", kT0, kT0), riskList("tomorrow", kT0, kT0 + 24h)}}}), nullptr));
    const auto st = inForce();
    EXPECT_EQ("today", versionAt(*st, kT0 + 24h - 1ms));
    EXPECT_EQ("tomorrow", versionAt(*st, kT0 + 24h));
    const auto status = riskListsStatus(st.get(), kT0 + 1h);
    EXPECT_EQ("today", status["in_force"]["version"]);
    EXPECT_EQ("tomorrow", status["next"]["version"]);
}

TEST_F(RiskBundle, ABadListRefusesTheWholeBundleNamingTheListAndThePath) {
    auto bad = riskList("bad", kT0, kT0, "11010X");
    auto refused = applyBundle(config, bundle(kT0, {{"policy", {{"max_test_age_h.naat", 24}}}, {"risk_areas", {riskList("ok", kT0, kT0), bad}}}),
                               nullptr);
    ASSERT_FALSE(refused);
    EXPECT_THAT(refused.error().message, HasSubstr("risk_areas[1]: $.areas[0].code"));
    const auto st = inForce();
    EXPECT_TRUE(st->risk.held().empty());
    EXPECT_EQ(48.0, st->policy.maxTestAgeNaatH);  // nothing of the bundle was taken
}

TEST_F(RiskBundle, ABundleWithoutListsKeepsTheListsHeld) {
    ASSERT_TRUE(applyBundle(config, bundle(kT0, {{"risk_areas", riskList("d1", kT0, kT0)}}), nullptr));
    ASSERT_TRUE(applyBundle(config, bundle(kT0 + 1h, {{"policy", {{"risk_max_age_h", 12}}}}), nullptr));
    const auto st = inForce();
    EXPECT_EQ("d1", versionAt(*st, kT0 + 2h));
    EXPECT_EQ(12.0, st->policy.riskMaxAgeH);  // the §14 policy keys travel in bundles too
}

TEST_F(RiskBundle, AScheduledListSurvivesANewerBundleWithOnlyTodaysList) {
    ASSERT_TRUE(applyBundle(config, bundle(kT0, {{"risk_areas", riskList("tomorrow", kT0, kT0 + 24h)}}), nullptr));
    ASSERT_TRUE(applyBundle(config, bundle(kT0 + 1h, {{"risk_areas", riskList("today", kT0 + 1h, kT0 + 1h)}}), nullptr));
    const auto st = inForce();
    EXPECT_EQ("today", versionAt(*st, kT0 + 2h));
    EXPECT_EQ("tomorrow", versionAt(*st, kT0 + 24h));
}

TEST_F(RiskBundle, ANewerListForTheSameEffectiveFromReplacesTheOlder) {
    ASSERT_TRUE(applyBundle(config, bundle(kT0, {{"risk_areas", riskList("v1", kT0, kT0 + 24h)}}), nullptr));
    ASSERT_TRUE(applyBundle(config, bundle(kT0 + 1h, {{"risk_areas", riskList("v2", kT0 + 1h, kT0 + 24h)}}), nullptr));
    const auto st = inForce();
    EXPECT_EQ("v2", versionAt(*st, kT0 + 24h));
    EXPECT_EQ(1u, st->risk.held().size());
}

TEST_F(RiskBundle, TheRiskListPathIsUsedUntilABundleSuppliesLists) {
    const auto file = dir / "risk.json";
    std::ofstream(file) << riskList("local", kT0, kT0).dump();
    config.riskListPath = file.string();
    EXPECT_EQ("local", versionAt(*inForce(), kT0));
    EXPECT_THAT(inForce()->riskSource, HasSubstr("policy.risk_list_path"));
    ASSERT_TRUE(applyBundle(config, bundle(kT0, {{"risk_areas", riskList("fleet", kT0, kT0)}}), nullptr));
    EXPECT_EQ("fleet", versionAt(*inForce(), kT0));
}

TEST_F(RiskBundle, ABrokenRiskListFileIsReportedWithItsPath) {
    const auto file = dir / "risk.json";
    std::ofstream(file) << riskList("local", kT0, kT0, "1101", "severe").dump();
    auto read = readRiskAreasFile(file);
    ASSERT_FALSE(read);
    EXPECT_THAT(read.error().message, HasSubstr("$.areas[0].level"));
}

}  // namespace
}  // namespace sentinel::kiosk

// A loaded or synced rule set decides both formats (DESIGN §12, issue 15 "done when"): the same
// rule — a NAAT no older than 4 h — turns a 6 h old negative NAAT into DENY RULE_NOT_MET for an HC1
// code (rule set loaded from a rules.path file) and for an HK1 code answered by the reference
// health-code service on loopback (rule set arriving in a signed trust bundle, swapped into the one
// TrustStore both formats read).

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "drivers/net/CurlTransport.h"
#include "firmware/kiosk/Router.h"
#include "firmware/kiosk/RuleSetFile.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/kiosk/TrustLoader.h"
#include "firmware/issuer/TestIssuer.h"
#include "firmware/trust/TrustList.h"
#include "firmware/verify/online/OnlineVerifier.h"
#include "tests/hcsim/HcSim.h"
#include "tests/support/TestSupport.h"
#include "tests/support/UpdateKey.h"

namespace sentinel::app {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr auto kBudget = 5000ms;  // DESIGN §6 budget.decision_ms

// TR-CN-0001: the newest test is a negative NAAT whose sample is less than 4 hours old.
json naatWithin4hRuleSet() {
    const json logic = json::parse(R"({"if":[{"var":"payload.t.0"},
        {"and":[{"===":[{"var":"payload.t.0.tt"},"LP6464-4"]},
                {"===":[{"var":"payload.t.0.tr"},"260415000"]},
                {"before":[{"plusTime":[{"var":"external.validationClock"},0,"hour"]},
                           {"plusTime":[{"var":"payload.t.0.sc"},4,"hour"]}]}]},
        false]})");
    const json rule = {{"Identifier", "TR-CN-0001"},
                       {"Type", "Acceptance"},
                       {"Country", "CN"},
                       {"Version", "1.0.0"},
                       {"SchemaVersion", "1.0.0"},
                       {"Engine", "CERTLOGIC"},
                       {"EngineVersion", "1.0.0"},
                       {"CertificateType", "Test"},
                       {"Description", {{{"lang", "zh"}, {"desc", "核酸检测须在4小时内"}}, {{"lang", "en"}, {"desc", "NAAT within 4 h"}}}},
                       {"ValidFrom", "2020-01-01T00:00:00Z"},
                       {"ValidTo", "2099-01-01T00:00:00Z"},
                       {"AffectedFields", {"t.0.tt", "t.0.tr", "t.0.sc"}},
                       {"Logic", logic}};
    return {{"id", "CN-test"}, {"version", "1.0.0"}, {"rules", {rule}}};
}

std::shared_ptr<const trust::TrustList> listOf(const issuer::TestIssuer& issuer) {
    auto list = trust::TrustList::fromCertificates({{issuer.certificateDer(), issuer.country(), std::nullopt}});
    EXPECT_TRUE(list.ok());
    return std::make_shared<const trust::TrustList>(std::move(list).value());
}

std::string b64(std::string_view bytes) { return sentinel::testing::base64(bytes); }

// The fleet's update key (P-256) and a bundle signed with it, as `openssl dgst -sha256 -sign` does.
struct UpdateKey : sentinel::testing::UpdateKey {
    std::string envelope(const std::string& payload) const { return sentinel::testing::UpdateKey::envelope(kiosk::kBundleFormat, payload); }
};

TEST(RulesDecision, ARuleSetLoadedFromRulesPathDecidesAnHc1Code) {
    testing::TempDir dir;
    std::ofstream(dir / "cn.json") << naatWithin4hRuleSet().dump();
    auto set = kiosk::loadRuleSet(dir / "cn.json");
    ASSERT_TRUE(set.ok()) << set.error().message;

    SystemClock clock;
    const auto issuer = issuer::TestIssuer::generate("CN");
    const auto list = listOf(issuer);
    const UtcTime now = clock.now();
    const std::string sixHoursOld = issuer.issue(issuer::testCredential(TestType::Naat, now - 6h, false, now));
    const std::string twoHoursOld = issuer.issue(issuer::testCredential(TestType::Naat, now - 2h, false, now));

    kiosk::RouterOptions builtin;
    builtin.trust = list.get();
    builtin.subjectKey = "k";
    kiosk::CredentialRouter withPolicy(clock, builtin);
    EXPECT_EQ(Reason::Ok, withPolicy.verify(sixHoursOld, clock.monotonic() + kBudget).record.reason)
        << "the built-in rules (48 h) pass it";

    kiosk::RouterOptions loaded = builtin;
    loaded.rules = *set;
    kiosk::CredentialRouter withRules(clock, loaded);
    const kiosk::Verdict denied = withRules.verify(sixHoursOld, clock.monotonic() + kBudget);
    EXPECT_EQ(Decision::Deny, denied.record.decision);
    EXPECT_EQ(Reason::RuleNotMet, denied.record.reason);
    ASSERT_TRUE(denied.record.rules);
    EXPECT_EQ("CN-test/1.0.0", denied.record.rules->set);
    EXPECT_EQ(std::vector<std::string>{"TR-CN-0001"}, denied.record.rules->failed);
    EXPECT_EQ("TR-CN-0001: 核酸检测须在4小时内 / NAAT within 4 h", denied.ruleText);
    EXPECT_EQ(false, denied.record.stages.policy);
    EXPECT_NE(std::string::npos, toJsonLine(denied.record).find(R"("rules":{"failed":["TR-CN-0001"],"set":"CN-test/1.0.0"})"));

    const kiosk::Verdict passed = withRules.verify(twoHoursOld, clock.monotonic() + kBudget);
    EXPECT_EQ(Reason::Ok, passed.record.reason);
    ASSERT_TRUE(passed.record.rules);
    EXPECT_TRUE(passed.record.rules->failed.empty());
}

TEST(RulesDecision, ARuleSetSyncedInATrustBundleDecidesAnHk1AndAnHc1CodeFromOneSnapshot) {
    auto sim = hcsim::HcSim::start({});
    ASSERT_TRUE(sim.ok()) << sim.error().message;
    testing::TempDir dir;
    std::ofstream(dir / "ca.pem") << (*sim)->caPem();
    net::CurlConfig cc;
    cc.caFile = (dir / "ca.pem").string();
    cc.pins = {(*sim)->pin()};
    net::CurlTransport transport(cc);
    SystemClock clock;
    verify::OnlineConfig oc{(*sim)->baseUrl(), "BJ-WEST-07", std::string(hcsim::kDefaultDeviceToken), 300};
    verify::OnlineVerifier online(transport, clock, oc, policy::PolicyConfig{});

    const auto issuer = issuer::TestIssuer::generate("CN");
    const UtcTime now = clock.now();
    const std::string hc1SixHoursOld = issuer.issue(issuer::testCredential(TestType::Naat, now - 6h, false, now));

    auto initial = std::make_shared<kiosk::TrustState>();
    initial->list = listOf(issuer);
    auto store = std::make_shared<kiosk::TrustStore>(initial);
    kiosk::RouterOptions ro;
    ro.trustStore = store;
    ro.online = &online;
    ro.subjectKey = "k";
    kiosk::CredentialRouter router(clock, ro);

    // Before the sync: the built-in rules (NAAT ≤ 48 h) pass the service's 6 h old negative NAAT.
    EXPECT_EQ(Reason::Ok, router.verify(hcsim::codes::kGreen, clock.monotonic() + kBudget).record.reason);
    EXPECT_EQ(Reason::Ok, router.verify(hc1SixHoursOld, clock.monotonic() + kBudget).record.reason);

    // The sync path: a signed bundle with the trust list and the rule set → verified → swapped in.
    UpdateKey key;
    const auto der = issuer.certificateDer();
    const json payload = {{"issued_at", formatRfc3339(now)},
                          {"trust_list", {{"certificates", {{{"der", b64(std::string(der.begin(), der.end()))}, {"country", "CN"}}}}}},
                          {"rules", naatWithin4hRuleSet()}};
    auto bundle = kiosk::verifyBundle(key.envelope(payload.dump()), key.publicPem());
    ASSERT_TRUE(bundle.ok()) << bundle.error().message;
    ASSERT_TRUE(bundle->rules);
    store->replace(kiosk::stateFromBundle(*bundle, policy::PolicyConfig{}, "test"));

    const kiosk::Verdict hk1 = router.verify(hcsim::codes::kGreen, clock.monotonic() + kBudget);
    EXPECT_EQ("HK1", hk1.record.format);
    EXPECT_EQ(Reason::RuleNotMet, hk1.record.reason);
    ASSERT_TRUE(hk1.record.rules);
    EXPECT_EQ(std::vector<std::string>{"TR-CN-0001"}, hk1.record.rules->failed);
    EXPECT_EQ("TR-CN-0001: 核酸检测须在4小时内 / NAAT within 4 h", hk1.ruleText);

    const kiosk::Verdict hc1 = router.verify(hc1SixHoursOld, clock.monotonic() + kBudget);
    EXPECT_EQ(Reason::RuleNotMet, hc1.record.reason);
    ASSERT_TRUE(hc1.record.rules);
    EXPECT_EQ(hk1.record.rules->set, hc1.record.rules->set);

    // The colour still gates first: a rule set cannot turn a yellow code green.
    EXPECT_EQ(Reason::CodeNotGreen, router.verify(hcsim::codes::kYellow, clock.monotonic() + kBudget).record.reason);
}

TEST(RulesDecision, ABundleWithAnInvalidRuleSetIsRefusedWhole) {
    UpdateKey key;
    const auto issuer = issuer::TestIssuer::generate("CN");
    const auto der = issuer.certificateDer();
    json rules = naatWithin4hRuleSet();
    rules["rules"][0]["Logic"] = {{"all", {1}}};
    const json payload = {{"issued_at", "2026-11-22T08:00:00Z"},
                          {"trust_list", {{"certificates", {{{"der", b64(std::string(der.begin(), der.end()))}}}}}},
                          {"rules", rules}};
    auto bundle = kiosk::verifyBundle(key.envelope(payload.dump()), key.publicPem());
    ASSERT_FALSE(bundle.ok());
    EXPECT_NE(std::string::npos, bundle.error().message.find("rules"));
}

TEST(RulesDecision, AStoreWithoutBundleRulesKeepsTheConfiguredRuleSet) {
    testing::TempDir dir;
    std::ofstream(dir / "cn.json") << naatWithin4hRuleSet().dump();
    auto set = kiosk::loadRuleSet(dir / "cn.json");
    ASSERT_TRUE(set.ok());
    kiosk::TrustStore store(std::make_shared<kiosk::TrustState>(), *set);
    EXPECT_EQ(*set, store.current()->rules);
    store.replace(std::make_shared<kiosk::TrustState>());
    EXPECT_EQ(*set, store.current()->rules) << "a bundle without rules keeps rules.path's";
}

TEST(RulesDecision, TheBuiltInRulesOfAPolicySnapshotDecideHk1AndHc1WithTheirOwnReasons) {
    auto sim = hcsim::HcSim::start({});
    ASSERT_TRUE(sim.ok()) << sim.error().message;
    testing::TempDir dir;
    std::ofstream(dir / "ca.pem") << (*sim)->caPem();
    net::CurlConfig cc;
    cc.caFile = (dir / "ca.pem").string();
    cc.pins = {(*sim)->pin()};
    net::CurlTransport transport(cc);
    SystemClock clock;
    verify::OnlineConfig oc{(*sim)->baseUrl(), "BJ-WEST-07", std::string(hcsim::kDefaultDeviceToken), 300};
    verify::OnlineVerifier online(transport, clock, oc, policy::PolicyConfig{});
    const auto issuer = issuer::TestIssuer::generate("CN");
    const UtcTime now = clock.now();
    const std::string hc1SixHoursOld = issuer.issue(issuer::testCredential(TestType::Naat, now - 6h, false, now));

    auto initial = std::make_shared<kiosk::TrustState>();
    initial->list = listOf(issuer);
    auto store = std::make_shared<kiosk::TrustStore>(initial);
    ASSERT_TRUE(store->current()->builtin) << "the store makes the built-in rules with the snapshot";
    EXPECT_EQ(store->current()->builtin->policy, policy::PolicyConfig{});
    kiosk::RouterOptions ro;
    ro.trustStore = store;
    ro.online = &online;
    ro.subjectKey = "k";
    kiosk::CredentialRouter router(clock, ro);
    EXPECT_EQ(Reason::Ok, router.verify(hcsim::codes::kGreen, clock.monotonic() + kBudget).record.reason);

    // A stricter policy arrives (as a synced bundle's policy would): NAAT ≤ 4 h 30 min.
    auto stricter = std::make_shared<kiosk::TrustState>(*store->current());
    stricter->policy.maxTestAgeNaatH = 4.5;
    store->replace(stricter);
    const auto snapshot = store->current();
    ASSERT_TRUE(snapshot->builtin);
    EXPECT_EQ(4.5, snapshot->builtin->policy.maxTestAgeNaatH) << "remade for the new policy";

    const kiosk::Verdict hk1 = router.verify(hcsim::codes::kGreen, clock.monotonic() + kBudget);
    EXPECT_EQ("HK1", hk1.record.format);
    EXPECT_EQ(Reason::TestTooOld, hk1.record.reason);
    EXPECT_FALSE(hk1.record.rules) << "built-in decisions keep the record format";
    ASSERT_TRUE(hk1.record.test);
    EXPECT_EQ(TestType::Naat, hk1.record.test->type);
    const kiosk::Verdict hc1 = router.verify(hc1SixHoursOld, clock.monotonic() + kBudget);
    EXPECT_EQ(Reason::TestTooOld, hc1.record.reason);
    EXPECT_FALSE(hc1.record.rules);
    EXPECT_EQ(std::string::npos, toJsonLine(hc1.record).find("\"rules\""));
    EXPECT_EQ(Reason::CodeNotGreen, router.verify(hcsim::codes::kYellow, clock.monotonic() + kBudget).record.reason);
    EXPECT_EQ(snapshot, store->current()) << "deciding does not make a new snapshot";
}

}  // namespace
}  // namespace sentinel::app

#include "firmware/kiosk/Config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "tests/support/TestSupport.h"

namespace sentinel::kiosk {
namespace {

using ::testing::HasSubstr;

std::string errorOf(std::string_view text) {
    auto r = kiosk::parseConfig(text, "kiosk.toml");
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string{} : r.error().message;
}

TEST(Config, EmptyFileGivesTheDesignDefaults) {
    auto r = kiosk::parseConfig("", "kiosk.toml");
    ASSERT_TRUE(r.ok()) << r.error().message;
    const kiosk::Config& c = *r;
    EXPECT_EQ(48.0, c.policy.maxTestAgeNaatH);
    EXPECT_EQ(0.0, c.policy.maxTestAgeRatH);
    EXPECT_EQ(300, c.policy.futureToleranceS);
    EXPECT_EQ(std::vector<std::string>{"green"}, c.policy.acceptStatus);
    EXPECT_TRUE(c.policy.requireTest);
    EXPECT_EQ(72.0, c.trust.maxAgeH);
    EXPECT_EQ(300, c.clock.maxSkewS);
    EXPECT_EQ(5000, c.budget.decisionMs);
    EXPECT_EQ(0, c.replay.windowS);
    EXPECT_EQ(800, c.indicator.gpio.relayPulseMs);
}

TEST(Config, DesignExampleParses) {
    auto r = kiosk::parseConfig(R"(
[kiosk]
id = "BJ-WEST-07"
state_dir = "/var/lib/sentinel"
[camera]
source = "v4l2:/dev/video0"
width = 1280
height = 720
fps = 30
[indicator]
backends = ["console", "gpio"]
[indicator.gpio]
chip = "gpiochip0"
green = 17
red = 18
amber = 27
buzzer = 22
relay = 23
active_low = true
relay_pulse_ms = 800
[trust]
path = "/etc/sentinel/trust"
max_age_h = 72
[online]
base_url = "https://hc.example.org"
ca_file = "/etc/sentinel/hc-ca.pem"
pins = ["sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "sha256//BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB="]
token_file = "/etc/sentinel/device-token"
[policy]
max_test_age_h = { naat = 72, rat = 24 }
future_tolerance_s = 60
accept_status = ["green"]
require_test = true
[clock]
max_skew_s = 300
[budget]
decision_ms = 5000
[replay]
window_s = 30
[journal]
path = "/var/lib/sentinel/journal.db"
upload_url = ""
)", "kiosk.toml");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ("BJ-WEST-07", r->kiosk.id);
    EXPECT_EQ(72.0, r->policy.maxTestAgeNaatH);
    EXPECT_EQ(24.0, r->policy.maxTestAgeRatH);
    EXPECT_EQ(60, r->policy.futureToleranceS);
    EXPECT_TRUE(r->indicator.gpio.activeLow);
    EXPECT_EQ(2u, r->online.pins.size());
    EXPECT_EQ(30, r->replay.windowS);
}

TEST(Config, UnknownKeyNamesFileLineAndKey) {
    EXPECT_EQ("kiosk.toml:3: unknown key 'camera.colour'", errorOf("[camera]\nfps = 30\ncolour = 1\n"));
}

TEST(Config, UnknownSectionIsAnError) {
    EXPECT_THAT(errorOf("[kiosk]\nid = \"x\"\n[cameras]\nfps = 1\n"), HasSubstr("kiosk.toml:3: unknown key 'cameras'"));
}

TEST(Config, WrongTypeNamesTheKey) {
    EXPECT_EQ("kiosk.toml:2: key 'camera.fps': expected an integer", errorOf("[camera]\nfps = \"thirty\"\n"));
    EXPECT_THAT(errorOf("[kiosk]\ndiagnostics_mode = 1\n"), HasSubstr("key 'kiosk.diagnostics_mode': expected true or false"));
    EXPECT_THAT(errorOf("[kiosk]\nid = 7\n"), HasSubstr("key 'kiosk.id': expected a string"));
    EXPECT_THAT(errorOf("[online]\npins = \"sha256//x\"\n"), HasSubstr("key 'online.pins': expected a list of strings"));
    EXPECT_THAT(errorOf("[camera]\nfps = 30.5\n"), HasSubstr("key 'camera.fps': expected an integer"));
}

TEST(Config, OutOfRangeValueNamesKeyAndRange) {
    EXPECT_EQ("kiosk.toml:2: key 'budget.decision_ms': value 9000 out of range [100, 5000] ms",
              errorOf("[budget]\ndecision_ms = 9000\n"));
    EXPECT_THAT(errorOf("[policy.max_test_age_h]\nnaat = -1\n"), HasSubstr("key 'policy.max_test_age_h.naat'"));
    EXPECT_THAT(errorOf("[indicator.gpio]\nrelay_pulse_ms = 60000\n"), HasSubstr("key 'indicator.gpio.relay_pulse_ms'"));
}

TEST(Config, DisallowedListItemIsAnError) {
    EXPECT_THAT(errorOf("[indicator]\nbackends = [\"console\", \"lcd\"]\n"),
                HasSubstr("key 'indicator.backends': item \"lcd\" is not one of: console, gpio"));
    EXPECT_THAT(errorOf("[policy]\naccept_status = [\"blue\"]\n"), HasSubstr("key 'policy.accept_status'"));
}

TEST(Config, SyntaxErrorNamesTheLine) { EXPECT_THAT(errorOf("[kiosk]\nid = \n"), HasSubstr("kiosk.toml:2:")); }

TEST(Config, SyntaxErrorNamesTheKeyOfItsLine) {
    EXPECT_THAT(errorOf("[kiosk]\nid = \"A\"\n[camera]\nfps = 30x\n"), HasSubstr("kiosk.toml:4: key 'camera.fps': "));
    EXPECT_THAT(errorOf("[online]\nbase_url = \"https://x\n"), HasSubstr("key 'online.base_url'"));
    EXPECT_THAT(errorOf("[indicator.gpio]\nchip = gpiochip0\n"), HasSubstr("key 'indicator.gpio.chip'"));
}

TEST(Config, SyntaxErrorInsideAListNamesTheListsKey) {
    EXPECT_THAT(errorOf("[voice]\nlanguages = [\n  \"zh\",\n  en,\n]\n"), HasSubstr("key 'voice.languages'"));
}

TEST(Config, SyntaxErrorWithoutAKeyQuotesTheTextNearIt) {
    const std::string e = errorOf("[kiosk]\nid = \"A\"\n[camera\nfps = 30\n");
    EXPECT_THAT(e, HasSubstr("kiosk.toml:3:"));
    EXPECT_THAT(e, HasSubstr("(near \"[camera\")"));
    EXPECT_THAT(e, ::testing::Not(HasSubstr("key '")));
}

TEST(Config, EveryProblemOfAFileIsReportedAtOnceInLineOrder) {
    const std::string e = errorOf("[camera]\nfps = 9999\ncolour = 1\n[budget]\ndecision_ms = \"fast\"\n[rules]\ncountry = \"cn\"\n");
    EXPECT_THAT(e, HasSubstr("kiosk.toml:2: key 'camera.fps'"));
    EXPECT_THAT(e, HasSubstr("kiosk.toml:3: unknown key 'camera.colour'"));
    EXPECT_THAT(e, HasSubstr("kiosk.toml:5: key 'budget.decision_ms'"));
    EXPECT_THAT(e, HasSubstr("kiosk.toml:7: key 'rules.country'"));
    EXPECT_LT(e.find("camera.fps"), e.find("budget.decision_ms"));
    EXPECT_EQ(3, std::count(e.begin(), e.end(), '\n')) << "one line per problem";
}

TEST(Config, StateDirHoldsTheJournalUnlessJournalPathIsSet) {
    auto moved = kiosk::parseConfig("[kiosk]\nstate_dir = \"/srv/kiosk\"\n", "kiosk.toml");
    ASSERT_TRUE(moved.ok()) << moved.error().message;
    EXPECT_EQ("/srv/kiosk/journal.db", moved->journal.path);
    auto pinned = kiosk::parseConfig("[kiosk]\nstate_dir = \"/srv/kiosk\"\n[journal]\npath = \"/data/j.db\"\n", "kiosk.toml");
    ASSERT_TRUE(pinned.ok());
    EXPECT_EQ("/data/j.db", pinned->journal.path);
    auto defaults = kiosk::parseConfig("", "kiosk.toml");
    ASSERT_TRUE(defaults.ok());
    EXPECT_EQ(kiosk::Config{}.journal.path, defaults->journal.path) << "the built-in defaults agree";
}

TEST(Config, TheStationTestIssuerIsAPath) {
    auto r = kiosk::parseConfig("[kiosk]\ntest_issuer = \"/etc/sentinel/station-test-issuer.pem\"\n", "kiosk.toml");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ("/etc/sentinel/station-test-issuer.pem", r->kiosk.testIssuer);
}

TEST(Config, CrossChecksNameTheKey) {
    EXPECT_THAT(errorOf("[camera]\nsource = \"usb0\"\n"), HasSubstr("key 'camera.source'"));
    EXPECT_THAT(errorOf("[online]\nbase_url = \"http://plain\"\n"), HasSubstr("key 'online.base_url'"));
    EXPECT_THAT(errorOf("[journal]\nupload_url = \"ftp://x\"\n"), HasSubstr("key 'journal.upload_url'"));
    EXPECT_THAT(errorOf("[online]\npins = [\"md5//x\"]\n"), HasSubstr("key 'online.pins'"));
    EXPECT_THAT(errorOf("[indicator]\nbackends = []\n"), HasSubstr("key 'indicator.backends'"));
}

TEST(Config, RiskPolicyBreakerAndRouteKeysHaveTheSection14Defaults) {
    auto r = kiosk::parseConfig("", "kiosk.toml");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(36.0, r->policy.riskMaxAgeH);
    EXPECT_EQ(14, r->policy.riskLookbackHighDays);
    EXPECT_EQ(7, r->policy.riskLookbackMediumDays);
    EXPECT_FALSE(r->policy.requireTravel);
    EXPECT_EQ(3, r->online.breakerFailures);
    EXPECT_EQ(30, r->online.breakerOpenS);
    EXPECT_EQ("", r->riskListPath);
    ASSERT_NE(nullptr, r->routes.find("isolation"));
    EXPECT_EQ("请前往集中隔离登记处", r->routes.find("isolation")->zh);
    EXPECT_EQ(nullptr, r->routes.find("nowhere"));
}

TEST(Config, ARouteTextIsStationData) {
    auto r = kiosk::parseConfig("[routes.isolation]\nzh = \"请前往集中隔离登记处（3号口）\"\nen = \"Please go to the quarantine desk (gate 3)\"\n",
                                "kiosk.toml");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ("Please go to the quarantine desk (gate 3)", r->routes.isolation.en);
    EXPECT_EQ("请前往医学观察登记处", r->routes.observation.zh);  // the others keep their defaults
    EXPECT_THAT(errorOf("[routes.staff]\nen = \"\"\n"), HasSubstr("key 'routes.staff.en'"));
}

TEST(Config, TheBreakerKeysAreBounded) {
    EXPECT_THAT(errorOf("[online]\nbreaker_failures = 0\n"), HasSubstr("key 'online.breaker_failures'"));
    EXPECT_THAT(errorOf("[online]\nbreaker_open_s = 3601\n"), HasSubstr("key 'online.breaker_open_s'"));
}

TEST(Config, MissingFileIsAnErrorNamingIt) {
    auto r = kiosk::loadConfig("/nonexistent/sentinel.toml");
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.error().message, HasSubstr("/nonexistent/sentinel.toml"));
}

TEST(Config, LoadsFromAFile) {
    testing::TempDir dir;
    std::ofstream(dir / "s.toml") << "[kiosk]\nid = \"T-1\"\n";
    auto r = kiosk::loadConfig(dir / "s.toml");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ("T-1", r->kiosk.id);
}

TEST(Config, ShippedExampleConfigurationsAreValid) {
    for (auto name : {"sentinel.toml", "replay-bench.toml"}) {
        auto r = kiosk::loadConfig(std::string(SENTINEL_SOURCE_DIR) + "/assets/config/" + name);
        EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().message);
    }
}

TEST(Config, ReferenceDocumentsEveryKeyAndTheDocsAreCurrent) {
    const std::string ref = kiosk::configReferenceMarkdown();
    for (auto key : {"policy.max_test_age_h.naat", "budget.decision_ms", "indicator.gpio.relay_pulse_ms", "online.pins"}) {
        EXPECT_THAT(ref, HasSubstr(std::string("`") + key + "`"));
    }
    std::ifstream doc(std::string(SENTINEL_SOURCE_DIR) + "/docs/configuration.md");
    ASSERT_TRUE(doc) << "docs/configuration.md is missing";
    std::string text((std::istreambuf_iterator<char>(doc)), {});
    EXPECT_THAT(text, HasSubstr(ref)) << "docs/configuration.md is out of date: regenerate its table with "
                                         "`sentinel config --reference`";
}

}  // namespace
}  // namespace sentinel::kiosk

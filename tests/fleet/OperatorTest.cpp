// The operator's side (DESIGN §13.1), pure parts: bundles and commands signed with the update key's
// private half verify as the kiosk verifies them; `fleet watch`'s rows folded from statuses, the
// last will, alarms and acks.

#include <gtest/gtest.h>

#include <fstream>

#include "firmware/fleet/Command.h"
#include "firmware/fleet/FleetView.h"
#include "firmware/fleet/OperatorKey.h"
#include "firmware/kiosk/TrustBundle.h"
#include "tests/support/TestSupport.h"
#include "tests/support/UpdateKey.h"

namespace sentinel::fleet {
namespace {

using nlohmann::json;
using sentinel::testing::TempDir;

const UtcTime kNow{std::chrono::seconds{1795000000}};

struct Operator : ::testing::Test {
    sentinel::testing::UpdateKey keyPair;
    OperatorKey key = std::move(OperatorKey::fromPem(keyPair.privatePem(), "test key")).value();
    TempDir dir;
    std::filesystem::path file(const std::string& name, const std::string& text) {
        std::ofstream(dir / name) << text;
        return dir / name;
    }
};

TEST_F(Operator, ABundleCarriesOnlyThePartsGivenAndVerifiesWithThePinnedKey) {
    BundleInputs in;
    in.issuedAt = kNow;
    in.policy = file("policy.json", R"({"max_test_age_h.naat": 24})");
    auto envelope = makeBundle(in, key);
    ASSERT_TRUE(envelope) << envelope.error().message;
    auto bundle = kiosk::verifyBundle(*envelope, keyPair.publicPem());
    ASSERT_TRUE(bundle) << bundle.error().message;
    EXPECT_EQ(std::vector<std::string>{"policy"}, bundle->parts());
    EXPECT_EQ(kNow, bundle->issuedAt);
    EXPECT_EQ("24", bundle->policyOverrides.at("max_test_age_h.naat"));
    sentinel::testing::UpdateKey other;
    EXPECT_FALSE(kiosk::verifyBundle(*envelope, other.publicPem())) << "another fleet's key";
}

TEST_F(Operator, ABrokenPartOrNoPartAtAllIsRefusedBeforeSigning) {
    BundleInputs in;
    in.issuedAt = kNow;
    EXPECT_FALSE(makeBundle(in, key));
    in.policy = file("policy.json", R"({"no_such_key": 1})");
    auto refused = makeBundle(in, key);
    ASSERT_FALSE(refused);
    EXPECT_NE(std::string::npos, refused.error().message.find("no_such_key")) << refused.error().message;
}

TEST_F(Operator, ARiskAreaListIsABundlePartAndABadOneIsRefusedNamingItsPath) {
    BundleInputs in;
    in.issuedAt = kNow;
    const std::string list =
        R"({"format":"sentinel-risk-areas/1","version":"2026-12-08.1","issued_at":"2026-11-18T08:00:00Z",)"
        R"("effective_from":"2026-11-19T00:00:00Z","areas":[{"code":"110105","level":"high"},{"code":"31","level":"medium"}]})";
    in.riskAreas = file("risk.json", "[" + list + "]");
    auto envelope = makeBundle(in, key);
    ASSERT_TRUE(envelope) << envelope.error().message;
    auto bundle = kiosk::verifyBundle(*envelope, keyPair.publicPem());
    ASSERT_TRUE(bundle) << bundle.error().message;
    EXPECT_EQ(std::vector<std::string>{kiosk::kPartRiskAreas}, bundle->parts());
    in.riskAreas = file("bad.json", R"({"format":"sentinel-risk-areas/1","version":"x","issued_at":"2026-11-18T08:00:00Z",)"
                                    R"("effective_from":"2026-11-19T00:00:00Z","areas":[{"code":"11A","level":"high"}]})");
    auto refused = makeBundle(in, key);
    ASSERT_FALSE(refused);
    EXPECT_NE(std::string::npos, refused.error().message.find("$.areas[0].code")) << refused.error().message;
}

TEST_F(Operator, ACommandForAStationReachesItsKiosksOnlyAndGoesToTheStationTopic) {
    CommandSpec spec{"op-1", "station:BJ-WEST", "sync_now", kNow + std::chrono::hours{1}, ""};
    auto envelope = makeCommand(spec, key);
    ASSERT_TRUE(envelope) << envelope.error().message;
    auto ours = verifyCommand(*envelope, keyPair.publicPem(), {"K-1", "BJ-WEST", ""}, kNow);
    ASSERT_TRUE(ours) << ours.error().message;
    EXPECT_EQ("sync_now", ours->action);
    auto theirs = verifyCommand(*envelope, keyPair.publicPem(), {"K-2", "BJ-EAST", ""}, kNow);
    ASSERT_FALSE(theirs);
    EXPECT_NE(std::string::npos, theirs.error().message.find(kNotForThisKiosk));
    EXPECT_EQ("sentinel/v1/station/BJ-WEST/cmd", commandTopic("station:BJ-WEST").value());
    EXPECT_EQ("sentinel/v1/K-1/cmd", commandTopic("kiosk:K-1").value());
    EXPECT_FALSE(commandTopic("kiosk:#"));
    EXPECT_FALSE(makeCommand({"op-2", "all", "reboot", kNow, ""}, key));
}

TEST(FleetViewTest, TheLastWillTurnsARowOfflineAndKeepsWhatWasInForce) {
    FleetView v;
    EXPECT_EQ("K-1", v.take("sentinel/v1/K-1/status",
                            R"({"state":"online","kiosk_id":"K-1","station":"S","group":"G","policy_version":"2026-06-01T00:00:00Z",)"
                            R"("camera_fps":14.5,"clock_trusted":true,"alarms":[{"alarm":"camera","detail":"x","since":"t"}],)"
                            R"("checkpoint":{"size":7,"root":"r","at":"t"}})"));
    json r = v.row("K-1");
    EXPECT_EQ("online", r["state"]);
    EXPECT_EQ(json::array({"camera"}), r["alarms"]);
    EXPECT_EQ(7, r["checkpoint_size"]);
    v.take("sentinel/v1/K-1/status", R"({"state":"offline","kiosk_id":"K-1","since":"2026-06-01T08:00:00Z"})");
    r = v.row("K-1");
    EXPECT_EQ("offline", r["state"]);
    EXPECT_EQ("S", r["station"]);
    EXPECT_EQ("2026-06-01T00:00:00Z", r["policy_version"]);
    EXPECT_EQ("2026-06-01T08:00:00Z", r["since"]);
}

TEST(FleetViewTest, AcksAndAlarmsLandInTheirKiosksRowAndOtherTopicsAreIgnored) {
    FleetView v;
    v.take("sentinel/v1/K-1/acks", R"({"command":"op-1","ok":false,"detail":"refused: not newer","at":"t"})");
    v.take("sentinel/v1/K-1/alarms", R"({"alarm":"camera","detail":"gone","at":"t","cleared":false})");
    EXPECT_EQ("", v.take("sentinel/v1/K-1/decisions", R"({"seq":1})"));
    EXPECT_EQ("", v.take("sentinel/v1/all/cmd", R"({"format":"x"})"));
    EXPECT_EQ("", v.take("sentinel/v1/K-2/status", "not json"));
    ASSERT_EQ(1u, v.rows().size());
    const json r = v.row("K-1");
    EXPECT_EQ("op-1", r["last_ack"]["command"]);
    EXPECT_FALSE(r["last_ack"]["ok"].get<bool>());
    EXPECT_EQ("camera", r["last_alarm"]["alarm"]);
    EXPECT_NE(std::string::npos, FleetView::formatRow(r).find("K-1"));
}

}  // namespace
}  // namespace sentinel::fleet

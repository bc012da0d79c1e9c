// Signed bundle parts (DESIGN §13.1): a bundle carries any subset of trust list, policy, rules and
// revocation index; a part it lacks keeps the one in force; what is in force survives a restart;
// policy_version names the newest bundle; a stale or broken bundle changes nothing.
#include "firmware/kiosk/TrustLoader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "firmware/issuer/TestIssuer.h"
#include "firmware/trust/RevocationIndex.h"
#include "firmware/trust/TrustList.h"
#include "tests/support/TestSupport.h"
#include "tests/support/UpdateKey.h"

namespace sentinel::kiosk {
namespace {

using ::testing::HasSubstr;
using sentinel::testing::TempDir;
using sentinel::testing::UpdateKey;

const UtcTime kT0{std::chrono::seconds{1795000000}};
const UtcTime kT1 = kT0 + std::chrono::hours{1};
const UtcTime kT2 = kT0 + std::chrono::hours{2};

struct BundleParts : ::testing::Test {
    TempDir dir;
    UpdateKey key;
    Config config;
    issuer::TestIssuer at = issuer::TestIssuer::generate("AT");
    issuer::TestIssuer de = issuer::TestIssuer::generate("DE");

    BundleParts() {
        config.kiosk.stateDir = dir / "state";
        config.trust.path = (dir / "no-such-trust").string();
        config.trust.updateKey = (dir / "update-key.pem").string();
        std::ofstream(config.trust.updateKey) << key.publicPem();
    }
    static nlohmann::json trustList(const issuer::TestIssuer& i) {
        auto der = i.certificateDer();
        nlohmann::json cert{{"der", sentinel::testing::base64(std::string(der.begin(), der.end()))}, {"country", i.country()}};
        return nlohmann::json{{"certificates", nlohmann::json::array({cert})}};
    }
    std::string bundle(UtcTime issuedAt, nlohmann::json parts, nlohmann::json attachments = nullptr) const {
        parts["issued_at"] = formatRfc3339(issuedAt);
        const std::string payload = parts.dump();
        nlohmann::json env{{"format", kBundleFormat},
                           {"payload", sentinel::testing::base64(payload)},
                           {"signature", sentinel::testing::base64(key.sign(payload))}};
        if (!attachments.is_null()) env["attachments"] = attachments;
        return env.dump();
    }
    std::shared_ptr<const TrustState> inForce() const { return loadTrustState(config).state; }
    // Applies a bundle that must be accepted.
    void apply(const std::string& envelope, TrustStore* store = nullptr) {
        auto r = applyBundle(config, envelope, store);
        ASSERT_TRUE(r) << r.error().message;
    }
};

TEST_F(BundleParts, APolicyOnlyBundleKeepsTheTrustListOfTheBundleBefore) {
    TrustStore store(inForce());
    apply(bundle(kT0, {{"trust_list", trustList(at)}}), &store);
    auto applied = applyBundle(config, bundle(kT1, {{"policy", {{"max_test_age_h.naat", 24}}}}), &store);
    ASSERT_TRUE(applied) << applied.error().message;
    EXPECT_EQ(std::vector<std::string>{"policy"}, applied->parts);
    auto st = store.current();
    ASSERT_TRUE(st->list);
    EXPECT_EQ(1u, st->list->size());  // AT's, from the first bundle
    EXPECT_EQ(24.0, st->policy.maxTestAgeNaatH);
    EXPECT_EQ(formatRfc3339(kT1), st->policyVersion);
    // The same after a restart (loaded from state_dir).
    auto again = inForce();
    ASSERT_TRUE(again->list);
    EXPECT_EQ(24.0, again->policy.maxTestAgeNaatH);
    EXPECT_EQ(formatRfc3339(kT1), again->policyVersion);
}

TEST_F(BundleParts, ANewerTrustListReplacesTheOldOneAndThePolicyStays) {
    apply(bundle(kT0, {{"trust_list", trustList(at)}, {"policy", {{"max_test_age_h.naat", 24}}}}));
    apply(bundle(kT1, {{"trust_list", trustList(de)}}));
    auto st = inForce();
    ASSERT_TRUE(st->list);
    EXPECT_FALSE(st->list->findByKid(de.kid()).empty());
    EXPECT_TRUE(st->list->findByKid(at.kid()).empty());
    EXPECT_EQ(24.0, st->policy.maxTestAgeNaatH);
}

TEST_F(BundleParts, WithoutABundleThePolicyVersionIsConfig) { EXPECT_EQ("config", inForce()->policyVersion); }

TEST_F(BundleParts, ABundleNotNewerThanTheOneInForceIsRefusedAndChangesNothing) {
    apply(bundle(kT1, {{"policy", {{"max_test_age_h.naat", 24}}}}));
    auto stale = applyBundle(config, bundle(kT0, {{"policy", {{"max_test_age_h.naat", 12}}}}), nullptr);
    ASSERT_FALSE(stale);
    EXPECT_THAT(stale.error().message, HasSubstr("not newer"));
    EXPECT_EQ(24.0, inForce()->policy.maxTestAgeNaatH);
}

TEST_F(BundleParts, ABundleWithoutAnyPartOrWithAnUnknownOneIsRefused) {
    auto empty = applyBundle(config, bundle(kT0, nlohmann::json::object()), nullptr);
    ASSERT_FALSE(empty);
    EXPECT_THAT(empty.error().message, HasSubstr("no part"));
    auto unknown = applyBundle(config, bundle(kT0, {{"weather", "sunny"}}), nullptr);
    ASSERT_FALSE(unknown);
    EXPECT_THAT(unknown.error().message, HasSubstr("unknown part 'weather'"));
}

TEST_F(BundleParts, ARevocationIndexTravelsAsAnAttachmentCheckedAgainstTheSignedDigest) {
    trust::RevocationIndexBuilder b;
    trust::RevocationHash h{};
    h[0] = 0x42;
    ASSERT_TRUE(b.addList({}, trust::kAllRevocationHashTypes, std::nullopt, {h}));
    const auto bytes = b.build(kT0);
    const std::string file(bytes.begin(), bytes.end());
    auto index = trust::RevocationIndex::fromBytes(bytes);
    ASSERT_TRUE(index);
    std::string hex;
    for (auto byte : (*index)->sha256()) {
        char two[3];
        std::snprintf(two, sizeof two, "%02x", byte);
        hex += two;
    }
    const nlohmann::json part{{"sha256", hex}, {"entries", 1}};
    // Tampered attachment: refused whole, nothing installed.
    std::string tampered = file;
    tampered[tampered.size() / 2] ^= 0x01;
    auto refused = applyBundle(config, bundle(kT0, {{"revocation", part}}, {{"revocation", sentinel::testing::base64(tampered)}}), nullptr);
    ASSERT_FALSE(refused);
    EXPECT_THAT(refused.error().message, HasSubstr("revocation"));
    EXPECT_FALSE(inForce()->revocation);
    // The real one: in force, and after a policy-only bundle still in force.
    apply(bundle(kT0, {{"revocation", part}}, {{"revocation", sentinel::testing::base64(file)}}));
    apply(bundle(kT1, {{"policy", {{"max_test_age_h.naat", 24}}}}));
    auto st = inForce();
    ASSERT_TRUE(st->revocation);
    EXPECT_EQ(1u, st->revocation->entries());
    EXPECT_THAT(st->revocationSource, HasSubstr(formatRfc3339(kT0)));
    // A newer index replaces it; the old file is pruned.
    apply(bundle(kT2, {{"policy", {{"max_test_age_h.naat", 12}}}}));
    EXPECT_TRUE(std::filesystem::exists(revocationFilePath(bundleDir(config), RevocationPart{hex, 1})));
}

}  // namespace
}  // namespace sentinel::kiosk

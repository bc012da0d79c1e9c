// Trust-list and policy sync (issue 6 item 4): the signed bundle, atomic install, and sync over a
// real HTTPS server on loopback (cpp-httplib + the test PKI). A bad signature is refused and the
// list in force stays; a good bundle swaps in; decisions read the swapped list.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <condition_variable>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "firmware/app/Cli.h"
#include "firmware/kiosk/Router.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/fleet/TrustSync.h"
#include "firmware/issuer/TestIssuer.h"
#include "firmware/trust/TrustList.h"
#include "tests/hcsim/TestPki.h"
#include "tests/support/TestSupport.h"
#include "tests/support/UpdateKey.h"

namespace sentinel::app {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using sentinel::testing::ManualClock;
using sentinel::testing::TempDir;

std::string b64(std::string_view bytes) { return sentinel::testing::base64(bytes); }

using sentinel::testing::UpdateKey;

std::string payloadFor(const std::vector<const issuer::TestIssuer*>& issuers, UtcTime issuedAt,
                       nlohmann::json policy = nlohmann::json::object()) {
    nlohmann::json certs = nlohmann::json::array();
    for (const auto* i : issuers) {
        auto der = i->certificateDer();
        certs.push_back({{"der", b64(std::string(der.begin(), der.end()))}, {"country", i->country()}});
    }
    nlohmann::json p = {{"issued_at", formatRfc3339(issuedAt)}, {"trust_list", {{"certificates", certs}}}};
    if (!policy.empty()) p["policy"] = policy;
    return p.dump();
}

std::string envelope(const std::string& payload, const std::string& signature) {
    return nlohmann::json{{"format", kiosk::kBundleFormat}, {"payload", b64(payload)}, {"signature", b64(signature)}}.dump();
}

const UtcTime kT0{std::chrono::seconds{1795000000}};

TEST(TrustBundle, AGoodSignatureVerifiesAndCarriesListAndPolicy) {
    UpdateKey key;
    auto a = issuer::TestIssuer::generate("AT");
    const std::string p = payloadFor({&a}, kT0, {{"max_test_age_h.naat", 24}, {"accept_status", {"green", "yellow"}}});
    auto b = kiosk::verifyBundle(envelope(p, key.sign(p)), key.publicPem());
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(1u, b->list->size());
    EXPECT_EQ(kT0, b->issuedAt);
    EXPECT_EQ(kT0, b->list->issuedAt());
    auto pol = kiosk::applyPolicyOverrides(policy::PolicyConfig{}, b->policyOverrides);
    EXPECT_DOUBLE_EQ(24.0, pol.maxTestAgeNaatH);
    EXPECT_EQ((std::vector<std::string>{"green", "yellow"}), pol.acceptStatus);
    EXPECT_TRUE(pol.requireTest) << "keys not in the bundle keep the configured value";
}

TEST(TrustBundle, ATamperedPayloadIsRefused) {
    UpdateKey key;
    auto a = issuer::TestIssuer::generate("AT");
    auto evil = issuer::TestIssuer::generate("XX");
    const std::string p = payloadFor({&a}, kT0);
    const std::string swapped = payloadFor({&a, &evil}, kT0);
    auto b = kiosk::verifyBundle(envelope(swapped, key.sign(p)), key.publicPem());
    ASSERT_FALSE(b.ok());
    EXPECT_THAT(b.error().message, HasSubstr("signature"));
}

TEST(TrustBundle, ABundleSignedByAnotherKeyIsRefused) {
    UpdateKey pinned, other;
    auto a = issuer::TestIssuer::generate("AT");
    const std::string p = payloadFor({&a}, kT0);
    EXPECT_FALSE(kiosk::verifyBundle(envelope(p, other.sign(p)), pinned.publicPem()).ok());
}

TEST(TrustBundle, SignedButInvalidPolicyIsRefused) {
    UpdateKey key;
    auto a = issuer::TestIssuer::generate("AT");
    const std::string bad = payloadFor({&a}, kT0, {{"max_test_age_h.naat", 100000}});
    auto b = kiosk::verifyBundle(envelope(bad, key.sign(bad)), key.publicPem());
    ASSERT_FALSE(b.ok());
    EXPECT_THAT(b.error().message, HasSubstr("out of range"));
    const std::string unknown = payloadFor({&a}, kT0, {{"open_gate_always", true}});
    EXPECT_FALSE(kiosk::verifyBundle(envelope(unknown, key.sign(unknown)), key.publicPem()).ok());
}

TEST(TrustBundle, GarbageIsRefused) {
    UpdateKey key;
    EXPECT_FALSE(kiosk::verifyBundle("", key.publicPem()).ok());
    EXPECT_FALSE(kiosk::verifyBundle("{\"format\":\"other\"}", key.publicPem()).ok());
    EXPECT_FALSE(kiosk::verifyBundle(envelope("{}", "sig"), "not a key").ok());
}

TEST(TrustBundle, InstallKeepsThePreviousBundle) {
    TempDir dir;
    ASSERT_TRUE(kiosk::installBundle(dir / "trust", "first").ok());
    ASSERT_TRUE(kiosk::installBundle(dir / "trust", "second").ok());
    std::ifstream cur(dir / "trust" / kiosk::kBundleFile), prev(dir / "trust" / kiosk::kPreviousBundleFile);
    std::string c, p;
    cur >> c;
    prev >> p;
    EXPECT_EQ("second", c);
    EXPECT_EQ("first", p);
    for (const auto& e : std::filesystem::directory_iterator(dir / "trust")) {
        EXPECT_NE('.', e.path().filename().string()[0]) << "temporary file left behind: " << e.path();
    }
}

// A bundle server on loopback over real TLS.
class BundleServer {
public:
    explicit BundleServer(const std::filesystem::path& pkiDir) : server_((pkiDir / "server.pem").c_str(), (pkiDir / "server.key").c_str()) {
        server_.Post("/bundle", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex_);
            lastRequest_ = req.body;
            ++served_;
            res.status = status_;
            if (status_ == 200) res.set_content(body_, "application/json");
            cv_.notify_all();
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
    }
    ~BundleServer() {
        server_.stop();
        thread_.join();
    }
    void serve(std::string body, int status = 200) {
        std::lock_guard lock(mutex_);
        body_ = std::move(body);
        status_ = status;
    }
    void waitServed(int n) {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return served_ >= n; });
    }
    std::string lastRequest() {
        std::lock_guard lock(mutex_);
        return lastRequest_;
    }
    std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/bundle"; }

private:
    httplib::SSLServer server_;
    std::thread thread_;
    int port_ = 0;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::string body_, lastRequest_;
    int status_ = 200;
    int served_ = 0;
};

class TrustSyncOverHttps : public ::testing::Test {
protected:
    void SetUp() override {
        auto pki = hcsim::generateTestPki();
        ASSERT_TRUE(pki.ok()) << pki.error().message;
        ASSERT_TRUE(hcsim::writePki(*pki, dir / "pki").ok());
        server = std::make_unique<BundleServer>(dir / "pki");
        std::ofstream(dir / "update-key.pem") << key.publicPem();
        settings.url = server->url();
        settings.updateKeyPem = key.publicPem();
        settings.dir = dir / "state" / kiosk::kBundleDir;
        settings.kioskId = "BJ-WEST-07";
        settings.caFile = (dir / "pki" / "ca.pem").string();
        transport = fleet::makeSyncTransport(settings);
    }
    std::string signedBundle(const std::vector<const issuer::TestIssuer*>& issuers, UtcTime at) {
        const std::string p = payloadFor(issuers, at);
        return envelope(p, key.sign(p));
    }
    Result<fleet::SyncOutcome> sync(std::optional<UtcTime> have) {
        return fleet::syncOnce(*transport, settings, have, std::chrono::steady_clock::now() + 10s);
    }

    TempDir dir;
    UpdateKey key;
    std::unique_ptr<BundleServer> server;
    fleet::SyncSettings settings;
    std::unique_ptr<hal::HttpTransport> transport;
    issuer::TestIssuer a = issuer::TestIssuer::generate("AT");
    issuer::TestIssuer b = issuer::TestIssuer::generate("DE");
};

TEST_F(TrustSyncOverHttps, AGoodBundleIsInstalledAndTheRequestSaysWhatWeHave) {
    server->serve(signedBundle({&a}, kT0));
    auto r = sync(kT0 - 24h);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->updated);
    EXPECT_TRUE(std::filesystem::exists(settings.dir / kiosk::kBundleFile));
    auto req = nlohmann::json::parse(server->lastRequest());
    EXPECT_EQ("BJ-WEST-07", req["kiosk_id"]);
    EXPECT_EQ(formatRfc3339(kT0 - 24h), req["have_issued_at"]);
}

TEST_F(TrustSyncOverHttps, ABadSignatureIsRefusedAndTheOldBundleStaysInForce) {
    server->serve(signedBundle({&a}, kT0));
    ASSERT_TRUE(sync(std::nullopt).ok());
    std::ifstream before(settings.dir / kiosk::kBundleFile);
    const std::string installed((std::istreambuf_iterator<char>(before)), {});

    const std::string p = payloadFor({&a, &b}, kT0 + 1h);
    std::string sig = key.sign(p);
    sig[sig.size() / 2] ^= 0x01;
    server->serve(envelope(p, sig));
    auto r = sync(kT0);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.error().message, HasSubstr("refused"));
    std::ifstream after(settings.dir / kiosk::kBundleFile);
    EXPECT_EQ(installed, std::string((std::istreambuf_iterator<char>(after)), {}));
}

TEST_F(TrustSyncOverHttps, AnOlderOrEqualBundleIsNotInstalled) {
    server->serve(signedBundle({&a}, kT0));
    auto r = sync(kT0);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->updated);
    EXPECT_FALSE(std::filesystem::exists(settings.dir / kiosk::kBundleFile));
}

TEST_F(TrustSyncOverHttps, NoContentMeansNothingNewer) {
    server->serve("", 204);
    auto r = sync(kT0);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->updated);
}

TEST_F(TrustSyncOverHttps, AnUntrustedServerCertificateIsAFetchFailure) {
    auto other = hcsim::generateTestPki();
    ASSERT_TRUE(other.ok());
    std::ofstream(dir / "other-ca.pem") << other->caCertPem;
    settings.caFile = (dir / "other-ca.pem").string();
    transport = fleet::makeSyncTransport(settings);
    server->serve(signedBundle({&a}, kT0));
    auto r = sync(std::nullopt);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.error().message, HasSubstr("fetch failed"));
}

TEST_F(TrustSyncOverHttps, TheWorkerSwapsTheStoreAndTheRouterDecidesWithTheNewList) {
    ManualClock clock(kT0 + 1h);
    auto initial = std::make_shared<kiosk::TrustState>();
    auto listA = trust::TrustList::fromCertificates({{a.certificateDer(), "AT", std::nullopt}}, kT0 - 1h);
    ASSERT_TRUE(listA.ok());
    initial->list = std::make_shared<const trust::TrustList>(std::move(listA).value());
    auto store = std::make_shared<kiosk::TrustStore>(initial);
    kiosk::RouterOptions ro;
    ro.trustStore = store;
    ro.subjectKey = std::string(32, 'k');
    kiosk::CredentialRouter router(clock, ro);
    const std::string fromB = b.issue(issuer::testCredential(TestType::Naat, clock.now() - 2h, false, clock.now()));
    EXPECT_EQ(Reason::UnknownIssuer, router.verify(fromB, clock.monotonic() + 5s).record.reason);

    server->serve(signedBundle({&a, &b}, kT0));
    {
        fleet::TrustSyncWorker worker(store, fleet::makeSyncTransport(settings), settings, policy::PolicyConfig{}, kT0 - 1h, 60min);
        server->waitServed(1);
        worker.stop();  // returns once the first sync has finished
        EXPECT_EQ(1u, worker.updates());
    }
    EXPECT_EQ(2u, store->current()->list->size());
    EXPECT_EQ(Decision::Pass, router.verify(fromB, clock.monotonic() + 5s).record.decision);
}

TEST_F(TrustSyncOverHttps, TheWorkerKeepsTheOldListWhenTheSignatureIsBad) {
    auto initial = std::make_shared<kiosk::TrustState>();
    auto listA = trust::TrustList::fromCertificates({{a.certificateDer(), "AT", std::nullopt}}, kT0 - 1h);
    ASSERT_TRUE(listA.ok());
    initial->list = std::make_shared<const trust::TrustList>(std::move(listA).value());
    auto store = std::make_shared<kiosk::TrustStore>(initial);
    const auto inForce = store->current();  // `initial` with the built-in rules of its policy
    const std::string p = payloadFor({&a, &b}, kT0);
    UpdateKey attacker;
    server->serve(envelope(p, attacker.sign(p)));
    {
        fleet::TrustSyncWorker worker(store, fleet::makeSyncTransport(settings), settings, policy::PolicyConfig{}, kT0 - 1h, 60min);
        server->waitServed(1);
        worker.stop();
        EXPECT_EQ(0u, worker.updates());
    }
    EXPECT_EQ(inForce, store->current()) << "the list in force must not change";
}

TEST_F(TrustSyncOverHttps, TheCommandRefusesABadSignatureWithExitOne) {
    const std::string p = payloadFor({&a}, kT0);
    UpdateKey attacker;
    server->serve(envelope(p, attacker.sign(p)));
    std::ofstream(dir / "sentinel.toml") << "[kiosk]\nstate_dir = \"" << (dir / "state").string() << "\"\n[trust]\npath = \""
                                         << (dir / "none").string() << "\"\nsync_url = \"" << server->url()
                                         << "\"\nupdate_key = \"" << (dir / "update-key.pem").string()
                                         << "\"\nsync_ca_file = \"" << (dir / "pki" / "ca.pem").string() << "\"\n";
    std::ostringstream out, err;
    CliContext ctx{out, err};
    EXPECT_EQ(kExitFail, runCli({"sentinel", "trust", "sync", "--config", (dir / "sentinel.toml").string()}, ctx));
    EXPECT_THAT(err.str(), HasSubstr("refused"));
    EXPECT_FALSE(std::filesystem::exists(dir / "state" / kiosk::kBundleDir / kiosk::kBundleFile));

    server->serve(signedBundle({&a}, kT0));
    std::ostringstream out2, err2;
    CliContext ctx2{out2, err2};
    EXPECT_EQ(kExitOk, runCli({"sentinel", "trust", "sync", "--config", (dir / "sentinel.toml").string()}, ctx2)) << err2.str();
    EXPECT_THAT(out2.str(), HasSubstr("installed bundle"));
    std::ostringstream out3, err3;
    CliContext ctx3{out3, err3};
    EXPECT_EQ(kExitOk, runCli({"sentinel", "trust", "list", "--json", "--config", (dir / "sentinel.toml").string()}, ctx3));
    auto j = nlohmann::json::parse(out3.str());
    EXPECT_EQ(1, j["count"]);
    EXPECT_THAT(j["source"].get<std::string>(), HasSubstr("bundle"));
}

}  // namespace
}  // namespace sentinel::app

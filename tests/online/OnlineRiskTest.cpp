// OnlineVerifier, §5 v1.1 and §14 against a scripted transport: travel and pending answers, the
// document request, the circuit breaker's counting, and the itinerary never leaving the decision.

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include <nlohmann/json.hpp>

#include "firmware/base/Log.h"
#include "firmware/verify/Hc1Verifier.h"
#include "firmware/verify/online/OnlineVerifier.h"
#include "tests/support/TestSupport.h"

namespace sentinel::verify {
namespace {

using hal::HttpOutcome;
using hal::HttpRequest;
using hal::HttpResponse;
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr std::string_view kToken = "HK1:AbCdEfGhIjKlMnOpQr_-12";
constexpr std::string_view kKey = "device-secret";
// A region code that must appear nowhere outside the decision (DESIGN §14: the itinerary is not
// journaled, logged, shown or sent).
constexpr std::string_view kCanaryRegion = "542621";

class ScriptedTransport final : public hal::HttpTransport {
public:
    HttpResponse post(const HttpRequest& request, MonoTime) override {
        std::lock_guard lock(mutex);
        posts.push_back(request);
        return next;
    }
    HttpResponse get(const HttpRequest& request, MonoTime) override {
        std::lock_guard lock(mutex);
        gets.push_back(request);
        return health;
    }
    void reply(long status, const std::string& body, HttpOutcome outcome = HttpOutcome::Response) {
        std::lock_guard lock(mutex);
        next = HttpResponse{outcome, status, body, "scripted", 12.5};
    }
    std::size_t postCount() {
        std::lock_guard lock(mutex);
        return posts.size();
    }

    std::mutex mutex;
    HttpResponse next, health;
    std::vector<HttpRequest> posts, gets;
};

std::shared_ptr<const policy::RiskAreaList> riskList(const std::string& issued) {
    auto p = policy::parseRiskAreaList(
        R"({"format":"sentinel-risk-areas/1","version":"2026-12-08.1","issued_at":")" + issued +
        R"(","effective_from":"2026-12-08T00:00:00Z","areas":[{"code":"5426","level":"high"},{"code":"310115","level":"medium"}]})");
    EXPECT_TRUE(p.problems.empty());
    return p.list;
}

class OnlineRiskTest : public ::testing::Test {
protected:
    testing::ManualClock clock{*parseRfc3339("2026-12-08T08:00:00Z")};
    ScriptedTransport transport;
    OnlineConfig config{"https://hc.example.org/", "BJ-WEST-07", "tok-123", 300};
    policy::PolicyConfig policy;
    std::shared_ptr<const policy::RiskAreaList> list = riskList("2026-12-07T20:00:00Z");

    MonoTime deadline() const { return std::chrono::steady_clock::now() + 5s; }

    json answer(json travel, const std::string& result = "negative") {
        json a = {{"status", "green"},
                  {"holder", {{"name_masked", "王*"}, {"id_masked", "1101**********9999"}}},
                  {"tests", json::array({{{"type", "NAAT"}, {"collected_at", formatRfc3339(clock.now() - 6h)}, {"result", result}}})},
                  {"server_time", formatRfc3339(clock.now())}};
        if (!travel.is_null()) a["travel"] = std::move(travel);
        return a;
    }
    json stay(std::string_view region, std::chrono::hours endedAgo, bool open = false) {
        return {{"region", region},
                {"from", formatRfc3339(clock.now() - endedAgo - 48h)},
                {"to", open ? json(nullptr) : json(formatRfc3339(clock.now() - endedAgo))}};
    }
    OnlineResult run(OnlineVerifier& v) { return v.verify(kToken, deadline(), kKey, policy, RulesInForce{}, list); }
    OnlineResult runOnce() {
        OnlineVerifier v(transport, clock, config, policy);
        return run(v);
    }
};

TEST_F(OnlineRiskTest, AStayInAHighRiskAreaIsReferredToIsolation) {
    transport.reply(200, answer(json::array({stay(kCanaryRegion, 72h), stay("110105", 24h)})).dump());
    const auto r = runOnce();
    EXPECT_EQ(r.record.reason, Reason::RiskAreaHigh);
    EXPECT_EQ(r.record.decision, Decision::Refer);
    EXPECT_EQ(r.record.route, "isolation");
    ASSERT_TRUE(r.record.risk);
    EXPECT_EQ(r.record.risk->level, "high");
    EXPECT_EQ(r.record.risk->list, "2026-12-08.1");
}

TEST_F(OnlineRiskTest, AnOpenStayInAMediumRiskAreaIsReferredToObservation) {
    transport.reply(200, answer(json::array({stay("310115", 0h, true)})).dump());
    const auto r = runOnce();
    EXPECT_EQ(r.record.reason, Reason::RiskAreaMedium);
    EXPECT_EQ(r.record.route, "observation");
}

TEST_F(OnlineRiskTest, ACleanItineraryPassesWithLowRiskOnTheRecord) {
    transport.reply(200, answer(json::array({stay("110105", 24h)})).dump());
    const auto r = runOnce();
    EXPECT_EQ(r.record.reason, Reason::Ok);
    EXPECT_FALSE(r.record.route);
    ASSERT_TRUE(r.record.risk);
    EXPECT_EQ(r.record.risk->level, "low");
}

TEST_F(OnlineRiskTest, AVersionOneAnswerWithoutTravelDecidesAsBefore) {
    transport.reply(200, answer(nullptr).dump());
    const auto r = runOnce();
    EXPECT_EQ(r.record.reason, Reason::Ok);
    EXPECT_FALSE(r.record.risk);
    policy.requireTravel = true;
    EXPECT_EQ(runOnce().record.reason, Reason::TravelUnknown);
}

TEST_F(OnlineRiskTest, TravelAgainstAStaleListIsReferredToStaff) {
    list = riskList("2026-12-06T19:00:00Z");
    transport.reply(200, answer(json::array({stay("110105", 24h)})).dump());
    const auto r = runOnce();
    EXPECT_EQ(r.record.reason, Reason::RiskListStale);
    EXPECT_EQ(r.record.route, "staff");
    EXPECT_FALSE(r.record.risk);
}

TEST_F(OnlineRiskTest, APendingOnlyHolderIsSentToTesting) {
    transport.reply(200, answer(json::array(), "pending").dump());
    const auto r = runOnce();
    EXPECT_EQ(r.record.reason, Reason::TestResultPending);
    EXPECT_EQ(r.record.route, "testing");
    ASSERT_TRUE(r.record.test);
    EXPECT_EQ(r.record.test->result, "pending");
}

TEST_F(OnlineRiskTest, OffContractTravelIsABackendError) {
    json tooMany = json::array();
    for (std::size_t i = 0; i <= policy::kMaxStays; ++i) tooMany.push_back(stay("110105", 24h));
    for (const json& travel : {json("110105"), json::array({stay("11010", 1h)}), json::array({stay("11010a", 1h)}),
                               json::array({{{"region", "110105"}, {"from", "yesterday"}, {"to", nullptr}}}),
                               json::array({{{"region", "110105"}, {"from", "2026-12-07T00:00:00Z"}, {"to", 5}}}), tooMany}) {
        transport.reply(200, answer(travel).dump());
        EXPECT_EQ(runOnce().record.reason, Reason::BackendError) << travel.dump().substr(0, 80);
    }
}

TEST_F(OnlineRiskTest, TheCanaryRegionIsNeitherInTheRecordNorInTheLogs) {
    log::configure("*:Debug");
    ::testing::internal::CaptureStderr();
    std::string records;
    for (auto travel : {json::array({stay(kCanaryRegion, 24h)}), json::array({stay(kCanaryRegion, 24h, true), stay("310115", 1h)})}) {
        transport.reply(200, answer(travel).dump());
        records += toJsonLine(runOnce().record) + "\n";
    }
    list = nullptr;  // RISK_LIST_STALE path
    records += toJsonLine(runOnce().record) + "\n";
    const std::string logs = ::testing::internal::GetCapturedStderr();
    log::configure("*:Warn");
    EXPECT_NE(records.find("RISK_AREA_HIGH"), std::string::npos);
    EXPECT_EQ(records.find(kCanaryRegion), std::string::npos) << records;
    EXPECT_EQ(records.find("5426"), std::string::npos) << records;
    EXPECT_EQ(logs.find(kCanaryRegion), std::string::npos) << logs;
}

TEST_F(OnlineRiskTest, ADocumentIsLookedUpWithTheDocumentForm) {
    IdentityDocument doc;
    doc.type = DocumentType::Passport;
    doc.number.assign("E12345678");
    doc.birthDate.assign("1990-01-02");
    doc.nationality.assign("CHN");
    doc.name.assign("ZHANG SAN");
    transport.reply(200, answer(json::array({stay("110105", 24h)})).dump());
    OnlineVerifier v(transport, clock, config, policy);
    log::configure("*:Debug");
    ::testing::internal::CaptureStderr();
    const auto r = v.verifyDocument(doc, deadline(), kKey, policy, RulesInForce{}, list);
    const std::string logs = ::testing::internal::GetCapturedStderr();
    log::configure("*:Warn");
    EXPECT_EQ(r.record.reason, Reason::Ok);
    EXPECT_EQ(r.record.format, "MRZ");
    EXPECT_EQ(r.record.subject, subjectHash(kKey, "PASSPORT:E12345678"));
    ASSERT_EQ(transport.posts.size(), 1u);
    const json body = json::parse(transport.posts[0].body);
    EXPECT_FALSE(body.contains("code"));
    EXPECT_EQ(body["document"], (json{{"type", "PASSPORT"}, {"number", "E12345678"}, {"birth_date", "1990-01-02"}, {"nationality", "CHN"}}));
    EXPECT_EQ(body["kiosk_id"], "BJ-WEST-07");
    EXPECT_FALSE(body.contains("name"));
    const std::string record = toJsonLine(r.record);
    for (const std::string_view secret : {"E12345678", "1990-01-02", "ZHANG"}) {
        EXPECT_EQ(record.find(secret), std::string::npos) << secret;
        EXPECT_EQ(logs.find(secret), std::string::npos) << secret;
    }
    doc.type = DocumentType::CnId;
    EXPECT_EQ(v.verifyDocument(doc, deadline(), kKey, policy, RulesInForce{}, list).record.format, "ID");
}

TEST_F(OnlineRiskTest, ADocumentWithoutAServiceIsBackendNotConfigured) {
    config.baseUrl.clear();
    OnlineVerifier v(transport, clock, config, policy);
    IdentityDocument doc;
    doc.number.assign("11010519491231002X");
    const auto r = v.verifyDocument(doc, deadline(), kKey, policy, RulesInForce{}, list);
    EXPECT_EQ(r.record.reason, Reason::BackendNotConfigured);
    EXPECT_EQ(r.record.format, "ID");
    EXPECT_TRUE(transport.posts.empty());
}

TEST_F(OnlineRiskTest, TheBreakerOpensAfterThreeConsecutiveFailuresAndRefusesAtOnce) {
    OnlineVerifier v(transport, clock, config, policy, BreakerConfig{3, std::chrono::seconds{3600}});
    std::vector<bool> changes;
    v.onBreakerChange([&](const BreakerStatus& s) { changes.push_back(s.open); });
    transport.reply(0, "", HttpOutcome::Timeout);
    EXPECT_EQ(run(v).record.reason, Reason::BackendTimeout);
    transport.reply(503, "{}");
    EXPECT_EQ(run(v).record.reason, Reason::BackendError);
    transport.reply(0, "", HttpOutcome::NetError);
    EXPECT_EQ(run(v).record.reason, Reason::BackendError);
    EXPECT_TRUE(v.breakerStatus().open);
    EXPECT_EQ(changes, std::vector<bool>{true});
    const std::size_t sent = transport.postCount();
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = run(v);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 50ms);
    EXPECT_EQ(r.record.reason, Reason::BackendUnavailable);
    EXPECT_EQ(r.record.route, "staff");
    EXPECT_EQ(transport.postCount(), sent);  // no request while open
    EXPECT_EQ(v.breakerStatus().refused, 1u);
}

TEST_F(OnlineRiskTest, AFourHundredOrAValidAnswerResetsTheCount) {
    OnlineVerifier v(transport, clock, config, policy, BreakerConfig{3, std::chrono::seconds{3600}});
    for (const auto& [status, body] : std::vector<std::pair<long, std::string>>{{404, "{}"}, {200, answer(nullptr).dump()}}) {
        transport.reply(0, "", HttpOutcome::Timeout);
        run(v);
        run(v);
        EXPECT_EQ(v.breakerStatus().consecutiveFailures, 2);
        transport.reply(status, body);
        run(v);
        EXPECT_EQ(v.breakerStatus().consecutiveFailures, 0);
        EXPECT_FALSE(v.breakerStatus().open);
    }
}

TEST_F(OnlineRiskTest, AMalformedAnswerNeitherCountsNorResets) {
    OnlineVerifier v(transport, clock, config, policy, BreakerConfig{2, std::chrono::seconds{3600}});
    transport.reply(0, "", HttpOutcome::Timeout);
    run(v);
    transport.reply(200, "not json");
    run(v);
    transport.reply(0, "", HttpOutcome::TooLarge);
    run(v);
    EXPECT_EQ(v.breakerStatus().consecutiveFailures, 1);
    transport.reply(0, "", HttpOutcome::TlsError);
    run(v);
    EXPECT_TRUE(v.breakerStatus().open);
}

// The probe runs on the verifier's own thread; the test waits for the listener's event (bounded),
// not for a time.
TEST_F(OnlineRiskTest, AHealthyProbeClosesTheBreaker) {
    transport.health = HttpResponse{HttpOutcome::Response, 200, json{{"server_time", formatRfc3339(clock.now())}}.dump(), "", 1.0};
    OnlineVerifier v(transport, clock, config, policy, BreakerConfig{1, std::chrono::seconds{0}});
    std::mutex m;
    std::condition_variable cv;
    std::vector<bool> changes;
    v.onBreakerChange([&](const BreakerStatus& s) {
        std::lock_guard lock(m);
        changes.push_back(s.open);
        cv.notify_all();
    });
    transport.reply(0, "", HttpOutcome::Timeout);
    run(v);
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return changes.size() == 2; }));
    EXPECT_EQ(changes, (std::vector<bool>{true, false}));
    lock.unlock();
    EXPECT_FALSE(v.breakerStatus().open);
    std::lock_guard tl(transport.mutex);
    ASSERT_FALSE(transport.gets.empty());
    EXPECT_EQ(transport.gets.front().url, "https://hc.example.org/v1/health");
    EXPECT_EQ(transport.gets.front().headers.at("Authorization"), "Bearer tok-123");
}

TEST(CircuitBreaker, ProbesAgainAfterAFailedProbe) {
    CircuitBreaker b(BreakerConfig{1, std::chrono::seconds{30}});
    const MonoTime t0{std::chrono::hours{1}};
    const UtcTime wall = *parseRfc3339("2026-12-08T08:00:00Z");
    EXPECT_FALSE(b.probeDue());
    EXPECT_TRUE(b.record(CallOutcome::Failure, t0, wall));
    EXPECT_EQ(b.probeDue(), t0 + std::chrono::seconds{30});
    EXPECT_EQ(b.status().openedAt, wall);
    EXPECT_FALSE(b.probed(false, t0 + std::chrono::seconds{30}));
    EXPECT_EQ(b.probeDue(), t0 + std::chrono::seconds{60});
    EXPECT_TRUE(b.probed(true, t0 + std::chrono::seconds{60}));
    EXPECT_FALSE(b.probeDue());
    EXPECT_EQ(b.status().probes, 2u);
    EXPECT_EQ(b.status().opened, 1u);
}

}  // namespace
}  // namespace sentinel::verify

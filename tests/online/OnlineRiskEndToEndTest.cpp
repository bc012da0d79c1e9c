// End to end, §5 v1.1 and §14: OnlineVerifier → CurlTransport → real TLS with pins on loopback →
// sentinel-hcsim (in process). Travel decisions against a risk-area list, pending results, document
// lookups, the health endpoint, the circuit breaker with the service stalled, and a canary region
// that never leaves the decision.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <fstream>
#include <mutex>

#include "drivers/net/CurlTransport.h"
#include "firmware/base/Log.h"
#include "firmware/verify/Hc1Verifier.h"
#include "firmware/verify/online/OnlineVerifier.h"
#include "tests/hcsim/HcSim.h"
#include "tests/support/TestSupport.h"

namespace sentinel {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
namespace codes = hcsim::codes;
namespace documents = hcsim::documents;

constexpr std::string_view kSubjectKey = "bench-device-secret";
constexpr auto kBudget = 3000ms;
// A stalled service: each traveller waits this long (the kiosk's budget, shortened for the test).
constexpr auto kStalledBudget = 800ms;
// §14: "≤ 50 ms after the read".
constexpr double kRefusalMs = 50.0;
constexpr std::string_view kCanaryRegion = "542621";  // 林芝市巴宜区: only in the canary's itinerary
constexpr std::string_view kCanaryCode = "HK1:SIMcanaryTravelHigh0001";

double msSince(Steady::time_point t) { return std::chrono::duration<double, std::milli>(Steady::now() - t).count(); }

class OnlineRiskEndToEnd : public ::testing::Test {
protected:
    void SetUp() override {
        hcsim::HcSimOptions options;
        options.codes = hcsim::codesWithCanaryTraveller(kCanaryCode, kCanaryRegion);
        auto started = hcsim::HcSim::start(options);
        ASSERT_TRUE(started) << started.error().message;
        sim_ = std::move(started.value());
        std::ofstream(dir_ / "ca.pem") << sim_->caPem();
        net::CurlConfig cc;
        cc.caFile = (dir_ / "ca.pem").string();
        cc.pins = {sim_->pin()};
        transport_ = std::make_unique<net::CurlTransport>(cc);
        const UtcTime now = clock_.now();
        std::string listText = hcsim::sampleRiskList(now - 1h, now - 1h, "e2e-1");
        // The canary's area, listed by prefecture: the list itself may name it, the itinerary not.
        listText.insert(listText.find("\"areas\":[") + 9, R"({"code":"5426","level":"high"},)");
        auto parsed = policy::parseRiskAreaList(listText);
        ASSERT_TRUE(parsed.list) << parsed.problems.front().message;
        list_ = parsed.list;
    }
    void TearDown() override {
        verifier_.reset();
        transport_.reset();  // the client first: it holds the keep-alive connection
        sim_.reset();
    }
    verify::OnlineVerifier& verifier(verify::BreakerConfig breaker = {}) {
        if (!verifier_) {
            verify::OnlineConfig oc{sim_->baseUrl(), "BJ-WEST-07", std::string(hcsim::kDefaultDeviceToken), 300};
            verifier_ = std::make_unique<verify::OnlineVerifier>(*transport_, clock_, oc, policy::PolicyConfig{}, breaker);
        }
        return *verifier_;
    }
    verify::OnlineResult scan(std::string_view code, std::chrono::milliseconds budget = kBudget) {
        return verifier().verify(code, Steady::now() + budget, kSubjectKey, policy::PolicyConfig{}, verify::RulesInForce{}, list_);
    }
    verify::OnlineResult lookUp(DocumentType type, std::string_view number) {
        IdentityDocument doc;
        doc.type = type;
        doc.number.assign(number);
        doc.birthDate.assign("1990-03-07");
        doc.nationality.assign("CHN");
        return verifier().verifyDocument(doc, Steady::now() + kBudget, kSubjectKey, policy::PolicyConfig{}, verify::RulesInForce{},
                                         list_);
    }

    testing::TempDir dir_;
    SystemClock clock_;
    std::unique_ptr<hcsim::HcSim> sim_;
    std::unique_ptr<net::CurlTransport> transport_;
    std::unique_ptr<verify::OnlineVerifier> verifier_;
    std::shared_ptr<const policy::RiskAreaList> list_;
};

TEST_F(OnlineRiskEndToEnd, TravelDecisionsAndRoutesFollowSection14) {
    for (const auto& c : codes::travelExpectations()) {
        const auto r = scan(c.code);
        EXPECT_EQ(toString(r.record.reason), c.reason) << c.code;
        EXPECT_EQ(r.record.route, c.route) << c.code;
        ASSERT_TRUE(r.record.risk) << c.code;
        EXPECT_EQ(r.record.risk->level, c.level) << c.code;
        EXPECT_EQ(r.record.risk->list, "e2e-1");
    }
    // A v1 answer: no travel, no risk.
    const auto v1 = scan(codes::kGreen);
    EXPECT_EQ(v1.record.reason, Reason::Ok);
    EXPECT_FALSE(v1.record.route);
    EXPECT_FALSE(v1.record.risk);
}

TEST_F(OnlineRiskEndToEnd, DocumentsAreLookedUpInTheSameData) {
    const auto high = lookUp(DocumentType::CnId, documents::kCnIdHigh);
    EXPECT_EQ(high.record.reason, Reason::RiskAreaHigh);
    EXPECT_EQ(high.record.format, "ID");
    EXPECT_EQ(high.record.subject, verify::subjectHash(kSubjectKey, std::string("CN-ID:") + std::string(documents::kCnIdHigh)));
    const auto request = sim_->lastRequest();
    ASSERT_TRUE(request);
    EXPECT_EQ(request->documentType, "CN-ID");
    EXPECT_EQ(request->documentNumber, documents::kCnIdHigh);
    EXPECT_EQ(request->birthDate, "1990-03-07");
    EXPECT_TRUE(request->code.empty());
    EXPECT_EQ(lookUp(DocumentType::CnId, documents::kCnIdLow).record.reason, Reason::Ok);
    const auto pending = lookUp(DocumentType::Passport, documents::kPassportPending);
    EXPECT_EQ(pending.record.reason, Reason::TestResultPending);
    EXPECT_EQ(pending.record.format, "MRZ");
    EXPECT_EQ(lookUp(DocumentType::Passport, "G00000000").record.reason, Reason::UnknownCode);
}

TEST_F(OnlineRiskEndToEnd, TheHealthEndpointAnswersWithServerTimeToTheDeviceTokenOnly) {
    hal::HttpRequest request;
    request.url = sim_->baseUrl() + "/v1/health";
    request.headers["Authorization"] = "Bearer " + std::string(hcsim::kDefaultDeviceToken);
    const auto ok = transport_->get(request, Steady::now() + kBudget);
    ASSERT_EQ(ok.outcome, hal::HttpOutcome::Response) << ok.detail;
    EXPECT_EQ(ok.status, 200);
    const auto body = nlohmann::json::parse(ok.body);
    EXPECT_TRUE(parseRfc3339(body.at("server_time").get<std::string>()));
    request.headers["Authorization"] = "Bearer wrong";
    EXPECT_EQ(transport_->get(request, Steady::now() + kBudget).status, 401);
    EXPECT_EQ(sim_->stats().health, 2u);
}

// §14: with the service stalled, the first three travellers wait out their budget; the 4th and
// later are answered REFER BACKEND_UNAVAILABLE within 50 ms; once the service answers again the
// health probe (after online.breaker_open_s = 1 s here) closes the breaker and codes pass again.
TEST_F(OnlineRiskEndToEnd, TheBreakerOpensOnAStalledServiceAndClosesWhenItAnswersAgain) {
    auto& v = verifier(verify::BreakerConfig{3, std::chrono::seconds{1}});
    std::mutex m;
    std::condition_variable cv;
    std::vector<bool> changes;
    v.onBreakerChange([&](const verify::BreakerStatus& s) {
        std::lock_guard lock(m);
        changes.push_back(s.open);
        cv.notify_all();
    });
    ASSERT_EQ(scan(codes::kGreen).record.reason, Reason::Ok);  // warm connection
    sim_->setStalled(true);
    for (int i = 1; i <= 3; ++i) {
        const auto t0 = Steady::now();
        const auto r = scan(codes::kGreen, kStalledBudget);
        EXPECT_EQ(r.record.reason, Reason::BackendTimeout) << "traveller " << i;
        EXPECT_GE(msSince(t0), 0.5 * kStalledBudget.count()) << "traveller " << i;
    }
    EXPECT_TRUE(v.breakerStatus().open);
    for (int i = 4; i <= 10; ++i) {
        const auto t0 = Steady::now();
        const auto r = scan(codes::kGreen, kStalledBudget);
        const double ms = msSince(t0);
        EXPECT_EQ(r.record.reason, Reason::BackendUnavailable) << "traveller " << i;
        EXPECT_EQ(r.record.route, "staff");
        EXPECT_LE(ms, kRefusalMs) << "traveller " << i;
    }
    EXPECT_EQ(v.breakerStatus().refused, 7u);
    sim_->setStalled(false);
    {
        std::unique_lock lock(m);
        ASSERT_TRUE(cv.wait_for(lock, 15s, [&] { return changes.size() == 2; })) << "the breaker did not close";
        EXPECT_EQ(changes, (std::vector<bool>{true, false}));
    }
    EXPECT_FALSE(v.breakerStatus().open);
    EXPECT_GE(sim_->stats().health, 1u);
    EXPECT_EQ(scan(codes::kGreen).record.reason, Reason::Ok);
}

TEST_F(OnlineRiskEndToEnd, TheCanaryRegionAppearsInNoRecordAndNoLog) {
    log::configure("*:Debug");
    ::testing::internal::CaptureStderr();
    const auto r = scan(kCanaryCode);
    const std::string record = toJsonLine(r.record);
    const std::string logs = ::testing::internal::GetCapturedStderr();
    log::configure("*:Warn");
    EXPECT_EQ(r.record.reason, Reason::RiskAreaHigh);
    EXPECT_EQ(record.find(kCanaryRegion), std::string::npos) << record;
    EXPECT_EQ(logs.find(kCanaryRegion), std::string::npos) << logs;
    EXPECT_EQ(r.holderMasked.find(kCanaryRegion), std::string::npos);
}

}  // namespace
}  // namespace sentinel

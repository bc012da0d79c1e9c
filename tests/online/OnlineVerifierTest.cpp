// OnlineVerifier against a scripted transport: the §5 contract, decided without a network.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "firmware/base/Log.h"
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
constexpr std::string_view kName = "王*";
constexpr std::string_view kId = "1101**********9999";

class ScriptedTransport final : public hal::HttpTransport {
public:
    HttpResponse next;
    std::vector<HttpRequest> seen;
    HttpResponse post(const HttpRequest& request, MonoTime) override {
        seen.push_back(request);
        return next;
    }
};

class OnlineVerifierTest : public ::testing::Test {
protected:
    testing::ManualClock clock;
    ScriptedTransport transport;
    OnlineConfig config{"https://hc.example.org/", "BJ-WEST-07", "tok-123", 300};
    policy::PolicyConfig policy;

    MonoTime deadline() const { return std::chrono::steady_clock::now() + 5s; }

    json answer(std::string status = "green", double testAgeH = 6, std::string result = "negative") {
        json tests = json::array();
        if (testAgeH >= 0) {
            tests.push_back({{"type", "NAAT"},
                             {"collected_at", formatRfc3339(clock.now() - std::chrono::milliseconds{static_cast<long long>(testAgeH * 3600000)})},
                             {"result", result}});
        }
        return {{"status", status},
                {"holder", {{"name_masked", kName}, {"id_masked", kId}}},
                {"tests", tests},
                {"server_time", formatRfc3339(clock.now())}};
    }
    void reply(long status, const std::string& body, HttpOutcome outcome = HttpOutcome::Response) {
        transport.next = HttpResponse{outcome, status, body, "scripted", 12.5};
    }
    OnlineResult run(std::string_view payload = kToken) {
        OnlineVerifier v(transport, clock, config, policy);
        return v.verify(payload, deadline(), kKey);
    }
};

TEST_F(OnlineVerifierTest, GreenFreshNegativeNaatPasses) {
    reply(200, answer().dump());
    auto r = run();
    EXPECT_EQ(r.record.decision, Decision::Pass);
    EXPECT_EQ(r.record.reason, Reason::Ok);
    EXPECT_EQ(r.record.format, "HK1");
    EXPECT_EQ(r.record.code, "green");
    ASSERT_TRUE(r.record.test);
    EXPECT_EQ(r.record.test->type, TestType::Naat);
    EXPECT_NEAR(r.record.test->ageHours, 6.0, 0.01);
    EXPECT_EQ(r.record.stages.prefix, true);
    EXPECT_EQ(r.record.stages.policy, true);
    EXPECT_FALSE(r.record.stages.base45 || r.record.stages.signature || r.record.stages.expiry);
    EXPECT_EQ(r.record.latency.backendMs, 12.5);
    EXPECT_EQ(r.holderMasked, kName);
    EXPECT_EQ(r.idMasked, kId);
}

TEST_F(OnlineVerifierTest, RequestFollowsDesignSection5) {
    reply(200, answer().dump());
    run();
    ASSERT_EQ(transport.seen.size(), 1u);
    const auto& req = transport.seen[0];
    EXPECT_EQ(req.url, "https://hc.example.org/v1/verify");
    EXPECT_EQ(req.contentType, "application/json");
    EXPECT_EQ(req.headers.at("Authorization"), "Bearer tok-123");
    json body = json::parse(req.body);
    EXPECT_EQ(body["code"], kToken);
    EXPECT_EQ(body["kiosk_id"], "BJ-WEST-07");
    EXPECT_EQ(body["scanned_at"], formatRfc3339(clock.now()));
    const std::string id = body["request_id"];
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[14], '4');  // version 4
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);  // RFC 9562 variant
}

TEST_F(OnlineVerifierTest, TokenFileNewlineIsNotSentInTheHeader) {
    config.deviceToken = "tok-123\n";
    reply(200, answer().dump());
    run();
    ASSERT_EQ(transport.seen.size(), 1u);
    EXPECT_EQ(transport.seen[0].headers.at("Authorization"), "Bearer tok-123");
}

TEST_F(OnlineVerifierTest, EveryRequestHasItsOwnRequestId) {
    reply(200, answer().dump());
    run();
    run();
    ASSERT_EQ(transport.seen.size(), 2u);
    EXPECT_NE(json::parse(transport.seen[0].body)["request_id"], json::parse(transport.seen[1].body)["request_id"]);
}

TEST_F(OnlineVerifierTest, SubjectIsHmacSha256OfTheTokenInLowercaseHex) {
    reply(200, answer().dump());
    auto r = run();
    // printf '%s' AbCdEfGhIjKlMnOpQr_-12 | openssl dgst -sha256 -hmac device-secret
    EXPECT_EQ(r.record.subject, "fc2bedfa3aefbaf1e397fdfa879f493af67d7454f6d7ff3f2eba47d52bcd6c5d");
}

TEST_F(OnlineVerifierTest, YellowAndRedAreCodeNotGreen) {
    for (const char* colour : {"yellow", "red"}) {
        reply(200, answer(colour).dump());
        auto r = run();
        EXPECT_EQ(r.record.reason, Reason::CodeNotGreen) << colour;
        EXPECT_EQ(r.record.decision, Decision::Deny) << colour;
        EXPECT_EQ(r.record.code, colour);
        EXPECT_EQ(r.record.stages.policy, false);
    }
}

TEST_F(OnlineVerifierTest, TestOlderThan48HoursIsTooOld) {
    reply(200, answer("green", 48.01).dump());
    EXPECT_EQ(run().record.reason, Reason::TestTooOld);
}

TEST_F(OnlineVerifierTest, TestOfExactly48HoursPasses) {
    reply(200, answer("green", 48.0).dump());
    EXPECT_EQ(run().record.reason, Reason::Ok);
}

TEST_F(OnlineVerifierTest, PositiveTestIsDenied) {
    reply(200, answer("green", 3, "positive").dump());
    EXPECT_EQ(run().record.reason, Reason::TestPositive);
}

TEST_F(OnlineVerifierTest, NoTestIsNoTestResult) {
    reply(200, answer("green", -1).dump());
    EXPECT_EQ(run().record.reason, Reason::NoTestResult);
}

TEST_F(OnlineVerifierTest, NewerAntigenTestDoesNotHideAValidNaat) {
    json a = answer("green", 20);
    a["tests"].insert(a["tests"].begin(), json{{"type", "RAT"}, {"collected_at", formatRfc3339(clock.now() - 1h)}, {"result", "negative"}});
    reply(200, a.dump());
    auto r = run();
    EXPECT_EQ(r.record.reason, Reason::Ok);
    ASSERT_TRUE(r.record.test);
    EXPECT_EQ(r.record.test->type, TestType::Naat);
}

TEST_F(OnlineVerifierTest, AntigenOnlyIsNotAcceptedByDefault) {
    json a = answer("green", -1);
    a["tests"].push_back(json{{"type", "RAT"}, {"collected_at", formatRfc3339(clock.now() - 1h)}, {"result", "negative"}});
    reply(200, a.dump());
    EXPECT_EQ(run().record.reason, Reason::TestTypeNotAccepted);
}

TEST_F(OnlineVerifierTest, AntigenCountsWhenThePolicyAcceptsIt) {
    policy.maxTestAgeRatH = 24;
    json a = answer("green", -1);
    a["tests"].push_back(json{{"type", "RAT"}, {"collected_at", formatRfc3339(clock.now() - 1h)}, {"result", "negative"}});
    reply(200, a.dump());
    EXPECT_EQ(run().record.reason, Reason::Ok);
}

TEST_F(OnlineVerifierTest, UnknownCodeIsDenied) {
    reply(404, R"({"error":"unknown code"})");
    auto r = run();
    EXPECT_EQ(r.record.reason, Reason::UnknownCode);
    EXPECT_EQ(r.record.decision, Decision::Deny);
}

TEST_F(OnlineVerifierTest, RejectedKioskCredentialIsReferredAsBackendError) {
    for (long status : {401L, 403L}) {
        reply(status, R"({"error":"unauthorized"})");
        auto r = run();
        EXPECT_EQ(r.record.reason, Reason::BackendError) << status;
        EXPECT_EQ(r.record.decision, Decision::Refer) << status;
    }
}

TEST_F(OnlineVerifierTest, OtherStatusesAreBackendErrors) {
    for (long status : {500L, 502L, 503L, 400L, 302L, 201L}) {
        reply(status, answer().dump());
        EXPECT_EQ(run().record.reason, Reason::BackendError) << status;
    }
}

TEST_F(OnlineVerifierTest, TransportFailuresAreBackendErrors) {
    for (auto outcome : {HttpOutcome::TooLarge, HttpOutcome::Redirect, HttpOutcome::TlsError, HttpOutcome::NetError}) {
        reply(200, answer().dump(), outcome);
        auto r = run();
        EXPECT_EQ(r.record.reason, Reason::BackendError) << static_cast<int>(outcome);
        EXPECT_TRUE(r.holderMasked.empty());
    }
}

TEST_F(OnlineVerifierTest, TimeoutIsBackendTimeout) {
    reply(0, "", HttpOutcome::Timeout);
    auto r = run();
    EXPECT_EQ(r.record.reason, Reason::BackendTimeout);
    EXPECT_EQ(r.record.decision, Decision::Refer);
}

TEST_F(OnlineVerifierTest, MalformedAnswersAreBackendErrors) {
    std::vector<std::string> bodies = {
        "", "not json", "[]", "{}", R"({"status":"green"})",
        answer("purple").dump(),
    };
    auto edited = [&](auto edit) {
        json a = answer();
        edit(a);
        bodies.push_back(a.dump());
    };
    edited([](json& a) { a.erase("server_time"); });
    edited([](json& a) { a["server_time"] = "yesterday"; });
    edited([](json& a) { a.erase("tests"); });
    edited([](json& a) { a["tests"] = "none"; });
    edited([](json& a) { a["tests"][0]["collected_at"] = "2026-13-01T00:00:00Z"; });
    edited([](json& a) { a["tests"][0].erase("type"); });
    edited([](json& a) { a["tests"][0]["result"] = "inconclusive"; });
    edited([](json& a) { a["tests"][0] = 7; });
    edited([](json& a) { a["status"] = 1; });
    edited([](json& a) { a["holder"] = "张三"; });
    for (const auto& body : bodies) {
        reply(200, body);
        auto r = run();
        EXPECT_EQ(r.record.reason, Reason::BackendError) << body;
        EXPECT_NE(r.record.decision, Decision::Pass) << body;
    }
}

TEST_F(OnlineVerifierTest, ServerClockBeyondMaxSkewIsClockUntrusted) {
    for (auto skew : {301s, -301s}) {
        json a = answer();
        a["server_time"] = formatRfc3339(clock.now() + skew);
        reply(200, a.dump());
        auto r = run();
        EXPECT_EQ(r.record.reason, Reason::ClockUntrusted) << skew.count();
        EXPECT_EQ(r.record.decision, Decision::Refer);
    }
}

TEST_F(OnlineVerifierTest, ServerClockWithinMaxSkewIsTrusted) {
    for (auto skew : {300s, -300s}) {
        json a = answer();
        a["server_time"] = formatRfc3339(clock.now() + skew);
        reply(200, a.dump());
        EXPECT_EQ(run().record.reason, Reason::Ok) << skew.count();
    }
}

TEST_F(OnlineVerifierTest, EmptyBaseUrlIsBackendNotConfiguredWithoutNetwork) {
    config.baseUrl.clear();
    auto r = run();
    EXPECT_EQ(r.record.reason, Reason::BackendNotConfigured);
    EXPECT_EQ(r.record.decision, Decision::Refer);
    EXPECT_TRUE(transport.seen.empty());
    EXPECT_FALSE(r.record.subject.empty());
}

TEST_F(OnlineVerifierTest, NonHk1PayloadIsUnsupported) {
    auto r = run("HC1:NCFOXN%TS3DH");
    EXPECT_EQ(r.record.reason, Reason::UnsupportedFormat);
    EXPECT_EQ(r.record.stages.prefix, false);
    EXPECT_TRUE(transport.seen.empty());
}

TEST_F(OnlineVerifierTest, BadTokenIsMalformedWithoutNetwork) {
    for (std::string_view p : {"HK1:short", "HK1:has spaces in the token!!", "HK1:"}) {
        auto r = run(p);
        EXPECT_EQ(r.record.reason, Reason::Malformed) << p;
        EXPECT_EQ(r.record.stages.prefix, true);
    }
    EXPECT_TRUE(transport.seen.empty());
}

TEST_F(OnlineVerifierTest, LogsHoldNeitherTokenNorHolder) {
    log::configure("*:Debug");
    ::testing::internal::CaptureStderr();
    reply(200, answer().dump());
    run();
    reply(404, "{}");
    run();
    reply(0, "", HttpOutcome::Timeout);
    run();
    const std::string logs = ::testing::internal::GetCapturedStderr();
    log::configure("*:Warn");
    EXPECT_FALSE(logs.empty());
    EXPECT_EQ(logs.find(kToken.substr(4)), std::string::npos);
    EXPECT_EQ(logs.find(kName), std::string::npos);
    EXPECT_EQ(logs.find(kId), std::string::npos);
}

}  // namespace
}  // namespace sentinel::verify

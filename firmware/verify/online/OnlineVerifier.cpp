#include "firmware/verify/online/OnlineVerifier.h"

#include <openssl/rand.h>

#include <array>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "firmware/base/Log.h"
#include "firmware/verify/Hc1Verifier.h"
#include "firmware/credential/Hc1.h"

namespace sentinel::verify {
namespace {

using json = nlohmann::json;
using hal::HttpOutcome;

constexpr std::string_view kLog = "Online";
constexpr std::string_view kVerifyPath = "/v1/verify";  // DESIGN §5
constexpr std::size_t kSubjectLogChars = 12;            // enough to correlate log lines, not to track

// RFC 9562 version 4 (random) UUID.
std::string newRequestId() {
    std::array<unsigned char, 16> b{};
    if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) return {};
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
    char text[37];
    std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                  b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return text;
}

struct ServiceAnswer {
    std::string status;
    std::string nameMasked, idMasked;
    std::vector<policy::TestEntry> tests;
    UtcTime serverTime;
};

std::optional<std::string> stringField(const json& j, const char* key) {
    if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
    return j[key].get<std::string>();
}

// Strict reading of the §5 200 body; nullopt for anything off-contract (→ BACKEND_ERROR).
std::optional<ServiceAnswer> parseAnswer(const std::string& body, std::string& why) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        why = "body is not a JSON object";
        return std::nullopt;
    }
    ServiceAnswer a;
    auto status = stringField(j, "status");
    if (!status || (*status != "green" && *status != "yellow" && *status != "red")) {
        why = "status missing or not green|yellow|red";
        return std::nullopt;
    }
    a.status = *status;
    auto serverTime = stringField(j, "server_time");
    auto parsedTime = serverTime ? parseRfc3339(*serverTime) : std::nullopt;
    if (!parsedTime) {
        why = "server_time missing or not RFC 3339";
        return std::nullopt;
    }
    a.serverTime = *parsedTime;
    if (j.contains("holder")) {
        const auto& h = j["holder"];
        if (!h.is_object() && !h.is_null()) {
            why = "holder is not an object";
            return std::nullopt;
        }
        if (h.is_object()) {
            a.nameMasked = stringField(h, "name_masked").value_or("");
            a.idMasked = stringField(h, "id_masked").value_or("");
        }
    }
    if (!j.contains("tests") || !j["tests"].is_array()) {
        why = "tests missing or not an array";
        return std::nullopt;
    }
    for (const auto& t : j["tests"]) {
        auto type = t.is_object() ? stringField(t, "type") : std::nullopt;
        auto collected = t.is_object() ? stringField(t, "collected_at") : std::nullopt;
        auto result = t.is_object() ? stringField(t, "result") : std::nullopt;
        auto when = collected ? parseRfc3339(*collected) : std::nullopt;
        if (!type || !when || !result || (*result != "negative" && *result != "positive")) {
            why = "a test lacks type, an RFC 3339 collected_at or a negative|positive result";
            return std::nullopt;
        }
        policy::TestEntry e;
        e.type = *type == "NAAT" ? TestType::Naat : *type == "RAT" ? TestType::Rat : TestType::Other;
        e.collectedAt = when;
        e.negative = *result == "negative";
        e.result = *result;
        a.tests.push_back(std::move(e));
    }
    return a;
}

const char* outcomeName(HttpOutcome o) {
    switch (o) {
        case HttpOutcome::Response: return "response";
        case HttpOutcome::Timeout: return "timeout";
        case HttpOutcome::TooLarge: return "oversize body";
        case HttpOutcome::Redirect: return "redirect";
        case HttpOutcome::TlsError: return "TLS/pin failure";
        case HttpOutcome::NetError: return "network error";
    }
    return "?";
}

}  // namespace

OnlineVerifier::OnlineVerifier(hal::HttpTransport& transport, const Clock& clock, OnlineConfig config,
                               policy::PolicyConfig policy)
    : transport_(transport), clock_(clock), config_(std::move(config)), policy_(std::move(policy)) {
    builtin_.builtin = makeBuiltinRules(policy_, builtin_.country);
    // A token file usually ends with a newline; a header value must not carry one.
    constexpr std::string_view kSpace = " \t\r\n";
    auto& token = config_.deviceToken;
    token.erase(0, std::min(token.find_first_not_of(kSpace), token.size()));
    token.erase(token.find_last_not_of(kSpace) + 1);
    if (!config_.baseUrl.empty()) {
        url_ = config_.baseUrl;
        while (!url_.empty() && url_.back() == '/') url_.pop_back();
        url_ += kVerifyPath;
    }
}

OnlineResult OnlineVerifier::verify(std::string_view payload, MonoTime deadline, std::string_view subjectKey) {
    return verify(payload, deadline, subjectKey, policy_, builtin_);
}

OnlineResult OnlineVerifier::verify(std::string_view payload, MonoTime deadline, std::string_view subjectKey,
                                    const policy::PolicyConfig& policy, const RulesInForce& rules) {
    OnlineResult out;
    DecisionRecord& rec = out.record;
    rec.format = "HK1";
    if (!payload.starts_with(credential::kHk1Prefix)) {
        rec.format.clear();
        rec.stages.prefix = false;
        rec.decide(Reason::UnsupportedFormat);
        return out;
    }
    rec.stages.prefix = true;
    if (!credential::isHk1Token(payload)) {
        rec.decide(Reason::Malformed);
        return out;
    }
    const auto token = payload.substr(credential::kHk1Prefix.size());
    rec.subject = verify::subjectHash(subjectKey, token);
    const std::string subjectLog = rec.subject.substr(0, kSubjectLogChars);

    if (url_.empty()) {
        SLOG(kLog, Warn) << "no health-code service configured: REFER (subject " << subjectLog << ")";
        rec.decide(Reason::BackendError);
        return out;
    }

    hal::HttpRequest request;
    request.url = url_;
    request.contentType = "application/json";
    request.headers["Authorization"] = "Bearer " + config_.deviceToken;
    request.body = json{{"code", std::string(payload)},
                        {"kiosk_id", config_.kioskId},
                        {"request_id", newRequestId()},
                        {"scanned_at", formatRfc3339(clock_.now())}}
                       .dump();
    const hal::HttpResponse response = transport_.post(request, deadline);
    rec.latency.backendMs = response.elapsedMs;

    auto refer = [&](Reason reason, std::string_view why) -> OnlineResult& {
        rec.decide(reason);
        SLOG(kLog, Warn) << toString(reason) << ": " << why << " after " << std::lround(response.elapsedMs)
                         << " ms (subject " << subjectLog << ")";
        return out;
    };
    if (response.outcome == HttpOutcome::Timeout) return refer(Reason::BackendTimeout, response.detail);
    if (response.outcome != HttpOutcome::Response) {
        return refer(Reason::BackendError, std::string(outcomeName(response.outcome)) + ": " + response.detail);
    }
    if (response.status == 404) {
        rec.decide(Reason::UnknownCode);
        SLOG(kLog, Info) << "UNKNOWN_CODE (subject " << subjectLog << ")";
        return out;
    }
    if (response.status == 401 || response.status == 403) {
        return refer(Reason::BackendError,
                     "HTTP " + std::to_string(response.status) + ": the service rejects this kiosk's credential");
    }
    if (response.status != 200) return refer(Reason::BackendError, "HTTP " + std::to_string(response.status));

    std::string why;
    auto answer = parseAnswer(response.body, why);
    if (!answer) return refer(Reason::BackendError, "malformed answer: " + why);

    const UtcTime now = clock_.now();
    rec.code = answer->status;
    const auto skewMs = std::llabs((now - answer->serverTime).count());
    if (skewMs > static_cast<long long>(config_.maxSkewS) * 1000) {
        return refer(Reason::ClockUntrusted, "kiosk and service clocks differ by " + std::to_string(skewMs / 1000) + " s");
    }

    policy::PolicyInput input;
    input.statusColour = answer->status;
    input.tests = answer->tests;  // policy picks the newest test of an accepted type
    rec.test = policy::testSummary(input, now, policy);
    // §12: the built-in rules made from `policy` decide (colour first), or a loaded rule set decides
    // the code the service calls acceptable (policy.accept_status still gates the colour: a rule set
    // cannot turn a red code green).
    Reason reason = Reason::InternalError;
    if (!rules.set) {
        reason = decideBuiltin(*builtinRulesFor(rules.builtin, policy, rules.country), input, now);
    } else if (!policy::acceptsColour(answer->status, policy)) {
        reason = Reason::CodeNotGreen;
    } else {
        rules::External external;
        external.code = json{{"format", "HK1"}, {"status", answer->status}};
        const auto kind = answer->tests.empty() ? rules::CertificateKind::None : rules::CertificateKind::Test;
        const auto check = checkRules(*rules.set, rules.country, kind, now, onlinePayload(answer->tests), external);
        rec.rules = check.outcome;
        reason = check.passed ? Reason::Ok : Reason::RuleNotMet;
    }
    rec.stages.policy = reason == Reason::Ok;
    rec.decide(reason);
    out.holderMasked = std::move(answer->nameMasked);
    out.idMasked = std::move(answer->idMasked);
    SLOG(kLog, Info) << toString(rec.reason) << " in " << std::lround(response.elapsedMs) << " ms (subject "
                     << subjectLog << ")";
    return out;
}

}  // namespace sentinel::verify

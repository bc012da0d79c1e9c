#include "firmware/verify/online/OnlineVerifier.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "firmware/base/Log.h"
#include "firmware/base/Secret.h"
#include "firmware/credential/Hc1.h"
#include "firmware/verify/Hc1Verifier.h"

namespace sentinel::verify {
namespace {

using json = nlohmann::json;
using hal::HttpOutcome;

constexpr std::string_view kLog = "Online";
constexpr std::string_view kVerifyPath = "/v1/verify";  // DESIGN §5
constexpr std::string_view kHealthPath = "/v1/health";  // DESIGN §5 v1.1
constexpr std::size_t kSubjectLogChars = 12;            // enough to correlate log lines, not to track
constexpr long kHttpOk = 200;
constexpr long kHttpNotFound = 404;
constexpr long kHttpClientErrors = 400;  // 4xx: the service answered (the breaker's success)
constexpr long kHttpServerErrors = 500;  // 5xx: the breaker's failure

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
    std::optional<policy::Itinerary> travel;  // nullopt: a v1 answer (no travel data)
    UtcTime serverTime;
};

std::optional<std::string> stringField(const json& j, const char* key) {
    if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
    return j[key].get<std::string>();
}

// §5 v1.1 travel: [{"region":"110105","from":"<RFC 3339>","to":"<RFC 3339>"|null}], at most kMaxStays.
bool parseTravel(const json& travel, policy::Itinerary& out, std::string& why) {
    if (!travel.is_array()) {
        why = "travel is not an array";
        return false;
    }
    if (travel.size() > policy::kMaxStays) {
        why = "travel has more than " + std::to_string(policy::kMaxStays) + " stays";
        return false;
    }
    for (const auto& stay : travel) {
        const auto region = stay.is_object() ? stringField(stay, "region") : std::nullopt;
        const auto from = stay.is_object() ? stringField(stay, "from") : std::nullopt;
        const auto fromTime = from ? parseRfc3339(*from) : std::nullopt;
        std::optional<UtcTime> to;
        bool toOk = true;
        if (stay.is_object() && stay.contains("to") && !stay["to"].is_null()) {
            const auto text = stringField(stay, "to");
            to = text ? parseRfc3339(*text) : std::nullopt;
            toOk = to.has_value();
        }
        if (!region || !fromTime || !toOk || !out.add(*region, *fromTime, to)) {
            why = "a stay lacks a 6-digit region, an RFC 3339 from, or an RFC 3339 or null to";
            return false;
        }
    }
    return true;
}

// Strict reading of the §5 200 body (with v1.1 travel and pending results); nullopt for anything
// off-contract (→ BACKEND_ERROR).
std::optional<ServiceAnswer> parseAnswer(const json& j, std::string& why) {
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
        if (!type || !when || !result || (*result != "negative" && *result != "positive" && *result != "pending")) {
            why = "a test lacks type, an RFC 3339 collected_at or a negative|positive|pending result";
            return std::nullopt;
        }
        policy::TestEntry e;
        e.type = *type == "NAAT" ? TestType::Naat : *type == "RAT" ? TestType::Rat : TestType::Other;
        e.collectedAt = when;
        e.negative = *result == "negative";
        e.pending = *result == "pending";
        e.result = *result;
        a.tests.push_back(std::move(e));
    }
    if (j.contains("travel") && !j["travel"].is_null()) {
        a.travel.emplace();
        if (!parseTravel(j["travel"], *a.travel, why)) return std::nullopt;
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

// §14: what a call's outcome means to the breaker.
CallOutcome breakerOutcome(const hal::HttpResponse& r) {
    switch (r.outcome) {
        case HttpOutcome::Timeout:
        case HttpOutcome::TlsError:
        case HttpOutcome::NetError: return CallOutcome::Failure;
        case HttpOutcome::TooLarge:
        case HttpOutcome::Redirect: return CallOutcome::Neutral;
        case HttpOutcome::Response: break;
    }
    if (r.status >= kHttpServerErrors) return CallOutcome::Failure;
    if (r.status >= kHttpClientErrors) return CallOutcome::Success;
    return r.status == kHttpOk ? CallOutcome::Success : CallOutcome::Neutral;  // a 200 is Success once it parses
}

// JSON string contents (RFC 8259 §7), appended to a secret buffer.
void appendJsonString(SecretString& out, std::string_view s) {
    out.append("\"");
    for (const char c : s) {
        char escaped[8];
        if (c == '"' || c == '\\') {
            escaped[0] = '\\';
            escaped[1] = c;
            out.append({escaped, 2});
        } else if (static_cast<unsigned char>(c) < 0x20) {
            std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
            out.append({escaped, 6});
            secureZero(escaped, sizeof escaped);
        } else {
            out.append({&c, 1});
        }
    }
    out.append("\"");
}

std::string subjectLogOf(const std::string& subject) { return subject.substr(0, kSubjectLogChars); }

}  // namespace

struct OnlineVerifier::Lookup {
    OnlineResult out;
    std::string subjectLog;
    SecretString body;  // the request body: for a document, personal data
};

OnlineVerifier::OnlineVerifier(hal::HttpTransport& transport, const Clock& clock, OnlineConfig config,
                               policy::PolicyConfig policy, BreakerConfig breaker)
    : transport_(transport),
      clock_(clock),
      config_(std::move(config)),
      policy_(std::move(policy)),
      breaker_(breaker) {
    builtin_.builtin = makeBuiltinRules(policy_, builtin_.country);
    // A token file usually ends with a newline; a header value must not carry one.
    constexpr std::string_view kSpace = " \t\r\n";
    auto& token = config_.deviceToken;
    token.erase(0, std::min(token.find_first_not_of(kSpace), token.size()));
    token.erase(token.find_last_not_of(kSpace) + 1);
    if (!config_.baseUrl.empty()) {
        std::string base = config_.baseUrl;
        while (!base.empty() && base.back() == '/') base.pop_back();
        url_ = base + std::string(kVerifyPath);
        healthUrl_ = base + std::string(kHealthPath);
        prober_ = std::jthread([this](std::stop_token stop) { probeLoop(stop); });
    }
}

OnlineVerifier::~OnlineVerifier() {
    if (prober_.joinable()) {
        prober_.request_stop();
        prober_.join();
    }
}

OnlineResult OnlineVerifier::verify(std::string_view payload, MonoTime deadline, std::string_view subjectKey) {
    return verify(payload, deadline, subjectKey, policy_, builtin_, nullptr);
}

OnlineResult OnlineVerifier::verify(std::string_view payload, MonoTime deadline, std::string_view subjectKey,
                                    const policy::PolicyConfig& policy, const RulesInForce& rules,
                                    std::shared_ptr<const policy::RiskAreaList> riskList) {
    Lookup l;
    DecisionRecord& rec = l.out.record;
    rec.format = "HK1";
    if (!payload.starts_with(credential::kHk1Prefix)) {
        rec.format.clear();
        rec.stages.prefix = false;
        rec.decide(Reason::UnsupportedFormat);
        return std::move(l.out);
    }
    rec.stages.prefix = true;
    if (!credential::isHk1Token(payload)) {
        rec.decide(Reason::Malformed);
        return std::move(l.out);
    }
    const auto token = payload.substr(credential::kHk1Prefix.size());
    rec.subject = verify::subjectHash(subjectKey, token);
    l.subjectLog = subjectLogOf(rec.subject);
    l.body.assign(json{{"code", std::string(payload)},
                       {"kiosk_id", config_.kioskId},
                       {"request_id", newRequestId()},
                       {"scanned_at", formatRfc3339(clock_.now())}}
                      .dump());
    return lookup(l, deadline, policy, rules, riskList);
}

OnlineResult OnlineVerifier::verifyDocument(const IdentityDocument& document, MonoTime deadline, std::string_view subjectKey,
                                            const policy::PolicyConfig& policy, const RulesInForce& rules,
                                            std::shared_ptr<const policy::RiskAreaList> riskList) {
    Lookup l;
    DecisionRecord& rec = l.out.record;
    rec.format = std::string(recordFormat(document.type));
    const std::string_view type = toString(document.type);
    {
        SecretString identifier;
        identifier.assign(type);
        identifier.append(":");
        identifier.append(document.number.view());
        rec.subject = verify::subjectHash(subjectKey, identifier.view());
    }
    l.subjectLog = subjectLogOf(rec.subject);
    SecretString& body = l.body;  // grows by copying into a fresh buffer and wiping the old one
    body.append(R"({"document":{"type":)");
    appendJsonString(body, type);
    body.append(R"(,"number":)");
    appendJsonString(body, document.number.view());
    body.append(R"(,"birth_date":)");
    appendJsonString(body, document.birthDate.view());
    body.append(R"(,"nationality":)");
    appendJsonString(body, document.nationality.view());
    body.append(R"(},"kiosk_id":)");
    body.append(json(config_.kioskId).dump());
    body.append(R"(,"request_id":")");
    body.append(newRequestId());
    body.append(R"(","scanned_at":")");
    body.append(formatRfc3339(clock_.now()));
    body.append("\"}");
    return lookup(l, deadline, policy, rules, riskList);
}

OnlineResult OnlineVerifier::lookup(Lookup& l, MonoTime deadline, const policy::PolicyConfig& policy, const RulesInForce& rules,
                                    const std::shared_ptr<const policy::RiskAreaList>& riskList) {
    DecisionRecord& rec = l.out.record;
    auto finish = [&](Reason reason) -> OnlineResult {
        rec.decide(reason);
        if (const auto route = policy::routeFor(rec.reason)) rec.route = std::string(*route);
        l.body.wipe();
        return std::move(l.out);
    };
    if (url_.empty()) {
        SLOG(kLog, Warn) << "no health-code service configured (online.base_url): REFER (subject " << l.subjectLog << ")";
        return finish(Reason::BackendNotConfigured);
    }
    {
        std::lock_guard lock(mutex_);
        if (breaker_.refuse()) {
            SLOG(kLog, Info) << "BACKEND_UNAVAILABLE: circuit breaker open (subject " << l.subjectLog << ")";
            return finish(Reason::BackendUnavailable);
        }
    }

    hal::HttpRequest request;
    request.url = url_;
    request.contentType = "application/json";
    request.headers["Authorization"] = "Bearer " + config_.deviceToken;
    request.body.reserve(l.body.size());
    request.body.assign(l.body.view());
    l.body.wipe();
    hal::HttpResponse response = transport_.post(request, deadline);
    secureZero(request.body.data(), request.body.size());
    rec.latency.backendMs = response.elapsedMs;
    CallOutcome outcome = breakerOutcome(response);

    auto refer = [&](Reason reason, std::string_view why) -> OnlineResult {
        SLOG(kLog, Warn) << toString(reason) << ": " << why << " after " << std::lround(response.elapsedMs) << " ms (subject "
                         << l.subjectLog << ")";
        recordOutcome(outcome);
        secureZero(response.body.data(), response.body.size());
        return finish(reason);
    };
    if (response.outcome == HttpOutcome::Timeout) return refer(Reason::BackendTimeout, response.detail);
    if (response.outcome != HttpOutcome::Response) {
        return refer(Reason::BackendError, std::string(outcomeName(response.outcome)) + ": " + response.detail);
    }
    if (response.status == kHttpNotFound) {
        recordOutcome(outcome);
        SLOG(kLog, Info) << "UNKNOWN_CODE (subject " << l.subjectLog << ")";
        return finish(Reason::UnknownCode);
    }
    if (response.status == 401 || response.status == 403) {
        return refer(Reason::BackendError, "HTTP " + std::to_string(response.status) + ": the service rejects this kiosk's credential");
    }
    if (response.status != kHttpOk) return refer(Reason::BackendError, "HTTP " + std::to_string(response.status));

    std::string why;
    json body = json::parse(response.body, nullptr, false);
    secureZero(response.body.data(), response.body.size());
    auto answer = parseAnswer(body, why);
    wipeStrings(body);  // the itinerary and the masked holder: in the decision only (STYLE 19)
    if (!answer) {
        outcome = CallOutcome::Neutral;
        return refer(Reason::BackendError, "malformed answer: " + why);
    }
    recordOutcome(CallOutcome::Success);

    const UtcTime now = clock_.now();
    rec.code = answer->status;
    const auto skewMs = std::llabs((now - answer->serverTime).count());
    if (skewMs > static_cast<long long>(config_.maxSkewS) * 1000) {
        SLOG(kLog, Warn) << "CLOCK_UNTRUSTED: kiosk and service clocks differ by " << skewMs / 1000 << " s (subject " << l.subjectLog
                         << ")";
        return finish(Reason::ClockUntrusted);
    }

    policy::PolicyInput input;
    input.statusColour = answer->status;
    input.tests = answer->tests;  // policy picks the newest test of an accepted type
    input.travel = std::move(answer->travel);
    answer->travel.reset();
    rec.test = policy::testSummary(input, now, policy);
    rec.risk = policy::riskOutcome(input, now, policy, riskList.get());
    // §12: the built-in rules made from `policy` decide (colour first), or a loaded rule set decides
    // the code the service calls acceptable (policy.accept_status still gates the colour: a rule set
    // cannot turn a red code green).
    Reason reason = Reason::InternalError;
    if (!rules.set) {
        reason = decideBuiltin(*builtinRulesFor(rules.builtin, policy, rules.country), input, now, riskList.get(),
                               riskSets_.get(riskList, now));
    } else if (!policy::acceptsColour(answer->status, policy)) {
        reason = Reason::CodeNotGreen;
    } else {
        rules::External external;
        external.code = onlineCodeJson(answer->status, input.travel.has_value());
        external.riskList = riskListJson(riskList.get());
        const bool completedTest = std::any_of(input.tests.begin(), input.tests.end(), [](const auto& t) { return !t.pending; });
        const auto kind = completedTest ? rules::CertificateKind::Test : rules::CertificateKind::None;
        const auto check = checkRules(*rules.set, rules.country, kind, now, onlinePayload(input, now), external,
                                      riskSets_.get(riskList, now));
        rec.rules = check.outcome;
        reason = check.passed ? Reason::Ok : Reason::RuleNotMet;
    }
    input.travel.reset();  // zeroised (Itinerary's destructor) as soon as it is no longer needed
    rec.stages.policy = reason == Reason::Ok;
    l.out.holderMasked = std::move(answer->nameMasked);
    l.out.idMasked = std::move(answer->idMasked);
    SLOG(kLog, Info) << toString(reason) << " in " << std::lround(response.elapsedMs) << " ms (subject " << l.subjectLog << ")";
    return finish(reason);
}

void OnlineVerifier::recordOutcome(CallOutcome outcome) {
    BreakerStatus status;
    {
        std::lock_guard lock(mutex_);
        if (!breaker_.record(outcome, std::chrono::steady_clock::now(), clock_.now())) return;
        status = breaker_.status();
        changes_.push_back(status);
    }
    wake_.notify_all();
    SLOG(kLog, Warn) << "circuit breaker open after " << status.consecutiveFailures
                     << " consecutive failures: online presentations REFER BACKEND_UNAVAILABLE; health probe in "
                     << breaker_.config().openFor.count() << " s";
    deliverChanges();
}

void OnlineVerifier::deliverChanges() {
    // Opening (decision thread) and closing (probe thread) may race to the listener: changes are
    // queued as they happen, under the breaker's lock, and handed over in that order, one at a time.
    std::lock_guard delivering(deliveryMutex_);
    for (;;) {
        BreakerStatus status;
        std::function<void(const BreakerStatus&)> listener;
        {
            std::lock_guard lock(mutex_);
            if (changes_.empty()) return;
            status = changes_.front();
            changes_.pop_front();
            listener = listener_;
        }
        if (listener) listener(status);
    }
}

bool OnlineVerifier::probeHealth() {
    hal::HttpRequest request;
    request.url = healthUrl_;
    request.headers["Authorization"] = "Bearer " + config_.deviceToken;
    const auto response = transport_.get(request, std::chrono::steady_clock::now() + breaker_.config().probeTimeout);
    if (response.outcome != HttpOutcome::Response) {
        SLOG(kLog, Info) << "health probe: " << outcomeName(response.outcome) << ": " << response.detail;
        return false;
    }
    if (response.status >= kHttpClientErrors && response.status < kHttpServerErrors) return true;  // the service answers
    if (response.status != kHttpOk) {
        SLOG(kLog, Info) << "health probe: HTTP " << response.status;
        return false;
    }
    const json j = json::parse(response.body, nullptr, false);
    const bool valid = j.is_object() && j.contains("server_time") && j["server_time"].is_string() &&
                       parseRfc3339(j["server_time"].get<std::string>()).has_value();
    if (!valid) {
        SLOG(kLog, Info) << "health probe: 200 without an RFC 3339 server_time";
    }
    return valid;
}

void OnlineVerifier::probeLoop(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
        const auto due = breaker_.probeDue();
        if (!due) {
            wake_.wait(lock, stop, [&] { return breaker_.probeDue().has_value(); });
            continue;
        }
        if (std::chrono::steady_clock::now() < *due) {
            wake_.wait_until(lock, stop, *due, [] { return false; });
            continue;
        }
        lock.unlock();
        const bool healthy = probeHealth();
        lock.lock();
        if (!breaker_.probed(healthy, std::chrono::steady_clock::now())) continue;
        changes_.push_back(breaker_.status());
        lock.unlock();
        SLOG(kLog, Warn) << "circuit breaker closed: the health-code service answers its health probe";
        deliverChanges();
        lock.lock();
    }
}

BreakerStatus OnlineVerifier::breakerStatus() const {
    std::lock_guard lock(mutex_);
    return breaker_.status();
}

void OnlineVerifier::onBreakerChange(std::function<void(const BreakerStatus&)> listener) {
    std::lock_guard lock(mutex_);
    listener_ = std::move(listener);
}

}  // namespace sentinel::verify

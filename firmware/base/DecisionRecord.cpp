#include "firmware/base/DecisionRecord.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace sentinel {
namespace {

nlohmann::json opt(const std::optional<bool>& b) { return b ? nlohmann::json(*b) : nlohmann::json(nullptr); }

nlohmann::json optMs(const std::optional<double>& v) {
    if (!v) return nullptr;
    return std::round(*v * 100.0) / 100.0;  // 10 µs resolution is plenty for a record
}

}  // namespace

std::string_view toString(TestType t) {
    switch (t) {
        case TestType::Naat: return "NAAT";
        case TestType::Rat: return "RAT";
        case TestType::Other: return "OTHER";
    }
    return "OTHER";
}

void DecisionRecord::decide(Reason r) {
    reason = r;
    decision = decisionFor(r);
}

nlohmann::json toJson(const DecisionRecord& r) {
    nlohmann::json j;
    if (!r.file.empty()) j["file"] = r.file;
    j["decision"] = std::string(toString(r.decision));
    j["reason"] = std::string(toString(r.reason));
    j["format"] = r.format.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.format);
    if (r.test) {
        j["test"] = {{"type", std::string(toString(r.test->type))},
                     {"collected_at", r.test->collectedAt},
                     {"age_h", std::round(r.test->ageHours * 100.0) / 100.0},
                     {"result", r.test->result}};
    } else {
        j["test"] = nullptr;
    }
    j["code"] = r.code ? nlohmann::json(*r.code) : nlohmann::json(nullptr);
    j["stages"] = {{"prefix", opt(r.stages.prefix)},       {"base45", opt(r.stages.base45)},
                   {"inflate", opt(r.stages.inflate)},     {"cbor", opt(r.stages.cbor)},
                   {"signature", opt(r.stages.signature)}, {"key_usage", opt(r.stages.keyUsage)},
                   {"expiry", opt(r.stages.expiry)},       {"policy", opt(r.stages.policy)}};
    j["latency_ms"] = {{"decode", optMs(r.latency.decodeMs)},
                       {"verify", optMs(r.latency.verifyMs)},
                       {"backend", optMs(r.latency.backendMs)},
                       {"total", optMs(r.latency.totalMs)}};
    j["subject"] = r.subject.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.subject);
    if (r.rules) j["rules"] = {{"set", r.rules->set}, {"failed", r.rules->failed}};
    if (r.overrides) j["overrides"] = *r.overrides;
    if (r.staff) j["staff"] = *r.staff;
    j["route"] = r.route ? nlohmann::json(*r.route) : nlohmann::json(nullptr);
    if (r.risk) j["risk"] = {{"level", r.risk->level}, {"list", r.risk->list}};
    if (!r.policyVersion.empty()) j["policy_version"] = r.policyVersion;
    if (r.revocation) j["revocation"] = {{"type", *r.revocation}};
    if (r.binding) j["binding"] = *r.binding;
    return j;
}

std::string toJsonLine(const DecisionRecord& r) { return toJson(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

}  // namespace sentinel

#pragma once
// Helpers shared by the journal tests: decision records and a byte search over a folder.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "firmware/base/DecisionRecord.h"
#include "firmware/journal/Checkpointer.h"
#include "firmware/journal/Journal.h"
#include "firmware/journal/SignedNote.h"

namespace sentinel::journal::testing {

inline DecisionRecord makeRecord(Reason reason, double totalMs, std::string subject = {}) {
    DecisionRecord r;
    r.decide(reason);
    r.format = "HC1";
    r.stages.prefix = true;
    r.stages.base45 = true;
    r.stages.inflate = true;
    r.stages.cbor = true;
    r.stages.signature = reason != Reason::SignatureInvalid;
    r.latency.decodeMs = totalMs * 0.6;
    r.latency.verifyMs = totalMs * 0.3;
    r.latency.totalMs = totalMs;
    r.subject = std::move(subject);
    if (reason == Reason::Ok || reason == Reason::TestTooOld) {
        r.test = TestSummary{TestType::Naat, "2026-11-20T06:00:00Z", reason == Reason::Ok ? 3.5 : 49.5, "negative"};
        r.stages.policy = reason == Reason::Ok;
    }
    return r;
}

// A record with every field the journal stores drawn at random (valid for append()), including
// latencies and ages with more digits than the line prints, -0.0, NaN and absurd magnitudes.
inline DecisionRecord randomRecord(std::mt19937& rng) {
    auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    auto chance = [&](int percent) { return pick(100) < percent; };
    auto hex = [&](std::size_t n) {
        std::string s;
        for (std::size_t i = 0; i < n; ++i) s += "0123456789abcdef"[pick(16)];
        return s;
    };
    auto ms = [&]() -> std::optional<double> {
        switch (pick(12)) {
            case 0: return std::nullopt;
            case 1: return -0.0;
            case 2: return std::numeric_limits<double>::quiet_NaN();
            case 3: return 1e300;
            default: return std::ldexp(static_cast<double>(rng()), -pick(40));
        }
    };
    DecisionRecord r;
    constexpr Reason kReasons[] = {Reason::Ok, Reason::TestTooOld, Reason::SignatureInvalid, Reason::BackendTimeout,
                                   Reason::UnsupportedFormat, Reason::RiskAreaHigh, Reason::Revoked, Reason::JournalFault,
                                   Reason::RuleNotMet, Reason::HolderMismatch};
    r.decide(kReasons[pick(static_cast<int>(std::size(kReasons)))]);
    constexpr const char* kFormats[] = {"", "HC1", "HK1", "ID", "MRZ", "TEST"};
    r.format = kFormats[pick(6)];
    if (chance(60)) {
        constexpr TestType kTypes[] = {TestType::Naat, TestType::Rat, TestType::Other};
        constexpr const char* kResults[] = {"negative", "positive", "unknown", "pending"};
        r.test = TestSummary{kTypes[pick(3)], "2026-11-20T06:00:00Z", ms().value_or(0.0), kResults[pick(4)]};
    }
    if (chance(30)) r.code = chance(50) ? "green" : "red";
    auto stage = [&]() -> std::optional<bool> {
        const int v = pick(3);
        return v == 0 ? std::nullopt : std::optional<bool>(v == 1);
    };
    r.stages = {stage(), stage(), stage(), stage(), stage(), stage(), stage(), stage()};
    r.latency = {ms(), ms(), ms(), ms()};
    if (chance(80)) r.subject = hex(64);
    if (chance(10)) r.file = "frame.png";  // never stored
    if (chance(10)) r.rules = RulesOutcome{"CN/1.0.0", {"TR-CN-0001"}};  // never stored
    if (chance(20)) r.staff = "S-" + std::to_string(pick(1000));
    if (chance(30)) r.route = chance(50) ? "isolation" : "staff";
    if (chance(30)) r.risk = RiskOutcome{chance(50) ? "high" : "low", chance(80) ? "2026-12-08.1" : ""};
    if (chance(70)) r.policyVersion = chance(50) ? "config" : "2026-12-07T20:00:00Z";
    if (chance(10)) r.revocation = "UCI";
    if (chance(10)) r.binding = chance(50) ? "match" : "none";
    if (chance(5)) {
        r.decide(Reason::StaffOverride);
        r.overrides = 1 + pick(100);
    }
    return r;
}

inline constexpr const char* kTestKiosk = "BJ-WEST-07";

// A fresh Ed25519 key named as the kiosk's journal key.
inline NoteSigner testSigner(const std::string& kioskId = kTestKiosk) {
    return std::move(NoteSigner::generate(journalKeyName(kioskId)).value());
}

// Signs and keeps a checkpoint of the journal's log as it stands.
inline bool checkpointNow(Journal& j, const NoteSigner& signer, UtcTime at, const std::string& kioskId = kTestKiosk) {
    return makeCheckpoint(j, signer, kioskId, at).ok();
}

inline std::string readAll(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every regular file under `dir` (recursively) whose bytes contain `needle`.
inline std::vector<std::filesystem::path> filesContaining(const std::filesystem::path& dir, const std::string& needle) {
    std::vector<std::filesystem::path> hits;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
        if (e.is_regular_file() && readAll(e.path()).find(needle) != std::string::npos) hits.push_back(e.path());
    }
    return hits;
}

}  // namespace sentinel::journal::testing

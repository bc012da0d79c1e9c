#pragma once
// Helpers shared by the journal tests: decision records and a byte search over a folder.

#include <filesystem>
#include <fstream>
#include <iterator>
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

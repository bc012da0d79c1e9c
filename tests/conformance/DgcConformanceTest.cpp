// EU DCC conformance vectors (dgc-testdata) through the offline HC1 path, DESIGN §9:
// payload = PREFIX, trust = TESTCTX.CERTIFICATE, clock = TESTCTX.VALIDATIONCLOCK, stages compared
// with EXPECTEDRESULTS. Vectors listed in known_issues.csv are excepted (still run, reported).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "drivers/camera/ImageFile.h"
#include "firmware/app/Cli.h"
#include "firmware/decode/DecodeEngine.h"
#include "firmware/trust/Base64.h"
#include "firmware/trust/TrustList.h"
#include "firmware/verify/Hc1Verifier.h"
#include "tests/support/TestSupport.h"

namespace sentinel::conformance {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Vector {
    std::string name;  // "<country>/<file stem>", e.g. "common/CO5"
    std::string country;
    std::string testSet;
    json doc;
};

// DESIGN §9: EXPECTEDRESULTS flag → decision-record stage.
struct FlagMapping {
    const char* flag;
    const char* stage;
    std::optional<bool> Stages::*member;
};
const FlagMapping kMappings[] = {
    {"EXPECTEDUNPREFIX", "prefix", &Stages::prefix},
    {"EXPECTEDB45DECODE", "base45", &Stages::base45},
    {"EXPECTEDCOMPRESSION", "inflate", &Stages::inflate},
    {"EXPECTEDDECODE", "cbor", &Stages::cbor},
    {"EXPECTEDVERIFY", "signature", &Stages::signature},
    {"EXPECTEDKEYUSAGE", "key_usage", &Stages::keyUsage},
    {"EXPECTEDEXPIRATIONCHECK", "expiry", &Stages::expiry},
};
// Picture decoding (EXPECTEDPICTUREDECODE, the 2DCODE PNG) is checked by PictureDecode below once
// the decoder module is linked here.

fs::path vectorsDir() {
    const auto base = testing::testdataDir();
    return base.empty() ? fs::path{} : base / "dgc";
}

std::vector<Vector> loadVectors(const fs::path& dir) {
    std::vector<Vector> out;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
        std::ifstream in(entry.path());
        Vector v;
        v.country = entry.path().parent_path().filename().string();
        v.testSet = entry.path().stem().string();
        v.name = v.country + "/" + v.testSet;
        v.doc = json::parse(in, nullptr, false);
        out.push_back(std::move(v));
    }
    std::sort(out.begin(), out.end(), [](const Vector& a, const Vector& b) { return a.name < b.name; });
    return out;
}

// known_issues.csv: test_name,country,test_set,reason; an empty test_set covers the whole country.
struct KnownIssue {
    std::string testName, country, testSet;
};

std::vector<KnownIssue> loadKnownIssues(const fs::path& file) {
    std::vector<KnownIssue> out;
    std::ifstream in(file);
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
        if (header) {
            header = false;
            continue;
        }
        std::vector<std::string> cols;
        std::stringstream ss(line);
        std::string col;
        while (std::getline(ss, col, ',')) cols.push_back(col);
        if (cols.size() >= 2) out.push_back({cols[0], cols[1], cols.size() >= 3 ? cols[2] : ""});
    }
    return out;
}

bool isKnownIssue(const Vector& v, const std::vector<KnownIssue>& issues) {
    return std::any_of(issues.begin(), issues.end(), [&](const KnownIssue& k) {
        return k.country == v.country && (k.testSet.empty() || k.testSet == v.testSet);
    });
}

trust::TrustList trustFor(const json& testctx) {
    std::vector<trust::CertificateInput> certs;
    if (const auto c = testctx.find("CERTIFICATE"); c != testctx.end() && c->is_string()) {
        const std::string text = c->get<std::string>();
        auto ders = trust::parseCertificateFile(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
        if (ders) {
            for (auto& der : ders.value()) certs.push_back({std::move(der), "", std::nullopt});
        }
    }
    auto list = trust::TrustList::fromCertificates(std::move(certs));
    return list ? std::move(list.value()) : trust::TrustList{};
}

// Vectors whose expectation contradicts a DESIGN contract. The kiosk follows DESIGN; only the named
// stage is excepted, every other flag of the vector is still compared. Reported separately.
struct Deviation {
    const char* vector;
    const char* stage;
    const char* why;
};
const Deviation kDeviations[] = {
    {"common/CO20", "signature",
     "empty protected header, alg only in the unprotected one: DESIGN §2 reads alg from the protected header only"},
    {"IS/3", "key_usage",
     "DSC whose EKU holds only a non-health OID (ICAO 2.23.136.1.1.14.2): DESIGN §3 says no health-certificate OIDs "
     "= any type (real DSCs, e.g. the ES vectors, carry TLS EKUs)"},
};

const Deviation* deviationFor(const std::string& vector, const char* stage) {
    for (const auto& d : kDeviations) {
        if (vector == d.vector && std::string_view(stage) == d.stage) return &d;
    }
    return nullptr;
}

std::string show(std::optional<bool> v) { return v ? (*v ? "true" : "false") : "null"; }

// Compares the stages with EXPECTEDRESULTS; returns the mismatches ("" when all match). An expected
// false is also met by null when an earlier stage failed: the record rejects the credential before
// reaching that step (e.g. a "wrong CWT structure" vector expects VERIFY false; we stop at cbor).
std::string compareStages(const std::string& vector, const json& expected, const Stages& stages,
                          std::vector<std::string>& deviations) {
    std::string mismatches;
    bool earlierFailed = false;
    for (const auto& m : kMappings) {
        const auto e = expected.find(m.flag);
        const std::optional<bool> got = stages.*m.member;
        const bool failedHere = got == false;
        if (e == expected.end() || !e->is_boolean()) {
            earlierFailed = earlierFailed || failedHere;
            continue;
        }
        const bool want = e->get<bool>();
        const bool met = got == want || (!want && !got && earlierFailed);
        earlierFailed = earlierFailed || failedHere;
        if (met) continue;
        if (const auto* d = deviationFor(vector, m.stage)) {
            deviations.push_back(vector + " " + m.stage + " (expected " + (want ? "true" : "false") + ", got " + show(got) +
                                 "): " + d->why);
            continue;
        }
        mismatches += std::string(" ") + m.stage + ": expected " + (want ? "true" : "false") + ", got " + show(got) + ";";
    }
    return mismatches;
}

struct Outcome {
    bool runnable = false;
    std::string mismatches;
    std::vector<std::string> deviations;
};

Outcome runVector(const Vector& v) {
    Outcome out;
    if (v.doc.is_discarded() || !v.doc.is_object()) return out;
    const auto prefix = v.doc.find("PREFIX");
    const auto testctx = v.doc.find("TESTCTX");
    const auto expected = v.doc.find("EXPECTEDRESULTS");
    if (prefix == v.doc.end() || !prefix->is_string() || testctx == v.doc.end() || expected == v.doc.end()) return out;
    const auto clock = testctx->find("VALIDATIONCLOCK");
    const auto now = clock != testctx->end() && clock->is_string() ? parseRfc3339(clock->get<std::string>()) : std::nullopt;
    if (!now) return out;
    out.runnable = true;
    const auto trust = trustFor(*testctx);
    const auto stages = verify::hc1Stages(prefix->get<std::string>(), &trust, *now);
    out.mismatches = compareStages(v.name, *expected, stages, out.deviations);
    return out;
}

TEST(DgcConformance, StagesMatchExpectedResults) {
    const auto dir = vectorsDir();
    if (dir.empty() || !fs::is_directory(dir)) {
        GTEST_SKIP() << "EU DCC conformance vectors not found (looked for <testdata>/dgc; set SENTINEL_TESTDATA)";
    }
    const auto vectors = loadVectors(dir);
    const auto issues = loadKnownIssues(dir / "known_issues.csv");
    ASSERT_FALSE(vectors.empty()) << dir << " holds no vectors";
    size_t matched = 0, excepted = 0, exceptedMatching = 0, unrunnable = 0;
    std::vector<std::string> failures, deviations;
    for (const auto& v : vectors) {
        const auto outcome = runVector(v);
        const bool known = isKnownIssue(v, issues);
        if (known) {
            ++excepted;
            if (outcome.runnable && outcome.mismatches.empty()) ++exceptedMatching;
            std::cout << "[ excepted ] " << v.name << (outcome.mismatches.empty() ? " (matches anyway)" : outcome.mismatches)
                      << '\n';
            continue;
        }
        if (!outcome.runnable) {
            ++unrunnable;
            failures.push_back(v.name + ": no PREFIX/TESTCTX/EXPECTEDRESULTS/VALIDATIONCLOCK");
            continue;
        }
        deviations.insert(deviations.end(), outcome.deviations.begin(), outcome.deviations.end());
        if (outcome.mismatches.empty()) {
            ++matched;
        } else {
            failures.push_back(v.name + ":" + outcome.mismatches);
        }
    }
    for (const auto& d : deviations) std::cout << "[ deviation] " << d << '\n';
    std::cout << "[ dgc      ] matched " << matched << " (" << deviations.size()
              << " with a DESIGN deviation on one stage) / excepted " << excepted << " (" << exceptedMatching
              << " of them match anyway) / failed " << failures.size() << " / total " << vectors.size() << '\n';
    ::testing::Test::RecordProperty("matched", static_cast<int>(matched));
    ::testing::Test::RecordProperty("excepted", static_cast<int>(excepted));
    ::testing::Test::RecordProperty("total", static_cast<int>(vectors.size()));
    for (const auto& f : failures) ADD_FAILURE() << f;
    EXPECT_EQ(vectors.size(), matched + excepted) << unrunnable << " vector(s) could not be run";
}

// The same vectors through the command line a technician (or a third party's harness) uses:
// `sentinel verify --json --trust CERT --at VALIDATIONCLOCK PAYLOAD`, the stages read back from the
// printed decision record.
Stages stagesFromRecord(const json& record) {
    Stages s;
    const json& st = record.at("stages");
    auto get = [&](const char* key) -> std::optional<bool> {
        const auto it = st.find(key);
        if (it == st.end() || it->is_null()) return std::nullopt;
        return it->get<bool>();
    };
    s.prefix = get("prefix");
    s.base45 = get("base45");
    s.inflate = get("inflate");
    s.cbor = get("cbor");
    s.signature = get("signature");
    s.keyUsage = get("key_usage");
    s.expiry = get("expiry");
    s.policy = get("policy");
    return s;
}

TEST(DgcConformance, VerifyCommandReproducesTheStages) {
    const auto dir = vectorsDir();
    if (dir.empty() || !fs::is_directory(dir)) {
        GTEST_SKIP() << "EU DCC conformance vectors not found (looked for <testdata>/dgc; set SENTINEL_TESTDATA)";
    }
    const auto issues = loadKnownIssues(dir / "known_issues.csv");
    testing::TempDir tmp;
    size_t matched = 0, checked = 0;
    std::vector<std::string> failures, deviations;
    for (const auto& v : loadVectors(dir)) {
        if (isKnownIssue(v, issues) || !v.doc.is_object()) continue;
        const auto prefix = v.doc.find("PREFIX");
        const auto testctx = v.doc.find("TESTCTX");
        const auto expected = v.doc.find("EXPECTEDRESULTS");
        if (prefix == v.doc.end() || !prefix->is_string() || testctx == v.doc.end() || expected == v.doc.end()) continue;
        const auto clock = testctx->find("VALIDATIONCLOCK");
        const auto cert = testctx->find("CERTIFICATE");
        if (clock == testctx->end() || !clock->is_string() || cert == testctx->end() || !cert->is_string()) continue;
        ++checked;
        const auto certFile = tmp / "dsc.b64";
        std::ofstream(certFile) << cert->get<std::string>();
        std::ostringstream out, err;
        app::CliContext ctx{out, err};
        app::runCli({"sentinel", "verify", "--json", "--trust", certFile.string(), "--at", clock->get<std::string>(),
                     prefix->get<std::string>()},
                    ctx);
        const json record = json::parse(out.str(), nullptr, false);
        if (record.is_discarded() || !record.contains("stages")) {
            failures.push_back(v.name + ": no decision record (" + err.str() + ")");
            continue;
        }
        const auto mismatches = compareStages(v.name, *expected, stagesFromRecord(record), deviations);
        if (mismatches.empty()) {
            ++matched;
        } else {
            failures.push_back(v.name + ":" + mismatches);
        }
    }
    std::cout << "[ dgc cli  ] sentinel verify matched " << matched << " / checked " << checked << '\n';
    for (const auto& f : failures) ADD_FAILURE() << f;
    EXPECT_GT(checked, 0u);
}

// EXPECTEDPICTUREDECODE: the 2DCODE PNG through the QR decoder (as a still, the `sentinel decode`
// path) must yield exactly PREFIX; when the flag is false it must not.
TEST(DgcConformance, PictureDecode) {
    const auto dir = vectorsDir();
    if (dir.empty() || !fs::is_directory(dir)) {
        GTEST_SKIP() << "EU DCC conformance vectors not found (looked for <testdata>/dgc; set SENTINEL_TESTDATA)";
    }
    const auto issues = loadKnownIssues(dir / "known_issues.csv");
    testing::TempDir tmp;
    decode::DecodeEngine engine;
    size_t checked = 0, matched = 0, excepted = 0;
    std::vector<std::string> failures;
    for (const auto& v : loadVectors(dir)) {
        const auto code = v.doc.find("2DCODE");
        const auto prefix = v.doc.find("PREFIX");
        const auto expected = v.doc.find("EXPECTEDRESULTS");
        if (code == v.doc.end() || !code->is_string() || prefix == v.doc.end() || !prefix->is_string() ||
            expected == v.doc.end() || !expected->contains("EXPECTEDPICTUREDECODE"))
            continue;
        if (isKnownIssue(v, issues)) {
            ++excepted;
            continue;
        }
        ++checked;
        const bool shouldDecode = (*expected)["EXPECTEDPICTUREDECODE"].get<bool>();
        auto png = trust::decodeBase64(code->get<std::string>());
        std::vector<std::string> payloads;
        if (png) {
            const auto file = tmp / "code.png";
            std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(png->data()),
                                                        static_cast<std::streamsize>(png->size()));
            if (auto frame = camera::loadGrayImage(file)) payloads = engine.decodeStill(frame->gray);
        }
        const bool decoded = std::find(payloads.begin(), payloads.end(), prefix->get<std::string>()) != payloads.end();
        if (decoded == shouldDecode) {
            ++matched;
        } else {
            failures.push_back(v.name + (shouldDecode ? ": 2DCODE did not decode to PREFIX" : ": 2DCODE decoded though it should not"));
        }
    }
    std::cout << "[ dgc 2D   ] pictures matched " << matched << " / checked " << checked << " / excepted " << excepted << '\n';
    for (const auto& f : failures) ADD_FAILURE() << f;
    EXPECT_GT(checked, 0u);
}

}  // namespace
}  // namespace sentinel::conformance

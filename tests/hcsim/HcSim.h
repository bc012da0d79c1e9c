#pragma once
// sentinel-hcsim: the reference health-code service of DESIGN §5 and its v1.1 (POST /v1/verify over
// HTTPS with a generated test PKI — an `HK1:` code or an identity `document`, travel and pending
// results in the answers — and GET /v1/health), a table of codes, fault injection and a stall switch
// (the circuit-breaker tests of §14). Runs in-process (HcSim::start, for tests and `sentinel demo`) or
// as the `sentinel-hcsim` executable (bench, subprocess tests). v1 requests are answered as before.
// Test and demo use only: never part of the kiosk's production path.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/Result.h"
#include "firmware/base/Time.h"
#include "tests/hcsim/TestPki.h"

namespace sentinel::hcsim {

inline constexpr std::string_view kDefaultDeviceToken = "sentinel-dev-token";
// How long a stalled request is held at most (longer than any kiosk deadline: 5 s budget).
inline constexpr std::chrono::seconds kMaxStall{60};

// Faults, per code or for every request (a code's own fault, when it has one, replaces the
// every-request fault). Several may be set; they apply in this order: delay, then the first of
// status, redirect, garbage, oversize, oversizeChunked, closeMidBody, drip.
struct SimFault {
    std::chrono::milliseconds delay{0};  // wait before answering (interruptible by stop())
    int status = 0;                      // answer with this HTTP status and a small JSON error
    bool redirect = false;               // 302 to another path of the same service
    bool garbage = false;                // 200, Content-Type JSON, body that is not JSON
    bool oversize = false;               // 200, valid JSON padded past 64 KiB, Content-Length set
    bool oversizeChunked = false;        // same, chunked (no Content-Length): only a body cap stops it
    bool closeMidBody = false;           // announces the full length, sends half, closes
    bool drip = false;                   // the (valid) body at 1 byte per second
    bool any() const;
};

struct SimTest {
    std::string type = "NAAT";              // "NAAT" | "RAT" | anything (served verbatim)
    std::chrono::seconds age{6 * 3600};     // collected_at = now − age
    std::string result = "negative";
    std::optional<std::string> collectedAt;  // verbatim instead of now − age (malformed-data tests)
};

// §5 v1.1 travel: a stay in a GB/T 2260 region that ended `endedAgo` before the answer (nullopt:
// still there) and lasted `length`.
struct SimStay {
    std::string region;                           // 6 digits (served verbatim)
    std::optional<std::chrono::seconds> endedAgo;  // nullopt: "to": null
    std::chrono::seconds length{48 * 3600};
};

// §5 v1.1 `document`: the identity document that looks up the same entry as the code.
struct SimDocument {
    std::string type;    // "CN-ID", "CN-PERMIT-J", "CN-PR-I", "PASSPORT", "ID-TD1"
    std::string number;  // fictitious
};

struct SimCode {
    std::string code;  // "HK1:<token>"
    std::string status = "green";
    std::string nameMasked = "张*";
    std::string idMasked = "1101**********1234";
    std::vector<SimTest> tests;  // newest first, as §5 requires; result may be "pending" (v1.1)
    std::optional<std::vector<SimStay>> travel;  // v1.1, newest first; nullopt: the answer has no travel (v1)
    std::optional<SimDocument> document;         // v1.1: also found by this document
    SimFault fault;
};

// The built-in table (also the demo's online codes). Tokens are base64url, 16–128 characters.
namespace codes {
inline constexpr std::string_view kGreen = "HK1:SIMgreenNaat6hNegative01";       // PASS
inline constexpr std::string_view kGreenOldTest = "HK1:SIMgreenNaat50hNegative1";  // TEST_TOO_OLD
inline constexpr std::string_view kGreenPositive = "HK1:SIMgreenNaat10hPositive1"; // TEST_POSITIVE
inline constexpr std::string_view kGreenNoTest = "HK1:SIMgreenWithoutAnyTest01";   // NO_TEST_RESULT
inline constexpr std::string_view kGreenRatOnly = "HK1:SIMgreenRat3hNegative001";  // TEST_TYPE_NOT_ACCEPTED
inline constexpr std::string_view kGreenRatNewerThanNaat = "HK1:SIMgreenRat2hNaat20h0001";  // PASS (newest NAAT)
inline constexpr std::string_view kYellow = "HK1:SIMyellowNaat5hNegative1";       // CODE_NOT_GREEN
inline constexpr std::string_view kRed = "HK1:SIMredNaat5hNegative0001";          // CODE_NOT_GREEN
inline constexpr std::string_view kUnknown = "HK1:SIMnotInTheTableAtAll001";      // 404 → UNKNOWN_CODE
inline constexpr std::string_view kSlow10s = "HK1:SIMgreenButDelayed10s001";      // BACKEND_TIMEOUT
inline constexpr std::string_view kDrip = "HK1:SIMgreenDrip1BytePerSec1";         // BACKEND_TIMEOUT
inline constexpr std::string_view kServerError = "HK1:SIMserverError503000001";   // BACKEND_ERROR
inline constexpr std::string_view kForbidden = "HK1:SIMforbidden403000000001";    // BACKEND_ERROR
inline constexpr std::string_view kGarbage = "HK1:SIMgarbageBody0000000001";      // BACKEND_ERROR
inline constexpr std::string_view kOversize = "HK1:SIMoversizeBody000000001";     // BACKEND_ERROR
inline constexpr std::string_view kOversizeChunked = "HK1:SIMoversizeChunked00001"; // BACKEND_ERROR
inline constexpr std::string_view kRedirect = "HK1:SIMredirect302000000001";      // BACKEND_ERROR
inline constexpr std::string_view kCloseMidBody = "HK1:SIMcloseMidBody00000001";  // BACKEND_ERROR
inline constexpr std::string_view kBadTestDate = "HK1:SIMgreenTestDateBroken1";   // BACKEND_ERROR (malformed)
// §5 v1.1 (decisions against sampleRiskList()): stays in a high / medium / unlisted / province-listed /
// expired-entry area within the lookbacks, a pending-only holder.
inline constexpr std::string_view kTravelHigh = "HK1:SIMtravelHighRisk3dAgo01";        // RISK_AREA_HIGH, isolation
inline constexpr std::string_view kTravelMedium = "HK1:SIMtravelMediumRiskOpen1";      // RISK_AREA_MEDIUM, observation
inline constexpr std::string_view kTravelLow = "HK1:SIMtravelLowRiskOnly0001";         // PASS (risk low)
inline constexpr std::string_view kTravelProvince = "HK1:SIMtravelProvinceListed1";    // RISK_AREA_HIGH (listed as "42")
inline constexpr std::string_view kTravelExpired = "HK1:SIMtravelExpiredEntry001";     // PASS (the entry's until passed)
inline constexpr std::string_view kTravelHighLongAgo = "HK1:SIMtravelHigh20dAgo0001";  // PASS (outside the 14-day lookback)
inline constexpr std::string_view kPendingOnly = "HK1:SIMgreenPendingOnly00001";       // TEST_RESULT_PENDING, testing

// What §14 makes of each travel code above against sampleRiskList(): the reason (its stable name),
// the record's route and risk level. Shared by the client's and the kiosk's end-to-end tests.
struct TravelExpectation {
    std::string_view code;
    std::string_view reason;
    std::optional<std::string> route;
    std::string level;
};
inline const std::vector<TravelExpectation>& travelExpectations() {
    static const std::vector<TravelExpectation> kCases{
        {kTravelHigh, "RISK_AREA_HIGH", "isolation", "high"},
        {kTravelMedium, "RISK_AREA_MEDIUM", "observation", "medium"},
        {kTravelLow, "OK", std::nullopt, "low"},
        {kTravelProvince, "RISK_AREA_HIGH", "isolation", "high"},
        {kTravelExpired, "OK", std::nullopt, "low"},
        {kTravelHighLongAgo, "OK", std::nullopt, "low"},
        {kPendingOnly, "TEST_RESULT_PENDING", "testing", "low"},
    };
    return kCases;
}
}  // namespace codes
// Documents of the built-in table (fictitious numbers; the GB 11643 check digit holds for CN-ID).
namespace documents {
inline constexpr std::string_view kCnIdLow = "11010519491231002X";   // CN-ID → as kTravelLow
inline constexpr std::string_view kCnIdHigh = "110105199003071233";  // CN-ID → as kTravelHigh
inline constexpr std::string_view kPassportPending = "E12345678";    // PASSPORT → as kPendingOnly
}  // namespace documents
std::vector<SimCode> defaultCodes();
// The privacy tests' table (§14): defaultCodes() plus `code`, a holder with a negative test whose
// only stay, two days ago, is in `canaryRegion` — a region that must never leave the decision.
std::vector<SimCode> codesWithCanaryTraveller(std::string_view code, std::string_view canaryRegion);

// The region codes of the built-in travel (GB/T 2260).
namespace regions {
inline constexpr std::string_view kHigh = "110105";      // 北京市朝阳区, listed high
inline constexpr std::string_view kMedium = "310115";    // 上海市浦东新区, listed medium
inline constexpr std::string_view kLow = "440305";       // 深圳市南山区, not listed
inline constexpr std::string_view kProvince = "420106";  // 武汉市武昌区, covered by "42" (湖北省) high
inline constexpr std::string_view kExpired = "330106";   // 杭州市西湖区, high until a day ago
}  // namespace regions
// A §14 risk-area list (sentinel-risk-areas/1) that gives the built-in travel codes their decisions:
// 110105 high, 3101 medium, 42 high, 330106 high until `issuedAt` − 1 day; plus `fillerAreas`
// unrelated high/medium entries (bench lists of 3 000 areas).
std::string sampleRiskList(UtcTime issuedAt, UtcTime effectiveFrom, std::string_view version = "sim-1",
                           std::size_t fillerAreas = 0);

// Codes file (--codes): {"device_token": "...", "codes": [{"code": "HK1:…", "status": "green",
//   "holder": {"name_masked": "…", "id_masked": "…"},
//   "tests": [{"type": "NAAT", "age_h": 12, "result": "negative"|"positive"|"pending"} | {…, "collected_at": "…"}],
//   "travel": [{"region": "110105", "ended_h": 72 | null (still there), "length_h": 48}] (v1.1; absent: none),
//   "document": {"type": "CN-ID", "number": "…"} (v1.1),
//   "fault": {"delay_ms": 0, "status": 0, "redirect": false, "garbage": false, "oversize": false,
//             "oversize_chunked": false, "close_mid_body": false, "drip": false}}]}
struct CodeTable {
    std::optional<std::string> deviceToken;
    std::vector<SimCode> codes;
};
Result<CodeTable> parseCodeTable(std::string_view jsonText);

// "delay=MS", "status=N", "redirect", "garbage", "oversize", "oversize-chunked", "close-mid-body",
// "drip": adds to `fault`.
Status parseFaultSpec(std::string_view spec, SimFault& fault);

struct HcSimOptions {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: an ephemeral port (see HcSim::port())
    std::string deviceToken{kDefaultDeviceToken};  // Authorization: Bearer <token>, else 401
    std::vector<SimCode> codes;                    // empty: defaultCodes()
    SimFault fault;                                // every request
    std::chrono::seconds serverTimeOffset{0};      // server_time = now + offset (clock skew)
    std::optional<TestPki> pki;                    // empty: generated
    bool serveBackupKey = false;    // serve the backup certificate (a service that rotated keys)
    bool wrongCertificate = false;  // serve a certificate of an unrelated CA (TLS must fail)
    bool stalled = false;           // start stalled (setStalled)
};

struct SimStats {
    std::uint64_t requests = 0;     // POST /v1/verify received
    std::uint64_t health = 0;       // GET /v1/health received
    std::uint64_t unauthorized = 0; // answered 401
    std::uint64_t connections = 0;  // distinct client connections that sent a request
};

// What the last POST /v1/verify carried (for tests of the request shape; tokens, no holder data).
struct RecordedRequest {
    std::string authorization, contentType, code, kioskId, requestId, scannedAt;
    // v1.1 `document` (fictitious test data only).
    std::string documentType, documentNumber, birthDate, nationality;
};

class HcSim {
public:
    // Binds, starts serving on its own threads and returns; the port accepts connections at once.
    static Result<std::unique_ptr<HcSim>> start(HcSimOptions options);
    ~HcSim();  // stop()
    HcSim(const HcSim&) = delete;
    HcSim& operator=(const HcSim&) = delete;

    int port() const;
    std::string baseUrl() const;      // "https://127.0.0.1:<port>"
    const TestPki& pki() const;       // the CA clients should trust, the pins
    std::string caPem() const;
    std::string pin() const;          // pin of the key actually served
    std::string backupPin() const;

    void setFault(SimFault fault);    // replaces the every-request fault
    void setServerTimeOffset(std::chrono::seconds offset);
    // Stalled: every request (verify and health) is held without an answer until un-stalled (then
    // answered), the simulator stops, or kMaxStall passes. The §14 breaker tests.
    void setStalled(bool stalled);
    SimStats stats() const;
    std::optional<RecordedRequest> lastRequest() const;

    // Stops listening, wakes delayed and dripping answers, joins the server threads. Idempotent.
    void stop();

private:
    struct Impl;
    explicit HcSim(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sentinel::hcsim

#include "tests/hcsim/HcSim.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <signal.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "firmware/base/Time.h"

namespace sentinel::hcsim {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// Past DESIGN §5's 64 KiB cap by a clear margin.
constexpr std::size_t kOversizeBytes = 80 * 1024;
constexpr std::size_t kChunkBytes = 4096;
constexpr auto kDripInterval = 1s;  // "1 byte/s" of issue 4
// A kiosk scans every few seconds; keep its connection open between scans.
constexpr time_t kKeepAliveS = 15;
constexpr std::size_t kKeepAliveMaxRequests = 100000;
// Server workers: httplib's default (8 on a small machine) is used up by a few stalled requests.
constexpr std::size_t kWorkers = 32;

constexpr int kStartPolls = 2000;
constexpr auto kStartPoll = 1ms;

constexpr std::string_view kHk1Prefix = "HK1:";

std::chrono::seconds hours(double h) { return std::chrono::seconds{static_cast<long long>(h * 3600.0)}; }

SimCode code(std::string_view c, std::string status, std::vector<SimTest> tests, SimFault fault = {}) {
    SimCode s;
    s.code = std::string(c);
    s.status = std::move(status);
    s.tests = std::move(tests);
    s.fault = fault;
    return s;
}

SimTest naat(double ageH, std::string result = "negative") { return SimTest{"NAAT", hours(ageH), std::move(result), {}}; }

SimStay stay(std::string_view region, double endedH, bool open = false) {
    SimStay st;
    st.region = std::string(region);
    if (!open) st.endedAgo = hours(endedH);
    return st;
}

SimCode travelCode(std::string_view c, std::vector<SimTest> tests, std::vector<SimStay> travel,
                   std::optional<SimDocument> document = std::nullopt) {
    SimCode s = code(c, "green", std::move(tests));
    s.travel = std::move(travel);
    s.document = std::move(document);
    return s;
}
SimTest rat(double ageH) { return SimTest{"RAT", hours(ageH), "negative", {}}; }

UtcTime nowUtc() { return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()); }

bool looksLikeUuid(const std::string& s) {
    if (s.size() != 36) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (s[i] == '-')) return false;
        if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
}

}  // namespace

bool SimFault::any() const {
    return delay.count() > 0 || status != 0 || redirect || garbage || oversize || oversizeChunked || closeMidBody ||
           drip;
}

std::vector<SimCode> defaultCodes() {
    using namespace codes;
    SimFault slow;
    slow.delay = 10s;
    SimFault drip;
    drip.drip = true;
    SimFault e503;
    e503.status = 503;
    SimFault e403;
    e403.status = 403;
    SimFault garbage;
    garbage.garbage = true;
    SimFault oversize;
    oversize.oversize = true;
    SimFault chunked;
    chunked.oversizeChunked = true;
    SimFault redirect;
    redirect.redirect = true;
    SimFault close;
    close.closeMidBody = true;
    SimTest broken{"NAAT", 0s, "negative", std::string("yesterday morning")};
    return {
        code(kGreen, "green", {naat(6)}),
        code(kGreenOldTest, "green", {naat(50)}),
        code(kGreenPositive, "green", {naat(10, "positive")}),
        code(kGreenNoTest, "green", {}),
        code(kGreenRatOnly, "green", {rat(3)}),
        code(kGreenRatNewerThanNaat, "green", {rat(2), naat(20)}),
        code(kYellow, "yellow", {naat(5)}),
        code(kRed, "red", {naat(5)}),
        code(kSlow10s, "green", {naat(6)}, slow),
        code(kDrip, "green", {naat(6)}, drip),
        code(kServerError, "green", {naat(6)}, e503),
        code(kForbidden, "green", {naat(6)}, e403),
        code(kGarbage, "green", {naat(6)}, garbage),
        code(kOversize, "green", {naat(6)}, oversize),
        code(kOversizeChunked, "green", {naat(6)}, chunked),
        code(kRedirect, "green", {naat(6)}, redirect),
        code(kCloseMidBody, "green", {naat(6)}, close),
        code(kBadTestDate, "green", {broken}),
        travelCode(kTravelHigh, {naat(6)}, {stay(regions::kLow, 0, true), stay(regions::kHigh, 3 * 24)},
                   SimDocument{"CN-ID", std::string(documents::kCnIdHigh)}),
        travelCode(kTravelMedium, {naat(6)}, {stay(regions::kMedium, 0, true)}),
        travelCode(kTravelLow, {naat(6)}, {stay(regions::kLow, 0, true), stay("440106", 5 * 24)},
                   SimDocument{"CN-ID", std::string(documents::kCnIdLow)}),
        travelCode(kTravelProvince, {naat(6)}, {stay(regions::kProvince, 10 * 24)}),
        travelCode(kTravelExpired, {naat(6)}, {stay(regions::kExpired, 2 * 24)}),
        travelCode(kTravelHighLongAgo, {naat(6)}, {stay(regions::kLow, 0, true), stay(regions::kHigh, 20 * 24)}),
        travelCode(kPendingOnly, {naat(3, "pending")}, {stay(regions::kLow, 0, true)},
                   SimDocument{"PASSPORT", std::string(documents::kPassportPending)}),
    };
}

std::vector<SimCode> codesWithCanaryTraveller(std::string_view code, std::string_view canaryRegion) {
    auto table = defaultCodes();
    SimCode canary;
    canary.code = std::string(code);
    canary.tests = {SimTest{}};
    SimStay stay;
    stay.region = std::string(canaryRegion);
    stay.endedAgo = std::chrono::hours{2 * 24};
    canary.travel = std::vector<SimStay>{stay};
    table.push_back(canary);
    return table;
}

std::string sampleRiskList(UtcTime issuedAt, UtcTime effectiveFrom, std::string_view version, std::size_t fillerAreas) {
    json areas = json::array({{{"code", regions::kHigh}, {"level", "high"}},
                              {{"code", "3101"}, {"level", "medium"}},
                              {{"code", "42"}, {"level", "high"}},
                              {{"code", regions::kExpired}, {"level", "high"}, {"until", formatRfc3339(issuedAt - 24h)}}});
    // Fillers: county codes in provinces the built-in travel never visits (61 陕西, 62 甘肃, 63 青海).
    for (std::size_t i = 0; i < fillerAreas; ++i) {
        const std::size_t province = 61 + (i / 1000) % 3, n = i % 1000;
        areas.push_back({{"code", std::to_string(province * 10000 + 100 + n * 7 % 9900)}, {"level", i % 4 == 0 ? "high" : "medium"}});
    }
    return json{{"format", "sentinel-risk-areas/1"},
                {"version", version},
                {"issued_at", formatRfc3339(issuedAt)},
                {"effective_from", formatRfc3339(effectiveFrom)},
                {"areas", std::move(areas)}}
        .dump();
}

Status parseFaultSpec(std::string_view spec, SimFault& fault) {
    auto eq = spec.find('=');
    std::string key(spec.substr(0, eq));
    std::string value = eq == std::string_view::npos ? std::string{} : std::string(spec.substr(eq + 1));
    auto number = [&](long long& out) {
        char* end = nullptr;
        out = std::strtoll(value.c_str(), &end, 10);
        return !value.empty() && end != nullptr && *end == '\0' && out >= 0;
    };
    long long n = 0;
    if (key == "delay" && number(n)) {
        fault.delay = std::chrono::milliseconds{n};
    } else if (key == "status" && number(n) && n >= 100 && n <= 599) {
        fault.status = static_cast<int>(n);
    } else if (key == "redirect" && value.empty()) {
        fault.redirect = true;
    } else if (key == "garbage" && value.empty()) {
        fault.garbage = true;
    } else if (key == "oversize" && value.empty()) {
        fault.oversize = true;
    } else if (key == "oversize-chunked" && value.empty()) {
        fault.oversizeChunked = true;
    } else if (key == "close-mid-body" && value.empty()) {
        fault.closeMidBody = true;
    } else if (key == "drip" && value.empty()) {
        fault.drip = true;
    } else {
        return makeError("unknown fault '" + std::string(spec) +
                         "' (delay=MS, status=N, redirect, garbage, oversize, oversize-chunked, close-mid-body, drip)");
    }
    return Ok{};
}

Result<CodeTable> parseCodeTable(std::string_view text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return makeError("codes file: not a JSON object");
    CodeTable table;
    if (j.contains("device_token")) {
        if (!j["device_token"].is_string()) return makeError("codes file: device_token must be a string");
        table.deviceToken = j["device_token"].get<std::string>();
    }
    if (!j.contains("codes") || !j["codes"].is_array()) return makeError("codes file: \"codes\" must be an array");
    size_t index = 0;
    for (const auto& c : j["codes"]) {
        const std::string where = "codes file: codes[" + std::to_string(index++) + "]";
        if (!c.is_object() || !c.contains("code") || !c["code"].is_string())
            return makeError(where + ": needs a string \"code\"");
        SimCode s;
        s.code = c["code"].get<std::string>();
        if (s.code.rfind(kHk1Prefix, 0) != 0) s.code = std::string(kHk1Prefix) + s.code;
        if (c.contains("status")) {
            if (!c["status"].is_string()) return makeError(where + ": status must be a string");
            s.status = c["status"].get<std::string>();
        }
        if (c.contains("holder")) {
            const auto& h = c["holder"];
            if (!h.is_object()) return makeError(where + ": holder must be an object");
            if (h.contains("name_masked") && h["name_masked"].is_string()) s.nameMasked = h["name_masked"];
            if (h.contains("id_masked") && h["id_masked"].is_string()) s.idMasked = h["id_masked"];
        }
        if (c.contains("tests")) {
            if (!c["tests"].is_array()) return makeError(where + ": tests must be an array");
            for (const auto& t : c["tests"]) {
                if (!t.is_object()) return makeError(where + ": each test must be an object");
                SimTest st;
                if (t.contains("type") && t["type"].is_string()) st.type = t["type"];
                if (t.contains("result") && t["result"].is_string()) st.result = t["result"];
                if (t.contains("age_h") && t["age_h"].is_number()) st.age = hours(t["age_h"].get<double>());
                if (t.contains("collected_at") && t["collected_at"].is_string())
                    st.collectedAt = t["collected_at"].get<std::string>();
                s.tests.push_back(std::move(st));
            }
        }
        if (c.contains("travel")) {
            if (!c["travel"].is_array()) return makeError(where + ": travel must be an array");
            s.travel.emplace();
            for (const auto& t : c["travel"]) {
                if (!t.is_object() || !t.contains("region") || !t["region"].is_string())
                    return makeError(where + ": each stay needs a string \"region\"");
                SimStay st;
                st.region = t["region"].get<std::string>();
                if (t.contains("ended_h") && t["ended_h"].is_number()) st.endedAgo = hours(t["ended_h"].get<double>());
                if (t.contains("length_h") && t["length_h"].is_number()) st.length = hours(t["length_h"].get<double>());
                s.travel->push_back(std::move(st));
            }
        }
        if (c.contains("document")) {
            const auto& d = c["document"];
            if (!d.is_object() || !d.contains("type") || !d["type"].is_string() || !d.contains("number") || !d["number"].is_string())
                return makeError(where + ": document must be {\"type\", \"number\"}");
            s.document = SimDocument{d["type"].get<std::string>(), d["number"].get<std::string>()};
        }
        if (c.contains("fault")) {
            const auto& f = c["fault"];
            if (!f.is_object()) return makeError(where + ": fault must be an object");
            auto flag = [&](const char* k) { return f.contains(k) && f[k].is_boolean() && f[k].get<bool>(); };
            if (f.contains("delay_ms") && f["delay_ms"].is_number_unsigned())
                s.fault.delay = std::chrono::milliseconds{f["delay_ms"].get<long long>()};
            if (f.contains("status") && f["status"].is_number_integer()) s.fault.status = f["status"].get<int>();
            s.fault.redirect = flag("redirect");
            s.fault.garbage = flag("garbage");
            s.fault.oversize = flag("oversize");
            s.fault.oversizeChunked = flag("oversize_chunked");
            s.fault.closeMidBody = flag("close_mid_body");
            s.fault.drip = flag("drip");
        }
        table.codes.push_back(std::move(s));
    }
    return table;
}

struct HcSim::Impl {
    HcSimOptions options;
    TestPki pki;
    std::string servedPin;
    std::unique_ptr<httplib::SSLServer> server;
    std::thread thread;
    int port = 0;
    std::map<std::string, SimCode> codes;
    std::map<std::pair<std::string, std::string>, std::string> documents;  // (type, number) → code

    mutable std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    SimFault fault;
    std::chrono::seconds serverTimeOffset{0};
    SimStats stats;
    bool stalled = false;
    std::set<std::pair<std::string, int>> peers;
    std::optional<RecordedRequest> last;

    // Waits `d`; false when the simulator is stopping.
    bool pause(std::chrono::milliseconds d) {
        std::unique_lock lock(mutex);
        return !wake.wait_for(lock, d, [&] { return stopping; });
    }
    bool isStopping() {
        std::lock_guard lock(mutex);
        return stopping;
    }
    // Holds the request while stalled (bounded by kMaxStall); false when the simulator is stopping.
    bool waitWhileStalled() {
        std::unique_lock lock(mutex);
        wake.wait_for(lock, kMaxStall, [&] { return stopping || !stalled; });
        return !stopping;
    }
    bool authorised(const httplib::Request& req) {
        if (req.get_header_value("Authorization") == "Bearer " + options.deviceToken) return true;
        std::lock_guard lock(mutex);
        ++stats.unauthorized;
        return false;
    }

    void handleHealth(const httplib::Request& req, httplib::Response& res) {
        {
            std::lock_guard lock(mutex);
            ++stats.health;
        }
        if (!waitWhileStalled()) {
            res.status = 503;
            return;
        }
        if (!authorised(req)) {
            res.status = 401;
            res.set_content(json{{"error", "unauthorized"}}.dump(), "application/json");
            return;
        }
        std::chrono::seconds offset;
        {
            std::lock_guard lock(mutex);
            offset = serverTimeOffset;
        }
        res.status = 200;
        res.set_content(json{{"server_time", formatRfc3339(nowUtc() + offset)}}.dump(), "application/json");
    }

    std::string answerBody(const SimCode& c) {
        const auto now = nowUtc();
        json tests = json::array();
        for (const auto& t : c.tests) {
            tests.push_back({{"type", t.type},
                             {"collected_at", t.collectedAt ? *t.collectedAt : formatRfc3339(now - t.age)},
                             {"result", t.result}});
        }
        std::chrono::seconds offset;
        {
            std::lock_guard lock(mutex);
            offset = serverTimeOffset;
        }
        json body = {{"status", c.status},
                     {"holder", {{"name_masked", c.nameMasked}, {"id_masked", c.idMasked}}},
                     {"tests", tests},
                     {"server_time", formatRfc3339(now + offset)}};
        if (c.travel) {
            json travel = json::array();
            for (const auto& st : *c.travel) {
                const UtcTime ended = now - st.endedAgo.value_or(std::chrono::seconds{0});
                travel.push_back({{"region", st.region},
                                  {"from", formatRfc3339(ended - st.length)},
                                  {"to", st.endedAgo ? json(formatRfc3339(ended)) : json(nullptr)}});
            }
            body["travel"] = std::move(travel);
        }
        return body.dump();
    }

    void handle(const httplib::Request& req, httplib::Response& res) {
        SimFault f;
        {
            std::lock_guard lock(mutex);
            ++stats.requests;
            if (peers.emplace(req.remote_addr, req.remote_port).second) ++stats.connections;
            f = fault;
        }
        auto error = [&](int status, std::string_view message) {
            res.status = status;
            res.set_content(json{{"error", message}}.dump(), "application/json");
        };
        if (!waitWhileStalled()) return error(503, "shutting down");
        if (!authorised(req)) return error(401, "unauthorized");
        json j = json::parse(req.body, nullptr, false);
        auto str = [](const json& o, const char* k) {
            return o.is_object() && o.contains(k) && o[k].is_string() ? o[k].get<std::string>() : std::string{};
        };
        const json document = j.is_object() && j.contains("document") ? j["document"] : json();
        RecordedRequest r{req.get_header_value("Authorization"), req.get_header_value("Content-Type"), str(j, "code"),
                          str(j, "kiosk_id"), str(j, "request_id"), str(j, "scanned_at"), str(document, "type"),
                          str(document, "number"), str(document, "birth_date"), str(document, "nationality")};
        {
            std::lock_guard lock(mutex);
            last = r;
        }
        // §5 v1.1: either "code" or "document" (type, number, birth_date YYYY-MM-DD, nationality), never both.
        const bool asDocument = !document.is_null();
        const bool documentOk = document.is_object() && !r.documentType.empty() && !r.documentNumber.empty() &&
                                r.birthDate.size() == 10 && r.nationality.size() == 3;
        if (r.contentType.rfind("application/json", 0) != 0 || asDocument == !r.code.empty() || (asDocument && !documentOk) ||
            r.kioskId.empty() || !looksLikeUuid(r.requestId) || !parseRfc3339(r.scannedAt)) {
            return error(400, "bad request: code or document {type, number, birth_date, nationality}, kiosk_id, request_id (uuid), "
                              "scanned_at (RFC 3339) required");
        }
        if (asDocument) {
            const auto d = documents.find({r.documentType, r.documentNumber});
            r.code = d == documents.end() ? std::string{} : d->second;
        }
        auto it = codes.find(r.code);
        if (it != codes.end() && it->second.fault.any()) f = it->second.fault;
        if (f.delay.count() > 0 && !pause(f.delay)) return error(503, "shutting down");
        if (f.status != 0) return error(f.status, "injected fault");
        if (f.redirect) {
            res.status = 302;
            res.set_header("Location", "https://127.0.0.1:" + std::to_string(port) + "/v1/verify-elsewhere");
            return;
        }
        if (f.garbage) {
            res.status = 200;
            res.set_content("\x89PNG\r\n not json at all {{{", "application/json");
            return;
        }
        if (it == codes.end()) return error(404, "unknown code");
        auto body = std::make_shared<std::string>(answerBody(it->second));
        res.status = 200;
        if (f.oversize || f.oversizeChunked) {
            json padded = json::parse(*body);
            padded["padding"] = std::string(kOversizeBytes, 'x');
            *body = padded.dump();
        }
        if (f.oversize) {
            res.set_content(*body, "application/json");
        } else if (f.oversizeChunked) {
            res.set_chunked_content_provider("application/json", [this, body](size_t offset, httplib::DataSink& sink) {
                if (isStopping()) return false;
                if (offset >= body->size()) {
                    sink.done();
                    return true;
                }
                return sink.write(body->data() + offset, std::min(kChunkBytes, body->size() - offset));
            });
        } else if (f.closeMidBody) {
            res.set_content_provider(body->size(), "application/json",
                                     [body](size_t offset, size_t, httplib::DataSink& sink) {
                                         if (offset > 0) return false;  // close with half unsent
                                         return sink.write(body->data(), body->size() / 2);
                                     });
        } else if (f.drip) {
            res.set_content_provider(body->size(), "application/json",
                                     [this, body](size_t offset, size_t, httplib::DataSink& sink) {
                                         if (offset > 0 && !pause(kDripInterval)) return false;
                                         return sink.write(body->data() + offset, 1);
                                     });
        } else {
            res.set_content(*body, "application/json");
        }
    }
};

namespace {

struct PemKeyPair {
    X509* cert = nullptr;
    EVP_PKEY* key = nullptr;
    ~PemKeyPair() {
        X509_free(cert);
        EVP_PKEY_free(key);
    }
};

bool loadPair(const std::string& certPem, const std::string& keyPem, PemKeyPair& out) {
    BIO* cb = BIO_new_mem_buf(certPem.data(), static_cast<int>(certPem.size()));
    BIO* kb = BIO_new_mem_buf(keyPem.data(), static_cast<int>(keyPem.size()));
    out.cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    out.key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    BIO_free(cb);
    BIO_free(kb);
    return out.cert != nullptr && out.key != nullptr;
}

}  // namespace

HcSim::HcSim(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HcSim::~HcSim() { stop(); }

Result<std::unique_ptr<HcSim>> HcSim::start(HcSimOptions options) {
    // httplib writes to sockets through OpenSSL, which raises SIGPIPE when a client hangs up mid-
    // answer (every timeout test does). The simulator is test/demo code: ignore it process-wide.
    ::signal(SIGPIPE, SIG_IGN);
    auto impl = std::make_unique<Impl>();
    if (options.pki) {
        impl->pki = *options.pki;
    } else {
        auto generated = generateTestPki();
        if (!generated) return generated.error();
        impl->pki = std::move(generated.value());
    }
    std::string certPem = impl->pki.serverCertPem, keyPem = impl->pki.serverKeyPem;
    if (options.serveBackupKey) {
        certPem = impl->pki.backupCertPem;
        keyPem = impl->pki.backupKeyPem;
    }
    if (options.wrongCertificate) {
        auto stranger = generateTestPki();
        if (!stranger) return stranger.error();
        certPem = stranger->serverCertPem;
        keyPem = stranger->serverKeyPem;
    }
    auto pin = pinOfCertificate(certPem);
    if (!pin) return pin.error();
    impl->servedPin = *pin;
    PemKeyPair pair;
    if (!loadPair(certPem, keyPem, pair)) return makeError("hcsim: cannot read the server certificate or key");
    impl->server = std::make_unique<httplib::SSLServer>(pair.cert, pair.key);
    if (!impl->server->is_valid()) return makeError("hcsim: TLS server setup failed");
    auto& s = *impl->server;
    s.set_tcp_nodelay(true);  // else Nagle + the client's delayed ACK add ~40 ms to every answer
    s.set_keep_alive_timeout(kKeepAliveS);
    s.set_keep_alive_max_count(kKeepAliveMaxRequests);
    Impl* raw = impl.get();
    s.Post("/v1/verify", [raw](const httplib::Request& req, httplib::Response& res) { raw->handle(req, res); });
    s.Get("/v1/health", [raw](const httplib::Request& req, httplib::Response& res) { raw->handleHealth(req, res); });
    // Stalled requests hold a worker each (breaker tests: a few verifies and a probe a second).
    s.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
    if (options.codes.empty()) options.codes = defaultCodes();
    for (const auto& c : options.codes) {
        impl->codes[c.code] = c;
        if (c.document) impl->documents[{c.document->type, c.document->number}] = c.code;
    }
    impl->stalled = options.stalled;
    impl->fault = options.fault;
    impl->serverTimeOffset = options.serverTimeOffset;
    if (options.port == 0) {
        impl->port = s.bind_to_any_port(options.host);
    } else {
        impl->port = s.bind_to_port(options.host, options.port) ? options.port : -1;
    }
    if (impl->port <= 0) return makeError("hcsim: cannot listen on " + options.host + ":" + std::to_string(options.port));
    impl->options = std::move(options);
    impl->thread = std::thread([raw] { raw->server->listen_after_bind(); });
    // stop() before the accept loop runs would be lost; wait for it (bounded, it takes microseconds).
    for (int i = 0; i < kStartPolls && !raw->server->is_running(); ++i) std::this_thread::sleep_for(kStartPoll);
    return std::unique_ptr<HcSim>(new HcSim(std::move(impl)));
}

int HcSim::port() const { return impl_->port; }
std::string HcSim::baseUrl() const {
    const auto& h = impl_->options.host;
    const std::string host = h.find(':') != std::string::npos ? "[" + h + "]" : (h == "0.0.0.0" ? "127.0.0.1" : h);
    return "https://" + host + ":" + std::to_string(impl_->port);
}
const TestPki& HcSim::pki() const { return impl_->pki; }
std::string HcSim::caPem() const { return impl_->pki.caCertPem; }
std::string HcSim::pin() const { return impl_->servedPin; }
std::string HcSim::backupPin() const { return impl_->pki.backupPin; }

void HcSim::setFault(SimFault fault) {
    std::lock_guard lock(impl_->mutex);
    impl_->fault = fault;
}

void HcSim::setStalled(bool stalled) {
    std::lock_guard lock(impl_->mutex);
    impl_->stalled = stalled;
    impl_->wake.notify_all();
}

void HcSim::setServerTimeOffset(std::chrono::seconds offset) {
    std::lock_guard lock(impl_->mutex);
    impl_->serverTimeOffset = offset;
}

SimStats HcSim::stats() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->stats;
}

std::optional<RecordedRequest> HcSim::lastRequest() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->last;
}

void HcSim::stop() {
    if (!impl_ || !impl_->server) return;
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
        impl_->wake.notify_all();
    }
    impl_->server->stop();
    if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace sentinel::hcsim

#include "drivers/net/CurlTransport.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <signal.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "firmware/base/Log.h"
#include "firmware/base/Secret.h"

namespace sentinel::net {
namespace {

using hal::HttpOutcome;
using hal::HttpRequest;
using hal::HttpResponse;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kLog = "Net";
// The worker wakes at least this often even when nothing happens, to notice abandoned transfers
// promptly (a caller that gave up at its deadline also wakes it explicitly; this is the backstop).
constexpr long kMaxPollMs = 200;
// Connections kept in the pool: one service, plus room for a reconnect in flight.
constexpr long kMaxPooledConnections = 4;
// TCP keep-alive probes on idle pooled connections (seconds), so a NAT drop is noticed.
constexpr long kTcpKeepIdleS = 30;
constexpr long kTcpKeepIntervalS = 10;

void globalInit() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

long remainingMs(MonoTime deadline, MonoTime now) {
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    return std::max<long>(1, static_cast<long>(ms));
}

double msBetween(MonoTime a, MonoTime b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

bool isTlsError(CURLcode c) {
    switch (c) {
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_USE_SSL_FAILED:
            return true;
        default:
            return false;
    }
}

struct ParsedUrl {
    std::string scheme, host;
    long port = 0;
};

Result<ParsedUrl> parseUrl(const std::string& url) {
    CURLU* u = curl_url();
    if (u == nullptr) return makeError("out of memory");
    ParsedUrl out;
    bool ok = curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK;
    auto get = [&](CURLUPart part, unsigned flags, std::string& into) {
        char* s = nullptr;
        if (ok && curl_url_get(u, part, &s, flags) == CURLUE_OK && s != nullptr) {
            into = s;
        } else {
            ok = false;
        }
        curl_free(s);
    };
    std::string port;
    get(CURLUPART_SCHEME, 0, out.scheme);
    get(CURLUPART_HOST, 0, out.host);
    get(CURLUPART_PORT, CURLU_DEFAULT_PORT, port);
    curl_url_cleanup(u);
    if (!ok) return makeError("the service URL does not parse");
    out.port = std::strtol(port.c_str(), nullptr, 10);
    return out;
}

bool isIpLiteral(const std::string& host) {
    if (!host.empty() && host.front() == '[') return true;  // curl keeps IPv6 brackets
    in_addr v4{};
    return ::inet_pton(AF_INET, host.c_str(), &v4) == 1;
}

struct Job {
    // A request may carry a document lookup and an answer an itinerary (personal data, STYLE 19):
    // both buffers are zeroised when the job goes.
    ~Job() {
        secureZero(request.body.data(), request.body.size());
        secureZero(body.data(), body.size());
    }
    HttpRequest request;
    bool head = false;
    bool get = false;
    MonoTime deadline;
    std::string resolveEntry;  // "host:port:addr,addr" or empty for an IP literal

    // Worker thread only.
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    curl_slist* resolve = nullptr;
    char errbuf[CURL_ERROR_SIZE] = {};
    std::string body;
    std::size_t maxBody = 0;
    bool tooLarge = false;

    // Shared with the caller.
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    HttpResponse response;
    std::atomic<bool> abandoned{false};
};

size_t writeBody(char* data, size_t size, size_t count, void* user) {
    auto* job = static_cast<Job*>(user);
    const size_t n = size * count;
    if (job->body.size() + n > job->maxBody) {
        job->tooLarge = true;
        return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    job->body.append(data, n);
    return n;
}

size_t discardHeader(char*, size_t size, size_t count, void*) { return size * count; }

}  // namespace

struct CurlTransport::Engine {
    CurlConfig config;
    std::string pinList;  // "sha256//a;sha256//b" as CURLOPT_PINNEDPUBLICKEY wants it
    HostResolver resolver;
    CURLM* multi = nullptr;
    CURLSH* share = nullptr;

    std::mutex mutex;
    std::deque<std::shared_ptr<Job>> incoming;
    bool stop = false;
    std::thread worker;

    std::atomic<std::uint64_t> requests{0}, connectionsOpened{0}, timeouts{0};

    explicit Engine(CurlConfig c)
        : config(std::move(c)), resolver(config.lookup, config.dnsTtl, config.dnsStaleLimit) {
        for (const auto& p : config.pins) pinList += (pinList.empty() ? "" : ";") + p;
        multi = curl_multi_init();
        curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, kMaxPooledConnections);
        // TLS sessions shared between transfers: a reconnect after a dropped transfer resumes.
        // Only the worker thread touches the share, so it needs no lock callbacks.
        share = curl_share_init();
        curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        worker = std::thread([this] { run(); });
    }

    ~Engine() {
        {
            std::lock_guard lock(mutex);
            stop = true;
        }
        curl_multi_wakeup(multi);
        worker.join();
        curl_multi_cleanup(multi);
        curl_share_cleanup(share);
    }

    void submit(std::shared_ptr<Job> job) {
        {
            std::lock_guard lock(mutex);
            incoming.push_back(std::move(job));
        }
        curl_multi_wakeup(multi);
    }

    void wake() { curl_multi_wakeup(multi); }

    bool start(Job& job) {
        CURL* e = curl_easy_init();
        if (e == nullptr) return false;
        job.easy = e;
        job.maxBody = config.maxBodyBytes;
        const auto now = Clock::now();
        const long budgetMs = remainingMs(job.deadline, now);
        curl_easy_setopt(e, CURLOPT_PRIVATE, &job);
        curl_easy_setopt(e, CURLOPT_URL, job.request.url.c_str());
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
        curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_SHARE, share);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, job.errbuf);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, budgetMs);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, budgetMs);
        curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, static_cast<long>(config.maxIdle.count()));
        curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, kTcpKeepIdleS);
        curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, kTcpKeepIntervalS);
        curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(e, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
        if (!config.caPem.empty()) {
            curl_blob blob{const_cast<char*>(config.caPem.data()), config.caPem.size(), CURL_BLOB_COPY};
            curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
        } else if (!config.caFile.empty()) {
            curl_easy_setopt(e, CURLOPT_CAINFO, config.caFile.c_str());
        }
        if (!pinList.empty()) curl_easy_setopt(e, CURLOPT_PINNEDPUBLICKEY, pinList.c_str());
        curl_easy_setopt(e, CURLOPT_USERAGENT, config.userAgent.c_str());
        // Never accept more than the cap: refused up front when Content-Length says so, cut in
        // writeBody otherwise (chunked). A HEAD's Content-Length describes no body: not checked.
        if (!job.head) curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(config.maxBodyBytes));
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, writeBody);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &job);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, discardHeader);
        if (!job.resolveEntry.empty()) {
            job.resolve = curl_slist_append(nullptr, job.resolveEntry.c_str());
            curl_easy_setopt(e, CURLOPT_RESOLVE, job.resolve);
        }
        if (job.head) {
            curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        } else if (job.get) {
            curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        } else {
            curl_easy_setopt(e, CURLOPT_POST, 1L);
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(job.request.body.size()));
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, job.request.body.c_str());
            job.headers = curl_slist_append(job.headers, ("Content-Type: " + job.request.contentType).c_str());
        }
        job.headers = curl_slist_append(job.headers, "Accept: application/json");
        job.headers = curl_slist_append(job.headers, "Expect:");  // no 100-continue round trip
        for (const auto& [name, value] : job.request.headers) {
            job.headers = curl_slist_append(job.headers, (name + ": " + value).c_str());
        }
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, job.headers);
        if (curl_multi_add_handle(multi, e) != CURLM_OK) {
            release(job);
            return false;
        }
        ++requests;
        return true;
    }

    void release(Job& job) {
        if (job.easy != nullptr) {
            curl_multi_remove_handle(multi, job.easy);
            curl_easy_cleanup(job.easy);
            job.easy = nullptr;
        }
        curl_slist_free_all(job.headers);
        curl_slist_free_all(job.resolve);
        job.headers = nullptr;
        job.resolve = nullptr;
    }

    static void complete(Job& job, HttpResponse response) {
        std::lock_guard lock(job.mutex);
        job.response = std::move(response);
        job.done = true;
        job.cv.notify_all();
    }

    void finish(Job& job, CURLcode code) {
        HttpResponse r;
        long connects = 0;
        curl_easy_getinfo(job.easy, CURLINFO_NUM_CONNECTS, &connects);
        connectionsOpened += static_cast<std::uint64_t>(std::max(0L, connects));
        curl_easy_getinfo(job.easy, CURLINFO_RESPONSE_CODE, &r.status);
        if (job.tooLarge || code == CURLE_FILESIZE_EXCEEDED) {
            r.outcome = HttpOutcome::TooLarge;
            r.detail = "response body over " + std::to_string(config.maxBodyBytes) + " bytes";
        } else if (code == CURLE_OK) {
            if (r.status >= 300 && r.status < 400) {
                r.outcome = HttpOutcome::Redirect;
                r.detail = "HTTP " + std::to_string(r.status) + " redirect not followed";
            } else {
                r.outcome = HttpOutcome::Response;
                r.body = std::move(job.body);
            }
        } else if (code == CURLE_OPERATION_TIMEDOUT) {
            r.outcome = HttpOutcome::Timeout;
            r.detail = "no complete response before the deadline (curl timer)";
            ++timeouts;
        } else {
            r.outcome = isTlsError(code) ? HttpOutcome::TlsError : HttpOutcome::NetError;
            r.detail = curl_easy_strerror(code);
            if (job.errbuf[0] != '\0') r.detail += std::string(": ") + job.errbuf;
        }
        release(job);
        complete(job, std::move(r));
    }

    void run() {
        // OpenSSL writes on a socket the peer closed must not kill the kiosk; a SIGPIPE raised by
        // this thread's own write stays pending and harmless while blocked here.
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, nullptr);

        std::vector<std::shared_ptr<Job>> active;
        for (;;) {
            std::deque<std::shared_ptr<Job>> fresh;
            {
                std::lock_guard lock(mutex);
                if (stop) break;
                fresh.swap(incoming);
            }
            for (auto& job : fresh) {
                if (job->abandoned || Clock::now() >= job->deadline) {
                    ++timeouts;
                    complete(*job, HttpResponse{HttpOutcome::Timeout, 0, {}, "deadline passed before start", 0.0});
                } else if (start(*job)) {
                    active.push_back(std::move(job));
                } else {
                    complete(*job, HttpResponse{HttpOutcome::NetError, 0, {}, "cannot start a transfer", 0.0});
                }
            }
            int running = 0;
            curl_multi_perform(multi, &running);
            int left = 0;
            while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
                if (msg->msg != CURLMSG_DONE) continue;
                Job* job = nullptr;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &job);
                const CURLcode code = msg->data.result;  // read before the handle goes away
                if (job != nullptr) finish(*job, code);
            }
            // Our own deadline, independent of curl's timers.
            const auto now = Clock::now();
            long waitMs = kMaxPollMs;
            for (auto& job : active) {
                if (job->easy == nullptr) continue;
                if (job->abandoned || now >= job->deadline) {
                    ++timeouts;
                    release(*job);
                    complete(*job, HttpResponse{HttpOutcome::Timeout, 0, {}, "no complete response before the deadline", 0.0});
                } else {
                    waitMs = std::min(waitMs, remainingMs(job->deadline, now));
                }
            }
            std::erase_if(active, [](const std::shared_ptr<Job>& j) { return j->easy == nullptr; });
            curl_multi_poll(multi, nullptr, 0, static_cast<int>(waitMs), nullptr);
        }
        for (auto& job : active) {
            release(*job);
            complete(*job, HttpResponse{HttpOutcome::NetError, 0, {}, "transport stopped", 0.0});
        }
    }
};

CurlTransport::CurlTransport(CurlConfig config) {
    globalInit();
    engine_ = std::make_shared<Engine>(std::move(config));
}

CurlTransport::~CurlTransport() = default;

HttpResponse CurlTransport::post(const HttpRequest& request, MonoTime deadline) {
    return perform(request, Method::Post, deadline);
}

HttpResponse CurlTransport::get(const HttpRequest& request, MonoTime deadline) {
    return perform(request, Method::Get, deadline);
}

HttpResponse CurlTransport::probe(const std::string& url, MonoTime deadline) {
    HttpRequest request;
    request.url = url;
    return perform(request, Method::Head, deadline);
}

Status CurlTransport::warmUp(const std::string& url, MonoTime deadline) {
    auto r = probe(url, deadline);
    if (r.outcome == HttpOutcome::Response || r.outcome == HttpOutcome::Redirect) return Ok{};
    return makeError(r.detail);
}

TransportStats CurlTransport::stats() const {
    return TransportStats{engine_->requests.load(), engine_->connectionsOpened.load(), engine_->timeouts.load()};
}

HttpResponse CurlTransport::perform(const HttpRequest& request, Method method, MonoTime callerDeadline) {
    const auto started = Clock::now();
    const MonoTime deadline = callerDeadline - engine_->config.returnMargin;
    auto fail = [&](HttpOutcome outcome, std::string detail) {
        HttpResponse r;
        r.outcome = outcome;
        r.detail = std::move(detail);
        r.elapsedMs = msBetween(started, Clock::now());
        SLOG(kLog, Info) << "request not completed: " << r.detail;
        return r;
    };
    if (started >= deadline) return fail(HttpOutcome::Timeout, "deadline already passed");
    auto url = parseUrl(request.url);
    if (!url) return fail(HttpOutcome::NetError, url.error().message);
    if (url->scheme != "https") return fail(HttpOutcome::NetError, "only https:// service URLs are allowed");
    for (const auto& [name, value] : request.headers) {
        if (name.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos)
            return fail(HttpOutcome::NetError, "invalid request header");
    }

    auto job = std::make_shared<Job>();
    job->request = request;
    job->head = method == Method::Head;
    job->get = method == Method::Get;
    job->deadline = deadline;
    if (!isIpLiteral(url->host)) {
        auto resolved = engine_->resolver.resolve(url->host, deadline);
        if (resolved.kind == ResolveOutcome::Kind::Timeout) {
            ++engine_->timeouts;
            return fail(HttpOutcome::Timeout, resolved.detail);
        }
        if (resolved.kind == ResolveOutcome::Kind::Failed) return fail(HttpOutcome::NetError, resolved.detail);
        job->resolveEntry = url->host + ":" + std::to_string(url->port) + ":";
        for (std::size_t i = 0; i < resolved.addresses.size(); ++i) {
            const auto& a = resolved.addresses[i];
            if (i > 0) job->resolveEntry += ",";
            job->resolveEntry += a.find(':') != std::string::npos ? "[" + a + "]" : a;
        }
    }

    engine_->submit(job);
    HttpResponse response;
    {
        std::unique_lock lock(job->mutex);
        if (!job->cv.wait_until(lock, deadline, [&] { return job->done; })) {
            lock.unlock();
            job->abandoned = true;
            engine_->wake();
            return fail(HttpOutcome::Timeout, "no complete response before the deadline");
        }
        response = std::move(job->response);
    }
    response.elapsedMs = msBetween(started, Clock::now());
    if (response.outcome != HttpOutcome::Response) {
        SLOG(kLog, Info) << "request not completed: " << response.detail;
    }
    return response;
}

}  // namespace sentinel::net

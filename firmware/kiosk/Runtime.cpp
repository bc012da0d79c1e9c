#include "firmware/kiosk/Runtime.h"

#include <openssl/rand.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "firmware/kiosk/HolderBinding.h"
#include "firmware/kiosk/RuleSetFile.h"
#include "firmware/kiosk/TrustLoader.h"
#include "firmware/base/Log.h"
#include "firmware/journal/DeviceSecret.h"
#include "firmware/journal/Journal.h"
#include "firmware/journal/ReplayGuard.h"
#include "firmware/trust/TrustList.h"
#include "firmware/verify/Hc1Verifier.h"
#include "firmware/verify/online/OnlineVerifier.h"

namespace sentinel::kiosk {
namespace {

constexpr const char* kLog = "Runtime";

// The journal as the kiosk loop's decision sink: durable before the indicator shows a PASS.
class JournalSink final : public DecisionSink {
public:
    explicit JournalSink(journal::Journal& j) : journal_(j) {}
    Result<std::int64_t> record(const DecisionRecord& r) override { return journal_.append(r); }
    void noteDecodeFailure() override { journal_.noteDecodeFailure(); }

private:
    journal::Journal& journal_;
};

Result<std::string> readTextFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{"cannot read " + path};
    std::ostringstream buf;
    buf << in.rdbuf();
    std::string s = buf.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

std::string sessionKey() {
    std::string key(32, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) key.assign(32, 'k');
    return key;
}

}  // namespace

Runtime::Runtime(const Config& config, const Clock& clock) : config_(config), clock_(clock) {}
Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::create(const Config& config, const Clock& clock, RuntimeOptions options) {
    if (options.checkStartable) {
        if (auto problems = checkStartable(config, options.startRequirements); !problems.empty()) {
            std::string message = std::to_string(problems.size()) + (problems.size() == 1 ? " problem stops" : " problems stop") +
                                  " the kiosk (`sentinel config check` lists the same):\n" + formatProblems(problems);
            message.pop_back();  // the last newline
            return Error{std::move(message)};
        }
    }
    std::unique_ptr<Runtime> rt(new Runtime(config, clock));

    auto secret = journal::loadOrCreateDeviceSecret(config.kiosk.stateDir);
    if (secret) {
        rt->deviceSecret_ = std::move(secret).value();
    } else if (options.requireDeviceSecret) {
        return Error{"kiosk.state_dir: " + secret.error().message};
    } else {
        SLOG(kLog, Debug) << "no device secret (" << secret.error().message << "); subjects use a session key";
        rt->deviceSecret_ = sessionKey();
    }

    LoadedTrust loaded = loadTrustState(config, options.trustPath);
    if (!loaded.state->list) {
        rt->trustError_ = loaded.error;
        if (options.trustPath) return Error{"--trust: " + loaded.error};
        SLOG(kLog, Warn) << "trust list unavailable: " << rt->trustError_ << " (HC1 codes will be REFERred)";
    } else {
        SLOG(kLog, Info) << "trust list: " << loaded.state->list->size() << " certificate(s) from " << loaded.state->source;
    }
    rt->bundleIssuedAt_ = loaded.bundleIssuedAt;
    // §12: the rule set of rules.path (a synced bundle's rule set, when it has one, wins over it).
    std::shared_ptr<const rules::RuleSet> configuredRules;
    if (!config.rules.path.empty()) {
        auto set = loadRuleSet(config.rules.path);
        if (!set) return Error{"rules.path: " + set.error().message};
        configuredRules = std::move(set).value();
        SLOG(kLog, Info) << "rule set " << configuredRules->label() << ": " << configuredRules->rules.size()
                         << " rule(s) from " << config.rules.path << " (country " << config.rules.country << ")";
    }
    rt->trustStore_ = std::make_shared<TrustStore>(loaded.state, configuredRules, config.rules.country);
    if (loaded.state->rules) {
        SLOG(kLog, Info) << "rule set " << loaded.state->rules->label() << " from the trust bundle";
    }

    // The test issuers: the device's own, if `sentinel testcard` created one, and the station's
    // (kiosk.test_issuer). They are never part of the trust list.
    auto testIssuers = loadTestCardIssuers(config);
    if (!testIssuers) return Error{"kiosk.test_issuer: " + testIssuers.error().message};
    rt->testCardList_ = std::move(testIssuers).value();
    if (rt->testCardList_ && loaded.state->list) {
        for (const auto& c : rt->testCardList_->certificates()) {
            if (!loaded.state->list->findByKid(c.kid).empty()) {
                SLOG(kLog, Error) << "a test issuer is in the trust list: remove it (test cards are never PASS)";
            }
        }
    }

    if (!config.online.baseUrl.empty()) {
        std::string token = options.onlineToken;
        if (token.empty()) {
            auto t = readTextFile(config.online.tokenFile);
            if (!t) return Error{"online.token_file: " + t.error().message};
            token = std::move(t).value();
        }
        HttpsSettings hs;
        if (options.onlineCaPem.empty()) {
            hs.caFile = config.online.caFile;
        } else {
            hs.caPem = options.onlineCaPem;
        }
        hs.pins = config.online.pins;
        if (options.httpsTransport) rt->transport_ = options.httpsTransport(hs);
        if (!rt->transport_) return Error{"online.base_url: no HTTPS transport to reach it"};
        verify::OnlineConfig oc;
        oc.baseUrl = config.online.baseUrl;
        oc.kioskId = config.kiosk.id;
        oc.deviceToken = token;
        oc.maxSkewS = config.clock.maxSkewS;
        verify::BreakerConfig breaker;
        breaker.failures = config.online.breakerFailures;
        breaker.openFor = std::chrono::seconds{config.online.breakerOpenS};
        rt->online_ = std::make_unique<verify::OnlineVerifier>(*rt->transport_, clock, oc, config.policy, breaker);
    }

    if (options.openJournal) {
        journal::JournalOptions jo;
        jo.path = config.journal.path;
        jo.kioskId = config.kiosk.id;
        jo.retainAge = std::chrono::hours{24 * config.journal.retainDays};
        jo.retainMaxBytes = static_cast<std::uint64_t>(config.journal.retainMb) << 20;
        auto j = journal::Journal::open(jo, clock);
        if (!j) return Error{"journal.path: " + j.error().message};
        rt->journal_ = std::move(j).value();
        rt->sink_ = std::make_unique<JournalSink>(*rt->journal_);
    }
    rt->replay_ = std::make_unique<journal::ReplayGuard>(std::chrono::seconds{config.replay.windowS});

    if (options.requireTrustedClock) {
        UtcTime floor = buildTime();
        if (rt->journal_) {
            // The newest journal record: time never runs backwards past what was already decided.
            if (auto st = rt->journal_->stats(std::nullopt); st && st->newest && *st->newest > floor) floor = *st->newest;
        }
        rt->clockTrust_ = std::make_shared<ClockTrust>(clock, options.clockSignals ? options.clockSignals : probeClockSignals,
                                                       floor, config.clock.maxUnsyncedH);
        auto st = rt->clockTrust_->state();
        if (st.trusted) {
            SLOG(kLog, Info) << "clock trusted: " << st.detail;
        } else {
            SLOG(kLog, Warn) << "clock UNTRUSTED: " << st.detail << " (time-dependent decisions REFER CLOCK_UNTRUSTED)";
        }
    }

    RouterOptions ro;
    ro.trustStore = rt->trustStore_;
    ro.trustMaxAgeH = config.trust.maxAgeH;
    ro.policy = config.policy;
    ro.rulesCountry = config.rules.country;
    if (rt->clockTrust_) {
        std::shared_ptr<ClockTrust> ct = rt->clockTrust_;
        ro.clockTrusted = [ct] { return ct->trusted(); };
    }
    if (rt->testCardList_) {
        std::shared_ptr<const trust::TrustList> list = rt->testCardList_;
        const Clock* clk = &clock;
        const policy::PolicyConfig pol = config.policy;
        verify::RulesInForce builtin;
        builtin.country = config.rules.country;
        builtin.builtin = verify::makeBuiltinRules(pol, builtin.country);
        ro.isTestCard = [list, clk, pol, builtin](std::string_view payload) {
            // Signed by the test issuer: the signature stage passes against a list holding only it.
            verify::OfflineContext ctx{list.get(), clk->now(), pol, false, std::string(32, 't'), false, builtin};
            return verify::verifyHc1(payload, ctx).stages.signature.value_or(false);
        };
    }
    ro.subjectKey = rt->deviceSecret_;
    ro.online = rt->online_.get();
    ro.validationTime = options.validationTime;
    ro.evaluateAllStages = options.evaluateAllStages;
    ro.diagnosticsMode = config.kiosk.diagnosticsMode;
    ro.revocation = options.revocation;
    // Config validation refused any other spelling.
    ro.holderBinding = holderBindingFromString(config.binding.holderBinding).value_or(HolderBinding::Show);
    if (!options.revocation) {
        // The kiosk's own index (a bundle's or trust.revocation_path's) is judged for freshness on
        // the kiosk clock (§17); a file given by hand (`verify --revocation`) is a desk check.
        ro.revocationFreshness = trust::RevocationFreshness{
            std::chrono::hours{static_cast<std::chrono::hours::rep>(std::llround(config.trust.revocationMaxAgeH))},
            config.trust.requireRevocation};
    }
    rt->router_ = std::make_unique<CredentialRouter>(clock, ro);
    return rt;
}

KioskOptions Runtime::kioskOptions() const {
    KioskOptions o;
    o.budget = std::chrono::milliseconds{config_.budget.decisionMs};
    o.rearmFrames = config_.camera.rearmFrames;
    o.overrideWindow = std::chrono::seconds{config_.staff.overrideWindowS};
    o.diagnosticsMode = config_.kiosk.diagnosticsMode;
    if (holderBindingFromString(config_.binding.holderBinding) == HolderBinding::Require) {
        o.bindingWindow = std::chrono::seconds{config_.binding.bindingWindowS};
    }
    if (config_.replay.windowS > 0) {
        journal::ReplayGuard* guard = replay_.get();
        o.seenRecently = [guard](const std::string& subject, MonoTime now) { return guard->seenRecently(subject, now); };
    }
    return o;
}

}  // namespace sentinel::kiosk

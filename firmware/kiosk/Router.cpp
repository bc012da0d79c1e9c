#include "firmware/kiosk/Router.h"

#include "firmware/base/Log.h"
#include "firmware/base/QrLimits.h"
#include "firmware/credential/Hc1.h"
#include "firmware/credential/ResidentId.h"
#include "firmware/trust/TrustList.h"
#include "firmware/verify/Hc1Verifier.h"
#include "firmware/verify/online/OnlineVerifier.h"

namespace sentinel::kiosk {
namespace {

constexpr double kMsPerHour = 3600.0 * 1000.0;
constexpr const char* kLog = "Router";

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The risk-area list in force at `now` (nullptr: none held, or no store).
std::shared_ptr<const policy::RiskAreaList> riskListAt(const TrustState* snapshot, UtcTime now) {
    return snapshot ? snapshot->risk.at(now).inForce : nullptr;
}

}  // namespace

CredentialRouter::CredentialRouter(const Clock& clock, RouterOptions options)
    : clock_(clock), options_(std::move(options)), builtin_(verify::makeBuiltinRules(options_.policy, options_.rulesCountry)) {}

Verdict CredentialRouter::verify(std::string_view payload, MonoTime deadline) {
    Verdict v;
    const MonoTime t0 = clock_.monotonic();
    const UtcTime now = options_.validationTime.value_or(clock_.now());
    const bool clockTrusted = options_.validationTime || !options_.clockTrusted || options_.clockTrusted();

    // At the door: longer than any QR code can carry → MALFORMED before any parser sees it.
    if (payload.size() > kMaxQrPayloadChars) {
        SLOG(kLog, Warn) << "payload of " << payload.size() << " bytes is longer than a QR code can carry (" << kMaxQrPayloadChars
                         << "): MALFORMED";
        v.record.decide(Reason::Malformed);
        v.record.latency.verifyMs = std::chrono::duration<double, std::milli>(clock_.monotonic() - t0).count();
        return v;
    }

    // One snapshot of the trust list and policy for the whole decision (trust sync may swap them).
    const std::shared_ptr<const TrustState> snapshot = options_.trustStore ? options_.trustStore->current() : nullptr;
    const trust::TrustList* trustList = snapshot ? snapshot->list.get() : options_.trust;
    const policy::PolicyConfig& policy = snapshot ? snapshot->policy : options_.policy;
    const verify::RulesInForce rules{snapshot ? snapshot->rules : options_.rules, options_.rulesCountry,
                                     snapshot ? snapshot->builtin : builtin_};

    if (startsWith(payload, credential::kHc1Prefix)) {
        bool stale = trustList == nullptr;
        if (trustList) {
            if (auto issued = trustList->issuedAt()) {
                stale = static_cast<double>((now - *issued).count()) > options_.trustMaxAgeH * kMsPerHour;
            }
        }
        static const trust::TrustList kEmpty;
        // `verify --revocation` names a file; the kiosk uses the index of the trust/policy snapshot.
        const std::shared_ptr<const trust::RevocationIndex> revocation =
            options_.revocation ? options_.revocation->current() : (snapshot ? snapshot->revocation : nullptr);
        const bool revocationStale =
            options_.revocationFreshness && trust::revocationStale(revocation.get(), clock_.now(), *options_.revocationFreshness);
        verify::OfflineContext ctx{trustList ? trustList : &kEmpty, now, policy, stale, options_.subjectKey,
                                   options_.evaluateAllStages, rules, revocation.get(), revocationStale};
        if (options_.holderBinding == HolderBinding::Off) {
            v.record = verify::verifyHc1(payload, ctx);
        } else {
            auto holder = std::make_shared<CertificateHolder>();
            v.record = verify::verifyHc1(payload, ctx, holder.get());
            v.holderMasked = maskedHolder(*holder);
            if (options_.holderBinding == HolderBinding::Require && !v.holderMasked.empty()) v.holder = std::move(holder);
        }
        if (options_.isTestCard && options_.isTestCard(payload)) {
            v.fromTestIssuer = true;  // never overridable by staff (§11)
            v.holder.reset();             // nor bound to a traveller (§15): it proves the path, not a person
            v.holderMasked.clear();
            v.record.revocation.reset();  // a test card is decided as one, never as a revoked credential
            if (!options_.diagnosticsMode) {
                v.record.decide(Reason::UnknownIssuer);  // a test card in service is just an unknown issuer
            } else {
                v.testCard = true;
                v.record.format = "TEST";
                v.record.test.reset();
                v.record.stages.signature = true;  // by the device's test issuer
                v.record.stages.keyUsage = v.record.stages.expiry = v.record.stages.policy = std::nullopt;
                v.record.decide(Reason::Ok);
            }
        }
    } else if (startsWith(payload, credential::kHk1Prefix)) {
        if (!credential::isHk1Token(payload)) {
            v.record.format = "HK1";
            v.record.stages.prefix = true;
            v.record.decide(Reason::Malformed);
        } else if (!options_.online) {
            v.record.format = "HK1";
            v.record.stages.prefix = true;
            v.record.decide(Reason::BackendNotConfigured);  // not an outage: this kiosk has no service
        } else {
            // §14: the list in force at this decision's time (the trusted clock; `verify --at`'s time).
            auto online = options_.online->verify(payload, deadline, options_.subjectKey, policy, rules, riskListAt(snapshot.get(), now));
            v.record = std::move(online.record);
            v.holderMasked = std::move(online.holderMasked);
        }
    } else {
        v.record.stages.prefix = false;
        v.record.decide(Reason::UnsupportedFormat);
    }
    finish(v, t0, clockTrusted, snapshot.get(), policy, rules.set);
    return v;
}

Verdict CredentialRouter::verifyPresentation(const Presentation& presentation, MonoTime deadline) {
    if (presentation.kind == Presentation::Kind::Code) return verify(presentation.payload, deadline);
    return verifyDocument(presentation, deadline);
}

Verdict CredentialRouter::verifyDocument(const Presentation& presentation, MonoTime deadline) {
    Verdict v;
    const MonoTime t0 = clock_.monotonic();
    const bool clockTrusted = options_.validationTime || !options_.clockTrusted || options_.clockTrusted();
    const std::shared_ptr<const TrustState> snapshot = options_.trustStore ? options_.trustStore->current() : nullptr;
    const policy::PolicyConfig& policy = snapshot ? snapshot->policy : options_.policy;
    const verify::RulesInForce rules{snapshot ? snapshot->rules : options_.rules, options_.rulesCountry,
                                     snapshot ? snapshot->builtin : builtin_};

    const IdentityDocument* document = presentation.document.get();
    v.record.format = document ? std::string(recordFormat(document->type)) : (presentation.source == "mrz" ? "MRZ" : "ID");
    v.record.stages.prefix = document != nullptr;
    if (document == nullptr) {
        v.record.decide(Reason::DocumentUnreadable);  // the source could not read it: try again
    } else if ((document->type == DocumentType::CnId || document->type == DocumentType::CnPermitJ) &&
               credential::checkResidentId(document->number.view(), document->birthDate.view()) !=
                   credential::ResidentIdCheck::Valid) {
        SLOG(kLog, Info) << "document from " << presentation.source << ": the number fails GB 11643: DOCUMENT_UNREADABLE";
        v.record.decide(Reason::DocumentUnreadable);
    } else if (!options_.online) {
        v.record.decide(Reason::BackendNotConfigured);
    } else {
        auto online = options_.online->verifyDocument(*document, deadline, options_.subjectKey, policy, rules);
        v.record = std::move(online.record);
        v.holderMasked = std::move(online.holderMasked);
    }
    finish(v, t0, clockTrusted, snapshot.get(), policy, rules.set);
    return v;
}

void CredentialRouter::finish(Verdict& v, MonoTime t0, bool clockTrusted, const TrustState* snapshot,
                              const policy::PolicyConfig& policy, const std::shared_ptr<const rules::RuleSet>& rules) const {
    // Time-dependent decisions need a trusted clock: a PASS or a time-based DENY becomes REFER.
    // What no clock can change (an unreadable presentation, a forged or foreign signature, a kiosk
    // without a service) keeps its reason.
    const Reason r = v.record.reason;
    if (!clockTrusted && !v.testCard && r != Reason::UnsupportedFormat && r != Reason::Malformed &&
        r != Reason::SignatureInvalid && r != Reason::UnknownIssuer && r != Reason::DocumentUnreadable &&
        r != Reason::BackendNotConfigured) {
        v.record.decide(Reason::ClockUntrusted);
        v.record.route.reset();  // §14: the route of the reason it replaced no longer applies
    }
    if (v.record.reason == Reason::TestTooOld && v.record.test) {
        v.testLimitH = v.record.test->type == TestType::Rat ? policy.maxTestAgeRatH : policy.maxTestAgeNaatH;
    }
    if (v.record.reason == Reason::RuleNotMet && rules && v.record.rules) {
        v.ruleText = verify::failedRuleText(*rules, *v.record.rules);
    }
    if (!v.record.latency.verifyMs) {
        v.record.latency.verifyMs = std::chrono::duration<double, std::milli>(clock_.monotonic() - t0).count();
    }
    v.record.policyVersion = snapshot ? snapshot->policyVersion : "config";  // §13.1: every record
}

}  // namespace sentinel::kiosk

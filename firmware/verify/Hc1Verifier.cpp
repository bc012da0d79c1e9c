#include "firmware/verify/Hc1Verifier.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <chrono>

#include "firmware/base/Log.h"
#include "firmware/credential/Hc1.h"
#include "firmware/verify/Revocation.h"
#include "firmware/verify/Signature.h"

namespace sentinel::verify {
namespace {

constexpr const char* kLog = "Verify";

// HCERT §3.3.3 key usage OIDs, per entry type; both spellings seen in the field.
constexpr std::array<std::string_view, 2> kOidTest{"1.3.6.1.4.1.1847.2021.1.1", "1.3.6.1.4.1.0.1847.2021.1.1"};
constexpr std::array<std::string_view, 2> kOidVaccination{"1.3.6.1.4.1.1847.2021.1.2", "1.3.6.1.4.1.0.1847.2021.1.2"};
constexpr std::array<std::string_view, 2> kOidRecovery{"1.3.6.1.4.1.1847.2021.1.3", "1.3.6.1.4.1.0.1847.2021.1.3"};

bool hasAny(const std::vector<std::string>& ekus, const std::array<std::string_view, 2>& oids) {
    return std::any_of(ekus.begin(), ekus.end(),
                       [&](const std::string& e) { return std::find(oids.begin(), oids.end(), e) != oids.end(); });
}

std::string firstIdentifier(const credential::HealthCertificate& dcc) {
    for (const auto& t : dcc.tests) {
        if (!t.identifier.empty()) return t.identifier;
    }
    for (const auto* list : {&dcc.vaccinations, &dcc.recoveries}) {
        for (const auto& e : *list) {
            if (!e.identifier.empty()) return e.identifier;
        }
    }
    return {};
}

// DESIGN §3 expiry: DSC notBefore ≤ iat ≤ clock ≤ exp ≤ DSC notAfter. Returns the failure reason.
std::optional<Reason> expiryFailure(const credential::CwtClaims& claims, const trust::TrustedCertificate* dsc,
                                    UtcTime now) {
    if (claims.issuedAt) {
        if (now < *claims.issuedAt) return Reason::CredentialNotYetValid;
        if (dsc && dsc->notBefore && *claims.issuedAt < *dsc->notBefore) return Reason::CredentialNotYetValid;
    }
    if (!claims.expiresAt || now > *claims.expiresAt) return Reason::CredentialExpired;
    if (dsc && dsc->notAfter && *claims.expiresAt > *dsc->notAfter) return Reason::CredentialExpired;
    return std::nullopt;
}

double millisecondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string subjectHash(std::string_view key, std::string_view identifier) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int len = 0;
    static constexpr unsigned char kNoKey = 0;
    const void* keyData = key.empty() ? static_cast<const void*>(&kNoKey) : static_cast<const void*>(key.data());
    HMAC(EVP_sha256(), keyData, static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(identifier.data()),
         identifier.size(), mac.data(), &len);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned int i = 0; i < len; ++i) {
        out.push_back(kHex[mac[i] >> 4]);
        out.push_back(kHex[mac[i] & 0x0F]);
    }
    return out;
}

bool keyUsageAllows(const std::vector<std::string>& ekus, const credential::HealthCertificate& dcc) {
    const bool test = hasAny(ekus, kOidTest);
    const bool vaccination = hasAny(ekus, kOidVaccination);
    const bool recovery = hasAny(ekus, kOidRecovery);
    if (!test && !vaccination && !recovery) return true;
    if (!dcc.tests.empty() && !test) return false;
    if (!dcc.vaccinations.empty() && !vaccination) return false;
    if (!dcc.recoveries.empty() && !recovery) return false;
    return true;
}

policy::PolicyInput policyInputOf(const credential::HealthCertificate& dcc) {
    policy::PolicyInput in;
    for (const auto& t : dcc.tests) {
        policy::TestEntry e;
        e.type = t.type == kLoincNaat ? TestType::Naat : t.type == kLoincRat ? TestType::Rat : TestType::Other;
        e.collectedAt = parseRfc3339(t.sampleTime);
        e.negative = t.result == kSnomedNotDetected;
        e.result = e.negative ? "negative" : t.result == kSnomedDetected ? "positive" : "unknown";
        in.tests.push_back(std::move(e));
    }
    in.hasVaccination = !dcc.vaccinations.empty();
    in.hasRecovery = !dcc.recoveries.empty();
    return in;
}

namespace {

rules::CertificateKind certificateKindOf(const credential::HealthCertificate& dcc) {
    if (!dcc.tests.empty()) return rules::CertificateKind::Test;
    if (!dcc.vaccinations.empty()) return rules::CertificateKind::Vaccination;
    if (!dcc.recoveries.empty()) return rules::CertificateKind::Recovery;
    return rules::CertificateKind::None;
}

// The HCERT payload (claim -260 → 1) as CertLogic's `payload`; the CWT was parsed before, so a
// failure here is not expected — an empty payload then fails the rules that need data.
nlohmann::json hcertPayloadJson(const std::vector<uint8_t>& cwt) {
    auto claims = credential::cborDecode(cwt);
    if (!claims) return nlohmann::json::object();
    const auto* hcert = claims->find(credential::kClaimHcert);
    const auto* dcc = hcert ? hcert->find(credential::kHcertEuDcc) : nullptr;
    return dcc ? cborToJson(*dcc) : nlohmann::json::object();
}

rules::External externalOf(const credential::CwtClaims& claims, const credential::CoseSign1& cose) {
    rules::External e;
    if (claims.expiresAt) e.expMs = claims.expiresAt->time_since_epoch().count();
    if (claims.issuedAt) e.iatMs = claims.issuedAt->time_since_epoch().count();
    e.issuerCountryCode = claims.issuer.value_or("");
    e.kid = base64Of(cose.kid);
    return e;
}

}  // namespace

DecisionRecord verifyHc1(std::string_view payload, const OfflineContext& ctx) { return verifyHc1(payload, ctx, nullptr); }

DecisionRecord verifyHc1(std::string_view payload, const OfflineContext& ctx, CertificateHolder* holder) {
    const auto start = std::chrono::steady_clock::now();
    DecisionRecord rec;
    rec.format = "HC1";
    std::optional<Reason> failure;
    auto finish = [&](Reason r) {
        rec.decide(r);
        rec.latency.verifyMs = millisecondsSince(start);
        SLOG(kLog, Debug) << "HC1 " << toString(rec.decision) << " " << toString(r);
        return rec;
    };

    auto parsed = credential::parseHc1(payload);
    rec.stages = parsed.stages;
    if (!parsed.ok()) {
        SLOG(kLog, Debug) << "HC1 parse failed: " << parsed.error;
        return finish(parsed.stages.prefix == false ? Reason::UnsupportedFormat : Reason::Malformed);
    }
    const auto& cose = *parsed.cose;
    const auto& claims = *parsed.claims;
    if (const auto ci = firstIdentifier(claims.dcc); !ci.empty()) rec.subject = subjectHash(ctx.subjectKey, ci);

    // Signature: every certificate with the kid is tried.
    std::vector<const trust::TrustedCertificate*> candidates;
    if (ctx.trust != nullptr && !cose.kid.empty()) candidates = ctx.trust->findByKid(cose.kid);
    const trust::TrustedCertificate* signer = nullptr;
    if (candidates.empty()) {
        rec.stages.signature = false;
        failure = ctx.trustStale ? Reason::TrustListStale : Reason::UnknownIssuer;
    } else {
        for (const auto* c : candidates) {
            if (verifyCoseSignature(cose, c->der) == SignatureCheck::Valid) {
                signer = c;
                break;
            }
        }
        rec.stages.signature = signer != nullptr;
        if (!signer) failure = Reason::SignatureInvalid;
    }
    if (signer && holder) *holder = claims.dcc.holder;
    // §17: revocation, once the signature is known good (a forged credential is SIGNATURE_INVALID).
    if (signer && ctx.revocation) {
        if (const auto hit = revocationHit(*ctx.revocation, cose, claims, ctx.now)) {
            rec.revocation = std::string(trust::toString(*hit));
            failure = Reason::Revoked;
        }
    }
    const bool keepGoing = ctx.evaluateAllStages && !candidates.empty();
    if (failure && !keepGoing) return finish(*failure);
    const trust::TrustedCertificate* dsc = signer ? signer : candidates.front();

    const bool usageOk = keyUsageAllows(dsc->extendedKeyUsages, claims.dcc);
    rec.stages.keyUsage = usageOk;
    if (!usageOk && !failure) failure = Reason::KeyUsageMismatch;
    if (failure && !keepGoing) return finish(*failure);

    const auto expiry = expiryFailure(claims, dsc, ctx.now);
    rec.stages.expiry = !expiry.has_value();
    if (expiry && !failure) failure = expiry;
    if (failure) return finish(*failure);

    if (claims.dccError) {
        SLOG(kLog, Debug) << "HC1 content unusable: " << *claims.dccError;
        rec.stages.policy = false;
        return finish(Reason::Malformed);
    }
    const policy::PolicyInput input = policyInputOf(claims.dcc);
    rec.test = policy::testSummary(input, ctx.now, ctx.policy);
    Reason reason = Reason::InternalError;
    if (!ctx.rules.set) {
        reason = decideBuiltin(*builtinRulesFor(ctx.rules.builtin, ctx.policy, ctx.rules.country), input, ctx.now);
    } else {
        const auto check = checkRules(*ctx.rules.set, ctx.rules.country, certificateKindOf(claims.dcc), ctx.now,
                                      hcertPayloadJson(cose.payload), externalOf(claims, cose));
        rec.rules = check.outcome;
        reason = check.passed ? Reason::Ok : Reason::RuleNotMet;
    }
    rec.stages.policy = reason == Reason::Ok;
    if (reason == Reason::Ok && ctx.trustStale) return finish(Reason::TrustListStale);
    if (reason == Reason::Ok && ctx.revocationStale) return finish(Reason::RevocationListStale);
    return finish(reason);
}

Stages hc1Stages(std::string_view payload, const trust::TrustList* trust, UtcTime validationClock) {
    OfflineContext ctx;
    ctx.trust = trust;
    ctx.now = validationClock;
    ctx.evaluateAllStages = true;
    Stages stages = verifyHc1(payload, ctx).stages;
    stages.policy.reset();
    return stages;
}

}  // namespace sentinel::verify

#pragma once
// Decisions and reason codes: the stable identifiers of DESIGN §3. The UI, the voice prompt, the
// journal and the statistics all key on these strings; never rename one.

#include <optional>
#include <string_view>

namespace sentinel {

enum class Decision { Pass, Deny, Refer };

enum class Reason {
    Ok,
    TestTooOld,
    TestPositive,
    TestTypeNotAccepted,
    TestInFuture,
    NoTestResult,
    CodeNotGreen,
    UnknownCode,
    SignatureInvalid,
    UnknownIssuer,
    KeyUsageMismatch,
    CredentialExpired,
    CredentialNotYetValid,
    Malformed,
    UnsupportedFormat,
    TrustListStale,
    BackendTimeout,
    BackendError,
    ClockUntrusted,
    Replayed,
    InternalError,
    JournalFault,  // the journal could not store the record: fail closed (issue 5)
    RuleNotMet,     // DENY: an acceptance rule of the rule set in force failed (§12)
    StaffOverride,  // PASS: staff opened the gate after looking at the traveller's papers (§11)
    // §14: risk areas, pending results, the circuit breaker.
    RiskAreaHigh,         // REFER, route isolation
    RiskAreaMedium,       // REFER, route observation
    TestResultPending,    // REFER, route testing
    RiskListStale,        // REFER, route staff
    BackendUnavailable,   // REFER, route staff: the circuit breaker is open
    TravelUnknown,        // REFER: policy.require_travel and the service gave no travel data
    // §15: identity documents.
    DocumentUnreadable,   // REFER: a card or MRZ failed its checks ("please try again")
    HolderMismatch,       // DENY: the certificate's holder is not the document's
    HolderNotChecked,     // REFER: holder binding required, no document within the window
    // §17: revocation.
    Revoked,              // DENY
    RevocationListStale,  // REFER
    BackendNotConfigured, // REFER: an online code or document on a kiosk without online.base_url
};

std::string_view toString(Decision d);
std::string_view toString(Reason r);
std::optional<Decision> decisionFromString(std::string_view s);
std::optional<Reason> reasonFromString(std::string_view s);

// The decision a reason implies when nothing else is known: OK, STAFF_OVERRIDE → PASS; faults of the kiosk or its
// environment (stale lists, backend, clock, internal, journal), the routes of §14, an unreadable document and
// an unchecked holder → REFER; the rest → DENY.
Decision decisionFor(Reason r);

// Short texts for the traveller, in English and Chinese.
std::string_view reasonTextEn(Reason r);
std::string_view reasonTextZh(Reason r);

}  // namespace sentinel

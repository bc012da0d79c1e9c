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
};

std::string_view toString(Decision d);
std::string_view toString(Reason r);
std::optional<Decision> decisionFromString(std::string_view s);
std::optional<Reason> reasonFromString(std::string_view s);

// The decision a reason implies when nothing else is known: OK, STAFF_OVERRIDE → PASS; faults of the kiosk or its
// environment (stale trust list, backend, clock, internal, journal) → REFER; the rest → DENY.
Decision decisionFor(Reason r);

// Short texts for the traveller, in English and Chinese.
std::string_view reasonTextEn(Reason r);
std::string_view reasonTextZh(Reason r);

}  // namespace sentinel

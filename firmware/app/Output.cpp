#include "firmware/app/Output.h"

#include <cstdio>

namespace sentinel::app {
namespace {

const char* mark(const std::optional<bool>& b) { return !b ? "·" : (*b ? "ok" : "FAIL"); }

}  // namespace

void printRecord(std::ostream& out, const DecisionRecord& r, bool json) {
    if (json) {
        out << toJsonLine(r) << '\n';
        return;
    }
    if (!r.file.empty()) out << r.file << ": ";
    out << toString(r.decision) << ' ' << toString(r.reason) << "  (" << reasonTextEn(r.reason) << " / "
        << reasonTextZh(r.reason) << ")";
    if (!r.format.empty()) out << "  format " << r.format;
    out << '\n';
    const auto& s = r.stages;
    out << "  stages: prefix " << mark(s.prefix) << ", base45 " << mark(s.base45) << ", inflate " << mark(s.inflate)
        << ", cbor " << mark(s.cbor) << ", signature " << mark(s.signature) << ", key_usage " << mark(s.keyUsage)
        << ", expiry " << mark(s.expiry) << ", policy " << mark(s.policy) << '\n';
    if (r.test) {
        char age[32];
        std::snprintf(age, sizeof age, "%.2f", r.test->ageHours);
        out << "  test: " << toString(r.test->type) << ", collected " << r.test->collectedAt << " (" << age << " h ago), "
            << r.test->result << '\n';
    }
    if (r.code) out << "  code: " << *r.code << '\n';
    if (r.revocation) out << "  revocation: its " << *r.revocation << " hash is in the revocation index\n";
    if (r.latency.totalMs || r.latency.verifyMs) {
        char ms[64];
        std::snprintf(ms, sizeof ms, "%.2f", r.latency.totalMs.value_or(r.latency.verifyMs.value_or(0)));
        out << "  latency: " << ms << " ms\n";
    }
}

}  // namespace sentinel::app

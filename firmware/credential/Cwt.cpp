#include "firmware/credential/Cwt.h"

#include <cmath>

#include "firmware/credential/Cbor.h"

namespace sentinel::credential {
namespace {

// Epoch seconds beyond ±10^11 (year ~5138) are not a date any issuer writes; bounding them keeps
// the conversion to milliseconds far from overflow.
constexpr double kMaxEpochSeconds = 1e11;
constexpr double kMsPerSecond = 1000.0;

Result<UtcTime> epochTime(const CborValue& v) {
    double seconds = 0.0;
    if (v.isInt()) {
        const auto i = v.asInt();
        if (!i) return makeError("cwt: time out of range");
        seconds = static_cast<double>(*i);
    } else if (v.type == CborType::Float) {
        seconds = v.real;
    } else {
        return makeError("cwt: time is neither integer nor float");
    }
    if (!std::isfinite(seconds) || std::fabs(seconds) > kMaxEpochSeconds) return makeError("cwt: time out of range");
    return UtcTime{std::chrono::milliseconds{static_cast<long long>(std::floor(seconds * kMsPerSecond))}};
}

// Reads a text field of a DCC entry; absent is allowed when `required` is false.
bool textField(const CborValue& entry, const char* key, bool required, std::string& out, std::string& error) {
    const CborValue* v = entry.find(key);
    if (v == nullptr) {
        if (required) error = std::string("dcc: missing ") + key;
        return !required;
    }
    if (v->type != CborType::Text) {
        error = std::string("dcc: ") + key + " is not text";
        return false;
    }
    out = v->text;
    return true;
}

// `co` feeds only the revocation hashes (§17): read when it is text, ignored otherwise (a DCC with
// an odd `co` is decided as before).
std::string optionalText(const CborValue& entry, const char* key) {
    const CborValue* v = entry.find(key);
    return v != nullptr && v->type == CborType::Text ? v->text : std::string();
}

const CborValue* entries(const CborValue& dcc, const char* key, std::string& error) {
    const CborValue* list = dcc.find(key);
    if (list == nullptr) return nullptr;
    if (list->type != CborType::Array) {
        error = std::string("dcc: ") + key + " is not an array";
        return nullptr;
    }
    for (const auto& e : list->items) {
        if (e.type != CborType::Map || e.hasDuplicateKeys()) {
            error = std::string("dcc: ") + key + " entry is not a map";
            return nullptr;
        }
    }
    return list;
}

// A DCC field that is text, as a SecretString (empty otherwise).
void secretText(const CborValue& map, const char* key, SecretString& out) {
    const CborValue* v = map.find(key);
    if (v != nullptr && v->type == CborType::Text) out.assign(v->text);
}

// nam and dob (§15 holder binding). Older issuers wrote dob as a date-time: the date part is kept.
void readHolder(const CborValue& dcc, CertificateHolder& out) {
    if (const CborValue* nam = dcc.find("nam"); nam != nullptr && nam->type == CborType::Map && !nam->hasDuplicateKeys()) {
        secretText(*nam, "fn", out.familyName);
        secretText(*nam, "fnt", out.familyNameStandard);
        secretText(*nam, "gn", out.givenName);
        secretText(*nam, "gnt", out.givenNameStandard);
    }
    secretText(dcc, "dob", out.birthDate);
    constexpr std::size_t kDateChars = 10;  // YYYY-MM-DD
    if (out.birthDate.size() > kDateChars && out.birthDate.view()[kDateChars] == 'T') {
        out.birthDate.assign(out.birthDate.view().substr(0, kDateChars));
    }
}

std::optional<std::string> readDcc(const CborValue& dcc, HealthCertificate& out) {
    std::string error;
    if (dcc.hasDuplicateKeys()) return "dcc: duplicate keys";
    readHolder(dcc, out.holder);
    if (!textField(dcc, "ver", false, out.version, error)) return error;
    if (const CborValue* t = entries(dcc, "t", error)) {
        for (const auto& e : t->items) {
            DccTest test;
            if (!textField(e, "tt", true, test.type, error) || !textField(e, "tr", true, test.result, error) ||
                !textField(e, "sc", true, test.sampleTime, error) || !textField(e, "ci", false, test.identifier, error)) {
                return error;
            }
            test.country = optionalText(e, "co");
            out.tests.push_back(std::move(test));
        }
    }
    if (!error.empty()) return error;
    for (const char* key : {"v", "r"}) {
        const CborValue* list = entries(dcc, key, error);
        if (!error.empty()) return error;
        if (list == nullptr) continue;
        auto& target = key[0] == 'v' ? out.vaccinations : out.recoveries;
        for (const auto& e : list->items) {
            DccEntry entry;
            if (!textField(e, "ci", false, entry.identifier, error)) return error;
            entry.country = optionalText(e, "co");
            target.push_back(std::move(entry));
        }
    }
    return std::nullopt;
}

}  // namespace

Result<CwtClaims> parseCwtClaims(std::span<const uint8_t> payload) {
    auto decoded = cborDecode(payload);
    if (!decoded) return decoded.error();
    const CborValue& claims = decoded.value();
    if (claims.type != CborType::Map) return makeError("cwt: claims are not a map");
    if (claims.hasDuplicateKeys()) return makeError("cwt: duplicate claim keys");
    CwtClaims out;
    if (const CborValue* iss = claims.find(kClaimIss)) {
        if (iss->type != CborType::Text) return makeError("cwt: iss is not text");
        out.issuer = iss->text;
    }
    if (const CborValue* exp = claims.find(kClaimExp)) {
        auto t = epochTime(*exp);
        if (!t) return t.error();
        out.expiresAt = *t;
    }
    if (const CborValue* iat = claims.find(kClaimIat)) {
        auto t = epochTime(*iat);
        if (!t) return t.error();
        out.issuedAt = *t;
    }
    const CborValue* hcert = claims.find(kClaimHcert);
    if (hcert == nullptr || hcert->type != CborType::Map) return makeError("cwt: no hcert claim");
    if (hcert->hasDuplicateKeys()) return makeError("cwt: duplicate hcert keys");
    const CborValue* dcc = hcert->find(kHcertEuDcc);
    if (dcc == nullptr || dcc->type != CborType::Map) return makeError("cwt: hcert has no EU DCC map");
    out.dccError = readDcc(*dcc, out.dcc);
    return out;
}

}  // namespace sentinel::credential

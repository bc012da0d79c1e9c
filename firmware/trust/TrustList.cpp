#include "firmware/trust/TrustList.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <memory>

#include <nlohmann/json.hpp>

#include "firmware/base/Log.h"
#include "firmware/trust/Base64.h"

namespace sentinel::trust {
namespace {

constexpr const char* kLog = "Trust";
// A trust list of every EU DSC is ~1 MB; anything far larger is not a trust list.
constexpr std::uintmax_t kMaxFileBytes = 32 * 1024 * 1024;
constexpr std::string_view kPemBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kPemEnd = "-----END CERTIFICATE-----";
constexpr uint8_t kDerSequence = 0x30;
constexpr size_t kOidTextBytes = 128;

struct X509Deleter {
    void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

X509Ptr parseDer(std::span<const uint8_t> der) {
    const unsigned char* p = der.data();
    X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!x || p != der.data() + der.size()) return nullptr;
    return x;
}

std::optional<UtcTime> asn1Time(const ASN1_TIME* t) {
    if (t == nullptr) return std::nullopt;
    struct tm tm {};
    if (ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
    using namespace std::chrono;
    const year_month_day ymd{year{tm.tm_year + 1900}, month{static_cast<unsigned>(tm.tm_mon + 1)},
                             day{static_cast<unsigned>(tm.tm_mday)}};
    if (!ymd.ok()) return std::nullopt;
    return UtcTime{sys_days{ymd} + hours{tm.tm_hour} + minutes{tm.tm_min} + seconds{tm.tm_sec}};
}

std::string subjectCountry(X509* x) {
    X509_NAME* name = X509_get_subject_name(x);
    const int idx = X509_NAME_get_index_by_NID(name, NID_countryName, -1);
    if (idx < 0) return {};
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    if (s == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<size_t>(ASN1_STRING_length(s)));
}

std::vector<std::string> extendedKeyUsages(X509* x) {
    std::vector<std::string> out;
    auto* eku = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(x, NID_ext_key_usage, nullptr, nullptr));
    if (eku == nullptr) return out;
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
        std::array<char, kOidTextBytes> buf{};
        const int n = OBJ_obj2txt(buf.data(), static_cast<int>(buf.size()), sk_ASN1_OBJECT_value(eku, i), 1);
        if (n > 0 && static_cast<size_t>(n) < buf.size()) out.emplace_back(buf.data(), static_cast<size_t>(n));
    }
    EXTENDED_KEY_USAGE_free(eku);
    return out;
}

Result<TrustedCertificate> describe(CertificateInput in) {
    X509Ptr x = parseDer(in.der);
    if (!x) return makeError("not an X.509 certificate");
    TrustedCertificate c;
    c.kid = in.kid ? std::move(*in.kid) : TrustList::kidOf(in.der);
    c.country = in.country.empty() ? subjectCountry(x.get()) : std::move(in.country);
    c.notBefore = asn1Time(X509_get0_notBefore(x.get()));
    c.notAfter = asn1Time(X509_get0_notAfter(x.get()));
    c.extendedKeyUsages = extendedKeyUsages(x.get());
    c.der = std::move(in.der);
    return c;
}

Result<std::vector<uint8_t>> readFile(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) return makeError(path.string() + ": " + ec.message());
    if (size > kMaxFileBytes) return makeError(path.string() + ": file too large for a trust list");
    std::ifstream in(path, std::ios::binary);
    if (!in) return makeError(path.string() + ": cannot open");
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return bytes;
}

std::optional<UtcTime> modificationTime(const std::filesystem::path& path) {
    std::error_code ec;
    const auto t = std::filesystem::last_write_time(path, ec);
    if (ec) return std::nullopt;
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::file_clock::to_sys(t));
}

bool looksLikeJson(std::span<const uint8_t> bytes) {
    for (uint8_t b : bytes) {
        if (b == ' ' || b == '\n' || b == '\r' || b == '\t') continue;
        return b == '{';
    }
    return false;
}

struct Loaded {
    std::vector<CertificateInput> certificates;
    std::optional<UtcTime> issuedAt;
};

Status loadJson(std::span<const uint8_t> bytes, const std::string& name, Loaded& out) {
    const auto doc = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return makeError(name + ": not valid JSON");
    const auto certs = doc.find("certificates");
    if (certs == doc.end() || !certs->is_array()) return makeError(name + ": no \"certificates\" array");
    size_t index = 0;
    for (const auto& entry : *certs) {
        const std::string where = name + ": certificates[" + std::to_string(index++) + "]";
        if (!entry.is_object()) return makeError(where + " is not an object");
        const auto der = entry.find("der");
        if (der == entry.end() || !der->is_string()) return makeError(where + ": no \"der\" string");
        auto derBytes = decodeBase64(der->get<std::string>());
        if (!derBytes) return makeError(where + ".der: " + derBytes.error().message);
        CertificateInput in;
        in.der = std::move(derBytes.value());
        if (const auto kid = entry.find("kid"); kid != entry.end()) {
            if (!kid->is_string()) return makeError(where + ".kid is not a string");
            auto kidBytes = decodeBase64(kid->get<std::string>());
            if (!kidBytes || kidBytes->empty()) return makeError(where + ".kid is not base64");
            in.kid = std::move(kidBytes.value());
        }
        if (const auto country = entry.find("country"); country != entry.end()) {
            if (!country->is_string()) return makeError(where + ".country is not a string");
            in.country = country->get<std::string>();
        }
        out.certificates.push_back(std::move(in));
    }
    if (const auto issued = doc.find("issued_at"); issued != doc.end()) {
        const auto t = issued->is_string() ? parseRfc3339(issued->get<std::string>()) : std::nullopt;
        if (!t) return makeError(name + ": issued_at is not an RFC 3339 time");
        if (!out.issuedAt || *t > *out.issuedAt) out.issuedAt = t;
    }
    return Ok{};
}

Status loadFile(const std::filesystem::path& path, Loaded& out, std::optional<UtcTime>& newestMtime) {
    auto bytes = readFile(path);
    if (!bytes) return bytes.error();
    const std::string name = path.string();
    if (looksLikeJson(bytes.value())) {
        if (auto s = loadJson(bytes.value(), name, out); !s) return s;
    } else {
        auto ders = parseCertificateFile(bytes.value());
        if (!ders) return makeError(name + ": " + ders.error().message);
        for (auto& der : ders.value()) out.certificates.push_back({std::move(der), {}, std::nullopt});
    }
    if (const auto m = modificationTime(path); m && (!newestMtime || *m > *newestMtime)) newestMtime = m;
    return Ok{};
}

bool isCertificateFileName(const std::filesystem::path& p) {
    static constexpr std::array<std::string_view, 7> kExtensions{".pem", ".crt", ".cer", ".der", ".b64", ".base64", ".json"};
    if (p.filename().string().starts_with('.')) return false;
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return std::find(kExtensions.begin(), kExtensions.end(), ext) != kExtensions.end();
}

}  // namespace

Result<std::vector<std::vector<uint8_t>>> parseCertificateFile(std::span<const uint8_t> contents) {
    std::vector<std::vector<uint8_t>> out;
    const std::string_view text(reinterpret_cast<const char*>(contents.data()), contents.size());
    if (text.find(kPemBegin) != std::string_view::npos) {
        size_t pos = 0;
        while ((pos = text.find(kPemBegin, pos)) != std::string_view::npos) {
            const size_t body = pos + kPemBegin.size();
            const size_t end = text.find(kPemEnd, body);
            if (end == std::string_view::npos) return makeError("PEM block without END line");
            auto der = decodeBase64(text.substr(body, end - body));
            if (!der) return makeError("PEM body: " + der.error().message);
            if (!parseDer(der.value())) return makeError("PEM block is not an X.509 certificate");
            out.push_back(std::move(der.value()));
            pos = end + kPemEnd.size();
        }
        return out;
    }
    if (!contents.empty() && contents[0] == kDerSequence && parseDer(contents)) {
        out.emplace_back(contents.begin(), contents.end());
        return out;
    }
    auto der = decodeBase64(text);
    if (!der || der->empty() || !parseDer(der.value())) return makeError("neither PEM, DER nor base64 DER certificate");
    out.push_back(std::move(der.value()));
    return out;
}

std::vector<uint8_t> TrustList::kidOf(std::span<const uint8_t> der) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int len = 0;
    EVP_Digest(der.data(), der.size(), digest.data(), &len, EVP_sha256(), nullptr);
    return {digest.begin(), digest.begin() + kKidBytes};
}

Result<TrustList> TrustList::fromCertificates(std::vector<CertificateInput> certificates, std::optional<UtcTime> issuedAt) {
    TrustList list;
    list.issuedAt_ = issuedAt;
    size_t index = 0;
    for (auto& in : certificates) {
        auto c = describe(std::move(in));
        if (!c) return makeError("certificate " + std::to_string(index) + ": " + c.error().message);
        list.certificates_.push_back(std::move(c.value()));
        ++index;
    }
    return list;
}

Result<TrustList> TrustList::load(const std::filesystem::path& path) {
    std::error_code ec;
    Loaded loaded;
    std::optional<UtcTime> newestMtime;
    if (std::filesystem::is_directory(path, ec)) {
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
            if (entry.is_regular_file() && isCertificateFileName(entry.path())) files.push_back(entry.path());
        }
        if (ec) return makeError(path.string() + ": " + ec.message());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            if (auto s = loadFile(f, loaded, newestMtime); !s) return s.error();
        }
    } else if (std::filesystem::is_regular_file(path, ec)) {
        if (auto s = loadFile(path, loaded, newestMtime); !s) return s.error();
    } else {
        return makeError(path.string() + ": no such file or directory");
    }
    if (loaded.certificates.empty()) return makeError(path.string() + ": no certificate found");
    auto list = fromCertificates(std::move(loaded.certificates), loaded.issuedAt ? loaded.issuedAt : newestMtime);
    if (!list) return makeError(path.string() + ": " + list.error().message);
    SLOG(kLog, Info) << "loaded " << list->size() << " certificate(s) from " << path.string();
    return list;
}

std::vector<const TrustedCertificate*> TrustList::findByKid(std::span<const uint8_t> kid) const {
    std::vector<const TrustedCertificate*> out;
    for (const auto& c : certificates_) {
        if (std::equal(c.kid.begin(), c.kid.end(), kid.begin(), kid.end())) out.push_back(&c);
    }
    return out;
}

}  // namespace sentinel::trust

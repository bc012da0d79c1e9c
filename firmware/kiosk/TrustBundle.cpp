#include "firmware/kiosk/TrustBundle.h"

#include <fcntl.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "firmware/kiosk/Config.h"
#include "firmware/trust/Base64.h"
#include "firmware/trust/RevocationIndex.h"
#include "firmware/trust/TrustList.h"

namespace sentinel::kiosk {
namespace {

using json = nlohmann::json;

const std::vector<std::string>& policyKeys() {
    static const std::vector<std::string> kKeys{"max_test_age_h.naat", "max_test_age_h.rat", "future_tolerance_s",
                                                "accept_status", "require_test", "risk_max_age_h",
                                                "risk_lookback_days.high", "risk_lookback_days.medium", "require_travel"};
    return kKeys;
}

}  // namespace

Status verifySignature(std::string_view payload, const std::vector<uint8_t>& signature, std::string_view keyPem) {
    BIO* bio = BIO_new_mem_buf(keyPem.data(), static_cast<int>(keyPem.size()));
    if (!bio) return Error{"out of memory"};
    EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!key) return Error{"trust.update_key is not a PEM public key"};
    char group[64] = {};
    size_t groupLen = 0;
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
        EVP_PKEY_get_group_name(key, group, sizeof group, &groupLen) != 1 || std::string_view(group) != "prime256v1") {
        EVP_PKEY_free(key);
        return Error{"trust.update_key is not an EC P-256 key"};
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
              EVP_DigestVerify(ctx, signature.data(), signature.size(), reinterpret_cast<const unsigned char*>(payload.data()),
                               payload.size()) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    if (!ok) return Error{"signature does not verify with trust.update_key"};
    return Ok{};
}

namespace {

Result<std::string> tomlValue(const json& v) {
    if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
    if (v.is_number_integer() || v.is_number_float()) return v.dump();
    if (v.is_array()) {
        for (const auto& item : v) {
            if (!item.is_string()) return Error{"expected a list of strings"};
        }
        return v.dump(-1, ' ', true);  // ASCII-escaped JSON strings are valid TOML basic strings
    }
    return Error{"unsupported value type"};
}

Result<std::shared_ptr<const trust::TrustList>> parseTrustListPart(const json& part, UtcTime issued) {
    if (!part.is_object() || !part.contains("certificates") || !part["certificates"].is_array())
        return Error{"bundle trust_list lacks certificates"};
    std::vector<trust::CertificateInput> inputs;
    for (const auto& c : part["certificates"]) {
        if (!c.is_object() || !c.contains("der") || !c["der"].is_string()) return Error{"bundle certificate lacks der"};
        trust::CertificateInput in;
        auto der = trust::decodeBase64(c["der"].get<std::string>());
        if (!der) return Error{"bundle certificate der is not base64"};
        in.der = std::move(der).value();
        if (c.contains("kid")) {
            if (!c["kid"].is_string()) return Error{"bundle certificate kid is not a string"};
            auto kid = trust::decodeBase64(c["kid"].get<std::string>());
            if (!kid) return Error{"bundle certificate kid is not base64"};
            in.kid = std::move(kid).value();
        }
        if (c.contains("country") && c["country"].is_string()) in.country = c["country"].get<std::string>();
        inputs.push_back(std::move(in));
    }
    if (inputs.empty()) return Error{"bundle trust list is empty"};
    auto list = trust::TrustList::fromCertificates(std::move(inputs), issued);
    if (!list) return Error{"bundle trust list: " + list.error().message};
    return std::make_shared<const trust::TrustList>(std::move(list).value());
}

std::optional<trust::Sha256Digest> digestFromHex(const std::string& hex) {
    trust::Sha256Digest d{};
    if (hex.size() != 2 * d.size()) return std::nullopt;
    for (std::size_t i = 0; i < d.size(); ++i) {
        unsigned v = 0;
        for (char c : hex.substr(2 * i, 2)) {
            v <<= 4;
            if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
            else return std::nullopt;
        }
        d[i] = static_cast<uint8_t>(v);
    }
    return d;
}

Status syncDir(const std::filesystem::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Error{dir.string() + ": " + std::strerror(errno)};
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return Error{dir.string() + ": fsync: " + std::strerror(errno)};
    return Ok{};
}

}  // namespace

Result<std::string> readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{"cannot read " + path.string()};
    std::ostringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

Result<std::vector<std::shared_ptr<const policy::RiskAreaList>>> parseRiskAreasPart(const json& part) {
    std::vector<const json*> items;
    if (part.is_array()) {
        if (part.empty()) return Error{std::string(kPartRiskAreas) + ": an empty list of lists"};
        if (part.size() > policy::kMaxHeldRiskLists)
            return Error{std::string(kPartRiskAreas) + ": more than " + std::to_string(policy::kMaxHeldRiskLists) + " lists"};
        for (const auto& item : part) items.push_back(&item);
    } else {
        items.push_back(&part);
    }
    std::vector<std::shared_ptr<const policy::RiskAreaList>> out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string where = std::string(kPartRiskAreas) + (part.is_array() ? "[" + std::to_string(i) + "]" : "");
        // Re-serialised and parsed as the hostile input it is (size, depth, every field checked).
        auto parsed = policy::parseRiskAreaList(items[i]->dump());
        if (!parsed.list) {
            const auto& p = parsed.problems.front();
            return Error{where + ": " + p.path + ": " + p.message +
                         (parsed.problems.size() > 1 ? " (and " + std::to_string(parsed.problems.size() - 1) + " more)" : "")};
        }
        out.push_back(std::move(parsed.list));
    }
    return out;
}

Result<TrustBundle> verifyBundle(std::string_view envelope, std::string_view updateKeyPem) {
    if (envelope.size() > kMaxBundleBytes) return Error{"bundle larger than " + std::to_string(kMaxBundleBytes >> 20) + " MiB"};
    json env = json::parse(envelope, nullptr, false);
    if (env.is_discarded() || !env.is_object()) return Error{"bundle is not a JSON object"};
    if (!env.contains("format") || env["format"] != kBundleFormat)
        return Error{std::string("bundle format is not ") + kBundleFormat};
    if (!env.contains("payload") || !env["payload"].is_string() || !env.contains("signature") || !env["signature"].is_string())
        return Error{"bundle lacks payload or signature"};
    auto payloadBytes = trust::decodeBase64(env["payload"].get<std::string>());
    if (!payloadBytes) return Error{"bundle payload is not base64: " + payloadBytes.error().message};
    auto signature = trust::decodeBase64(env["signature"].get<std::string>());
    if (!signature) return Error{"bundle signature is not base64: " + signature.error().message};
    const std::string payloadText(payloadBytes->begin(), payloadBytes->end());
    if (auto v = verifySignature(payloadText, *signature, updateKeyPem); !v) return v.error();

    // Signed by the fleet: parse, still defensively (a signing bug must not crash the kiosk).
    json payload = json::parse(payloadText, nullptr, false);
    if (payload.is_discarded() || !payload.is_object()) return Error{"bundle payload is not a JSON object"};
    if (!payload.contains("issued_at") || !payload["issued_at"].is_string()) return Error{"bundle payload lacks issued_at"};
    auto issued = parseRfc3339(payload["issued_at"].get<std::string>());
    if (!issued) return Error{"bundle issued_at is not RFC 3339"};
    TrustBundle b;
    b.issuedAt = *issued;
    for (const auto& [key, value] : payload.items()) {
        if (key != "issued_at" && key != kPartTrustList && key != kPartPolicy && key != kPartRules && key != kPartRevocation &&
            key != kPartRiskAreas)
            return Error{"bundle payload: unknown part '" + key + "'"};
    }
    if (payload.contains(kPartTrustList)) {
        auto list = parseTrustListPart(payload[kPartTrustList], *issued);
        if (!list) return list.error();
        b.list = std::move(list).value();
    }
    if (payload.contains(kPartPolicy)) {
        b.hasPolicy = true;
        if (!payload["policy"].is_object()) return Error{"bundle policy is not an object"};
        std::string toml = "[policy]\n";
        for (const auto& [key, value] : payload["policy"].items()) {
            if (std::find(policyKeys().begin(), policyKeys().end(), key) == policyKeys().end())
                return Error{"bundle policy: unknown key '" + key + "'"};
            auto text = tomlValue(value);
            if (!text) return Error{"bundle policy '" + key + "': " + text.error().message};
            b.policyOverrides[key] = *text;
            toml += key + " = " + *text + "\n";
        }
        // Same validation (types, ranges, allowed values) as the configuration file.
        auto checked = parseConfig(toml, "bundle policy");
        if (!checked) return Error{checked.error().message};
    }
    if (payload.contains("rules")) {
        // §12: a rule set (array of gateway rules or {"id","version","rules","valueSets"}), checked
        // as `sentinel rules check` does; any problem refuses the whole bundle.
        auto parsed = rules::parseRuleSet(payload["rules"].dump(), "bundle");
        if (!parsed.issues.empty()) {
            return Error{"bundle rules: " + parsed.issues.front().where + ": " + parsed.issues.front().message};
        }
        b.rules = std::make_shared<const rules::RuleSet>(std::move(parsed.set));
    }
    if (payload.contains(kPartRevocation)) {
        const json& r = payload[kPartRevocation];
        if (!r.is_object() || !r.contains("sha256") || !r["sha256"].is_string() || !r.contains("entries") ||
            !r["entries"].is_number_unsigned())
            return Error{"bundle revocation: needs {\"sha256\": hex, \"entries\": n}"};
        RevocationPart part{r["sha256"].get<std::string>(), r["entries"].get<std::uint64_t>()};
        if (!digestFromHex(part.sha256Hex)) return Error{"bundle revocation: sha256 is not 64 hex digits"};
        if (!env.contains("attachments") || !env["attachments"].is_object() || !env["attachments"].contains(kPartRevocation) ||
            !env["attachments"][kPartRevocation].is_string())
            return Error{"bundle revocation: the index file is not attached"};
        auto bytes = trust::decodeBase64(env["attachments"][kPartRevocation].get<std::string>());
        if (!bytes) return Error{"bundle revocation: the attachment is not base64"};
        // The index is validated whole against the signed digest and count before anything uses it.
        auto index = trust::RevocationIndex::fromBytes(*bytes, trust::RevocationDigest{*digestFromHex(part.sha256Hex), part.entries});
        if (!index) return Error{"bundle revocation: " + index.error().message};
        b.revocationFile.assign(bytes->begin(), bytes->end());
        b.revocation = std::move(part);
    }
    if (payload.contains(kPartRiskAreas)) {
        auto lists = parseRiskAreasPart(payload[kPartRiskAreas]);
        if (!lists) return Error{"bundle " + lists.error().message};
        b.riskLists = std::move(lists).value();
    }
    if (b.parts().empty()) return Error{"bundle carries no part (trust_list, policy, rules, revocation, risk_areas)"};
    return b;
}

std::vector<std::string> TrustBundle::parts() const {
    std::vector<std::string> out;
    if (list) out.emplace_back(kPartTrustList);
    if (hasPolicy) out.emplace_back(kPartPolicy);
    if (rules) out.emplace_back(kPartRules);
    if (revocation) out.emplace_back(kPartRevocation);
    if (!riskLists.empty()) out.emplace_back(kPartRiskAreas);
    return out;
}

policy::PolicyConfig applyPolicyOverrides(const policy::PolicyConfig& base, const std::map<std::string, std::string>& overrides) {
    policy::PolicyConfig out = base;
    if (overrides.empty()) return out;
    std::string toml = "[policy]\n";
    for (const auto& [k, v] : overrides) toml += k + " = " + v + "\n";
    auto parsed = parseConfig(toml, "bundle policy");
    if (!parsed) return out;  // verifyBundle validated the same text; unreachable in practice
    const policy::PolicyConfig& p = parsed->policy;
    if (overrides.count("max_test_age_h.naat")) out.maxTestAgeNaatH = p.maxTestAgeNaatH;
    if (overrides.count("max_test_age_h.rat")) out.maxTestAgeRatH = p.maxTestAgeRatH;
    if (overrides.count("future_tolerance_s")) out.futureToleranceS = p.futureToleranceS;
    if (overrides.count("accept_status")) out.acceptStatus = p.acceptStatus;
    if (overrides.count("require_test")) out.requireTest = p.requireTest;
    if (overrides.count("risk_max_age_h")) out.riskMaxAgeH = p.riskMaxAgeH;
    if (overrides.count("risk_lookback_days.high")) out.riskLookbackHighDays = p.riskLookbackHighDays;
    if (overrides.count("risk_lookback_days.medium")) out.riskLookbackMediumDays = p.riskLookbackMediumDays;
    if (overrides.count("require_travel")) out.requireTravel = p.requireTravel;
    return out;
}

Status writeFileAtomically(const std::filesystem::path& target, std::string_view contents) {
    const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
    const auto tmp = dir / ("." + target.filename().string() + ".tmp");
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return Error{tmp.string() + ": " + std::strerror(errno)};
    std::size_t done = 0;
    while (done < contents.size()) {
        const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            const std::string why = std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            return Error{tmp.string() + ": write: " + why};
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        ::unlink(tmp.c_str());
        return Error{tmp.string() + ": fsync: " + why};
    }
    ::close(fd);
    if (::rename(tmp.c_str(), target.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        return Error{target.string() + ": rename: " + why};
    }
    return syncDir(dir);
}

trust::RevocationDigest revocationDigest(const RevocationPart& part) {
    return trust::RevocationDigest{digestFromHex(part.sha256Hex).value_or(trust::Sha256Digest{}), part.entries};
}

std::filesystem::path revocationFilePath(const std::filesystem::path& dir, const RevocationPart& part) {
    return dir / ("revocation-" + part.sha256Hex + ".idx");
}

Status installBundle(const std::filesystem::path& dir, std::string_view envelope) {
    // Installed as given (a bundle that does not verify here still replaces the file: the caller
    // verified it with the key it trusts; loading verifies again).
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Error{dir.string() + ": " + ec.message()};
    const auto current = dir / kBundleFile;
    const auto previous = dir / kPreviousBundleFile;
    if (std::filesystem::exists(current, ec)) {
        // Keep the one in force as "previous" (a hard link: the rename below then replaces only
        // the name `current`, so both files stay complete at every instant), and in the archive:
        // its parts that the new bundle lacks stay in force (loadTrustState composes them).
        const auto archive = dir / kArchiveDir;
        std::filesystem::create_directories(archive, ec);
        if (ec) return Error{archive.string() + ": " + ec.message()};
        auto old = readFile(current);
        if (!old) return old.error();
        const auto archived = archive / ("bundle-" + std::to_string(std::hash<std::string>{}(*old)) + ".json");
        if (!std::filesystem::exists(archived, ec)) {
            if (auto st = writeFileAtomically(archived, *old); !st) return st;
        }
        const auto prevTmp = dir / ".previous.tmp";
        ::unlink(prevTmp.c_str());
        if (::link(current.c_str(), prevTmp.c_str()) != 0 || ::rename(prevTmp.c_str(), previous.c_str()) != 0)
            return Error{previous.string() + ": " + std::strerror(errno)};
    }
    return writeFileAtomically(current, envelope);
}

Status installBundle(const std::filesystem::path& dir, std::string_view envelope, const TrustBundle& bundle) {
    if (bundle.revocation) {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        const auto file = revocationFilePath(dir, *bundle.revocation);
        if (!std::filesystem::exists(file, ec)) {
            // Written (and fsynced) before the bundle that names it: a crash leaves an unused file.
            if (auto st = writeFileAtomically(file, bundle.revocationFile); !st) return st;
        }
    }
    return installBundle(dir, envelope);
}

}  // namespace sentinel::kiosk

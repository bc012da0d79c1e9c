#include "firmware/fleet/OperatorKey.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cctype>

#include <nlohmann/json.hpp>

#include "firmware/fleet/Command.h"
#include "firmware/journal/Base64.h"
#include "firmware/kiosk/TrustBundle.h"
#include "firmware/kiosk/TrustLoader.h"
#include "firmware/trust/RevocationIndex.h"
#include "firmware/trust/TrustList.h"

namespace sentinel::fleet {
namespace {

using nlohmann::json;

// Command ids the kiosk accepts (Command.cpp: ≤ 64 characters; peekCommandId's alphabet).
constexpr std::size_t kMaxCommandIdLength = 64;

std::string b64(const std::vector<uint8_t>& bytes) {
    return journal::base64Encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Result<json> readJsonFile(const std::filesystem::path& path, const char* part) {
    auto text = kiosk::readFile(path);
    if (!text) return makeError(std::string(part) + ": " + text.error().message);
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded()) return makeError(std::string(part) + ": " + path.string() + " is not JSON");
    return j;
}

}  // namespace

struct OperatorKey::Impl {
    EVP_PKEY* key = nullptr;
    ~Impl() { EVP_PKEY_free(key); }
};

OperatorKey::OperatorKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OperatorKey::~OperatorKey() = default;
OperatorKey::OperatorKey(OperatorKey&&) noexcept = default;
OperatorKey& OperatorKey::operator=(OperatorKey&&) noexcept = default;

Result<OperatorKey> OperatorKey::load(const std::filesystem::path& pemFile) {
    auto pem = kiosk::readFile(pemFile);
    if (!pem) return makeError("signing key: " + pem.error().message);
    return fromPem(*pem, pemFile.string());
}

Result<OperatorKey> OperatorKey::fromPem(std::string_view pem, const std::string& where) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (!bio) return makeError("out of memory");
    auto impl = std::make_unique<Impl>();
    impl->key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!impl->key) return makeError("signing key " + where + " is not a PEM private key (unencrypted)");
    char group[64] = {};
    std::size_t groupLen = 0;
    if (EVP_PKEY_get_base_id(impl->key) != EVP_PKEY_EC ||
        EVP_PKEY_get_group_name(impl->key, group, sizeof group, &groupLen) != 1 || std::string_view(group) != "prime256v1") {
        return makeError("signing key " + where + " is not an EC P-256 key (the update key's private half)");
    }
    return OperatorKey(std::move(impl));
}

std::string OperatorKey::publicPem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, impl_->key);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return pem;
}

Result<std::string> OperatorKey::envelope(std::string_view format, std::string_view payload, std::string_view attachmentsJson) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t len = 0;
    const auto* data = reinterpret_cast<const unsigned char*>(payload.data());
    bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, impl_->key) == 1 &&
              EVP_DigestSign(ctx, nullptr, &len, data, payload.size()) == 1;
    std::vector<uint8_t> signature(len);
    ok = ok && EVP_DigestSign(ctx, signature.data(), &len, data, payload.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) return makeError("signing failed");
    signature.resize(len);
    json env{{"format", format},
             {"payload", journal::base64Encode(payload)},
             {"signature", b64(signature)}};
    if (!attachmentsJson.empty()) env["attachments"] = json::parse(attachmentsJson);
    return env.dump();
}

Result<std::string> makeBundle(const BundleInputs& in, const OperatorKey& key) {
    json payload{{"issued_at", formatRfc3339(in.issuedAt)}};
    json attachments;
    if (in.trustList) {
        auto list = trust::TrustList::load(*in.trustList);
        if (!list) return makeError("trust list: " + list.error().message);
        json certs = json::array();
        for (const auto& c : list->certificates()) {
            json e{{"der", b64(c.der)}, {"kid", b64(c.kid)}};
            if (!c.country.empty()) e["country"] = c.country;
            certs.push_back(std::move(e));
        }
        payload[kiosk::kPartTrustList] = {{"certificates", std::move(certs)}};
    }
    if (in.policy) {
        auto policy = readJsonFile(*in.policy, "policy");
        if (!policy) return policy.error();
        if (!policy->is_object()) return makeError("policy: " + in.policy->string() + " is not a JSON object of policy keys");
        payload[kiosk::kPartPolicy] = std::move(policy).value();
    }
    if (in.rules) {
        auto rules = readJsonFile(*in.rules, "rules");
        if (!rules) return rules.error();
        payload[kiosk::kPartRules] = std::move(rules).value();
    }
    if (in.revocation) {
        auto index = trust::RevocationIndex::load(*in.revocation);
        if (!index) return makeError("revocation: " + index.error().message);
        auto bytes = kiosk::readFile(*in.revocation);
        if (!bytes) return makeError("revocation: " + bytes.error().message);
        payload[kiosk::kPartRevocation] = {{"sha256", trust::hexOf((*index)->sha256())}, {"entries", (*index)->entries()}};
        attachments = {{kiosk::kPartRevocation, journal::base64Encode(*bytes)}};
    }
    if (in.riskAreas) {
        auto file = kiosk::readRiskAreasFile(*in.riskAreas);  // every list checked as the kiosk will
        if (!file) return makeError("risk_areas: " + file.error().message);
        payload[kiosk::kPartRiskAreas] = std::move(file->part);
    }
    if (payload.size() == 1) return makeError("give at least one part (--trust-list, --policy, --rules, --revocation, --risk-areas)");
    auto env = key.envelope(kiosk::kBundleFormat, payload.dump(), attachments.is_null() ? std::string() : attachments.dump());
    if (!env) return env.error();
    // The kiosk's own check, here: a broken part is refused before any kiosk sees it.
    if (auto checked = kiosk::verifyBundle(*env, key.publicPem()); !checked) return makeError(checked.error().message);
    return env;
}

Result<std::string> commandTopic(const std::string& target) {
    const auto colon = target.find(':');
    const std::string kind = target.substr(0, colon);
    const std::string name = colon == std::string::npos ? std::string() : target.substr(colon + 1);
    if (target == "all") return std::string("sentinel/v1/all/cmd");
    const bool plain = !name.empty() && name.find_first_of("/+#") == std::string::npos;
    if (!plain) return makeError("target '" + target + "': say kiosk:ID, station:NAME, group:NAME or all");
    if (kind == "kiosk") return "sentinel/v1/" + name + "/cmd";
    if (kind == "station") return "sentinel/v1/station/" + name + "/cmd";
    if (kind == "group") return "sentinel/v1/group/" + name + "/cmd";
    return makeError("target '" + target + "': say kiosk:ID, station:NAME, group:NAME or all");
}

Result<std::string> makeCommand(const CommandSpec& spec, const OperatorKey& key) {
    if (auto t = commandTopic(spec.target); !t) return t.error();
    if (spec.id.empty() || spec.id.size() > kMaxCommandIdLength) return makeError("command id missing or longer than 64");
    for (char ch : spec.id) {
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.' && ch != ':')
            return makeError("command id: letters, digits and - _ . : only");
    }
    json p{{"id", spec.id}, {"action", spec.action}, {"expires_at", formatRfc3339(spec.expiresAt)}};
    const auto colon = spec.target.find(':');
    if (spec.target == "all") {
        p["kiosk_id"] = "all";
    } else {
        const std::string kind = spec.target.substr(0, colon), name = spec.target.substr(colon + 1);
        p[kind == "kiosk" ? "kiosk_id" : kind] = name;
    }
    if (spec.action == "bundle") {
        json bundle = json::parse(spec.bundleEnvelope, nullptr, false);
        if (!bundle.is_object() || bundle.value("format", "") != kiosk::kBundleFormat)
            return makeError(std::string("the bundle file is not a ") + kiosk::kBundleFormat + " envelope");
        p["bundle"] = std::move(bundle);
    } else if (spec.action != "sync_now" && spec.action != "diag") {
        return makeError("unknown command '" + spec.action + "' (bundle FILE, sync_now, diag)");
    }
    return key.envelope(kCommandFormat, p.dump());
}

}  // namespace sentinel::fleet

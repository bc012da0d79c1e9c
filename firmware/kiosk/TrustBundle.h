#pragma once
// Signed trust/policy bundle (issue 6, DESIGN §13.1; wire format in docs/install.md "Trust sync").
//
// Envelope (what the sync URL serves, a fleet "bundle" command carries, `trust import` reads, and
// what is stored in state_dir/trust/):
//   {"format":"sentinel-trust-bundle/1","payload":"<base64 of the payload bytes>",
//    "signature":"<base64 of a DER ECDSA P-256 / SHA-256 signature over the payload bytes>",
//    "attachments":{"revocation":"<base64 of the index file>"}}          (optional, not signed:
//                                                                           checked against the
//                                                                           payload's digest)
// Payload (UTF-8 JSON, signed exactly as served — no canonicalisation): `issued_at` and any
// non-empty subset of the parts; a part the bundle lacks keeps the one in force (§13.1):
//   {"issued_at":"<RFC 3339>",
//    "trust_list":{"certificates":[{"der":"<b64>","kid":"<b64, optional>","country":"AT"}]},
//    "policy":{"max_test_age_h.naat":48,"accept_status":["green"],…},
//    "rules":[ <DCC gateway rules> ] or {"id","version","rules":[…],"valueSets":{…}},   (§12)
//    "revocation":{"sha256":"<hex of the index file>","entries":N},                    (§17)
//    "risk_areas":{"format":"sentinel-risk-areas/1",…} or [ <lists> ]}                 (§14)
// Policy keys are the `policy.*` configuration keys without the prefix, validated with the same
// ranges as the configuration file. Risk-area lists are hostile input (policy::parseRiskAreaList):
// one bad list refuses the whole bundle, the reason naming the list and the JSON path. The signature is what `openssl dgst -sha256 -sign KEY` writes.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "firmware/base/Result.h"
#include "firmware/base/Time.h"
#include "firmware/policy/Policy.h"
#include "firmware/policy/RiskAreaList.h"
#include "firmware/policy/RiskSchedule.h"
#include "firmware/rules/RuleSet.h"
#include "firmware/trust/RevocationIndex.h"

namespace sentinel::trust {
class TrustList;
}

namespace sentinel::kiosk {

// Upper bound for an envelope: ~2000 certificates of ~1.5 KiB, base64 twice (payload in envelope),
// plus a revocation index of 3 M entries (16 B each, base64: 64 MiB) as an attachment.
inline constexpr std::size_t kMaxBundleBytes = 72u << 20;
inline constexpr const char* kBundleFormat = "sentinel-trust-bundle/1";
inline constexpr const char* kBundleDir = "trust";                       // under kiosk.state_dir
inline constexpr const char* kBundleFile = "trust-bundle.json";          // in force
inline constexpr const char* kPreviousBundleFile = "trust-bundle.previous.json";  // the one before

// The parts a bundle may carry, by their payload names.
inline constexpr const char* kPartTrustList = "trust_list";
inline constexpr const char* kPartPolicy = "policy";
inline constexpr const char* kPartRules = "rules";
inline constexpr const char* kPartRevocation = "revocation";
inline constexpr const char* kPartRiskAreas = "risk_areas";

// §17: the revocation index a bundle names (the file travels as the envelope's attachment).
struct RevocationPart {
    std::string sha256Hex;  // of the whole index file, lowercase hex
    std::uint64_t entries = 0;
};

struct TrustBundle {
    UtcTime issuedAt;
    std::shared_ptr<const trust::TrustList> list;        // nullptr = no trust-list part
    bool hasPolicy = false;                              // the policy part is present (even empty)
    std::map<std::string, std::string> policyOverrides;  // key → TOML value text, validated
    std::shared_ptr<const rules::RuleSet> rules;         // checked; nullptr = no rules part
    std::optional<RevocationPart> revocation;            // nullopt = no revocation part
    std::string revocationFile;  // the attachment's bytes (checked by whoever installs it)
    // §14: the risk-area lists (one or several, each checked whole); empty = no risk_areas part.
    std::vector<std::shared_ptr<const policy::RiskAreaList>> riskLists;

    // The names of the parts present, in payload order ("trust_list", "policy", …).
    std::vector<std::string> parts() const;
};

// Verifies the envelope's signature with the pinned update key (PEM public key, EC P-256), then
// parses the payload. Nothing of an envelope whose signature does not verify is parsed or used.
Result<TrustBundle> verifyBundle(std::string_view envelope, std::string_view updateKeyPem);

// Whether `signature` (DER ECDSA P-256 / SHA-256) signs `payload` under `keyPem` (the update key).
// Bundles and fleet commands (Command.h) are signed this way.
Status verifySignature(std::string_view payload, const std::vector<uint8_t>& signature, std::string_view keyPem);

// The lists of a `risk_areas` part (one list object or an array of at most
// policy::kMaxHeldRiskLists): any problem refuses them all, the error naming the list and the path
// ("risk_areas[1]: $.areas[3].code: …"). Also used for policy.risk_list_path.
Result<std::vector<std::shared_ptr<const policy::RiskAreaList>>> parseRiskAreasPart(const nlohmann::json& part);

// `base` with the bundle's overrides applied.
policy::PolicyConfig applyPolicyOverrides(const policy::PolicyConfig& base, const std::map<std::string, std::string>& overrides);

// Writes `envelope` as dir/trust-bundle.json atomically (temp file, fsync, rename, fsync of the
// folder); the bundle it replaces becomes dir/trust-bundle.previous.json and is kept in
// dir/archive/ while one of its parts is still in force (a newer bundle without that part keeps
// it). A revocation attachment is validated against the payload's digest and written to
// dir/revocation-<sha256>.idx first. A crash at any point leaves either the old or the new bundle
// in force, never a mix.
Status installBundle(const std::filesystem::path& dir, std::string_view envelope);
// The same for a bundle already verified (`bundle` = verifyBundle(envelope)).
Status installBundle(const std::filesystem::path& dir, std::string_view envelope, const TrustBundle& bundle);
// The digest and count a revocation part names (its sha256 was checked to be 64 hex digits).
trust::RevocationDigest revocationDigest(const RevocationPart& part);
// Where an installed bundle's revocation index lives.
std::filesystem::path revocationFilePath(const std::filesystem::path& dir, const RevocationPart& part);
inline constexpr const char* kArchiveDir = "archive";  // under state_dir/trust

// Atomically replaces `target` with `contents` (temp in the same folder, fsync, rename, fsync dir).
Status writeFileAtomically(const std::filesystem::path& target, std::string_view contents);

Result<std::string> readFile(const std::filesystem::path& path);

}  // namespace sentinel::kiosk

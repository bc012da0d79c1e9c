#pragma once
// Signed trust-list/policy bundle (issue 6; wire format in docs/install.md "Trust sync").
//
// Envelope (what the sync URL serves and what is stored in state_dir/trust/):
//   {"format":"sentinel-trust-bundle/1","payload":"<base64 of the payload bytes>",
//    "signature":"<base64 of a DER ECDSA P-256 / SHA-256 signature over the payload bytes>"}
// Payload (UTF-8 JSON, signed exactly as served — no canonicalisation):
//   {"issued_at":"<RFC 3339>",
//    "trust_list":{"certificates":[{"der":"<b64>","kid":"<b64, optional>","country":"AT"}]},
//    "policy":{"max_test_age_h.naat":48,"accept_status":["green"],…},   (policy optional)
//    "rules":[ <DCC gateway rules> ] or {"id","version","rules":[…],"valueSets":{…}}}  (optional, §12)
// Policy keys are the `policy.*` configuration keys without the prefix, validated with the same
// ranges as the configuration file. The signature is what `openssl dgst -sha256 -sign KEY` writes.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/Result.h"
#include "firmware/base/Time.h"
#include "firmware/policy/Policy.h"
#include "firmware/rules/RuleSet.h"

namespace sentinel::trust {
class TrustList;
}

namespace sentinel::kiosk {

// Upper bound for an envelope: ~2000 certificates of ~1.5 KiB, base64 twice (payload in envelope).
inline constexpr std::size_t kMaxBundleBytes = 8u << 20;
inline constexpr const char* kBundleFormat = "sentinel-trust-bundle/1";
inline constexpr const char* kBundleDir = "trust";                       // under kiosk.state_dir
inline constexpr const char* kBundleFile = "trust-bundle.json";          // in force
inline constexpr const char* kPreviousBundleFile = "trust-bundle.previous.json";  // the one before

struct TrustBundle {
    UtcTime issuedAt;
    std::shared_ptr<const trust::TrustList> list;
    std::map<std::string, std::string> policyOverrides;  // key → TOML value text, validated
    std::shared_ptr<const rules::RuleSet> rules;           // checked; nullptr = none in the bundle
};

// Verifies the envelope's signature with the pinned update key (PEM public key, EC P-256), then
// parses the payload. Nothing of an envelope whose signature does not verify is parsed or used.
Result<TrustBundle> verifyBundle(std::string_view envelope, std::string_view updateKeyPem);

// Whether `signature` (DER ECDSA P-256 / SHA-256) signs `payload` under `keyPem` (the update key).
// Bundles and fleet commands (Command.h) are signed this way.
Status verifySignature(std::string_view payload, const std::vector<uint8_t>& signature, std::string_view keyPem);

// `base` with the bundle's overrides applied.
policy::PolicyConfig applyPolicyOverrides(const policy::PolicyConfig& base, const std::map<std::string, std::string>& overrides);

// Writes `envelope` as dir/trust-bundle.json atomically (temp file, fsync, rename, fsync of the
// folder); the bundle it replaces becomes dir/trust-bundle.previous.json. A crash at any point
// leaves either the old or the new bundle in force, never a mix.
Status installBundle(const std::filesystem::path& dir, std::string_view envelope);

// Atomically replaces `target` with `contents` (temp in the same folder, fsync, rename, fsync dir).
Status writeFileAtomically(const std::filesystem::path& target, std::string_view contents);

Result<std::string> readFile(const std::filesystem::path& path);

}  // namespace sentinel::kiosk

#pragma once
// The operator's side of fleet control (DESIGN §13.1): the update key's private half signs bundles
// (TrustBundle.h) and commands (Command.h) in exactly the envelopes the kiosks verify with
// trust.update_key. `sentinel fleet bundle` and `sentinel fleet send` are built on it. What it makes
// is verified with the key's own public half before it is returned, so a bundle with a broken part
// is refused here, not at every kiosk.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::fleet {

class OperatorKey {
public:
    // An EC P-256 private key in PEM (what `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`
    // writes). Errors name the file.
    static Result<OperatorKey> load(const std::filesystem::path& pemFile);
    static Result<OperatorKey> fromPem(std::string_view pem, const std::string& where);
    ~OperatorKey();
    OperatorKey(OperatorKey&&) noexcept;
    OperatorKey& operator=(OperatorKey&&) noexcept;

    // The public half as PEM: what a kiosk pins as trust.update_key.
    std::string publicPem() const;
    // {"format":FORMAT,"payload":base64(payload),"signature":base64(DER ECDSA P-256/SHA-256)}, plus
    // `attachmentsJson` (a JSON object, serialised; empty = none) as "attachments".
    Result<std::string> envelope(std::string_view format, std::string_view payload, std::string_view attachmentsJson = {}) const;

private:
    struct Impl;
    explicit OperatorKey(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// What `fleet bundle` puts in a bundle; a part not given is left out (the kiosk keeps its own).
struct BundleInputs {
    UtcTime issuedAt;
    std::optional<std::filesystem::path> trustList;   // anything trust::TrustList::load reads
    std::optional<std::filesystem::path> policy;      // a JSON object of policy.* keys without the prefix
    std::optional<std::filesystem::path> rules;       // a rule set file (§12), as rules.path takes
    std::optional<std::filesystem::path> revocation;  // an index (`fleet revocation build`), attached
    std::optional<std::filesystem::path> riskAreas;   // one risk-area list or an array of ≤ 8 (§14)
};
// A signed bundle envelope, checked with verifyBundle before it is returned. Errors name the part.
Result<std::string> makeBundle(const BundleInputs& inputs, const OperatorKey& key);

// What `fleet send` publishes.
struct CommandSpec {
    std::string id;      // unique, ≤ 64 printable characters
    std::string target;  // "kiosk:ID", "station:NAME", "group:NAME" or "all"
    std::string action;  // "bundle", "sync_now", "diag"
    UtcTime expiresAt;
    std::string bundleEnvelope;  // "bundle": a signed bundle envelope
};
// A signed command envelope; errors for a bad target, action or bundle.
Result<std::string> makeCommand(const CommandSpec& spec, const OperatorKey& key);
// The topic a target's commands go to: sentinel/v1/{id}/cmd, …/all/cmd, …/station/{s}/cmd, …/group/{g}/cmd.
Result<std::string> commandTopic(const std::string& target);

}  // namespace sentinel::fleet

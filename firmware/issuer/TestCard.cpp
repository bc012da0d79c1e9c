#include "firmware/issuer/TestCard.h"

#include <cstdio>

#include "firmware/issuer/TestIssuer.h"

namespace sentinel::issuer {

Result<issuer::TestIssuer> loadOrCreateTestIssuer(const std::filesystem::path& dir, bool& created) {
    created = false;
    std::error_code ec;
    if (std::filesystem::exists(dir / "test-issuer-key.pem", ec)) return issuer::TestIssuer::load(dir);
    issuer::TestIssuer fresh = issuer::TestIssuer::generate("XX");
    if (auto saved = fresh.save(dir); !saved) return Error{"cannot save the test issuer: " + saved.error().message};
    created = true;
    return fresh;
}

std::string issueTestCard(const issuer::TestIssuer& issuer, UtcTime now, int serial) {
    issuer::Hc1Spec spec = issuer::testCredential(TestType::Naat, now - std::chrono::hours{1}, false, now);
    spec.expiresAt = now + kTestCardValidity;
    char id[64];
    std::snprintf(id, sizeof id, "URN:UVCI:01:XX:SENTINELTESTCARD%06d#T", serial);
    spec.certificateIdentifier = id;
    return issuer.issue(spec);
}

}  // namespace sentinel::issuer

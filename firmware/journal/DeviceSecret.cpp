#include "firmware/journal/DeviceSecret.h"

#include <unistd.h>

#include <openssl/rand.h>

#include "firmware/base/Log.h"
#include "firmware/journal/SecretFile.h"

namespace sentinel::journal {

Result<std::string> loadOrCreateDeviceSecret(const std::filesystem::path& stateDir) {
    if (auto dir = ensureStateDirectory(stateDir); !dir) return dir.error();
    const auto path = stateDir / kDeviceSecretFile;
    constexpr std::string_view kWhat = "device secret";
    const SecretFileLimits limits{kDeviceSecretBytes, kDeviceSecretBytes};
    if (::access(path.c_str(), F_OK) == 0) return readSecretFile(path, kWhat, limits);

    std::string secret(kDeviceSecretBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), static_cast<int>(secret.size())) != 1) {
        return makeError("no randomness for the device secret (RAND_bytes failed)");
    }
    auto installed = installSecretFile(path, secret, kWhat);
    if (!installed) return installed.error();
    if (!*installed) return readSecretFile(path, kWhat, limits);  // another process won the race: use its secret
    SLOG("Journal", Info) << "created device secret " << path.string();
    return secret;
}

}  // namespace sentinel::journal

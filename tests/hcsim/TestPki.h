#pragma once
// A throw-away PKI for the reference health-code service, generated with OpenSSL at run time (no
// key material is committed): a self-signed test CA, a server certificate it signs for the loopback
// names, and a second "backup" server key + certificate for pin-rotation tests. Pins are in the
// CURLOPT_PINNEDPUBLICKEY form, "sha256//" + base64(SHA-256(SubjectPublicKeyInfo DER)).

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::hcsim {

struct TestPki {
    std::string caCertPem;      // the trust anchor a client puts in ca_file
    std::string serverCertPem;  // signed by the CA; SAN IP:127.0.0.1, IP:::1, DNS:localhost + extras
    std::string serverKeyPem;
    std::string serverPin;      // pin of serverCertPem's key (the "primary")
    std::string backupCertPem;  // another key, same CA and names: what the service rotates to
    std::string backupKeyPem;
    std::string backupPin;
};

// P-256 keys, SHA-256 signatures, valid from an hour ago for `validity`.
Result<TestPki> generateTestPki(const std::vector<std::string>& extraDnsNames = {},
                                std::chrono::hours validity = std::chrono::hours{24 * 30});

// A lone self-signed server certificate (no CA, no backup key): what a third-party service on a
// bench might use; caCertPem == serverCertPem, the file a kiosk puts in ca_file.
Result<TestPki> generateSelfSignedPki(std::chrono::hours validity = std::chrono::hours{24 * 30});

// The pin of the first certificate in `pem`.
Result<std::string> pinOfCertificate(const std::string& pem);

// ca.pem, server.pem, server.key, backup.pem, backup.key, pins.txt (primary then backup) in `dir`
// (created if needed; keys written 0600).
Status writePki(const TestPki& pki, const std::filesystem::path& dir);

}  // namespace sentinel::hcsim

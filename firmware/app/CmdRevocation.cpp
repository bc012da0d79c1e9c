// `sentinel revocation hash [--json] PAYLOAD|-` (DESIGN §17): the revocation hashes of one HC1
// certificate, as the lists of the EU DCC gateway and the Italian DRL hold them.
#include <iostream>

#include <nlohmann/json.hpp>

#include "firmware/app/CliUtil.h"
#include "firmware/base/QrLimits.h"
#include "firmware/credential/Hc1.h"
#include "firmware/verify/Revocation.h"
#include "firmware/verify/RuleCheck.h"

namespace sentinel::app {
namespace {

constexpr const char* kHelp = R"HELP(Usage: sentinel revocation hash [--json] PAYLOAD|-

Prints the revocation hashes of one HC1 certificate (`-` reads it from standard input), one JSON
object (DESIGN §17), whether or not --json is given:
  {"UCI":"<hex>","COUNTRYCODEUCI":["<hex>",…],"SIGNATURE":"<hex>","DRL":"<base64>","kid":"<base64>"}
  UCI             first 16 bytes of SHA-256 over the certificate identifier (ci)
  COUNTRYCODEUCI  the same over the issuing country (CWT iss) followed by ci; a second value with
                  the entry's country (co) when it differs
  SIGNATURE       the same over the COSE signature (ES256: r only; PS256: all of it)
  DRL             base64 of the whole SHA-256 over ci (the Italian DRL's form of UCI)
  kid             the certificate's kid, as `fleet revocation build --kid` takes it
UCI and DRL are null, COUNTRYCODEUCI empty, when the certificate has no identifier. The signature
is not checked: hash what you are about to revoke, not what you trust.

Exit status: 0 printed, 1 the payload is not a well-formed HC1, 2 usage.
)HELP";

}  // namespace

int cmdRevocation(const std::vector<std::string>& argv, CliContext& ctx) {
    if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
        (argv.empty() ? ctx.err : ctx.out) << kHelp;
        return argv.empty() ? kExitUsage : kExitOk;
    }
    if (argv[0] != "hash") {
        ctx.err << "sentinel revocation: unknown subcommand '" << argv[0] << "'\n\n" << kHelp;
        return kExitUsage;
    }
    int exitCode = kExitOk;
    auto args = parseOrExit(std::vector<std::string>(argv.begin() + 1, argv.end()), {{"--json"}, {}}, kHelp, ctx, exitCode);
    if (!args) return exitCode;
    if (args->positionals.size() != 1) {
        ctx.err << "sentinel revocation hash: give exactly one PAYLOAD (or - for standard input)\n\n" << kHelp;
        return kExitUsage;
    }
    std::string payload = args->positionals[0];
    if (payload == "-") {
        constexpr std::size_t kStdinLimit = kMaxQrPayloadChars + 2;  // a QR code's text and a newline
        payload.resize(kStdinLimit + 1);
        std::cin.read(payload.data(), static_cast<std::streamsize>(payload.size()));
        payload.resize(static_cast<std::size_t>(std::cin.gcount()));
    }
    while (!payload.empty() && (payload.back() == '\n' || payload.back() == '\r' || payload.back() == ' ')) payload.pop_back();
    if (payload.size() > kMaxQrPayloadChars) {
        ctx.err << "sentinel revocation hash: longer than a QR code can carry\n";
        return kExitFail;
    }
    const auto parsed = credential::parseHc1(payload);
    if (!parsed.ok()) {
        ctx.err << "sentinel revocation hash: not a well-formed HC1 certificate: " << parsed.error << '\n';
        return kExitFail;
    }
    const auto h = verify::revocationHashes(*parsed.cose, *parsed.claims);
    using Json = nlohmann::ordered_json;  // printed in the order of DESIGN §17
    Json j;
    j["UCI"] = h.uci ? Json(trust::hexOf(*h.uci)) : Json(nullptr);
    j["COUNTRYCODEUCI"] = Json::array();
    for (const auto& c : h.countryCodeUci) j["COUNTRYCODEUCI"].push_back(trust::hexOf(c));
    j["SIGNATURE"] = trust::hexOf(h.signature);
    j["DRL"] = h.uci ? Json(h.drl) : Json(nullptr);
    j["kid"] = verify::base64Of(parsed.cose->kid);
    ctx.out << j.dump() << '\n';
    return kExitOk;
}

}  // namespace sentinel::app

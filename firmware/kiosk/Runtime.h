#pragma once
// Assembles the verification side of the kiosk from configuration: trust list, device secret,
// online client, journal, replay guard, and the credential router. Shared by run, scan, verify
// and demo so they decide exactly alike. It chooses no backend: the HTTPS transport comes from the
// caller (the app's Backends.cpp), and nothing here leaves the kiosk (the fleet parts do).

#include <memory>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "drivers/hal/HttpTransport.h"
#include "firmware/kiosk/ClockTrust.h"
#include "firmware/kiosk/Config.h"
#include "firmware/kiosk/Kiosk.h"
#include "firmware/kiosk/Router.h"
#include "firmware/kiosk/StartCheck.h"
#include "firmware/kiosk/TestCardIssuers.h"
#include "firmware/kiosk/TrustStore.h"
#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::trust {
class TrustList;
class RevocationHolder;
}
namespace sentinel::verify {
class OnlineVerifier;
}
namespace sentinel::journal {
class Journal;
class ReplayGuard;
}
namespace sentinel::kiosk {

// What an HTTPS transport to the health-code service must do beyond the defaults (DESIGN §5).
struct HttpsSettings {
    std::string caFile;             // online.ca_file
    std::string caPem;              // or the CA in memory (demo)
    std::vector<std::string> pins;  // online.pins
};
// Makes the transport (the app passes its backend here; nullptr results are refused).
using HttpsTransportFactory = std::function<std::unique_ptr<hal::HttpTransport>(const HttpsSettings&)>;

struct RuntimeOptions {
    bool openJournal = false;                 // run, demo
    bool requireDeviceSecret = false;         // run: state_dir must work; others fall back to a session key
    std::optional<std::string> trustPath;     // `--trust` overrides trust.path
    std::optional<UtcTime> validationTime;    // `--at`
    bool evaluateAllStages = false;           // `verify`: every stage in the record
    std::string onlineCaPem;                  // demo: CA given in memory instead of online.ca_file
    std::string onlineToken;                  // demo: token given in memory instead of online.token_file
    // run: decisions need trusted time (ClockTrust; floor = build time and the newest journal record).
    bool requireTrustedClock = false;
    std::function<ClockSignals()> clockSignals;  // nullptr = probeClockSignals() (tests inject their own)
    // The online client's transport, needed when online.base_url is set (else an error).
    HttpsTransportFactory httpsTransport;
    std::shared_ptr<const trust::RevocationHolder> revocation;  // `verify --revocation` (§17); nullptr = none
    // run: refuse to start, listing every problem by key, unless checkStartable(config,
    // startRequirements) finds none — the same answer `config check` and `diag` give (StartCheck.h).
    bool checkStartable = false;
    std::vector<StartRequirement> startRequirements;  // the app's own (e.g. the screen's font)
};

class Runtime {
public:
    // Errors name the key. With options.checkStartable, the error is a line "N problems stop the
    // kiosk …" and then every problem of checkStartable(), one per line, as formatProblems() writes them.
    static Result<std::unique_ptr<Runtime>> create(const Config& config, const Clock& clock, RuntimeOptions options);
    ~Runtime();

    CredentialRouter& router() { return *router_; }
    DecisionSink* sink() { return sink_.get(); }
    journal::Journal* journal() { return journal_.get(); }
    // The trust list and policy in force (swapped by trust sync; take one snapshot per use).
    const std::shared_ptr<TrustStore>& trustStore() const { return trustStore_; }
    const std::string& trustError() const { return trustError_; }
    std::optional<UtcTime> bundleIssuedAt() const { return bundleIssuedAt_; }
    ClockTrust* clockTrust() { return clockTrust_.get(); }  // nullptr unless requireTrustedClock
    // The health-code service client (nullptr without online.base_url): its circuit breaker's
    // status and listener (§14) for the `backend` alarm, status and metrics.
    verify::OnlineVerifier* online() { return online_.get(); }
    bool hasTestIssuer() const { return static_cast<bool>(testCardList_); }
    KioskOptions kioskOptions() const;
    const Config& config() const { return config_; }

private:
    Runtime(const Config& config, const Clock& clock);

    Config config_;
    const Clock& clock_;
    std::string deviceSecret_;
    std::shared_ptr<TrustStore> trustStore_;
    std::string trustError_;
    std::optional<UtcTime> bundleIssuedAt_;
    std::shared_ptr<ClockTrust> clockTrust_;
    std::shared_ptr<const trust::TrustList> testCardList_;  // the device test issuer alone
    std::unique_ptr<hal::HttpTransport> transport_;
    std::unique_ptr<verify::OnlineVerifier> online_;
    std::unique_ptr<journal::Journal> journal_;
    std::unique_ptr<DecisionSink> sink_;
    std::unique_ptr<journal::ReplayGuard> replay_;
    std::unique_ptr<CredentialRouter> router_;
};

}  // namespace sentinel::kiosk

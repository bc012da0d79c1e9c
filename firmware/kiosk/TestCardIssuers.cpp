#include "firmware/kiosk/TestCardIssuers.h"

#include "firmware/issuer/TestIssuer.h"
#include "firmware/trust/TrustList.h"

namespace sentinel::kiosk {

Result<std::shared_ptr<const trust::TrustList>> loadTestCardIssuers(const Config& config) {
    std::vector<trust::CertificateInput> certificates;
    if (auto own = issuer::TestIssuer::load(config.kiosk.stateDir / kTestIssuerDir)) {
        certificates.push_back({own->certificateDer(), own->country(), std::nullopt});
    }
    if (!config.kiosk.testIssuer.empty()) {
        auto station = trust::TrustList::load(config.kiosk.testIssuer);
        if (!station) return Error{station.error().message};
        for (const auto& c : station->certificates())
            certificates.push_back({c.der, c.country, c.kid});
    }
    if (certificates.empty()) return std::shared_ptr<const trust::TrustList>();
    auto list = trust::TrustList::fromCertificates(std::move(certificates));
    if (!list) return Error{list.error().message};
    return std::make_shared<const trust::TrustList>(std::move(list).value());
}

}  // namespace sentinel::kiosk

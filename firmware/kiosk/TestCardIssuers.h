#pragma once
// Which issuers sign test cards this kiosk accepts in diagnostics mode (DESIGN §4 `testcard`,
// issue 24): its own device test issuer (state_dir/test-issuer, made by `sentinel testcard`) and
// the station's, shared by every kiosk of a station through `kiosk.test_issuer` (a PEM file
// exported with `sentinel testcard --export-issuer`). Never part of the trust list.

#include <memory>

#include "firmware/base/Result.h"
#include "firmware/kiosk/Config.h"

namespace sentinel::trust {
class TrustList;
}

namespace sentinel::kiosk {

// Test cards: the device's test issuer lives in state_dir/test-issuer (created by `sentinel
// testcard`).
inline constexpr const char* kTestIssuerDir = "test-issuer";

// The device test issuer's certificate (when `sentinel testcard` made one) and every certificate of
// kiosk.test_issuer, as one list; nullptr when there is neither. Errors: kiosk.test_issuer set but
// unreadable or holding no certificate (the message names the file).
Result<std::shared_ptr<const trust::TrustList>> loadTestCardIssuers(const Config& config);

}  // namespace sentinel::kiosk

#pragma once
// Test cards (issue 6): HC1 credentials signed by the device's TEST issuer, for aiming the camera
// and the decode self-test. Accepted by the router only in diagnostics mode (Router.h).

#include <filesystem>
#include <string>

#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::issuer {
class TestIssuer;
}

namespace sentinel::issuer {

// Print geometry: 8 px modules with the 4-module quiet zone of ISO/IEC 18004 print at about
// 1 mm per module at 203 dpi (label printers) — easy for the kiosk camera at 10–25 cm.
inline constexpr int kTestCardModulePx = 8;
inline constexpr int kTestCardQuietModules = 4;
inline constexpr int kTestCardPrintDpi = 203;
// Printed under the code, so a card is known for what it is without scanning it (issue 24).
inline constexpr const char* kTestCardLabel = "TEST / 测试";
inline constexpr const char* kTestCardNote = "测试卡 仅供调试 · test card, diagnostics only";
// A printed card is used for a long time: valid a year from printing.
inline constexpr std::chrono::hours kTestCardValidity{24 * 365};

// Loads `dir` (TestIssuer::load) or, when it holds no issuer, generates one and saves it there.
Result<issuer::TestIssuer> loadOrCreateTestIssuer(const std::filesystem::path& dir, bool& created);

// The HC1 text of test card number `serial`.
std::string issueTestCard(const issuer::TestIssuer& issuer, UtcTime now, int serial);

}  // namespace sentinel::issuer

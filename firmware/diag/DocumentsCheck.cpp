#include "firmware/diag/DocumentsCheck.h"

#include <cstdint>

namespace sentinel::diag {
namespace {

// SW3 values of the SAM status answer (module protocol documentation).
constexpr std::uint8_t kSamReady = 0x90;
constexpr std::uint8_t kSamSelfTestFailed = 0x60;
constexpr std::uint8_t kSamUnauthorised = 0x66;

bool mentions(const std::string& text, std::string_view what) {
    return text.find(what) != std::string::npos;
}

std::string openRemedy(const std::string& detail) {
    if (mentions(detail, "No such file") || mentions(detail, "No such device")) {
        return "plug in the reader's USB serial adapter and check the path in documents.reader "
               "(ls -l /dev/serial/by-id/; the udev rule in docs/install.md names it "
               "/dev/sentinel-idreader)";
    }
    if (mentions(detail, "Permission denied")) {
        return "the kiosk user cannot open the line: install the udev rule of docs/install.md "
               "(group sentinel) "
               "and re-plug the adapter";
    }
    if (mentions(detail, "in use"))
        return "another process holds the reader: stop the kiosk (systemctl stop sentinel) and run "
               "diag again";
    if (mentions(detail, "baud"))
        return "documents.reader: use @9600, @19200, @38400, @57600 or @115200";
    return "check documents.reader and the reader's cable; see docs/troubleshooting.md (ID-card "
           "reader)";
}

std::string statusRemedy(std::uint8_t status) {
    if (status == kSamUnauthorised)
        return "the module's SAM is not authorised for use: return the module to its supplier";
    if (status == kSamSelfTestFailed)
        return "power-cycle the reader module; replace it if the self-test keeps failing";
    return "power-cycle the reader module; replace it if the status stays";
}

}  // namespace

bool documentsCheckApplies(std::string_view readerSetting) {
    return !readerSetting.empty() && readerSetting != "none";
}

Outcome judgeDocumentReader(const std::string& source, const hal::DocumentReaderHealth& h) {
    if (!h.deviceOpen) return Outcome::fail(source + ": " + h.detail, openRemedy(h.detail));
    if (!h.samAnswered) {
        return Outcome::fail(
            source + ": the SAM does not answer: " + h.detail,
            "check the baud rate in documents.reader (modules ship at 115200), the TX/RX wiring "
            "and the module's power");
    }
    if (h.samStatus && *h.samStatus != kSamReady)
        return Outcome::fail(source + ": " + h.detail, statusRemedy(*h.samStatus));
    if (h.samId.empty()) {
        return Outcome::warn(source + ": SAM ready, its id not read: " + h.detail,
                             "power-cycle the reader module; check the cable");
    }
    return Outcome::ok(source + ": SAM ready, id " + h.samId);
}

Outcome checkDocumentReader(hal::DocumentReader& reader, std::chrono::milliseconds timeout) {
    return judgeDocumentReader(reader.describe(), reader.health(timeout));
}

}  // namespace sentinel::diag

// The `documents` diagnostic: the verdict from what the reader reports, with a remedy for each
// cause.
#include <gtest/gtest.h>

#include "firmware/diag/DocumentsCheck.h"

namespace sentinel::diag {
namespace {

const std::string kSource = "sam:/dev/ttyUSB0@115200";

hal::DocumentReaderHealth ready() {
    hal::DocumentReaderHealth h;
    h.deviceOpen = h.samAnswered = true;
    h.samStatus = 0x90;
    h.samId = "05.01-20200101-0000000001-0123456789";
    return h;
}

TEST(DocumentsCheck, AppliesOnlyWhenAReaderIsConfigured) {
    EXPECT_FALSE(documentsCheckApplies("none"));
    EXPECT_FALSE(documentsCheckApplies(""));
    EXPECT_TRUE(documentsCheckApplies("sam:/dev/ttyUSB0"));
}

TEST(DocumentsCheck, ReadySamIsOkAndShowsItsId) {
    auto o = judgeDocumentReader(kSource, ready());
    EXPECT_EQ(o.status, Status::Ok);
    EXPECT_EQ(o.detail,
              "sam:/dev/ttyUSB0@115200: SAM ready, id 05.01-20200101-0000000001-0123456789");
}

TEST(DocumentsCheck, MissingDeviceFailsWithAPlugInRemedy) {
    hal::DocumentReaderHealth h;
    h.detail = "/dev/ttyUSB0: cannot open: No such file or directory";
    auto o = judgeDocumentReader(kSource, h);
    EXPECT_EQ(o.status, Status::Fail);
    EXPECT_NE(o.remedy.find("plug in"), std::string::npos);
}

TEST(DocumentsCheck, PermissionDeniedPointsAtTheUdevRule) {
    hal::DocumentReaderHealth h;
    h.detail = "/dev/ttyUSB0: cannot open: Permission denied";
    auto o = judgeDocumentReader(kSource, h);
    EXPECT_EQ(o.status, Status::Fail);
    EXPECT_NE(o.remedy.find("udev"), std::string::npos);
}

TEST(DocumentsCheck, ReaderInUseAsksToStopTheKiosk) {
    hal::DocumentReaderHealth h;
    h.detail = "/dev/ttyUSB0: in use by another process (is the kiosk service running?)";
    EXPECT_NE(judgeDocumentReader(kSource, h).remedy.find("systemctl stop"), std::string::npos);
}

TEST(DocumentsCheck, SilentSamFailsWithABaudAndWiringRemedy) {
    hal::DocumentReaderHealth h;
    h.deviceOpen = true;
    h.detail = "no complete answer to SAM status within 500 ms";
    auto o = judgeDocumentReader(kSource, h);
    EXPECT_EQ(o.status, Status::Fail);
    EXPECT_NE(o.remedy.find("baud"), std::string::npos);
}

TEST(DocumentsCheck, UnauthorisedSamFailsWithASupplierRemedy) {
    auto h = ready();
    h.samStatus = 0x66;
    h.samId.clear();
    h.detail = "SAM status: the reader's SAM is not authorised (SW3 0x66)";
    auto o = judgeDocumentReader(kSource, h);
    EXPECT_EQ(o.status, Status::Fail);
    EXPECT_NE(o.detail.find("not authorised"), std::string::npos);
    EXPECT_NE(o.remedy.find("supplier"), std::string::npos);
}

TEST(DocumentsCheck, SamIdNotReadIsAWarning) {
    auto h = ready();
    h.samId.clear();
    h.detail = "no complete answer to read SAM id within 500 ms";
    EXPECT_EQ(judgeDocumentReader(kSource, h).status, Status::Warn);
}

}  // namespace
}  // namespace sentinel::diag

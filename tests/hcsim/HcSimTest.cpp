// The simulator's own inputs: code files, fault specs, the generated PKI.

#include <gtest/gtest.h>

#include "tests/hcsim/HcSim.h"
#include "tests/hcsim/TestPki.h"
#include "tests/support/TestSupport.h"

namespace sentinel::hcsim {
namespace {

TEST(CodeTable, ReadsCodesHolderTestsAndFaults) {
    auto t = parseCodeTable(R"({"device_token":"bench-token","codes":[
        {"code":"HK1:BenchGreenCode000001","status":"yellow","holder":{"name_masked":"李*"},
         "tests":[{"type":"RAT","age_h":2.5,"result":"positive"},{"collected_at":"2026-11-20T06:00:00+08:00"}],
         "fault":{"delay_ms":1500,"drip":true}},
        {"code":"NoPrefixGiven0000000001"}]})");
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->deviceToken, "bench-token");
    ASSERT_EQ(t->codes.size(), 2u);
    const auto& c = t->codes[0];
    EXPECT_EQ(c.status, "yellow");
    EXPECT_EQ(c.nameMasked, "李*");
    ASSERT_EQ(c.tests.size(), 2u);
    EXPECT_EQ(c.tests[0].type, "RAT");
    EXPECT_EQ(c.tests[0].age, std::chrono::seconds{9000});
    EXPECT_EQ(c.tests[0].result, "positive");
    EXPECT_EQ(c.tests[1].collectedAt, "2026-11-20T06:00:00+08:00");
    EXPECT_EQ(c.fault.delay, std::chrono::milliseconds{1500});
    EXPECT_TRUE(c.fault.drip);
    EXPECT_FALSE(c.fault.garbage);
    EXPECT_EQ(t->codes[1].code, "HK1:NoPrefixGiven0000000001");
}

TEST(CodeTable, RejectsWhatItCannotServe) {
    for (const char* bad : {"", "[]", R"({"codes":{}})", R"({"codes":[{"status":"green"}]})",
                            R"({"codes":[{"code":"HK1:x","tests":"none"}]})", R"({"device_token":1,"codes":[]})"}) {
        EXPECT_FALSE(parseCodeTable(bad)) << bad;
    }
}

TEST(FaultSpec, ParsesEveryFault) {
    SimFault f;
    for (const char* spec : {"delay=250", "status=503", "redirect", "garbage", "oversize", "oversize-chunked",
                             "close-mid-body", "drip"}) {
        EXPECT_TRUE(parseFaultSpec(spec, f)) << spec;
    }
    EXPECT_EQ(f.delay, std::chrono::milliseconds{250});
    EXPECT_EQ(f.status, 503);
    EXPECT_TRUE(f.redirect && f.garbage && f.oversize && f.oversizeChunked && f.closeMidBody && f.drip);
}

TEST(FaultSpec, RejectsUnknownOrBadValues) {
    SimFault f;
    for (const char* spec : {"delay", "delay=-1", "delay=abc", "status=99", "status=600", "drip=1", "teapot"}) {
        EXPECT_FALSE(parseFaultSpec(spec, f)) << spec;
    }
}

TEST(TestPki, PinsMatchTheServedKeysAndDiffer) {
    auto pki = generateTestPki({"hc.bench.test"});
    ASSERT_TRUE(pki) << pki.error().message;
    EXPECT_EQ(pinOfCertificate(pki->serverCertPem).value(), pki->serverPin);
    EXPECT_EQ(pinOfCertificate(pki->backupCertPem).value(), pki->backupPin);
    EXPECT_NE(pki->serverPin, pki->backupPin);
    EXPECT_EQ(pki->serverPin.rfind("sha256//", 0), 0u);
    EXPECT_EQ(pki->serverPin.size(), 8u + 44u);  // base64 of 32 bytes
    EXPECT_NE(pki->serverKeyPem.find("PRIVATE KEY"), std::string::npos);
}

TEST(TestPki, WritesFilesWithPrivateKeysOwnerOnly) {
    testing::TempDir dir;
    auto pki = generateTestPki();
    ASSERT_TRUE(pki);
    ASSERT_TRUE(writePki(*pki, dir.path()));
    for (const char* f : {"ca.pem", "server.pem", "server.key", "backup.pem", "backup.key", "pins.txt"}) {
        EXPECT_TRUE(std::filesystem::exists(dir / f)) << f;
    }
    auto perms = std::filesystem::status(dir / "server.key").permissions();
    EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
              std::filesystem::perms::none);
}

}  // namespace
}  // namespace sentinel::hcsim

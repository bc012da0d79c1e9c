// `revocation hash`, `fleet revocation build|show` and `verify --revocation`, in process, on real
// files and real signatures (DESIGN §17).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "firmware/app/Cli.h"
#include "firmware/issuer/TestIssuer.h"
#include "tests/support/TestSupport.h"

namespace sentinel::app {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

struct CliResult {
    int status;
    std::string out, err;
};

CliResult cli(std::vector<std::string> args) {
    std::ostringstream out, err;
    CliContext ctx{out, err};
    args.insert(args.begin(), "sentinel");
    const int status = runCli(args, ctx);
    return {status, out.str(), err.str()};
}

class RevocationCli : public ::testing::Test {
protected:
    void SetUp() override {
        std::ofstream(dir_ / "dsc.pem") << issuer_.certificatePem();
        // A configuration of its own: verify keeps its device secret here, not in /var/lib.
        std::ofstream(dir_ / "c.toml") << "[kiosk]\nstate_dir = \"" << (dir_ / "state").string() << "\"\n";
        auto spec = issuer::testCredential(TestType::Naat, now_ - 2h, false, now_);
        spec.certificateIdentifier = "URN:UVCI:01:XX:CLIREVOKED#7";
        payload_ = issuer_.issue(spec);
        const auto r = cli({"revocation", "hash", payload_});
        EXPECT_EQ(kExitOk, r.status) << r.err;
        hashes_ = nlohmann::json::parse(r.out);
    }
    std::string file(const std::string& name, const std::string& content) const {
        std::ofstream(dir_ / name) << content;
        return (dir_ / name).string();
    }
    CliResult verify(const std::string& index) const {
        return cli({"verify", "--json", "--config", (dir_ / "c.toml").string(), "--trust", (dir_ / "dsc.pem").string(), "--revocation",
                    index, payload_});
    }
    std::string build(std::vector<std::string> extra) const {
        std::vector<std::string> args{"fleet", "revocation", "build", "--out", (dir_ / "r.idx").string()};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = cli(args);
        EXPECT_EQ(kExitOk, r.status) << r.err;
        return (dir_ / "r.idx").string();
    }
    std::string kid() const { return hashes_["kid"].get<std::string>(); }

    sentinel::testing::TempDir dir_;
    issuer::TestIssuer issuer_ = issuer::TestIssuer::generate("XX");
    UtcTime now_ = SystemClock{}.now();
    std::string payload_;
    nlohmann::json hashes_;
};

TEST_F(RevocationCli, HashPrintsTheFourFormsInDesignOrder) {
    const auto r = cli({"revocation", "hash", "--json", payload_});
    ASSERT_EQ(kExitOk, r.status);
    EXPECT_EQ(0u, r.out.find(R"({"UCI":")"));
    EXPECT_EQ(32u, hashes_["UCI"].get<std::string>().size());
    EXPECT_EQ(1u, hashes_["COUNTRYCODEUCI"].size());
    EXPECT_EQ(32u, hashes_["SIGNATURE"].get<std::string>().size());
    EXPECT_EQ(44u, hashes_["DRL"].get<std::string>().size());
}

TEST_F(RevocationCli, HashOfSomethingElseFails) {
    const auto r = cli({"revocation", "hash", "HK1:abcdefghijklmnop"});
    EXPECT_EQ(kExitFail, r.status);
    EXPECT_THAT(r.err, HasSubstr("not a well-formed HC1"));
}

TEST_F(RevocationCli, EachHashTypeBuiltForTheKidRevokes) {
    const std::map<std::string, std::string> lines{{"UCI", hashes_["UCI"].get<std::string>()},
                                                   {"COUNTRYCODEUCI", hashes_["COUNTRYCODEUCI"][0].get<std::string>()},
                                                   {"SIGNATURE", hashes_["SIGNATURE"].get<std::string>()},
                                                   {"DRL", hashes_["DRL"].get<std::string>()}};
    for (const auto& [type, line] : lines) {
        SCOPED_TRACE(type);
        const auto index = build({"--kid", kid(), type + ":" + file(type + ".txt", line + "\n")});
        const auto r = verify(index);
        EXPECT_EQ(kExitFail, r.status);
        const auto rec = nlohmann::json::parse(r.out);
        EXPECT_EQ("REVOKED", rec["reason"]);
        EXPECT_EQ(type == "DRL" ? "UCI" : type, rec["revocation"]["type"]);
    }
}

TEST_F(RevocationCli, ListOfAnotherKidDoesNotRevoke) {
    const auto index = build({"--kid", "AAAAAAAAAAA=", "UCI:" + file("u.txt", hashes_["UCI"].get<std::string>())});
    const auto r = verify(index);
    EXPECT_EQ(kExitOk, r.status) << r.out << r.err;
    EXPECT_FALSE(nlohmann::json::parse(r.out).contains("revocation"));
}

TEST_F(RevocationCli, ExpiredListDoesNotRevoke) {
    const auto index = build({"--expires", "2020-01-01T00:00:00Z", "UCI:" + file("u.txt", hashes_["UCI"].get<std::string>())});
    EXPECT_EQ(kExitOk, verify(index).status);
}

TEST_F(RevocationCli, IncludedListsStillRevoke) {
    const auto first = build({"--kid", kid(), "SIGNATURE:" + file("s.txt", hashes_["SIGNATURE"].get<std::string>())});
    std::filesystem::rename(first, dir_ / "first.idx");
    const auto merged = build({"--include", (dir_ / "first.idx").string(), "--kid", "AAAAAAAAAAA=", "UCI:" + file("u.txt", "")});
    const auto shown = cli({"fleet", "revocation", "show", "--json", merged});
    ASSERT_EQ(kExitOk, shown.status) << shown.err;
    EXPECT_EQ(2u, nlohmann::json::parse(shown.out)["lists"].size());
    EXPECT_EQ("REVOKED", nlohmann::json::parse(verify(merged).out)["reason"]);
}

TEST_F(RevocationCli, BuildPrintsTheDigestAndCountABundleNames) {
    build({"UCI:" + file("u.txt", hashes_["UCI"].get<std::string>() + "\n" + hashes_["UCI"].get<std::string>() + "\n")});
    const auto r = cli({"fleet", "revocation", "show", "--json", (dir_ / "r.idx").string()});
    ASSERT_EQ(kExitOk, r.status);
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(1, j["entries"]);  // the duplicate line is one entry
    EXPECT_EQ(64u, j["sha256"].get<std::string>().size());
}

TEST_F(RevocationCli, BadHashFileLineIsNamed) {
    const auto r = cli({"fleet", "revocation", "build", "--out", (dir_ / "r.idx").string(), "UCI:" + file("u.txt", "nothex\n")});
    EXPECT_EQ(kExitFail, r.status);
    EXPECT_THAT(r.err, HasSubstr("u.txt:1:"));
    EXPECT_FALSE(std::filesystem::exists(dir_ / "r.idx"));
}

TEST_F(RevocationCli, TamperedIndexIsRefusedByVerify) {
    const auto index = build({"UCI:" + file("u.txt", hashes_["UCI"].get<std::string>())});
    {
        std::fstream f(index, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(100);
        f.put('\x5a');
    }
    const auto r = verify(index);
    EXPECT_EQ(kExitUsage, r.status);
    EXPECT_THAT(r.err, HasSubstr("revocation index refused"));
}

TEST_F(RevocationCli, UnknownTypeIsAUsageError) {
    const auto r = cli({"fleet", "revocation", "build", "--out", (dir_ / "r.idx").string(), "CRL:" + file("u.txt", "")});
    EXPECT_EQ(kExitUsage, r.status);
}

}  // namespace
}  // namespace sentinel::app

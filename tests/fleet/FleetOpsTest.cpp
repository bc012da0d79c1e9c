// Issue 24 item 9 "done when", end to end: three real `sentinel run` kiosks of two stations on a real
// Mosquitto broker, and the operator tools — `fleet bundle` signs a bundle, `trust import` installs
// one from a file (and a running kiosk reloads it), `fleet send` pushes one to a station and prints
// every kiosk's ack, `fleet watch --json` lists the kiosks with their policy versions and alarms.
// The kiosks' camera is a v4l2 device that does not exist: each raises the `camera` alarm and keeps
// running until SIGTERM (devices come and go; that is not a start problem).

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/fleet/Broker.h"
#include "tests/support/TestSupport.h"
#include "tests/support/UpdateKey.h"

namespace sentinel::fleet {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using sentinel::testing::TempDir;
using testing::Broker;
using testing::readText;
using testing::Message;
using testing::Subscriber;

const std::string kSentinel = std::string(SENTINEL_BINARY_DIR) + "/firmware/app/sentinel";
constexpr const char* kOperatorPassword = "op-secret";
constexpr const char* kBundleT1 = "2026-06-01T00:00:00Z";
constexpr const char* kBundleT2 = "2026-06-02T00:00:00Z";
constexpr const char* kBundleT3 = "2026-06-03T00:00:00Z";

struct KioskSpec {
    const char* id;
    const char* station;
    const char* group;
};
constexpr KioskSpec kKiosks[] = {{"K-A1", "BJ-WEST", "HALL-1"}, {"K-A2", "BJ-WEST", "HALL-2"}, {"K-B1", "BJ-EAST", "HALL-1"}};

struct Outcome {
    int exit = -1;
    std::string out;  // standard output
};

// Runs the binary to its end; standard output kept apart from standard error (`log`).
Outcome run(const std::vector<std::string>& args, const TempDir& tmp) {
    const std::filesystem::path dir = tmp.path();
    std::string cmd;
    for (const auto& a : args) cmd += "'" + a + "' ";
    const auto out = dir / "stdout.txt";
    pid_t pid = testing::spawn({"/bin/sh", "-c", cmd + "> '" + out.string() + "'"}, dir / "stderr.txt");
    int st = 0;
    ::waitpid(pid, &st, 0);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, readText(out)};
}

std::vector<json> jsonLines(const std::string& text) {
    std::vector<json> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (auto j = json::parse(line, nullptr, false); j.is_object()) out.push_back(std::move(j));
    }
    return out;
}

// The newest retained-status payload each kiosk published, as a subscriber saw them.
std::map<std::string, json> statuses(const std::vector<Message>& messages) {
    std::map<std::string, json> out;
    for (const auto& m : messages) {
        if (m.topic.size() < 7 || m.topic.compare(m.topic.size() - 7, 7, "/status") != 0) continue;
        auto j = json::parse(m.payload, nullptr, false);
        if (j.is_object() && j.contains("kiosk_id")) out[j["kiosk_id"].get<std::string>()] = j;
    }
    return out;
}

bool hasAlarm(const json& status, const std::string& name) {
    for (const auto& a : status.value("alarms", json::array())) {
        if ((a.is_object() && a.value("alarm", "") == name) || (a.is_string() && a.get<std::string>() == name)) return true;
    }
    return false;
}

class FleetOpsTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::filesystem::exists(kSentinel)) GTEST_SKIP() << kSentinel << " not built";
        if (!std::filesystem::exists(testing::kMosquitto)) GTEST_SKIP() << "no " << testing::kMosquitto;
        // The demo's trust list: the kiosks' trust.path and the bundles' trust-list part.
        run({kSentinel, "demo", "--dir", (dir / "demo").string()}, dir);
        ASSERT_TRUE(std::filesystem::is_directory(trustDir)) << readText(dir / "stderr.txt");
        std::vector<testing::BrokerUser> users{{"operator", kOperatorPassword}};
        for (const auto& k : kKiosks) users.push_back({k.id, std::string(k.id) + "-secret"});
        broker = std::make_unique<Broker>(dir / "broker", users);
        ASSERT_TRUE(broker->running()) << broker->log();
        std::ofstream(dir / "update-key.pem") << updateKey.publicPem();
        std::ofstream(signingKey) << updateKey.privatePem();
        std::ofstream(operatorPassword) << kOperatorPassword << '\n';
        for (const auto& k : kKiosks) writeConfig(k);
    }
    void TearDown() override {
        for (auto& [id, pid] : pids) {
            ::kill(pid, SIGTERM);
            int st = 0;
            ::waitpid(pid, &st, 0);
        }
    }
    std::filesystem::path config(const std::string& id) const { return dir / (id + ".toml"); }
    void writeConfig(const KioskSpec& k) {
        const auto d = dir / k.id;
        std::filesystem::create_directories(d);
        std::ofstream(d / "password") << k.id << "-secret\n";
        std::ofstream c(config(k.id));
        c << "[kiosk]\nid = \"" << k.id << "\"\nstation = \"" << k.station << "\"\ngroup = \"" << k.group << "\"\nstate_dir = \""
          << (d / "state").string() << "\"\n"
          << "[camera]\nsource = \"v4l2:" << (d / "no-such-camera").string() << "\"\n"
          << "[clock]\nrequire_sync = false\n"
          << "[staff]\ncontrol_socket = \"" << (d / "control.sock").string() << "\"\n"
          << "[trust]\npath = \"" << trustDir.string() << "\"\nupdate_key = \"" << (dir / "update-key.pem").string() << "\"\n"
          << "[fleet]\nbroker_url = \"mqtt://127.0.0.1:" << broker->port() << "\"\nusername = \"" << k.id
          << "\"\npassword_file = \"" << (d / "password").string() << "\"\nkeepalive_s = 5\n"
          << "[log]\nlevels = \"*:Warn\"\n";
    }
    std::vector<std::string> brokerArgs() const {
        return {"--broker", "mqtt://127.0.0.1:" + std::to_string(broker->port()), "--password-file", operatorPassword.string()};
    }
    std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) const {
        a.insert(a.end(), b.begin(), b.end());
        return a;
    }
    // A signed bundle with a policy part, issued at `issuedAt`.
    std::filesystem::path bundle(const std::string& name, const std::string& issuedAt, int naatHours,
                                 const std::filesystem::path& key = {}) {
        const auto policy = dir / (name + ".policy.json");
        std::ofstream(policy) << json{{"max_test_age_h.naat", naatHours}}.dump();
        const auto out = dir / (name + ".bundle.json");
        const auto r = run({kSentinel, "fleet", "bundle", "--signing-key", (key.empty() ? signingKey : key).string(), "--issued-at",
                            issuedAt, "--policy", policy.string(), "--trust-list", trustDir.string(), "--out", out.string()},
                           dir);
        EXPECT_EQ(0, r.exit) << r.out << readText(dir / "stderr.txt");
        return out;
    }
    void start(const KioskSpec& k) { pids[k.id] = testing::spawn({kSentinel, "run", "--config", config(k.id).string()}, dir / (std::string(k.id) + ".log")); }
    std::unique_ptr<Subscriber> subscribe() {
        auto s = std::make_unique<Subscriber>(broker->port(), "operator", kOperatorPassword, std::vector<std::string>{"sentinel/#"});
        EXPECT_TRUE(s->waitSubscribed());
        return s;
    }
    std::string logs() const {
        std::string all;
        for (const auto& k : kKiosks) all += std::string(k.id) + ":\n" + readText(dir / (std::string(k.id) + ".log"));
        return all + "stderr:\n" + readText(dir / "stderr.txt");
    }

    TempDir dir;
    const std::filesystem::path trustDir = dir / "demo" / "trust";
    const std::filesystem::path signingKey = dir / "signing-key.pem";
    const std::filesystem::path operatorPassword = dir / "operator.password";
    sentinel::testing::UpdateKey updateKey;
    std::unique_ptr<Broker> broker;
    std::map<std::string, pid_t> pids;
};

TEST_F(FleetOpsTest, WatchListsThreeKiosksOfTwoStationsWithTheirPolicyVersionsAndAlarmsAndSendCollectsEveryAck) {
    // Before it first starts, K-A1 gets a bundle from a file (USB, no network): in force at start.
    const auto b1 = bundle("b1", kBundleT1, 36);
    auto imported = run({kSentinel, "trust", "import", b1.string(), "--config", config("K-A1").string()}, dir);
    ASSERT_EQ(0, imported.exit) << imported.out << readText(dir / "stderr.txt");

    auto sub = subscribe();
    for (const auto& k : kKiosks) start(k);
    auto allUp = [](const std::vector<Message>& m) {
        const auto s = statuses(m);
        return s.size() == 3 && std::all_of(s.begin(), s.end(), [](const auto& kv) {
                   return kv.second.value("state", "") == "online" && hasAlarm(kv.second, "camera");
               });
    };
    ASSERT_TRUE(sub->waitFor(allUp, 60s)) << logs();

    auto watch = run(with({kSentinel, "fleet", "watch", "--json", "--once"}, brokerArgs()), dir);
    ASSERT_EQ(0, watch.exit) << watch.out << readText(dir / "stderr.txt");
    auto rows = jsonLines(watch.out);
    ASSERT_EQ(3u, rows.size()) << watch.out;
    std::map<std::string, json> byId;
    for (const auto& r : rows) byId[r.value("kiosk_id", "")] = r;
    for (const auto& k : kKiosks) {
        const json& r = byId[k.id];
        EXPECT_EQ("online", r.value("state", "")) << r.dump();
        EXPECT_EQ(k.station, r.value("station", "")) << r.dump();
        EXPECT_EQ(k.group, r.value("group", "")) << r.dump();
        EXPECT_TRUE(hasAlarm(r, "camera")) << r.dump();
    }
    EXPECT_EQ(kBundleT1, byId["K-A1"].value("policy_version", "")) << byId["K-A1"].dump();
    EXPECT_EQ("config", byId["K-A2"].value("policy_version", "")) << byId["K-A2"].dump();
    EXPECT_EQ("config", byId["K-B1"].value("policy_version", "")) << byId["K-B1"].dump();

    // A newer bundle for station BJ-WEST: both of its kiosks answer ok, K-B1 is not addressed.
    const auto b2 = bundle("b2", kBundleT2, 24);
    auto sent = run(with({kSentinel, "fleet", "send", "--json", "--signing-key", signingKey.string(), "--target", "station:BJ-WEST",
                          "--timeout", "30", "bundle", b2.string()},
                         brokerArgs()),
                    dir);
    EXPECT_EQ(0, sent.exit) << sent.out << readText(dir / "stderr.txt");
    std::map<std::string, json> acks;
    for (const auto& a : jsonLines(sent.out)) {
        if (a.contains("kiosk_id")) acks[a["kiosk_id"].get<std::string>()] = a;
    }
    ASSERT_EQ(2u, acks.size()) << sent.out;
    EXPECT_TRUE(acks["K-A1"].value("ok", false)) << sent.out;
    EXPECT_TRUE(acks["K-A2"].value("ok", false)) << sent.out;
    EXPECT_EQ(kBundleT2, acks["K-A2"]["applied"].value("policy_version", "")) << sent.out;

    // Sent again to K-A1 alone, the same bundle is refused (not newer) — and says so.
    auto again = run(with({kSentinel, "fleet", "send", "--signing-key", signingKey.string(), "--target", "kiosk:K-A1", "--timeout",
                           "30", "bundle", b2.string()},
                          brokerArgs()),
                     dir);
    EXPECT_EQ(1, again.exit) << again.out;
    EXPECT_NE(std::string::npos, again.out.find("REFUSED")) << again.out;
    EXPECT_NE(std::string::npos, again.out.find("not newer")) << again.out;

    // K-B1 imports a bundle from a file while it runs: it reloads over its control socket.
    const auto b3 = bundle("b3", kBundleT3, 12);
    imported = run({kSentinel, "trust", "import", b3.string(), "--config", config("K-B1").string()}, dir);
    EXPECT_EQ(0, imported.exit) << imported.out << readText(dir / "stderr.txt");
    EXPECT_NE(std::string::npos, imported.out.find("the running kiosk reloaded")) << imported.out;

    ASSERT_TRUE(sub->waitFor([](const auto& m) {
        const auto s = statuses(m);
        return s.size() == 3 && s.at("K-A1").value("policy_version", "") == kBundleT2 &&
               s.at("K-A2").value("policy_version", "") == kBundleT2 && s.at("K-B1").value("policy_version", "") == kBundleT3;
    }, 30s)) << logs();
    watch = run(with({kSentinel, "fleet", "watch", "--json", "--once"}, brokerArgs()), dir);
    ASSERT_EQ(0, watch.exit);
    for (const auto& r : jsonLines(watch.out)) {
        EXPECT_EQ(r.value("kiosk_id", "") == "K-B1" ? kBundleT3 : kBundleT2, r.value("policy_version", "")) << r.dump();
    }
}

TEST_F(FleetOpsTest, TrustImportRefusesABadSignatureAStaleBundleAndABrokenPart) {
    // Signed with another key: the signature does not verify with trust.update_key.
    sentinel::testing::UpdateKey other;
    const auto otherKey = dir / "other-key.pem";
    std::ofstream(otherKey) << other.privatePem();
    auto r = run({kSentinel, "trust", "import", bundle("forged", kBundleT2, 24, otherKey).string(), "--config", config("K-A1").string()},
                 dir);
    EXPECT_EQ(1, r.exit);
    EXPECT_NE(std::string::npos, readText(dir / "stderr.txt").find("signature")) << readText(dir / "stderr.txt");

    ASSERT_EQ(0, run({kSentinel, "trust", "import", bundle("b2", kBundleT2, 24).string(), "--config", config("K-A1").string()}, dir).exit);
    r = run({kSentinel, "trust", "import", bundle("b1", kBundleT1, 36).string(), "--config", config("K-A1").string()}, dir);
    EXPECT_EQ(1, r.exit);
    EXPECT_NE(std::string::npos, readText(dir / "stderr.txt").find("not newer")) << readText(dir / "stderr.txt");

    // `fleet bundle` refuses a broken part before anything is signed or written.
    const auto policy = dir / "bad.policy.json";
    std::ofstream(policy) << R"({"max_test_age_h.naat": -5})";
    r = run({kSentinel, "fleet", "bundle", "--signing-key", signingKey.string(), "--policy", policy.string(), "--out",
             (dir / "bad.bundle.json").string()},
            dir);
    EXPECT_EQ(1, r.exit);
    EXPECT_FALSE(std::filesystem::exists(dir / "bad.bundle.json"));
    EXPECT_NE(std::string::npos, readText(dir / "stderr.txt").find("max_test_age_h.naat")) << readText(dir / "stderr.txt");
}

TEST_F(FleetOpsTest, SendExitsNonZeroWhenNoKioskAnswers) {
    auto r = run(with({kSentinel, "fleet", "send", "--signing-key", signingKey.string(), "--target", "kiosk:K-A1", "--timeout", "1",
                       "sync_now"},
                      brokerArgs()),
                 dir);
    EXPECT_EQ(1, r.exit) << r.out;
    EXPECT_NE(std::string::npos, r.out.find("no answer from K-A1")) << r.out;
}

}  // namespace
}  // namespace sentinel::fleet

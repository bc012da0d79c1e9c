// The fleet link against a real Mosquitto broker on loopback (password file, ACL, TLS), with the
// operator's subscriber: delivery exactly as committed, outages, backlog, credentials, commands.

#include "firmware/fleet/MqttLink.h"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "firmware/journal/Journal.h"
#include "tests/fleet/Broker.h"
#include "tests/hcsim/TestPki.h"
#include "tests/journal/JournalTestSupport.h"
#include "tests/support/TestSupport.h"
#include "tests/support/UpdateKey.h"

namespace sentinel::fleet {
namespace {

using namespace std::chrono_literals;
using journal::Journal;
using journal::JournalOptions;
using journal::testing::makeRecord;
using sentinel::testing::TempDir;
using testing::Broker;
using testing::Message;
using testing::Subscriber;

constexpr const char* kKiosk = "KIOSK-01";
constexpr const char* kKioskPassword = "kiosk-one-secret";
constexpr const char* kOperatorPassword = "operator-secret";

// Sequence numbers in the decision batches received, in arrival order (duplicates kept).
std::vector<std::int64_t> seqsOf(const std::vector<Message>& messages, const std::string& kiosk = kKiosk) {
    std::vector<std::int64_t> out;
    for (const auto& m : messages) {
        if (m.topic != "sentinel/v1/" + kiosk + "/decisions") continue;
        std::istringstream in(m.payload);
        std::string line;
        while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line).at("seq").get<std::int64_t>());
    }
    return out;
}

// Every seq 1..n present, and the first arrival of each is in seq order.
bool completeInOrder(const std::vector<std::int64_t>& seqs, std::int64_t n) {
    std::set<std::int64_t> seen;
    std::int64_t lastNew = 0;
    for (auto s : seqs) {
        if (seen.insert(s).second) {
            if (s != lastNew + 1) return false;
            lastNew = s;
        }
    }
    return lastNew == n;
}

bool hasAll(const std::vector<Message>& m, std::int64_t n) {
    std::set<std::int64_t> seen;
    for (auto s : seqsOf(m)) seen.insert(s);
    return static_cast<std::int64_t>(seen.size()) == n && (n == 0 || *seen.rbegin() == n);
}

// The update key signing fleet commands (§13).
struct UpdateKey : sentinel::testing::UpdateKey {
    std::string signedCommand(const nlohmann::json& payload) const { return envelope(kCommandFormat, payload.dump()); }
};

class MqttLinkTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::filesystem::exists(testing::kMosquitto)) GTEST_SKIP() << "no " << testing::kMosquitto;
        std::filesystem::create_directories(state_);
        JournalOptions o;
        o.path = state_ / "journal.db";
        o.kioskId = kKiosk;
        journal_ = std::move(Journal::open(o, clock_)).value();
    }

    void startBroker(const std::filesystem::path& tlsDir = {}, const std::string& extraConf = {}) {
        broker_ = std::make_unique<Broker>(dir_ / "broker",
                                           std::vector<testing::BrokerUser>{{kKiosk, kKioskPassword},
                                                                            {"KIOSK-02", "kiosk-two-secret"},
                                                                            {"operator", kOperatorPassword}},
                                           tlsDir, extraConf);
        ASSERT_TRUE(broker_->running()) << broker_->log();
    }
    std::unique_ptr<Subscriber> subscribe(const std::string& caFile = {}) {
        auto s = std::make_unique<Subscriber>(broker_->port(), "operator", kOperatorPassword,
                                              std::vector<std::string>{"sentinel/#"}, caFile);
        EXPECT_TRUE(s->waitSubscribed());
        return s;
    }
    LinkOptions options() const {
        LinkOptions o;
        o.brokerUrl = "mqtt://127.0.0.1:" + std::to_string(broker_ ? broker_->port() : 1);
        o.username = kKiosk;
        o.password = kKioskPassword;
        o.kioskId = kKiosk;
        o.stateDir = state_;
        o.journalPath = state_ / "journal.db";
        o.backoffInitial = 100ms;
        o.backoffMax = 1s;
        o.connectTimeout = 5s;
        o.keepalive = 5s;
        return o;
    }
    void append(int n) {
        for (int i = 0; i < n; ++i) ASSERT_TRUE(journal_->append(makeRecord(Reason::Ok, 12.5)));
    }
    static bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = 60s) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() > until) return false;
            std::this_thread::sleep_for(10ms);  // polling a condition with a bound, not racing
        }
        return true;
    }

    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(shm_, ec);
    }

    TempDir dir_;
    // The journal on tmpfs when there is one: filling a 10 000-record backlog costs an fsync per
    // append on disk (minutes on a CI runner), nothing on tmpfs. The link reads it the same way.
    std::filesystem::path shm_ = std::filesystem::is_directory("/dev/shm")
                                     ? std::filesystem::path("/dev/shm") / dir_.path().filename()
                                     : std::filesystem::path();
    std::filesystem::path state_ = shm_.empty() ? dir_ / "state" : shm_ / "state";
    SystemClock clock_;
    std::unique_ptr<Journal> journal_;
    std::unique_ptr<Broker> broker_;
};

// What LinkHooks::alarm reported, from the link thread.
struct AlarmLog {
    struct Entry {
        std::string what, detail;
        bool cleared = false;
    };
    LinkHooks hooks() {
        LinkHooks h;
        h.alarm = [this](const std::string& what, const std::string& detail, bool cleared) {
            std::lock_guard lock(mutex);
            entries.push_back({what, detail, cleared});
        };
        return h;
    }
    std::vector<Entry> all() const {
        std::lock_guard lock(mutex);
        return entries;
    }
    mutable std::mutex mutex;
    std::vector<Entry> entries;
};

TEST_F(MqttLinkTest, EveryCommittedRecordArrivesExactlyAsCommittedInSeqOrder) {
    startBroker();
    auto sub = subscribe();
    append(40);
    LinkHooks hooks;
    hooks.metrics = [] { return nlohmann::json{{"frames", 123}}; };
    hooks.status = [] { return nlohmann::json{{"version", "test"}}; };
    auto link = MqttLink::start(options(), hooks, clock_);
    ASSERT_TRUE(link) << link.error().message;
    ASSERT_TRUE(sub->waitFor([](const auto& m) { return hasAll(m, 40); })) << broker_->log();
    // Status (retained, online, with the app's fields) and metrics go out on connect.
    ASSERT_TRUE(sub->waitFor([](const auto& m) {
        bool status = false, metrics = false;
        for (const auto& x : m) {
            if (x.topic == "sentinel/v1/KIOSK-01/status") {
                auto j = nlohmann::json::parse(x.payload);
                status = j.at("state") == "online" && j.at("version") == "test";
            }
            if (x.topic == "sentinel/v1/KIOSK-01/metrics") metrics = nlohmann::json::parse(x.payload).at("frames") == 123;
        }
        return status && metrics;
    }));
    // Kiosk alarms are published as {"alarm","detail","at","cleared"}.
    (*link)->alarm("camera", "no frames for 3000 ms", false);
    ASSERT_TRUE(sub->waitFor([](const auto& m) {
        for (const auto& x : m) {
            if (x.topic != "sentinel/v1/KIOSK-01/alarms") continue;
            auto j = nlohmann::json::parse(x.payload);
            return j.at("alarm") == "camera" && j.at("detail") == "no frames for 3000 ms" && j.at("cleared") == false &&
                   j.contains("at");
        }
        return false;
    }));
    // Records decided while the link runs go out too, woken by decided().
    append(10);
    (*link)->decided(makeRecord(Reason::Ok, 1), {}, 50);
    ASSERT_TRUE(sub->waitFor([](const auto& m) { return hasAll(m, 50); }));
    EXPECT_TRUE(completeInOrder(seqsOf(sub->messages()), 50));

    // Exactly as committed, byte for byte: the journal's upload line (it carries `at`), which is
    // the record's leaf in the Merkle log (DESIGN §16) — auditors hash these very bytes.
    auto entries = journal_->read(1, 100);
    ASSERT_TRUE(entries);
    std::map<std::int64_t, std::string> expected;
    for (const auto& e : *entries) expected[e.seq] = journal::toUploadLine(e, journal_->journalId());
    for (const auto& m : sub->messages()) {
        if (m.topic != "sentinel/v1/KIOSK-01/decisions") continue;
        std::istringstream in(m.payload);
        std::string line;
        while (std::getline(in, line)) {
            auto j = nlohmann::json::parse(line);
            EXPECT_EQ(expected.at(j.at("seq").get<std::int64_t>()), line);
            EXPECT_EQ(j.at("utc"), j.at("at"));
            EXPECT_EQ(kKiosk, j.at("kiosk_id"));
        }
    }
    EXPECT_TRUE(waitUntil([&] { return (*link)->status().ackedSeq == 50; }));

    // A clean stop leaves the retained status offline.
    (*link)->stop(2s);
    auto late = subscribe();
    ASSERT_TRUE(late->waitFor([](const auto& m) {
        for (const auto& x : m)
            if (x.topic == "sentinel/v1/KIOSK-01/status" && x.retained) return true;
        return false;
    }));
    for (const auto& x : late->messages()) {
        if (x.topic == "sentinel/v1/KIOSK-01/status") {
            EXPECT_EQ("offline", nlohmann::json::parse(x.payload).at("state"));
        }
    }
}

TEST_F(MqttLinkTest, TheAcknowledgedMarkSurvivesARestartAndOnlyTheRestIsSent) {
    startBroker();
    auto sub = subscribe();
    append(20);
    {
        auto link = MqttLink::start(options(), {}, clock_);
        ASSERT_TRUE(link);
        ASSERT_TRUE(waitUntil([&] { return (*link)->status().ackedSeq == 20; }));
        (*link)->stop(2s);
    }
    append(5);
    auto link = MqttLink::start(options(), {}, clock_);
    ASSERT_TRUE(link);
    EXPECT_EQ(20, (*link)->status().ackedSeq);
    ASSERT_TRUE(sub->waitFor([](const auto& m) { return hasAll(m, 25); }));
    ASSERT_TRUE(waitUntil([&] { return (*link)->status().ackedSeq == 25; }));
    EXPECT_EQ(25u, seqsOf(sub->messages()).size()) << "nothing acknowledged is sent again";
}

TEST_F(MqttLinkTest, ABrokerKilledAndRestartedMidStreamLosesNothing) {
    startBroker();
    auto sub = subscribe();
    append(3000);
    auto o = options();
    // Long enough that the operator's subscriber is back before the kiosk reconnects (the test
    // broker keeps no sessions across a restart).
    o.backoffInitial = 3s;
    auto link = MqttLink::start(o, {}, clock_);
    ASSERT_TRUE(link);
    ASSERT_TRUE(sub->waitFor([](const auto& m) { return !seqsOf(m).empty(); }));
    broker_->kill(SIGKILL);
    ASSERT_TRUE(waitUntil([&] { return !(*link)->status().connected; }));
    const auto ackedAtKill = (*link)->status().ackedSeq;
    ASSERT_TRUE(broker_->start()) << broker_->log();
    auto sub2 = subscribe();
    ASSERT_TRUE(waitUntil([&] { return (*link)->status().ackedSeq == 3000; }, 120s)) << (*link)->status().lastError;
    // What the first subscriber saw up to the kill, plus what the second saw after: every record.
    auto all = sub->messages();
    for (auto& m : sub2->messages()) all.push_back(m);
    ASSERT_TRUE(sub2->waitFor([](const auto& m) { return !seqsOf(m).empty() && seqsOf(m).back() == 3000; }));
    all = sub->messages();
    for (auto& m : sub2->messages()) all.push_back(m);
    EXPECT_TRUE(completeInOrder(seqsOf(all), 3000));
    EXPECT_LT(ackedAtKill, 3000) << "the kill must land mid-stream";
    EXPECT_GE((*link)->status().connects, 2u);
}

TEST_F(MqttLinkTest, ATenThousandRecordBacklogDrains) {
    startBroker();
    auto sub = subscribe();
    append(10'000);
    const auto t0 = std::chrono::steady_clock::now();
    auto link = MqttLink::start(options(), {}, clock_);
    ASSERT_TRUE(link);
    ASSERT_TRUE(waitUntil([&] { return (*link)->status().ackedSeq == 10'000; }, 120s));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(sub->waitFor([](const auto& m) { return hasAll(m, 10'000); }, 60s));
    EXPECT_TRUE(completeInOrder(seqsOf(sub->messages()), 10'000));
    const auto st = (*link)->status();
    std::cout << "backlog drain: 10000 records in " << s << " s (" << 10'000 / s << " records/s), " << st.batches
              << " batches, " << static_cast<double>(st.bytes) / 10'000 << " payload bytes/record\n";
    RecordProperty("records_per_s", static_cast<int>(10'000 / s));
    RecordProperty("bytes_per_record", static_cast<int>(st.bytes / 10'000));
}

// Issue 24: diag's broker check publishes nothing — no retained "online" status, no last will —
// so it never appears as a kiosk "{id}-diag" (even on a broker whose ACL would let it).
TEST_F(MqttLinkTest, TheDiagProbePublishesNothingSoNoPhantomKioskAppears) {
    startBroker();
    auto sub = subscribe();
    auto asOperator = options();  // a user the ACL lets write anywhere: only the probe's restraint keeps it quiet
    asOperator.username = "operator";
    asOperator.password = kOperatorPassword;
    auto probe = probeBroker(asOperator, 5s);
    ASSERT_TRUE(probe) << probe.error().message;
    auto late = subscribe();  // would receive a retained status the probe left behind
    ASSERT_EQ(MOSQ_ERR_SUCCESS, late->publish("sentinel/v1/marker", "end"));
    ASSERT_TRUE(late->waitFor([](const auto& m) { return !m.empty() && m.back().topic == "sentinel/v1/marker"; }, 20s));
    ASSERT_TRUE(sub->waitFor([](const auto& m) { return !m.empty() && m.back().topic == "sentinel/v1/marker"; }, 20s));
    for (Subscriber* s : {sub.get(), late.get()}) {
        for (const auto& m : s->messages()) {
            EXPECT_EQ("sentinel/v1/marker", m.topic) << "the probe published " << m.payload;
        }
    }
}

TEST_F(MqttLinkTest, AWrongPasswordIsAClearErrorAndTheProbeSaysWhatToFix) {
    startBroker();
    auto o = options();
    o.password = "not-the-password";
    AlarmLog alarms;
    auto link = MqttLink::start(o, alarms.hooks(), clock_);
    ASSERT_TRUE(link);
    ASSERT_TRUE(waitUntil([&] { return !(*link)->status().lastError.empty(); }));
    EXPECT_NE(std::string::npos, (*link)->status().lastError.find("password")) << (*link)->status().lastError;
    EXPECT_FALSE((*link)->status().connected);
    auto probe = probeBroker(o, 5s);
    ASSERT_FALSE(probe);
    EXPECT_NE(std::string::npos, probe.error().message.find("fleet.password_file")) << probe.error().message;
    EXPECT_TRUE(probeBroker(options(), 5s)) << "the right password connects";

    // The refusal is one alarm that names the remedy, however often the link retries.
    ASSERT_TRUE(waitUntil([&] { return (*link)->status().connects >= 3; }));
    auto raised = alarms.all();
    ASSERT_EQ(1u, raised.size());
    EXPECT_EQ("fleet_link", raised[0].what);
    EXPECT_FALSE(raised[0].cleared);
    EXPECT_NE(std::string::npos, raised[0].detail.find("fleet.password_file")) << raised[0].detail;

    // The operator fixes the broker's password file: the link connects and the alarm clears.
    pid_t p = testing::spawn({testing::kMosquittoPasswd, "-b", (dir_ / "broker" / "passwd").string(), kKiosk, o.password},
                             dir_ / "passwd-fix.log");
    int st = 0;
    ::waitpid(p, &st, 0);
    broker_->kill(SIGTERM);
    ASSERT_TRUE(broker_->start()) << broker_->log();
    ASSERT_TRUE(waitUntil([&] { return (*link)->status().connected; })) << (*link)->status().lastError;
    ASSERT_TRUE(waitUntil([&] { return alarms.all().size() == 2; }));
    EXPECT_EQ("fleet_link", alarms.all()[1].what);
    EXPECT_TRUE(alarms.all()[1].cleared);
}

TEST_F(MqttLinkTest, AnOutageIsNotAnAlarm) {
    // Nothing listens on the broker's port: the link retries and says so in its status, but a
    // broker that is down fixes itself and is not the technician's alarm.
    auto o = options();
    o.brokerUrl = "mqtt://127.0.0.1:" + std::to_string(testing::freePort());
    AlarmLog alarms;
    auto link = MqttLink::start(o, alarms.hooks(), clock_);
    ASSERT_TRUE(link);
    ASSERT_TRUE(waitUntil([&] { return !(*link)->status().lastError.empty(); }));
    std::this_thread::sleep_for(1s);  // several retries at 100 ms back-off: still no alarm
    EXPECT_TRUE(alarms.all().empty()) << alarms.all().front().detail;
}

TEST_F(MqttLinkTest, TlsWithTheFleetCaConnectsAndABadCertificateIsAClearError) {
    auto pki = hcsim::generateTestPki();
    ASSERT_TRUE(pki);
    ASSERT_TRUE(hcsim::writePki(*pki, dir_ / "pki"));
    startBroker(dir_ / "pki");
    auto o = options();
    o.brokerUrl = "mqtts://127.0.0.1:" + std::to_string(broker_->port());
    o.caFile = (dir_ / "pki" / "ca.pem").string();
    auto ok = probeBroker(o, 5s);
    EXPECT_TRUE(ok) << ok.error().message;

    // A CA that did not sign the broker's certificate.
    auto other = hcsim::generateTestPki();
    ASSERT_TRUE(other);
    ASSERT_TRUE(hcsim::writePki(*other, dir_ / "other"));
    o.caFile = (dir_ / "other" / "ca.pem").string();
    auto bad = probeBroker(o, 5s);
    ASSERT_FALSE(bad);
    EXPECT_NE(std::string::npos, bad.error().message.find("TLS")) << bad.error().message;
    EXPECT_NE(std::string::npos, bad.error().message.find("fleet.ca_file")) << bad.error().message;
    AlarmLog alarms;
    auto link = MqttLink::start(o, alarms.hooks(), clock_);
    ASSERT_TRUE(link);
    ASSERT_TRUE(waitUntil([&] { return !(*link)->status().lastError.empty(); }));
    EXPECT_NE(std::string::npos, (*link)->status().lastError.find("TLS")) << (*link)->status().lastError;
    ASSERT_TRUE(waitUntil([&] { return !alarms.all().empty(); })) << (*link)->status().lastError;
    EXPECT_EQ("fleet_link", alarms.all()[0].what);
    EXPECT_NE(std::string::npos, alarms.all()[0].detail.find("fleet.ca_file")) << alarms.all()[0].detail;
}

// A fleet CA, the broker's certificate and one client certificate per kiosk (CN = kiosk id), made
// with the openssl command as an operator would.
bool makeMutualTlsPki(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    const std::string d = dir.string();
    const std::string script =
        "set -e; cd '" + d + "'; "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 "
        "-subj /CN=fleet-test-ca 2>/dev/null; "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr "
        "-subj /CN=localhost 2>/dev/null; "
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext; "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
        "-extfile server.ext 2>/dev/null; "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout kiosk.key -out kiosk.csr "
        "-subj /CN=KIOSK-01 2>/dev/null; "
        "openssl x509 -req -in kiosk.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out kiosk.pem -days 2 2>/dev/null; "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout operator.key -out operator.csr "
        "-subj /CN=operator 2>/dev/null; "
        "openssl x509 -req -in operator.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out operator.pem -days 2 2>/dev/null";
    pid_t pid = testing::spawn({"/bin/sh", "-c", script}, dir / "openssl.log");
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

TEST_F(MqttLinkTest, MutualTlsWithAClientCertificateDeliversAndWithoutOneIsRefused) {
    const auto pki = dir_ / "mtls";
    ASSERT_TRUE(makeMutualTlsPki(pki)) << journal::testing::readAll(pki / "openssl.log");
    startBroker(pki, "require_certificate true\nuse_identity_as_username true\n");
    const std::string ca = (pki / "ca.pem").string();
    Subscriber sub(broker_->port(), "", "", {"sentinel/#"}, ca, (pki / "operator.pem").string(), (pki / "operator.key").string());
    ASSERT_TRUE(sub.waitSubscribed());
    append(3);
    auto o = options();
    o.brokerUrl = "mqtts://127.0.0.1:" + std::to_string(broker_->port());
    o.username.clear();  // the certificate's CN is the user name (ACL %u)
    o.password.clear();
    o.caFile = ca;
    o.certFile = (pki / "kiosk.pem").string();
    o.keyFile = (pki / "kiosk.key").string();
    auto link = MqttLink::start(o, {}, clock_);
    ASSERT_TRUE(link);
    ASSERT_TRUE(sub.waitFor([](const auto& m) { return hasAll(m, 3); })) << broker_->log() << (*link)->status().lastError;
    (*link)->stop(1s);

    auto without = o;
    without.certFile.clear();
    without.keyFile.clear();
    auto probe = probeBroker(without, 5s);
    ASSERT_FALSE(probe);
    EXPECT_TRUE(probe.error().message.find("TLS") != std::string::npos ||
                probe.error().message.find("fleet.cert_file") != std::string::npos)
        << probe.error().message;
    AlarmLog alarms;
    auto refused = MqttLink::start(without, alarms.hooks(), clock_);
    ASSERT_TRUE(refused);
    ASSERT_TRUE(waitUntil([&] { return !alarms.all().empty(); })) << (*refused)->status().lastError;
    EXPECT_EQ("fleet_link", alarms.all()[0].what);
    EXPECT_NE(std::string::npos, alarms.all()[0].detail.find("fleet.cert_file")) << alarms.all()[0].detail;
}

TEST_F(MqttLinkTest, SignedCommandsRunOnceAndUnsignedOrReplayedOnesAreRefusedAndAlarmed) {
    startBroker();
    auto sub = subscribe();
    UpdateKey key;
    auto o = options();
    o.updateKeyPem = key.publicPem();
    std::mutex m;
    std::vector<std::string> executed;
    LinkHooks hooks;
    hooks.execute = [&](const Command& c) {
        std::lock_guard lock(m);
        executed.push_back(c.id);
        return nlohmann::json{{"ok", true}, {"checks", 7}};
    };
    auto link = MqttLink::start(o, hooks, clock_);
    ASSERT_TRUE(link);
    ASSERT_TRUE(waitUntil([&] { return (*link)->status().connected; }));
    // The link subscribes right after CONNACK; a status message shows it got that far.
    ASSERT_TRUE(sub->waitFor([](const auto& msgs) {
        for (const auto& x : msgs)
            if (x.topic == "sentinel/v1/KIOSK-01/status") return true;
        return false;
    }));
    auto alarmsWith = [](const std::vector<Message>& msgs, const std::string& needle) {
        int n = 0;
        for (const auto& x : msgs)
            if (x.topic == "sentinel/v1/KIOSK-01/alarms" && x.payload.find(needle) != std::string::npos) ++n;
        return n;
    };
    const std::string expires = formatRfc3339(clock_.now() + 1h);
    const auto diag = key.signedCommand({{"id", "c-1"}, {"kiosk_id", kKiosk}, {"expires_at", expires}, {"action", "diag"}});
    // Subscriptions are in place once a first command round-trips; retry the first publish until then.
    ASSERT_TRUE(waitUntil([&] {
        sub->publish("sentinel/v1/KIOSK-01/cmd", diag);
        return sub->waitFor([](const auto& msgs) {
            for (const auto& x : msgs)
                if (x.topic == "sentinel/v1/KIOSK-01/diag") return true;
            return false;
        }, 500ms);
    }));
    // The same command again, on the fleet-wide topic: refused and alarmed.
    const int replayedBefore = alarmsWith(sub->messages(), "replayed");
    sub->publish("sentinel/v1/all/cmd", diag);
    ASSERT_TRUE(sub->waitFor([&](const auto& msgs) { return alarmsWith(msgs, "replayed") >= replayedBefore + 1; }));
    // Unsigned, and signed by another key.
    sub->publish("sentinel/v1/KIOSK-01/cmd", R"({"id":"c-2","action":"sync_now"})");
    ASSERT_TRUE(sub->waitFor([&](const auto& msgs) { return alarmsWith(msgs, "unsigned") >= 1; }));
    UpdateKey intruder;
    sub->publish("sentinel/v1/all/cmd", intruder.signedCommand({{"id", "c-3"}, {"kiosk_id", "all"}, {"expires_at", expires},
                                                                 {"action", "sync_now"}}));
    ASSERT_TRUE(sub->waitFor([&](const auto& msgs) { return alarmsWith(msgs, "does not verify") >= 1; }));
    // Expired.
    sub->publish("sentinel/v1/all/cmd", key.signedCommand({{"id", "c-4"}, {"kiosk_id", "all"},
                                                           {"expires_at", formatRfc3339(clock_.now() - 1min)},
                                                           {"action", "sync_now"}}));
    ASSERT_TRUE(sub->waitFor([&](const auto& msgs) { return alarmsWith(msgs, "expired") >= 1; }));
    std::lock_guard lock(m);
    EXPECT_EQ(std::vector<std::string>{"c-1"}, executed);
    for (const auto& x : sub->messages()) {
        if (x.topic != "sentinel/v1/KIOSK-01/diag") continue;
        auto j = nlohmann::json::parse(x.payload);
        EXPECT_EQ("c-1", j.at("command"));
        EXPECT_EQ(7, j.at("report").at("checks"));
    }
}

// §13.1: every command is answered on …/acks — carried out or not, with the reason — and commands
// may target the kiosk's station or group; a command for another station is not this kiosk's.
TEST_F(MqttLinkTest, EveryCommandIsAnsweredOnTheAcksTopicAndStationTargetsReachTheKiosk) {
    startBroker();
    auto sub = subscribe();
    UpdateKey key;
    auto o = options();
    o.updateKeyPem = key.publicPem();
    o.station = "BJ-WEST";
    o.group = "HALL-2";
    LinkHooks hooks;
    hooks.execute = [](const Command& c) {
        if (c.action == "sync_now") return nlohmann::json{{"ok", false}, {"detail", "trust sync is not configured"}};
        return nlohmann::json{{"ok", true}, {"detail", "done"}, {"applied", {{"policy_version", "2026-12-07T20:00:00Z"}}}};
    };
    auto link = MqttLink::start(o, hooks, clock_);
    ASSERT_TRUE(link);
    ASSERT_TRUE(waitUntil([&] { return (*link)->status().connected; }));
    // (Called with the messages waitFor holds, or with a copy: never with the subscriber's lock taken twice.)
    auto ackIn = [](const std::vector<Message>& msgs, const std::string& id) -> std::optional<nlohmann::json> {
        for (const auto& x : msgs) {
            if (x.topic != "sentinel/v1/KIOSK-01/acks") continue;
            auto j = nlohmann::json::parse(x.payload);
            if (j.value("command", "") == id) return j;
        }
        return std::nullopt;
    };
    auto ackFor = [&](const std::string& id) { return ackIn(sub->messages(), id); };
    auto acked = [&](const std::string& id) {
        return [&ackIn, id](const std::vector<Message>& msgs) { return ackIn(msgs, id).has_value(); };
    };
    const std::string expires = formatRfc3339(clock_.now() + 1h);
    // Subscriptions are in place once a first command round-trips; retry the first publish until then.
    const auto first = key.signedCommand({{"id", "s-1"}, {"station", "BJ-WEST"}, {"expires_at", expires}, {"action", "sync_now"}});
    ASSERT_TRUE(waitUntil([&] {
        sub->publish("sentinel/v1/station/BJ-WEST/cmd", first);
        return sub->waitFor(acked("s-1"), 500ms);
    }));
    auto a1 = *ackFor("s-1");
    EXPECT_FALSE(a1.at("ok"));
    EXPECT_EQ("trust sync is not configured", a1.at("detail"));
    EXPECT_TRUE(a1.contains("at"));
    // A group target, carried out: the ack says what is in force.
    sub->publish("sentinel/v1/group/HALL-2/cmd",
                 key.signedCommand({{"id", "g-1"}, {"group", "HALL-2"}, {"expires_at", expires}, {"action", "bundle"},
                                    {"bundle", nlohmann::json::object()}}));
    ASSERT_TRUE(sub->waitFor(acked("g-1")));
    auto a2 = *ackFor("g-1");
    EXPECT_TRUE(a2.at("ok"));
    EXPECT_EQ("2026-12-07T20:00:00Z", a2.at("applied").at("policy_version"));
    // Refused (signed by another key): answered with the reason.
    UpdateKey intruder;
    sub->publish("sentinel/v1/all/cmd",
                 intruder.signedCommand({{"id", "x-1"}, {"kiosk_id", "all"}, {"expires_at", expires}, {"action", "diag"}}));
    ASSERT_TRUE(sub->waitFor(acked("x-1")));
    EXPECT_FALSE(ackFor("x-1")->at("ok"));
    EXPECT_NE(std::string::npos, ackFor("x-1")->at("detail").get<std::string>().find("does not verify"));
    // Another station's command: not this kiosk's, so no ack (and no alarm); a later one still is.
    sub->publish("sentinel/v1/station/BJ-EAST/cmd",
                 key.signedCommand({{"id", "e-1"}, {"station", "BJ-EAST"}, {"expires_at", expires}, {"action", "diag"}}));
    sub->publish("sentinel/v1/KIOSK-01/cmd",
                 key.signedCommand({{"id", "k-1"}, {"kiosk_id", kKiosk}, {"expires_at", expires}, {"action", "sync_now"}}));
    ASSERT_TRUE(sub->waitFor(acked("k-1")));
    EXPECT_FALSE(ackFor("e-1").has_value());
}

// A bundle command pushed retained long ago has expired: a kiosk connecting now ignores it (no ack,
// no alarm) rather than raising an alarm at every reconnect; a live command is still answered.
TEST_F(MqttLinkTest, AnExpiredRetainedCommandIsIgnoredSilentlyAtConnect) {
    startBroker();
    auto sub = subscribe();
    UpdateKey key;
    sub->publish("sentinel/v1/all/cmd",
                 key.signedCommand({{"id", "old-1"}, {"kiosk_id", "all"}, {"expires_at", formatRfc3339(clock_.now() - 1min)},
                                    {"action", "sync_now"}}),
                 true);
    auto o = options();
    o.updateKeyPem = key.publicPem();
    LinkHooks hooks;
    hooks.execute = [](const Command&) { return nlohmann::json{{"ok", true}, {"detail", "done"}}; };
    auto link = MqttLink::start(o, hooks, clock_);
    ASSERT_TRUE(link);
    auto acks = [](const std::vector<Message>& msgs, const std::string& id) {
        return std::count_if(msgs.begin(), msgs.end(), [&](const Message& x) {
            return x.topic == "sentinel/v1/KIOSK-01/acks" && nlohmann::json::parse(x.payload).value("command", "") == id;
        });
    };
    // The retained command reaches the kiosk before anything it subscribes to later: once a live
    // command is answered, the retained one would have been too.
    const auto live = key.signedCommand({{"id", "new-1"}, {"kiosk_id", kKiosk}, {"expires_at", formatRfc3339(clock_.now() + 1h)},
                                         {"action", "sync_now"}});
    ASSERT_TRUE(waitUntil([&] {
        sub->publish("sentinel/v1/KIOSK-01/cmd", live);
        return sub->waitFor([&](const auto& msgs) { return acks(msgs, "new-1") > 0; }, 500ms);
    }));
    const auto msgs = sub->messages();
    EXPECT_EQ(0, acks(msgs, "old-1"));
    EXPECT_EQ(0, std::count_if(msgs.begin(), msgs.end(), [](const Message& x) {
                  return x.topic == "sentinel/v1/KIOSK-01/alarms" && x.payload.find("expired") != std::string::npos;
              }));
    sub->publish("sentinel/v1/all/cmd", "", true);  // clear the retained command
}

TEST_F(MqttLinkTest, TheAclRefusesAnotherKiosksTopics) {
    startBroker();
    auto sub = subscribe();
    // KIOSK-01's credentials, publishing as if it were KIOSK-02, then a marker on its own topic.
    Subscriber rogue(broker_->port(), kKiosk, kKioskPassword, {"sentinel/v1/KIOSK-01/cmd"});
    ASSERT_TRUE(rogue.waitSubscribed());
    rogue.publish("sentinel/v1/KIOSK-02/decisions", R"({"seq":1,"kiosk_id":"KIOSK-02"})");
    rogue.publish("sentinel/v1/KIOSK-02/status", R"({"state":"online"})", true);
    rogue.publish("sentinel/v1/KIOSK-01/alarms", R"({"alarm":"marker"})");
    ASSERT_TRUE(sub->waitFor([](const auto& m) {
        for (const auto& x : m)
            if (x.topic == "sentinel/v1/KIOSK-01/alarms") return true;
        return false;
    }));
    for (const auto& x : sub->messages()) EXPECT_EQ(std::string::npos, x.topic.find("KIOSK-02")) << x.topic;
}

TEST_F(MqttLinkTest, ABlackholedBrokerCostsTheCallerNothingAndStopIsBounded) {
    // A socket that listens but never accepts: the TCP handshake completes, CONNACK never comes.
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(0, ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a));
    ASSERT_EQ(0, ::listen(s, 1));
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    auto o = options();
    o.brokerUrl = "mqtt://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    append(5);
    auto link = MqttLink::start(o, {}, clock_);
    ASSERT_TRUE(link);
    double worstUs = 0;
    for (int i = 0; i < 1000; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        (*link)->decided(makeRecord(Reason::Ok, 1), {}, 5 + i);
        (*link)->alarm("camera", "test", false);
        worstUs = std::max(worstUs, std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    EXPECT_LT(worstUs, 20'000.0) << "observer calls never wait on the broker";
    const auto t0 = std::chrono::steady_clock::now();
    (*link)->stop(500ms);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s) << "the drain is bounded";
    EXPECT_FALSE((*link)->status().connected);
    ::close(s);
}

TEST(BrokerUrl, SchemesHostsAndPorts) {
    auto a = parseBrokerUrl("mqtt://10.0.0.5");
    ASSERT_TRUE(a);
    EXPECT_EQ("10.0.0.5", a->host);
    EXPECT_EQ(1883, a->port);
    EXPECT_FALSE(a->tls);
    auto b = parseBrokerUrl("mqtts://broker.example.org:18883");
    ASSERT_TRUE(b);
    EXPECT_EQ(18883, b->port);
    EXPECT_TRUE(b->tls);
    auto c = parseBrokerUrl("mqtts://[::1]");
    ASSERT_TRUE(c);
    EXPECT_EQ("::1", c->host);
    EXPECT_EQ(8883, c->port);
    EXPECT_FALSE(parseBrokerUrl("http://x"));
    EXPECT_FALSE(parseBrokerUrl("mqtt://:1883"));
    EXPECT_FALSE(parseBrokerUrl("mqtt://h:99999"));
}

}  // namespace
}  // namespace sentinel::fleet

// The trust list in force is swapped while decisions run (trust sync in `run`): each decision sees
// one whole list, never a torn or freed one (run under ASan as well).
#include <gtest/gtest.h>

#include <thread>

#include "firmware/kiosk/Router.h"
#include "firmware/kiosk/TrustStore.h"
#include "firmware/issuer/TestIssuer.h"
#include "firmware/trust/TrustList.h"
#include "tests/support/TestSupport.h"

namespace sentinel::app {
namespace {

using namespace std::chrono_literals;
using sentinel::testing::ManualClock;

std::shared_ptr<const kiosk::TrustState> stateWith(std::vector<const issuer::TestIssuer*> issuers, UtcTime issued) {
    std::vector<trust::CertificateInput> in;
    for (const auto* i : issuers) in.push_back({i->certificateDer(), i->country(), std::nullopt});
    auto list = trust::TrustList::fromCertificates(std::move(in), issued);
    auto st = std::make_shared<kiosk::TrustState>();
    st->list = std::make_shared<const trust::TrustList>(std::move(list).value());
    return st;
}

TEST(TrustStore, DecisionsDuringSwapsSeeEitherTheOldOrTheNewListWhole) {
    ManualClock clock;
    auto a = issuer::TestIssuer::generate("AT");
    auto b = issuer::TestIssuer::generate("DE");
    auto withoutB = stateWith({&a}, clock.now() - 1h);
    auto withB = stateWith({&a, &b}, clock.now() - 1h);
    auto store = std::make_shared<kiosk::TrustStore>(withoutB);
    kiosk::RouterOptions o;
    o.trustStore = store;
    o.subjectKey = std::string(32, 'k');
    kiosk::CredentialRouter router(clock, o);
    const std::string fromB = b.issue(issuer::testCredential(TestType::Naat, clock.now() - 2h, false, clock.now()));

    std::atomic<bool> stop{false};
    std::thread swapper([&] {
        for (int i = 0; !stop.load(); ++i) store->replace(i % 2 ? withB : stateWith({&a}, clock.now() - 1h));
    });
    int pass = 0, unknown = 0, other = 0;
    for (int i = 0; i < 300; ++i) {
        auto v = router.verify(fromB, clock.monotonic() + 5s);
        if (v.record.decision == Decision::Pass) ++pass;
        else if (v.record.reason == Reason::UnknownIssuer) ++unknown;
        else ++other;
    }
    stop = true;
    swapper.join();
    EXPECT_EQ(0, other);
    EXPECT_EQ(300, pass + unknown);
}

TEST(TrustStore, AStaleSwappedInListRefersTrustListStale) {
    ManualClock clock;
    auto a = issuer::TestIssuer::generate("AT");
    auto store = std::make_shared<kiosk::TrustStore>(stateWith({&a}, clock.now() - 1h));
    kiosk::RouterOptions o;
    o.trustStore = store;
    o.trustMaxAgeH = 72;
    o.subjectKey = std::string(32, 'k');
    kiosk::CredentialRouter router(clock, o);
    const std::string good = a.issue(issuer::testCredential(TestType::Naat, clock.now() - 2h, false, clock.now()));
    EXPECT_EQ(Decision::Pass, router.verify(good, clock.monotonic() + 5s).record.decision);
    store->replace(stateWith({&a}, clock.now() - 73h));
    auto v = router.verify(good, clock.monotonic() + 5s);
    EXPECT_EQ(Reason::TrustListStale, v.record.reason);
    EXPECT_EQ(Decision::Refer, v.record.decision);
}

TEST(TrustStore, PolicyFromTheStoreIsUsed) {
    ManualClock clock;
    auto a = issuer::TestIssuer::generate("AT");
    auto st = std::const_pointer_cast<kiosk::TrustState>(stateWith({&a}, clock.now() - 1h));
    st->policy.maxTestAgeNaatH = 24;  // a bundle tightened the policy
    auto store = std::make_shared<kiosk::TrustStore>(st);
    kiosk::RouterOptions o;
    o.trustStore = store;
    o.subjectKey = std::string(32, 'k');
    kiosk::CredentialRouter router(clock, o);
    const std::string day2 = a.issue(issuer::testCredential(TestType::Naat, clock.now() - 30h, false, clock.now()));
    EXPECT_EQ(Reason::TestTooOld, router.verify(day2, clock.monotonic() + 5s).record.reason);
}

}  // namespace
}  // namespace sentinel::app

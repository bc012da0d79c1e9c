#include "firmware/diag/Runner.h"

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

namespace sentinel::diag {
namespace {

// Shared between the runner and one worker; outlives whichever finishes last.
struct Slot {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    Outcome outcome;
};

double msSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

bool RunReport::anyFailed() const {
    for (const auto& r : results) {
        if (r.status == Status::Fail) return true;
    }
    return false;
}

RunReport runChecks(const std::vector<Check>& checks, const std::function<void(const CheckResult&)>& onResult) {
    RunReport report;
    for (const Check& check : checks) {
        auto slot = std::make_shared<Slot>();
        const auto t0 = std::chrono::steady_clock::now();
        const auto deadline = t0 + check.timeout;
        std::jthread worker([slot, body = check.run] {
            Outcome o;
            try {
                o = body ? body() : Outcome::fail("check has no body", "report this as a firmware bug");
            } catch (const std::exception& e) {
                o = Outcome::fail(std::string("internal error: ") + e.what(), "report this as a firmware bug");
            } catch (...) {
                o = Outcome::fail("internal error", "report this as a firmware bug");
            }
            std::lock_guard lock(slot->mutex);
            slot->outcome = std::move(o);
            slot->done = true;
            slot->cv.notify_all();
        });  // joined below, or by the report's owner (RunReport::stragglers)
        CheckResult r;
        r.check = check.name;
        bool finished = false;
        {
            std::unique_lock lock(slot->mutex);
            finished = slot->cv.wait_until(lock, deadline, [&] { return slot->done; });
            if (finished) {
                r.status = slot->outcome.status;
                r.detail = std::move(slot->outcome.detail);
                r.remedy = std::move(slot->outcome.remedy);
            }
        }
        if (finished) {
            worker.join();
            r.ms = msSince(t0);
        } else {
            report.stragglers.push_back(std::move(worker));
            ++report.abandoned;
            r.status = Status::Fail;
            r.detail = "timed out after " + std::to_string(check.timeout.count()) + " ms";
            r.remedy = "the " + check.name + " check is stuck: see docs/diagnostics.md (" + check.name + ")";
            r.ms = static_cast<double>(check.timeout.count());
        }
        if (onResult) onResult(r);
        report.results.push_back(std::move(r));
    }
    return report;
}

}  // namespace sentinel::diag

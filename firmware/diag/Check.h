#pragma once
// One diagnostic check and its outcome (DESIGN §7): `{"check","status":"ok|warn|fail","detail","ms"}`
// plus a one-line remedy for the technician when the status is not ok.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace sentinel::diag {

enum class Status { Ok, Warn, Fail };
std::string_view toString(Status s);  // "ok", "warn", "fail"

// What a check body returns.
struct Outcome {
    Status status = Status::Fail;
    std::string detail;  // one line: what was measured or what went wrong (no personal data)
    std::string remedy;  // one line: what the technician should do; empty when ok

    static Outcome ok(std::string detail) { return {Status::Ok, std::move(detail), {}}; }
    static Outcome warn(std::string detail, std::string remedy) { return {Status::Warn, std::move(detail), std::move(remedy)}; }
    static Outcome fail(std::string detail, std::string remedy) { return {Status::Fail, std::move(detail), std::move(remedy)}; }
};

// A check as the runner sees it: a name, its own deadline, and a body. The body runs on a worker
// thread; everything it touches must stay alive until it returns, even after the runner gave up on
// it (capture shared_ptrs, not references to the caller's stack).
struct Check {
    std::string name;
    std::chrono::milliseconds timeout{5000};
    std::function<Outcome()> run;
};

// A finished check, as reported.
struct CheckResult {
    std::string check;
    Status status = Status::Fail;
    std::string detail;
    std::string remedy;
    double ms = 0.0;  // wall time the check took (the timeout when it timed out)
};

// Worst status first: fail > warn > ok.
Status worst(Status a, Status b);

}  // namespace sentinel::diag

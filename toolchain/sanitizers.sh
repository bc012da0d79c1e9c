# Sourced by toolchain/test.sh and toolchain/stress.sh: the sanitizer builds and how their tests run.
# shellcheck shell=bash

# ThreadSanitizer: the tests of the folders marked concurrent (tests/CMakeLists.txt), except those
# whose point is volume or wall time, not interleaving (they run in the ordinary pass): the 200
# kill -9 restarts, the 10-minute upload outage, the 5 s deadline end-to-end cases and the
# 200-timeout soak (under TSan the reference server falls behind and resets connections), and the
# decoder's figures and the documented replay bench (ReplayExample: one decision per held photo needs
# the decoder to read a hard code at least once in 6 frames; its 12 ms frame budget covers a tenth
# of the variants under TSan, and a tilted code went unread for 6 frames, decided twice).
TSAN_EXCLUDE=${TSAN_EXCLUDE:-'KillNine|UploadCollector.*Outage|OnlineEndToEnd|OnlineSoak|DnsHang|DecodeEngine|Golden|ReplayExample'}

# ASan: the unit and fuzz-corpus binaries (run_asan -L 'unit|fuzz-corpus'), plus the concurrent ones
# and the programs they start (toolchain/stress.sh runs those under ASan too).
# The concurrency-sensitive suites toolchain/stress.sh repeats: those whose tests start, stop or race
# threads and children (resolver, transport, online deadlines, kiosk loop, diag runner, watchdog,
# uploader, trust store and sync, GPIO timer, replay camera, journal readers and writers, fleet link,
# control socket, screen and voice). A suite that adds a thread adds its name here.
STRESS_TESTS=${STRESS_TESTS:-'^(HostResolver|SystemHostLookup|CurlTransport[A-Za-z]*|OnlineDeadline|OnlineVerifierTest|KioskFixture|DiagRunner|Watchdog|UploaderTest|UploadCollectorTest|TrustStore|TrustSyncOverHttps|GpioIndicator|MultiIndicator|ReplayCamera|JournalTest|FaultInjectionTest|Fleet[A-Za-z]*|Mqtt[A-Za-z]*|Outbox[A-Za-z]*|Control[A-Za-z]*|StaffOverride[A-Za-z]*|StaffButton[A-Za-z]*|Screen[A-Za-z]*|Display[A-Za-z]*|Voice[A-Za-z]*|Alsa[A-Za-z]*)[./]'}

build_asan() {
    local targets="sentinel_tests_unit sentinel_tests_fuzz-corpus"
    [ "${1:-}" = stress ] && targets="$targets sentinel_concurrent_tests"
    BUILD_DIR=build-asan BUILD_TYPE=Debug toolchain/build.sh --target "$targets" -DSENTINEL_WERROR=ON -DSENTINEL_SANITIZE=ON
}

run_asan() {
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan --output-on-failure --parallel "$(nproc)" "$@"
}

build_tsan() {
    BUILD_DIR=build-tsan BUILD_TYPE=RelWithDebInfo toolchain/build.sh --target sentinel_concurrent_tests \
        -DSENTINEL_WERROR=ON -DSENTINEL_TSAN=ON
}

run_tsan() {
    # second_deadlock_stack: both stacks of a lock-order report; halt_on_error: the first race fails.
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/toolchain/tsan.supp" \
        ctest --test-dir build-tsan --output-on-failure --parallel "$(nproc)" -L concurrent -E "$TSAN_EXCLUDE" "$@"
}

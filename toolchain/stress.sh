#!/usr/bin/env bash
# Repeats the concurrency-sensitive tests (STRESS_TESTS among the label `concurrent`, less
# TSAN_EXCLUDE: see toolchain/sanitizers.sh) N rounds under AddressSanitizer and under ThreadSanitizer, and prints
# how many rounds were clean. A failure is a bug to fix at its cause, never a retry.
#   toolchain/stress.sh [ROUNDS]          (default 20; the sanitizer builds are made if missing)
#   STRESS_ONLY=tsan toolchain/stress.sh  (one sanitizer)
set -uo pipefail
cd "$(dirname "$0")/.."
source toolchain/sanitizers.sh
rounds=${1:-20}
only=${STRESS_ONLY:-asan tsan}
mkdir -p build-stress-logs
summary=()
for san in $only; do
    if [ "$san" = asan ]; then build_asan stress >/dev/null || exit 2; else build_tsan >/dev/null || exit 2; fi
    clean=0
    for ((i = 1; i <= rounds; i++)); do
        log="build-stress-logs/$san-$i.log"
        if [ "$san" = asan ]; then
            run_asan --timeout 900 -L concurrent -E "$TSAN_EXCLUDE" -R "$STRESS_TESTS" >"$log" 2>&1
        else
            run_tsan -R "$STRESS_TESTS" >"$log" 2>&1
        fi
        rc=$?
        if [ $rc -eq 0 ]; then
            clean=$((clean + 1))
        else
            echo "stress: $san round $i FAILED (log: $log)"
            grep -E '^\s+[0-9]+ - ' "$log" | head -20
        fi
        echo "stress: $san round $i/$rounds: $(grep -E 'tests passed' "$log" | tail -1)"
    done
    summary+=("$san $clean/$rounds rounds clean")
done
echo "stress: ${summary[*]}"
for s in "${summary[@]}"; do
    case "$s" in *" $rounds/$rounds "*) ;; *) exit 1 ;; esac
done

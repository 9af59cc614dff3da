#!/usr/bin/env bash
# fuzz.sh: runs the libFuzzer targets (fuzz/fuzz_*.c, built by `make fuzz-build`).
#
#   fuzz.sh short   each target FUZZ_SECONDS (default 5) over the checked-in
#                   seed corpus fuzz/corpus/<target>, new inputs kept in a
#                   temporary folder: the `make test` suite
#   fuzz.sh long    each target FUZZ_SECONDS (default 60), growing the corpus
#                   in build/fuzz/corpus/<target>: `make fuzz`
#
# Prints, per target, the inputs tried and whether it crashed (a crash, a
# leak, a sanitizer report, a broken check or a timeout all count), then one
# Check-style summary line "N%: Checks: T, Failures: F, Errors: 0" that
# scripts/run-tests.sh totals.  A crashing input is saved as
# build/fuzz/crashes/<target>-crash-<sha1> (long) or in the temporary folder
# (short, printed); the sanitizer report is printed.  Exits 1 on any crash.
set -uo pipefail
cd "$(dirname "$0")/.."

mode=${1:-short}
case $mode in
short) seconds=${FUZZ_SECONDS:-5} ;;
long) seconds=${FUZZ_SECONDS:-60} ;;
*)
    echo "usage: fuzz.sh [short|long]" >&2
    exit 2
    ;;
esac

# Built here too, so that `make unit`, `make test` and a bare run all work.
if ! ${MAKE:-make} --no-print-directory -s fuzz-build; then
    echo "fuzz: build failed (needs clang and libclang-rt-dev: make deps)"
    echo "0%: Checks: 1, Failures: 1, Errors: 0"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dynamo-fcgi-fuzz.XXXXXX")
keep=0
cleanup() { [ "$keep" -eq 1 ] || rm -rf "$tmp"; }
trap cleanup EXIT

# UBSan stops on the first report (the build uses -fno-sanitize-recover) and
# LeakSanitizer runs after every input that libFuzzer suspects of leaking.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

checks=0
failures=0
total_runs=0
for src in fuzz/fuzz_*.c; do
    t=$(basename "$src" .c)
    seeds=fuzz/corpus/$t
    if [ "$mode" = long ]; then
        work=build/fuzz/corpus/$t
        artifacts=build/fuzz/crashes/$t-
        mkdir -p "$work" build/fuzz/crashes
    else
        work=$tmp/corpus/$t
        artifacts=$tmp/$t-
        mkdir -p "$work"
    fi
    log=$tmp/$t.log
    checks=$((checks + 1))
    # -max_len: room for the tables file's 4096-byte line limit and long
    # targets; -timeout: a single input slower than that is a hang.
    build/fuzz/"$t" -max_total_time="$seconds" -timeout=10 -max_len=16384 \
        -print_final_stats=1 -artifact_prefix="$artifacts" "$work" "$seeds" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
    runs=${runs:-0}
    total_runs=$((total_runs + runs))
    if [ "$rc" -eq 0 ]; then
        printf '%-14s %10s inputs in %ss, 0 crashes\n' "$t" "$runs" "$seconds"
    else
        failures=$((failures + 1))
        keep=1
        printf '%-14s %10s inputs in %ss, CRASHED (exit %s)\n' "$t" "$runs" "$seconds" "$rc"
        grep -E '^(==[0-9]+==|SUMMARY|.*check failed|.*runtime error|artifact_prefix|Test unit written)' \
            "$log" | head -20
        echo "  full log: $log"
    fi
done
echo "fuzz: $checks targets, $total_runs inputs, $failures crashed"
passed=$((checks - failures))
echo "$((100 * passed / checks))%: Checks: $checks, Failures: $failures, Errors: 0"
[ "$failures" -eq 0 ]

# shellcheck shell=bash
# shcheck.sh: a few helpers for the shell tests (sourced, not run).
#
#   check NAME CMD [ARG...]   runs CMD; "ok NAME" or "FAIL NAME" and its output
#   check_summary             prints a Check-style summary line (which
#                             scripts/run-tests.sh shows) and returns 1 if any
#                             check failed
# Each check's output goes to $SHCHECK_LOG (default /dev/null) and is printed
# only when the check fails.

shcheck_run=0
shcheck_failed=0

check() {
    local name=$1 out
    shift
    shcheck_run=$((shcheck_run + 1))
    if out=$("$@" 2>&1); then
        echo "ok $name"
    else
        shcheck_failed=$((shcheck_failed + 1))
        echo "FAIL $name"
        printf '%s\n' "$out" | sed 's/^/    /'
    fi
    [ -n "${SHCHECK_LOG:-}" ] && printf '== %s\n%s\n' "$name" "$out" >>"$SHCHECK_LOG"
    return 0
}

check_summary() {
    local pct=100
    [ "$shcheck_run" -gt 0 ] && pct=$(( (shcheck_run - shcheck_failed) * 100 / shcheck_run ))
    echo "$pct%: Checks: $shcheck_run, Failures: $shcheck_failed, Errors: 0"
    [ "$shcheck_failed" -eq 0 ]
}

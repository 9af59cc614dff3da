#!/usr/bin/env bash
# run-tests.sh: runs the Check suites with the servers they need.
#
#   run-tests.sh unit   the unit suites (no server, no socket)
#   run-tests.sh all    unit, then integration against a private DynamoDB
#                       Local, then end to end through a private nginx and
#                       the example app; everything started here is stopped
#                       on exit, whatever happens.
# Prints each suite's Check summary, then "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

mode=${1:-all}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dynamo-fcgi-test.XXXXXX")
passed=0
failed=0
failed_names=()

cleanup() {
    stop_pid "$tmp/nginx.pid"
    stop_pid "$tmp/app.pid"
    stop_pid "$tmp/tls-front.pid"
    scripts/ddblocal.sh stop "$tmp" 2>/dev/null
    if [ "$failed" -eq 0 ]; then rm -rf "$tmp"; else echo "logs kept in $tmp"; fi
}
trap cleanup EXIT
# A signal exits through the EXIT trap, so nothing started here outlives it.
trap 'exit 1' INT TERM

# run_suite NAME [PROGRAM]: runs PROGRAM (default build/tests/NAME), its
# output in $tmp/NAME.log.
run_suite() {
    local name=$1 prog=${2:-build/tests/$1}
    echo "== $name"
    if "$prog" >"$tmp/$name.log" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failed_names+=("$name")
        cat "$tmp/$name.log"
    fi
    grep -E '^[0-9]+%: Checks' "$tmp/$name.log" || echo "$name: no Check summary"
}

suites_in() {
    local f
    for f in tests/"$1"/check_*.c; do
        [ -e "$f" ] && basename "$f" .c
    done
}

# AWS's SigV4 vectors sit beside the checkout (../shared); a clone made
# elsewhere (git clone /work/main /tmp/x) finds them beside its origin.
if [ -z "${SIGV4_SUITE:-}" ]; then
    SIGV4_SUITE=../shared/sigv4-test-suite
    origin=$(git config --get remote.origin.url 2>/dev/null || true)
    if [ ! -d "$SIGV4_SUITE" ] && [ -n "$origin" ] && [ -d "$origin/../shared/sigv4-test-suite" ]; then
        SIGV4_SUITE=$(cd "$origin/../shared/sigv4-test-suite" && pwd)
    fi
fi
export SIGV4_SUITE
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60}

for s in $(suites_in unit); do run_suite "$s"; done
# Shell tests, no server either: make install + an app built against the
# installed copy, and the README's C examples.
for t in tests/install/test_*.sh tests/docs/test_*.sh; do
    [ -e "$t" ] && run_suite "$(basename "$t" .sh)" "$t"
done
# The libFuzzer targets (fuzz/), a few seconds each over the seed corpus.
run_suite fuzz scripts/fuzz.sh

if [ "$mode" = all ]; then
    if ddb_port=$(scripts/ddblocal.sh start "$tmp"); then
        export DYNAMO_ENABLE_LOCAL=1 DYNAMO_LOCAL_HOST=127.0.0.1 DYNAMO_LOCAL_PORT=$ddb_port
        export AWS_ACCESS_KEY_ID=AKIDTESTDYNAMOFCGI AWS_SECRET_ACCESS_KEY=test-secret-key
        export AWS_REGION=us-east-1
        # check_tls's nginx TLS front (throwaway CA) before DynamoDB Local.
        if tls_port=$(scripts/tls-front.sh start "$tmp" "127.0.0.1:$ddb_port"); then
            export DYNAMO_TLS_PORT=$tls_port DYNAMO_TLS_DIR=$tmp/tls
        fi
        for s in $(suites_in integration); do run_suite "$s"; done
        # check_dynamo again, without sanitizers, under valgrind memcheck (~10 s).
        run_suite valgrind scripts/valgrind.sh

        # End to end: the example app as a FastCGI server behind nginx.
        export DYNAMO_TABLES_FILE=app_skeleton/dynamo.conf DYNAMO_TABLE_PREFIX=e2e-
        fcgi_port=$(free_port) && http_port=$(free_port)
        if build/app_skeleton create-all --wait >"$tmp/create-all.log" 2>&1; then
            WEB_LISTEN=127.0.0.1:$fcgi_port WEB_WORKERS=2 build/app_skeleton serve \
                >"$tmp/app.log" 2>&1 &
            echo $! >"$tmp/app.pid"
            if wait_port "$fcgi_port" 20 "$(cat "$tmp/app.pid")" &&
                scripts/nginx.sh start "$tmp" "127.0.0.1:$http_port" "127.0.0.1:$fcgi_port"; then
                export E2E_BASE_URL=http://127.0.0.1:$http_port E2E_TMP=$tmp
                export E2E_APP_PID=$(cat "$tmp/app.pid")
                for s in $(suites_in e2e); do run_suite "$s"; done
                # Last: it stops and restarts the shared DynamoDB Local.
                for t in tests/e2e/test_*.sh; do
                    [ -e "$t" ] && run_suite "$(basename "$t" .sh)" "$t"
                done
            else
                failed=$((failed + 1)); failed_names+=("e2e-setup"); cat "$tmp/app.log"
            fi
        else
            failed=$((failed + 1)); failed_names+=("create-all"); cat "$tmp/create-all.log"
        fi
    else
        failed=$((failed + 1))
        failed_names+=("dynamodb-local")
    fi
fi

# Totals over every Check summary ("100%: Checks: 88, Failures: 0, Errors: 0").
read -r checks bad < <(cat "$tmp"/*.log 2>/dev/null |
    sed -n 's/^[0-9]*%: Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\)$/\1 \2 \3/p' |
    awk '{c += $1; b += $2 + $3} END {print c + 0, b + 0}')
echo
[ "$failed" -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
# A suite that died without a summary still counts as a failure.
[ "$failed" -gt "$bad" ] && bad=$failed
echo "checks: $((checks - bad)) passed, $bad failed"
[ "$failed" -eq 0 ]

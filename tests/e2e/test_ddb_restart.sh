#!/usr/bin/env bash
# test_ddb_restart.sh: DynamoDB Local killed under load and started again.
# While it is gone the app answers 503 with a JSON error (never a crash or
# a hang); once it is back (tables made again by a separate create-all, as
# an operator would) the same app process answers 2xx without a restart.
# Run by scripts/run-tests.sh last in the end-to-end phase: it stops the
# shared DynamoDB Local.  Needs E2E_BASE_URL, E2E_TMP, E2E_APP_PID.
set -uo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
. tests/common/shcheck.sh

base=${E2E_BASE_URL:?} tmp=${E2E_TMP:?} app=${E2E_APP_PID:?}
port=$(cat "$tmp/ddb.port")
load="$tmp/restart-load"

status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }

# Background load: GETs, one status code a line, until the stop file exists.
run_load() {
    while [ ! -e "$load.stop" ]; do
        status "$base/users/restart-probe" >>"$load.codes"
        echo >>"$load.codes"
    done
}

seen_503_json() {
    local body
    body=$(curl -s --max-time 10 "$base/users/restart-probe")
    [ "$(status "$base/users/restart-probe")" = 503 ] &&
        printf '%s' "$body" | grep -q '"error"'
}

wait_for() { # wait_for SECONDS CMD...: polls CMD until it succeeds
    local end=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < end)) || return 1
        sleep 0.2
    done
}

put_probe() { [ "$(status -X PUT -d '{"v":1}' "$base/users/restart-probe")" -lt 300 ]; }
get_ok() { [ "$(status "$base/users/restart-probe")" = 200 ]; }
app_alive() { kill -0 "$app"; }
only_expected_codes() { ! grep -qvE '^(200|404|503)$' "$load.codes"; }

check "probe written" put_probe
rm -f "$load.codes" "$load.stop"
run_load &
loader=$!
sleep 1
scripts/ddblocal.sh stop "$tmp"
check "503 with a JSON error while DynamoDB is gone" wait_for 20 seen_503_json
check "app still running" app_alive
DDB_PORT=$port scripts/ddblocal.sh start "$tmp" >/dev/null
check "tables made again by a separate create-all" build/app_skeleton create-all --wait
check "writes succeed again" wait_for 30 put_probe
check "reads succeed again" get_ok
touch "$load.stop"
wait "$loader"
check "under load: only 200, 404 or 503, never a crash" only_expected_codes
check "load saw 503s" grep -q '^503$' "$load.codes"
check "app never restarted" app_alive
check_summary

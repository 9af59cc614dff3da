#!/usr/bin/env bash
# soak.sh: `make soak` (issue 6): the example app under load for a while,
# with nothing failing and its memory flat.
#
#   DynamoDB Local -> build/app_skeleton serve (WEB_WORKERS=2) -> nginx
#   <- wrk, SOAK_CONNECTIONS (64) connections, tests/soak/soak.lua's mix of
#      GET and PUT on /users/<name>
#
# First SOAK_USERS (200) users are created, then a warm-up of SOAK_WARMUP
# seconds (15), then the soak proper of SOAK_SECONDS (60) while the app's
# resident memory (VmRSS in /proc/PID/status; the workers are threads of one
# process) is sampled every SOAK_SAMPLE seconds (10).  Prints the requests,
# the failures (non-2xx/3xx answers and socket errors) and the RSS after the
# warm-up and at the end.  The app logs at its default level, info, so every
# request has an access line (written in batches, core/log.c): once the app
# has stopped, each request answered must have one, and every line must be
# whole.  Exits non-zero when a request failed, the app died, the RSS grew by
# more than SOAK_MAX_GROWTH_KB (4096) over the soak, or access lines are
# missing or torn.
# Everything runs on free loopback ports in a mktemp -d folder and is stopped
# on exit; SOAK_KEEP=1 keeps the folder (logs, raw wrk output).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. scripts/lib.sh

SECS=${SOAK_SECONDS:-60}
WARM=${SOAK_WARMUP:-15}
CONNS=${SOAK_CONNECTIONS:-64}
THREADS=${SOAK_THREADS:-2}
USERS=${SOAK_USERS:-200}
SAMPLE=${SOAK_SAMPLE:-10}
MAX_GROWTH_KB=${SOAK_MAX_GROWTH_KB:-4096}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dynamo-fcgi-soak.XXXXXX")

cleanup() {
    scripts/nginx.sh stop "$tmp"
    stop_pid "$tmp/app.pid"
    scripts/ddblocal.sh stop "$tmp" 2>/dev/null
    if [ "${SOAK_KEEP:-0}" = 1 ]; then echo "soak: files kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

die() {
    echo "soak: $*" >&2
    exit 1
}

# wrk is a Debian package: installed here as root, else the command to run.
if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y wrk >&2 || die "apt-get install wrk failed"
    else
        die "wrk is missing: sudo apt-get install -y wrk"
    fi
fi

rss_kb() {
    sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null
}

# run_wrk SECONDS OUT: the load, raw output in OUT.
run_wrk() {
    SOAK_USERS=$USERS wrk -t "$THREADS" -c "$CONNS" -d "${1}s" --timeout 10s \
        -s tests/soak/soak.lua "$base" >"$2" 2>&1
}

# field NAME FILE: NAME=value from the SOAK line soak.lua's done() printed.
field() {
    sed -n "s/^SOAK .*\b$1=\([0-9]*\).*/\1/p" "$2"
}

ddb_port=$(scripts/ddblocal.sh start "$tmp") || die "DynamoDB Local did not start"
export DYNAMO_ENABLE_LOCAL=1 DYNAMO_LOCAL_HOST=127.0.0.1 DYNAMO_LOCAL_PORT=$ddb_port
export AWS_ACCESS_KEY_ID=AKIDSOAKDYNAMOFCGI AWS_SECRET_ACCESS_KEY=soak-secret-key
export AWS_REGION=us-east-1
export DYNAMO_TABLES_FILE=app_skeleton/dynamo.conf DYNAMO_TABLE_PREFIX=soak-
unset WEB_LOG_LEVEL
build/app_skeleton create-all --wait >"$tmp/create-all.log" 2>&1 ||
    { cat "$tmp/create-all.log" >&2; die "create-all failed"; }

fcgi_port=$(free_port) && http_port=$(free_port)
WEB_LISTEN=127.0.0.1:$fcgi_port WEB_WORKERS=2 build/app_skeleton serve >"$tmp/app.log" 2>&1 &
app_pid=$!
echo "$app_pid" >"$tmp/app.pid"
wait_port "$fcgi_port" 20 "$app_pid" || { cat "$tmp/app.log" >&2; die "the app did not start"; }
scripts/nginx.sh start "$tmp" "127.0.0.1:$http_port" "127.0.0.1:$fcgi_port" ||
    die "nginx did not start"
base=http://127.0.0.1:$http_port

for i in $(seq 1 "$USERS"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
        --data "{\"email\":\"soak-user-$i@example.com\",\"visits\":0}" "$base/users/soak-user-$i")
    case "$code" in 2??) ;; *) die "creating soak-user-$i: HTTP $code" ;; esac
done

echo "soak: warm-up, ${WARM}s with $CONNS connections"
run_wrk "$WARM" "$tmp/warmup.txt"
rss_start=$(rss_kb "$app_pid")
[ -n "$rss_start" ] || die "the app died during the warm-up"

echo "soak: ${SECS}s with $CONNS connections (wrk, $THREADS threads), RSS every ${SAMPLE}s"
run_wrk "$SECS" "$tmp/soak.txt" &
wrk_pid=$!
samples=("$rss_start")
rss_max=$rss_start
while kill -0 "$wrk_pid" 2>/dev/null; do
    # Sleeping between samples is the point here, not a wait for a server.
    for _ in $(seq 1 "$((SAMPLE * 10))"); do
        kill -0 "$wrk_pid" 2>/dev/null || break
        sleep 0.1
    done
    r=$(rss_kb "$app_pid")
    [ -n "$r" ] || break
    samples+=("$r")
    [ "$r" -gt "$rss_max" ] && rss_max=$r
done
wait "$wrk_pid"
rss_end=$(rss_kb "$app_pid")

grep -q '^SOAK ' "$tmp/soak.txt" || { cat "$tmp/soak.txt" >&2; die "wrk printed no summary"; }
requests=$(field requests "$tmp/soak.txt")
non2xx=$(field non2xx "$tmp/soak.txt")
sock=0
for k in connect read write timeout; do sock=$((sock + $(field "$k" "$tmp/soak.txt"))); done
failures=$((non2xx + sock))
warm_requests=$(field requests "$tmp/warmup.txt")
warm_failures=$(($(field non2xx "$tmp/warmup.txt") + $(field connect "$tmp/warmup.txt") +
    $(field read "$tmp/warmup.txt") + $(field write "$tmp/warmup.txt") +
    $(field timeout "$tmp/warmup.txt")))

echo
sed -n 's/^ *\(Latency\|Req\/Sec\) /  wrk \1 /p; /requests in/s/^ */  wrk /p' "$tmp/soak.txt"
printf '%-34s %s\n' \
    "warm-up requests / failures" "$warm_requests / $warm_failures" \
    "soak seconds" "$SECS" \
    "requests" "$requests ($((requests / SECS)) per second)" \
    "failures (non-2xx/3xx + socket)" "$failures ($non2xx non-2xx/3xx, $sock socket errors)" \
    "latency p50 / p99 / max (ms)" "$(awk -v a="$(field p50_us "$tmp/soak.txt")" \
        -v b="$(field p99_us "$tmp/soak.txt")" -v c="$(field max_us "$tmp/soak.txt")" \
        'BEGIN {printf "%.1f / %.1f / %.1f", a / 1000, b / 1000, c / 1000}')" \
    "app RSS after warm-up (kB)" "$rss_start" \
    "app RSS at the end (kB)" "${rss_end:-dead}" \
    "app RSS max during the soak (kB)" "$rss_max" \
    "app RSS samples (kB)" "${samples[*]}"

status=0
if [ -z "$rss_end" ] || ! kill -0 "$app_pid" 2>/dev/null; then
    echo "soak: FAIL: the app died" >&2
    status=1
else
    growth=$((rss_end - rss_start))
    printf '%-34s %s\n' "app RSS growth (kB)" "$growth"
    if [ "$growth" -gt "$MAX_GROWTH_KB" ]; then
        echo "soak: FAIL: RSS grew by ${growth} kB (limit ${MAX_GROWTH_KB})" >&2
        status=1
    fi
fi
if [ "$failures" -gt 0 ] || [ "$warm_failures" -gt 0 ]; then
    echo "soak: FAIL: $failures failed requests (warm-up: $warm_failures)" >&2
    status=1
fi
# The access lines, once the app has stopped (its workers write what they
# hold as they exit).  wrk counts the requests it saw answered; those in
# flight when it stopped were served too: up to one per connection more.
stop_pid "$tmp/app.pid"
served=$((USERS + warm_requests + requests))
lines=$(grep -cE '^info: (GET|PUT) /users[/ ]' "$tmp/app.log")
torn=$(grep -cvE '^(info|warn|error|debug): ' "$tmp/app.log")
printf '%-34s %s\n' "access lines / requests answered" \
    "$lines / $served (+ up to $((2 * CONNS)) in flight)"
if [ "$lines" -lt "$served" ] || [ "$lines" -gt $((served + 2 * CONNS)) ] ||
    [ "$torn" -gt 0 ]; then
    echo "soak: FAIL: $lines access lines for $served requests, $torn lines not whole" >&2
    status=1
fi
if grep -qE '^(warn|error): ' "$tmp/app.log"; then
    echo "soak: the app logged (warnings and errors):" >&2
    grep -E '^(warn|error): ' "$tmp/app.log" | sed 's/^/  /' | tail -20 >&2
fi
[ "$status" = 0 ] && echo "soak: OK"
exit "$status"

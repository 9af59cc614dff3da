#!/usr/bin/env bash
# bench.sh: `make bench`, the benchmark suite of issue 5.  Measures and
# prints one table (metric | value | baseline | ratio | target); it is not a
# test and always exits 0.  A phase whose tools are missing, or that fails,
# leaves its rows "n/a" and says why on stderr.
#
#   1. micro: build/bench/micro pure (SigV4, encoding, decoding to values
#      and straight to plain text)
#   2. a stub DynamoDB: a private nginx answering every POST with a fixed
#      GetItem answer (the fixture item, bench/fixture.h)
#   3. a full client GetItem call (dynamo_get_item, then dynamo_get_item_text
#      as the app's GET uses it), then the same loop in boto3, on the stub
#   4. end to end on the stub: wrk -> nginx -> FastCGI -> build/app_skeleton
#      -> stub on GET /users/alice, and GET /bench/floor on
#      build/bench/floor_app (the same app plus one route without DynamoDB)
#   5. end to end against DynamoDB Local, and DynamoDB Local loaded directly
#      with wrk (bench/ddb-getitem.lua), on CONNECTIONS and on WORKERS
#      connections (the concurrency the app, one connection per worker, has)
#
# Runs compared with each other are interleaved (A B A B ...) so that a
# neighbour's burst on a shared machine hits both alike.
#
# Knobs: BENCH_DURATION seconds of load per measured figure (10), split in
# BENCH_ROUNDS rounds (2), BENCH_WARMUP (2), BENCH_THREADS (2),
# BENCH_CONNECTIONS (32), BENCH_WORKERS app workers (2), BENCH_KEEP=1 keeps
# the temporary folder (logs, raw wrk output).
# Everything started here runs on free loopback ports in a mktemp -d folder
# and is stopped on exit.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
. scripts/bench-lib.sh

DUR=${BENCH_DURATION:-10}
WARM=${BENCH_WARMUP:-2}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
WORKERS=${BENCH_WORKERS:-2}
# Against DynamoDB Local the app also runs with the README's setting for
# routes that wait on DynamoDB: about 4 workers per core.
DDB_WORKERS=${BENCH_DDB_WORKERS:-$((4 * $(nproc)))}
ROUNDS=${BENCH_ROUNDS:-2}
PY=/usr/bin/python3
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# Reference figures from issue 5 ("measured on these machines"), shown as
# baselines where this run cannot measure the Python stack itself.
REF_FLASK_STUB_RPS=470 # Flask + flask-dynamo under gunicorn, stub: 400-470
REF_FLASK_DDB_RPS=330  # the same against DynamoDB Local
REF_BOTO3_US=1500      # bare boto3 get_item CPU on the stub
REF_DDB_DIRECT=7000    # DynamoDB Local loaded directly, GetItem/s

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dynamo-fcgi-bench.XXXXXX")
res=$tmp/results # "key value" lines
: >"$res"
: >"$tmp/runs"
have_wrk=1
have_boto3=1

cleanup() {
    trap - EXIT INT TERM
    local name
    for name in stub floor ddb ddbw; do
        scripts/nginx.sh stop "$tmp/front-$name" 2>/dev/null
        stop_pid "$tmp/app-$name.pid"
    done
    stop_pid "$tmp/stub.pid"
    scripts/ddblocal.sh stop "$tmp" 2>/dev/null
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $tmp"; else rm -rf "$tmp"; fi
    exit 0
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# ---- tools ----------------------------------------------------------------

# wrk and Debian's boto3: apt-get as root, else print the command and skip
# the phases that need them.
install_tools() {
    local -a missing=()
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    "$PY" -c 'import boto3' 2>/dev/null || missing+=(python3-boto3)
    [ ${#missing[@]} -eq 0 ] && return 0
    local cmd="apt-get install -y --no-install-recommends ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then
        say "installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive $cmd -qq >/dev/null
    else
        say "missing ${missing[*]}; to install them run as root:"
        say "  sudo apt-get update && sudo $cmd"
    fi
    command -v wrk >/dev/null 2>&1 || have_wrk=0
    "$PY" -c 'import boto3' 2>/dev/null || have_boto3=0
}

# ---- the stub -------------------------------------------------------------

# A private nginx answering every request with the fixed GetItem answer.
# Its access log records "connection-serial X-Amz-Target" per request, so
# the end of the run can tell which operations the app sent and on how
# many connections (phases are delimited by marker requests, see mark).
start_stub() {
    local dir=$tmp/stub user="" body crc
    mkdir -p "$dir/tmp"
    body=$(build/bench/micro answer) || return 1
    # DynamoDB sends x-amz-crc32 over every body, and the client checks it:
    # so does the stub (zlib's CRC-32, not ours).
    crc=$(printf '%s' "$body" | "$PY" -c \
        'import sys, zlib; print(zlib.crc32(sys.stdin.buffer.read()))') || {
        say "no python3 to compute the stub's x-amz-crc32: the stub sends none"
        crc=""
    }
    stub_port=$(free_port) || return 1
    [ "$(id -u)" = 0 ] && user="user root;"
    cat >"$dir/nginx.conf" <<CONF
$user
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    log_format bench '\$connection \$http_x_amz_target';
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 600s;
    server {
        listen 127.0.0.1:$stub_port;
        access_log $dir/access.log bench buffer=64k;
        location / {
            default_type application/x-amz-json-1.0;
            ${crc:+add_header x-amz-crc32 $crc;}
            return 200 '$body';
        }
    }
}
CONF
    "$NGINX" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >/dev/null 2>>"$dir/error.log" &
    echo $! >"$tmp/stub.pid"
    if ! wait_port "$stub_port" 20 "$(cat "$tmp/stub.pid")"; then
        cat "$dir/error.log" >&2
        return 1
    fi
}

# mark NAME: a request the stub logs as "bench-phase-NAME", opening a phase.
mark() {
    curl -s -o /dev/null -X POST -H "X-Amz-Target: bench-phase-$1" \
        "http://127.0.0.1:$stub_port/" || true
}

# After the stub stopped (its log flushed): for the phase NAME, the number of
# distinct connections and the operations other than GetItem.
stub_phase_summary() {
    awk -v phase="bench-phase-$1" '
        $2 ~ /^bench-phase-/ { on = ($2 == phase); next }
        on { conn[$1] = 1; n++; if ($2 != "DynamoDB_20120810.GetItem") other[$2]++ }
        END {
            for (c in conn) nc++
            s = ""
            for (o in other) s = s (s == "" ? "" : ",") o "(" other[o] ")"
            printf "%d %d %s\n", n, nc, (s == "" ? "none" : s)
        }' "$tmp/stub/access.log"
}

# ---- phases ---------------------------------------------------------------

phase_micro() {
    say "micro: SigV4, encoding, decoding"
    build/bench/micro pure >>"$res" || say "micro pure failed"
}

phase_client() {
    say "client GetItem on the stub (port $stub_port)"
    mark client
    build/bench/micro getitem "$stub_port" >>"$res" || say "micro getitem failed"
    build/bench/micro getitem-text "$stub_port" >>"$res" || say "micro getitem-text failed"
    build/bench/micro raw "$stub_port" >>"$res" || say "micro raw failed"
    if [ "$have_boto3" = 1 ]; then
        say "boto3 GetItem on the stub"
        mark boto3
        "$PY" bench/boto3_getitem.py "$stub_port" >>"$res" || say "boto3 loop failed"
    fi
}

# GET /users/alice on build/app_skeleton and GET /bench/floor on
# build/bench/floor_app, both up at once and loaded in turn, ROUNDS times:
# a neighbour's burst on this shared machine then hits both alike.
phase_e2e_stub() {
    local stub_url floor_url secs=$(((DUR + ROUNDS - 1) / ROUNDS)) i
    [ "$have_wrk" = 1 ] || return 0
    say "end to end on the stub: GET /users/alice (build/app_skeleton) and"
    say "  GET /bench/floor (build/bench/floor_app, no DynamoDB), $ROUNDS rounds of ${secs}s"
    mark e2e-stub
    if start_front stub build/app_skeleton "$stub_port" &&
        start_front floor build/bench/floor_app "$stub_port" &&
        stub_url=$(cat "$tmp/stub.url")/users/alice &&
        floor_url=$(cat "$tmp/floor.url")/bench/floor &&
        expect_200 "$stub_url" && expect_200 "$floor_url"; then
        run_wrk warm "$stub_url" "$WARM"
        run_wrk warm "$floor_url" "$WARM"
        for i in $(seq 1 "$ROUNDS"); do
            run_wrk stub "$stub_url" "$secs" "" "$tmp/app-stub.pid"
            run_wrk floor "$floor_url" "$secs" "" "$tmp/app-floor.pid"
        done
        summarize stub
        summarize floor
    fi
    mark none
    stop_front stub
    stop_front floor
}

# The tables made and one user put through the app; then, in turn, the app
# on DynamoDB Local, DynamoDB Local loaded directly, and loaded directly on
# as many connections as the app holds (one per worker).
phase_ddb() {
    local ddb url urlw direct secs=$(((DUR + ROUNDS - 1) / ROUNDS)) i
    [ "$have_wrk" = 1 ] || return 0
    say "DynamoDB Local: starting"
    if ! ddb=$(scripts/ddblocal.sh start "$tmp"); then
        say "DynamoDB Local did not start"
        return 0
    fi
    direct=http://127.0.0.1:$ddb/
    if ! env -u DYNAMO_TABLE_PREFIX -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_DYNAMODB \
        DYNAMO_ENABLE_LOCAL=1 DYNAMO_LOCAL_HOST=127.0.0.1 DYNAMO_LOCAL_PORT="$ddb" \
        DYNAMO_TABLES_FILE=app_skeleton/dynamo.conf AWS_REGION=us-east-1 \
        AWS_ACCESS_KEY_ID=AKIDBENCHMARK AWS_SECRET_ACCESS_KEY=bench-secret-key \
        build/app_skeleton create-all --wait >>"$tmp/app-ddb.log" 2>&1; then
        say "create-all failed: $(tail -n 3 "$tmp/app-ddb.log")"
        return 0
    fi
    if ! start_front ddb build/app_skeleton "$ddb" ||
        ! start_front ddbw build/app_skeleton "$ddb" "$DDB_WORKERS" ||
        ! url=$(cat "$tmp/ddb.url")/users/alice || ! urlw=$(cat "$tmp/ddbw.url")/users/alice ||
        ! expect_200 "$url" -X PUT --data-binary "$(build/bench/micro item)" ||
        ! expect_200 "$url"; then
        stop_front ddb
        stop_front ddbw
        return 0
    fi
    say "DynamoDB Local: warming up its JVM (direct GetItem load)"
    run_wrk warm "$direct" $((WARM + 3)) bench/ddb-getitem.lua
    run_wrk warm "$url" "$WARM"
    run_wrk warm "$urlw" "$WARM"
    say "end to end on DynamoDB Local and DynamoDB Local direct, $ROUNDS rounds of ${secs}s"
    for i in $(seq 1 "$ROUNDS"); do
        run_wrk ddb "$url" "$secs" "" "$tmp/app-ddb.pid"
        run_wrk direct "$direct" "$secs" bench/ddb-getitem.lua "$tmp/ddb.pid"
        run_wrk ddbw "$urlw" "$secs" "" "$tmp/app-ddbw.pid"
        WRK_CONNS=$WORKERS run_wrk direct_w "$direct" $(((secs + 1) / 2)) \
            bench/ddb-getitem.lua
    done
    summarize ddb
    summarize ddbw
    summarize direct
    summarize direct_w
    stop_front ddb
    stop_front ddbw
    scripts/ddblocal.sh stop "$tmp"
}

# ---- the table ------------------------------------------------------------

print_table() {
    local c b u s sig enc dec r f rc fc d D dc conns other one t dt raw mr mf rest frest
    c=$(num getitem_cpu_us) b=$(num boto3_cpu_us) u=$(num getitem_user_us)
    t=$(num getitem_text_cpu_us) dt=$(num decode_text_ns)
    s=$(num getitem_sys_us) sig=$(num sigv4_ns) enc=$(num encode_ns) dec=$(num decode_ns)
    r=$(num stub_rps) f=$(num floor_rps) rc=$(num stub_cpu) fc=$(num floor_cpu)
    d=$(num ddb_rps) D=$(num direct_rps) dc=$(num direct_cpu)
    conns=$(num stub_conns) raw=$(num raw_cpu_us)
    mr=$(num stub_machine) mf=$(num floor_machine)
    rest="" frest=""
    [ -n "$mr" ] && [ -n "$rc" ] && [ -n "$(num stub_stubcpu)" ] &&
        rest=$(calc "$mr - $rc - $(num stub_stubcpu)")
    [ -n "$mf" ] && [ -n "$fc" ] && frest=$(calc "$mf - $fc")

    echo
    echo "dynamo-fcgi bench: $(nproc) cores, wrk -t$THREADS -c$CONNS, ${DUR}s per figure" \
        "in $ROUNDS rounds, $WORKERS app workers, $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    row metric value baseline ratio target
    row --- --- --- --- ---
    row "client GetItem CPU us/call (stub)" "$(or_na "$c")" "boto3 $(or_na "$b")" \
        "$(ratio "$b" "$c" %.0f "x less")" \
        "<= 15 us: $(verdict "${c:-n/a} <= 15"); >= 100x: $(verdict \
            "$(ratio "$b" "$c") >= 100")"
    row "  user / sys us/call, wall us/call" "$(or_na "$u") / $(or_na "$s"), $(or_na \
        "$(num getitem_wall_us)")" "boto3 wall $(or_na "$(num boto3_wall_us)")" "" ""
    row "  TCP connections opened by the loop" "$(or_na "$(num getitem_connections)")" \
        "" "" "1: $(verdict "$(or_na "$(num getitem_connections)") == 1")"
    row "client GetItem as plain text CPU us/call" "$(or_na "$t")" "boto3 $(or_na "$b")" \
        "$(ratio "$b" "$t" %.0f "x less")" \
        "<= 15 us: $(verdict "${t:-n/a} <= 15"); >= 100x: $(verdict \
            "$(ratio "$b" "$t") >= 100")"
    row "raw round trip CPU us/call (stub)" "$(or_na "$(num raw_cpu_us)")" \
        "client as text $(or_na "$t")" "$(ratio "$t" "$(num raw_cpu_us)" %.2f x)" \
        "(floor of any client: write + read, nothing else)"
    row "  user / sys us/call" "$(or_na "$(num raw_user_us)") / $(or_na \
        "$(num raw_sys_us)")" "" "" ""
    row "boto3 GetItem CPU us/call (stub)" "$(or_na "$b")" "issue ref $REF_BOTO3_US" \
        "$(ratio "$b" "$REF_BOTO3_US" %.2f x)" "(machine calibration)"
    row "SigV4 signature ns (key cached)" "$(or_na "$sig")" \
        "GetItem call $(or_na "$c") us" "$(ratio "$sig" "$(calc "${c:-0} * 10")" %.0f %)" ""
    row "decode GetItem answer ns (20 attrs)" "$(or_na "$dec")" \
        "GetItem call $(or_na "$c") us" "$(ratio "$dec" "$(calc "${c:-0} * 10")" %.0f %)" ""
    row "  straight to plain text ns" "$(or_na "$dt")" "decode + emit $(or_na "$dec")" \
        "$(ratio "$dec" "$dt" %.1f "x less")" ""
    row "encode PutItem ns (20 attrs)" "$(or_na "$enc")" "" "" ""
    row "e2e stub GET /users/alice req/s" "$(or_na "$r")" \
        "Flask ref $REF_FLASK_STUB_RPS" "$(ratio "$r" "$REF_FLASK_STUB_RPS" %.1f x)" \
        ">= 25x: $(verdict "$(ratio "$r" "$REF_FLASK_STUB_RPS") >= 25")"
    row "  p50 / p99 ms" "$(or_na "$(num stub_p50)") / $(or_na "$(num stub_p99)")" \
        "floor $(or_na "$(num floor_p50)") / $(or_na "$(num floor_p99)")" "" ""
    row "  app CPU us/req" "$(or_na "$rc")" "floor $(or_na "$fc")" \
        "$(ratio "$rc" "$fc" %.1f x)" "<= 40 us: $(verdict "${rc:-n/a} <= 40")"
    row "  app user / sys us/req" "$(or_na "$(num stub_user)") / $(or_na \
        "$(num stub_sys)")" "floor $(or_na "$(num floor_user)") / $(or_na \
        "$(num floor_sys)")" "" ""
    row "  errors (non-2xx, socket)" "$(or_na "$(num stub_bad)")" \
        "floor $(or_na "$(num floor_bad)")" "" ""
    row "  app CPU bound: floor + raw round trip" "$(or_na "$(calc "${fc:-0} + \
        ${raw:-0}")")" "app $(or_na "$rc")" "" "(the least a GetItem route can cost)"
    row "e2e stub GET /bench/floor req/s" "$(or_na "$f")" "" "" "(framework floor)"
    row "GetItem route vs floor req/s" "$(or_na "$r")" "floor $(or_na "$f")" \
        "$(ratio "$r" "$f" %.2f x)" ">= 0.6x: $(verdict "$(ratio "$r" "$f") >= 0.6")"
    row "  machine CPU us/req (every process)" "$(or_na "$mr")" "floor $(or_na "$mf")" \
        "$(ratio "$mr" "$mf" %.2f x)" "(the host took $(or_na "$(num stub_stolen)")% / \
$(or_na "$(num floor_stolen)")% of the cores)"
    row "  of it: stub nginx / the rest (front nginx, wrk)" "$(or_na \
        "$(num stub_stubcpu)") / $(or_na "$rest")" "floor 0 / $(or_na "$frest")" "" ""
    other=$(num stub_other)
    if [ -z "$conns" ]; then
        one=n/a
    elif [ "$conns" -le "$WORKERS" ] && [ "$other" = none ]; then
        one=met
    else
        one="not met"
    fi
    row "stub connections / other operations" "$(or_na "$conns") / $(or_na "$other")" \
        "workers $WORKERS" "" "1 per worker, GetItem only: $one"
    row "e2e DynamoDB Local GET /users/alice req/s" "$(or_na "$d")" \
        "direct $(or_na "$D")" "$(ratio "$d" "$D" %.2f x)" \
        ">= 0.7x: $(verdict "$(ratio "$d" "$D") >= 0.7")"
    row "  p50 / p99 ms" "$(or_na "$(num ddb_p50)") / $(or_na "$(num ddb_p99)")" \
        "direct $(or_na "$(num direct_p50)") / $(or_na "$(num direct_p99)")" "" ""
    row "  app CPU us/req (user / sys)" "$(or_na "$(num ddb_cpu)") ($(or_na \
        "$(num ddb_user)") / $(or_na "$(num ddb_sys)"))" "" "" ""
    row "  the same app with $DDB_WORKERS workers req/s" "$(or_na "$(num ddbw_rps)")" \
        "direct $(or_na "$D")" "$(ratio "$(num ddbw_rps)" "$D" %.2f x)" \
        ">= 0.7x: $(verdict "$(ratio "$(num ddbw_rps)" "$D") >= 0.7")"
    row "    its p50 / p99 ms, app CPU us/req" "$(or_na "$(num ddbw_p50)") / $(or_na \
        "$(num ddbw_p99)"), $(or_na "$(num ddbw_cpu)")" "" "" ""
    row "  the host took, % of the cores" "$(or_na "$(num ddbw_stolen)")" \
        "direct $(or_na "$(num direct_stolen)")" "" "(steal: CPU given to other machines)"
    row "  vs Flask on DynamoDB Local req/s" "$(or_na "$d")" \
        "Flask ref $REF_FLASK_DDB_RPS" "$(ratio "$d" "$REF_FLASK_DDB_RPS" %.1f x)" ""
    row "DynamoDB Local direct GetItem/s" "$(or_na "$D")" "issue ref $REF_DDB_DIRECT" \
        "$(ratio "$D" "$REF_DDB_DIRECT" %.2f x)" "(backend ceiling)"
    row "  its CPU us/GetItem, errors" "$(or_na "$dc"), $(or_na "$(num direct_bad)")" \
        "" "" ""
    row "  direct on $WORKERS connections GetItem/s" "$(or_na "$(num direct_w_rps)")" \
        "direct $(or_na "$D")" "$(ratio "$(num direct_w_rps)" "$D" %.2f x)" \
        "(app's ceiling: 1 connection per worker)"
    row "  app vs direct on $WORKERS connections" "$(or_na "$d")" \
        "direct $(or_na "$(num direct_w_rps)")" "$(ratio "$d" "$(num direct_w_rps)" %.2f x)" ""
}

# ---- main -----------------------------------------------------------------

for b in build/bench/micro build/bench/floor_app build/app_skeleton; do
    [ -x "$b" ] || { say "$b is missing: run make bench"; exit 0; }
done
install_tools
phase_micro
if start_stub; then
    phase_client
    phase_e2e_stub
    mark end
    stop_pid "$tmp/stub.pid" # nginx writes its buffered log on exit
    read -r _ n o <<<"$(stub_phase_summary e2e-stub)"
    put stub_conns "$n"
    put stub_other "$o"
else
    say "the stub did not start: client and stub rows are n/a"
fi
phase_ddb
print_table

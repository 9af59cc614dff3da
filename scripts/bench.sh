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

say() { echo "bench: $*" >&2; }
put() { echo "$1 $2" >>"$res"; }
get() { awk -v k="$1" '$1 == k { v = $2 } END { print v }' "$res"; }

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

# ---- the app behind nginx -------------------------------------------------

# wait_socket PATH SECONDS PID: polls until the unix socket PATH exists, or
# fails when SECONDS pass or the process PID has died.
wait_socket() {
    local path=$1 end=$((SECONDS + $2)) pid=$3
    while (( SECONDS < end )); do
        [ -S "$path" ] && return 0
        kill -0 "$pid" 2>/dev/null || { say "process $pid died before listening"; return 1; }
        sleep 0.1
    done
    say "nothing listens on $path after $2s"
    return 1
}

# start_front NAME BIN BACKEND_PORT [WORKERS]: BIN serve as a FastCGI server
# talking to "DynamoDB Local" on BACKEND_PORT, with nginx (scripts/nginx.sh:
# the deployed site config) in front, over a unix socket as
# app_skeleton/deploy/app_skeleton.socket deploys it; the URL base goes to
# $tmp/NAME.url, the app's pid to $tmp/app-NAME.pid.
start_front() {
    local name=$1 bin=$2 backend=$3 workers=${4:-$WORKERS} sock=$tmp/fcgi-$1.sock http
    http=$(free_port) || return 1
    env -u AWS_SESSION_TOKEN -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_DYNAMODB \
        -u DYNAMO_TABLE_PREFIX -u WEB_CONFIG_FILE \
        DYNAMO_ENABLE_LOCAL=1 DYNAMO_LOCAL_HOST=127.0.0.1 DYNAMO_LOCAL_PORT="$backend" \
        DYNAMO_TABLES_FILE=app_skeleton/dynamo.conf AWS_REGION=us-east-1 \
        AWS_ACCESS_KEY_ID=AKIDBENCHMARK AWS_SECRET_ACCESS_KEY=bench-secret-key \
        WEB_LISTEN="unix:$sock" WEB_WORKERS="$workers" \
        "$bin" serve >>"$tmp/app-$name.log" 2>&1 &
    echo $! >"$tmp/app-$name.pid"
    echo "http://127.0.0.1:$http" >"$tmp/$name.url"
    wait_socket "$sock" 20 "$(cat "$tmp/app-$name.pid")" &&
        scripts/nginx.sh start "$tmp/front-$name" "127.0.0.1:$http" "unix:$sock"
}

stop_front() {
    scripts/nginx.sh stop "$tmp/front-$1"
    stop_pid "$tmp/app-$1.pid"
}

# expect_200 URL [CURL ARGS...]: one request must answer 200 or 201.
expect_200() {
    local url=$1 code
    shift
    code=$(curl -s -o "$tmp/last-body" -w '%{http_code}' "$@" "$url")
    case "$code" in 200 | 201) return 0 ;; esac
    say "$url answered $code: $(head -c 300 "$tmp/last-body")"
    return 1
}

# "USER SYS": microseconds of CPU used so far by PID, all its threads
# (utime and stime in /proc/PID/stat, proc(5)).
proc_cpu_us() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo "0 0"; return; }
    stat=${stat##*) }
    # After "pid (comm) ": state is field 1, utime 12, stime 13.
    echo "$stat" | awk -v hz="$(getconf CLK_TCK)" \
        '{ printf "%.0f %.0f\n", $12 * 1e6 / hz, $13 * 1e6 / hz }'
}

# "BUSY STOLEN": microseconds of CPU the whole machine has been busy
# (/proc/stat: user, nice, system, irq, softirq) and those the host took
# for others (steal), over all cores.
machine_cpu_us() {
    awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" {
        printf "%.0f %.0f\n", ($2 + $3 + $4 + $7 + $8) * 1e6 / hz, $9 * 1e6 / hz; exit }' \
        /proc/stat
}

# CPU microseconds used so far by the stub nginx (master and worker).
stub_cpu_us() {
    local pid total=0 u s
    [ -s "$tmp/stub.pid" ] || { echo 0; return; }
    for pid in $(cat "$tmp/stub.pid") $(pgrep -P "$(cat "$tmp/stub.pid")" 2>/dev/null); do
        read -r u s <<<"$(proc_cpu_us "$pid")"
        total=$((total + u + s))
    done
    echo "$total"
}

# run_wrk NAME URL SECONDS [LUA] [PIDFILE]: one wrk run (WRK_CONNS overrides
# the connection count).  Appends to $tmp/runs "NAME requests seconds p50ms
# p99ms errors user_us sys_us machine_us stub_us stolen_us": the CPU the
# process in PIDFILE used during the run (0 without PIDFILE), the whole
# machine's, the stub's and the host's steal; summarize folds them.
run_wrk() {
    local name=$1 url=$2 secs=$3 lua=${4:-} pidfile=${5:-} out=$tmp/wrk-$1.txt
    local conns=${WRK_CONNS:-$CONNS} threads=$THREADS pid="" c0="0 0" c1="0 0"
    local m0 m1 t0 t1 s0 s1
    local -a script=()
    [ "$threads" -gt "$conns" ] && threads=$conns
    [ -n "$lua" ] && script=(-s "$lua")
    [ -n "$pidfile" ] && pid=$(cat "$pidfile") && c0=$(proc_cpu_us "$pid")
    read -r m0 t0 <<<"$(machine_cpu_us)"
    s0=$(stub_cpu_us)
    wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "${script[@]}" "$url" >"$out" 2>&1
    read -r m1 t1 <<<"$(machine_cpu_us)"
    s1=$(stub_cpu_us)
    [ -n "$pid" ] && c1=$(proc_cpu_us "$pid")
    cat "$out" >>"$tmp/wrk.log"
    # wrk prints latencies as 812.00us / 1.20ms / 1.02s and durations as
    # 10.00s / 1.00m.
    awk -v name="$name" -v c0="$c0" -v c1="$c1" -v m=$((m1 - m0)) -v st=$((s1 - s0)) \
        -v stolen=$((t1 - t0)) '
        function ms(t) {
            if (t ~ /us$/) return t / 1000
            if (t ~ /ms$/) return t + 0
            if (t ~ /m$/) return t * 60000
            return t * 1000
        }
        / requests in / { n = $1; d = $4; sub(",", "", d); secs = ms(d) / 1000 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        /Non-2xx/ { bad += $NF }
        /Socket errors/ { gsub(",", ""); bad += $4 + $6 + $8 + $10 }
        END {
            if (n + 0 == 0) exit 1
            split(c0, a, " "); split(c1, b, " ")
            printf "%s %d %.3f %.3f %.3f %d %.0f %.0f %.0f %.0f %.0f\n", name, n, secs,
                p50, p99, bad, b[1] - a[1], b[2] - a[2], m, st, stolen
        }' "$out" >>"$tmp/runs" && return 0
    say "wrk $name: no requests completed"
    cat "$out" >&2
    return 1
}

# summarize NAME: folds NAME's runs into NAME_rps (all requests / all
# seconds), NAME_p50 (mean of the runs'), NAME_p99 (worst run), NAME_bad,
# NAME_cpu, NAME_user, NAME_sys (the app's CPU us per request), NAME_machine
# (the whole machine's), NAME_stubcpu (the stub's) and NAME_stolen (% of the
# cores' time the host took).
summarize() {
    awk -v name="$1" -v cores="$(nproc)" '
        $1 == name { k++; n += $2; s += $3; p50 += $4; if ($5 > p99) p99 = $5
                     bad += $6; u += $7; y += $8; m += $9; st += $10; t += $11 }
        END {
            if (k == 0 || n == 0) exit
            printf "%s_rps %.0f\n%s_p50 %.2f\n%s_p99 %.2f\n%s_bad %d\n", name, n / s,
                name, p50 / k, name, p99, name, bad
            if (u + y > 0)
                printf "%s_cpu %.1f\n%s_user %.1f\n%s_sys %.1f\n", name, (u + y) / n,
                    name, u / n, name, y / n
            if (m > 0)
                printf "%s_machine %.1f\n", name, m / n
            if (st > 0)
                printf "%s_stubcpu %.1f\n", name, st / n
            printf "%s_stolen %.1f\n", name, t / (s * cores * 1e6) * 100
        }' "$tmp/runs" >>"$res"
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

# calc EXPR [FORMAT]: EXPR evaluated by awk, printed with FORMAT (%.1f).
calc() {
    awk "BEGIN { printf \"${2:-%.1f}\", $1 }" 2>/dev/null || echo n/a
}

# num KEY: the value, or "" when the phase did not record it.
num() { get "$1"; }

# ratio A B [FORMAT] [SUFFIX]: A / B then SUFFIX, "n/a" when either is
# missing or B is 0.  Without FORMAT the full precision, as verdicts need it
# (0.687 must not pass ">= 0.7" as a rounded "0.7").
ratio() {
    if [ -z "$1" ] || [ -z "$2" ] || [ "$(calc "$2 == 0" %d)" = 1 ]; then
        echo n/a
    else
        echo "$(calc "$1 / $2" "${3:-%.6f}")${4:-}"
    fi
}

# verdict OK: "met" / "not met" / "n/a" for the awk condition OK.
verdict() {
    case "$1" in *n/a* | "") echo n/a; return ;; esac
    if [ "$(calc "($1) ? 1 : 0" %d)" = 1 ]; then echo met; else echo "not met"; fi
}

row() { printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$5"; }
or_na() { if [ -n "$1" ]; then echo "$1"; else echo n/a; fi; }

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

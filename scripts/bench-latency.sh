#!/usr/bin/env bash
# bench-latency.sh: the part of `make bench` that measures where users run:
# against a stub DynamoDB that holds each answer DELAY milliseconds (what a
# network hop to DynamoDB costs), over TLS as AWS serves it and over plain
# http.  At each point (delay, connections), in one run, interleaved:
#
#   direct    wrk straight at the stub (POST GetItem): the ceiling
#   app       build/app_skeleton with its defaults (WEB_WORKERS unset)
#             behind the shipped nginx site, GET /users/alice
#   sync      the same route in Flask + boto3 (bench/flask_app.py, one boto3
#             resource per app as flask-dynamo holds it) under gunicorn, 2
#             sync workers, behind nginx
#   gthread   the same under gunicorn, 2 gthread workers x 4 threads
#
# Prints one table of req/s with ratios taken within this run; never fails.
# The stub is nginx with the echo module (echo_sleep: a timer, not a
# blocked worker), answering the fixed GetItem answer with its x-amz-crc32.
#
# Knobs: LAT_POINTS ("0:64 5:64 20:256", DELAY_MS:CONNECTIONS), LAT_SCHEMES
# ("https http"), LAT_DURATION seconds per figure (8), LAT_PEERS ("sync
# gthread"; empty: no Python), BENCH_THREADS (2), BENCH_KEEP=1 keeps the
# temporary folder.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
. scripts/bench-lib.sh

POINTS=${LAT_POINTS:-0:64 5:64 20:256}
SCHEMES=${LAT_SCHEMES:-https http}
DUR=${LAT_DURATION:-8}
PEERS=${LAT_PEERS-sync gthread}
THREADS=${BENCH_THREADS:-2}
CONNS=64
WORKERS=default
PY=/usr/bin/python3
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
ECHO_MODULE=/usr/lib/nginx/modules/ngx_http_echo_module.so

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dynamo-fcgi-latency.XXXXXX")
res=$tmp/results
: >"$res"
: >"$tmp/runs"

cleanup() {
    trap - EXIT INT TERM
    local p
    stop_front app 2>/dev/null
    for p in sync gthread; do
        scripts/nginx.sh stop "$tmp/proxy-$p" 2>/dev/null
        stop_pid "$tmp/py-$p.pid"
    done
    stop_pid "$tmp/stub.pid"
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $tmp"; else rm -rf "$tmp"; fi
    exit 0
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# Bench-only tools (never needed by the library, make run or make test):
# wrk, the echo module for the delaying stub, and the Python peer.
install_tools() {
    local -a missing=()
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    [ -e "$ECHO_MODULE" ] || missing+=(libnginx-mod-http-echo)
    if [ -n "$PEERS" ]; then
        "$PY" -c 'import boto3' 2>/dev/null || missing+=(python3-boto3)
        "$PY" -c 'import flask' 2>/dev/null || missing+=(python3-flask)
        command -v gunicorn >/dev/null 2>&1 || missing+=(gunicorn)
    fi
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
    command -v wrk >/dev/null 2>&1 && [ -e "$ECHO_MODULE" ] || return 1
    if ! "$PY" -c 'import boto3, flask' 2>/dev/null || ! command -v gunicorn >/dev/null; then
        say "no Python peer: its rows are n/a"
        PEERS=""
    fi
}

# The stub: per delay D, a server on an http and an https port
# ($tmp/stub-D.http, $tmp/stub-D.https hold them).
start_stub() {
    local dir=$tmp/stub user="" body crc d hp sp servers="" sleep
    mkdir -p "$dir/tmp"
    scripts/tls-front.sh certs "$dir/tls" || return 1
    export BENCH_CA_BUNDLE=$dir/tls/ca.pem
    body=$(build/bench/micro answer) || return 1
    crc=$(printf '%s' "$body" | "$PY" -c \
        'import sys, zlib; print(zlib.crc32(sys.stdin.buffer.read()))') || return 1
    for pt in $POINTS; do
        d=${pt%%:*}
        [ -e "$tmp/stub-$d.http" ] && continue
        hp=$(free_port) && sp=$(free_port) || return 1
        echo "$hp" >"$tmp/stub-$d.http"
        echo "$sp" >"$tmp/stub-$d.https"
        sleep=""
        [ "$d" -gt 0 ] && sleep="echo_sleep $(calc "$d / 1000" %.3f);"
        servers+="
    server {
        listen 127.0.0.1:$hp;
        listen 127.0.0.1:$sp ssl;
        ssl_certificate $dir/tls/server.pem;
        ssl_certificate_key $dir/tls/server.key;
        location / {
            default_type application/x-amz-json-1.0;
            add_header x-amz-crc32 $crc;
            echo_read_request_body;
            $sleep
            echo -n '$body';
        }
    }"
    done
    [ "$(id -u)" = 0 ] && user="user root;"
    cat >"$dir/nginx.conf" <<CONF
load_module $ECHO_MODULE;
$user
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 600s;
    ssl_session_cache shared:SSL:1m;
$servers
}
CONF
    "$NGINX" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >/dev/null 2>>"$dir/error.log" &
    echo $! >"$tmp/stub.pid"
    wait_port "$hp" 20 "$(cat "$tmp/stub.pid")" || { cat "$dir/error.log" >&2; return 1; }
}

# stub_url DELAY SCHEME
stub_url() {
    local host=127.0.0.1
    # The certificate names localhost and 127.0.0.1; curl checks either.
    echo "$2://$host:$(cat "$tmp/stub-$1.$2")"
}

# start_peer KIND ENDPOINT: gunicorn (KIND sync or gthread) behind a proxying
# nginx; the URL base in $tmp/py-KIND.url.
start_peer() {
    local kind=$1 endpoint=$2 sock=$tmp/py-$1.sock http dir=$tmp/proxy-$1 user=""
    local -a args=(-w 2)
    [ "$kind" = gthread ] && args=(-w 2 -k gthread --threads 4)
    (cd bench && BENCH_ENDPOINT=$endpoint BENCH_POOL=8 \
        exec gunicorn "${args[@]}" -b "unix:$sock" --log-level warning \
        flask_app:app >>"$tmp/py-$kind.log" 2>&1) &
    echo $! >"$tmp/py-$kind.pid"
    wait_socket "$sock" 30 "$(cat "$tmp/py-$kind.pid")" || return 1
    http=$(free_port) || return 1
    mkdir -p "$dir/tmp"
    [ "$(id -u)" = 0 ] && user="user root;"
    cat >"$dir/nginx.conf" <<CONF
$user
worker_processes 1;
pid $dir/master.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$http;
        location / { proxy_pass http://unix:$sock; }
    }
}
CONF
    "$NGINX" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >/dev/null 2>>"$dir/error.log" &
    echo $! >"$dir/nginx.pid"
    echo "http://127.0.0.1:$http" >"$tmp/py-$kind.url"
    wait_port "$http" 20 "$(cat "$dir/nginx.pid")"
}

stop_peer() {
    scripts/nginx.sh stop "$tmp/proxy-$1"
    stop_pid "$tmp/py-$1.pid"
}

# One point: DELAY ms, CONNS connections, SCHEME.
measure_point() {
    local d=$1 c=$2 scheme=$3 tag="$3_$1_$2" endpoint url p
    endpoint=$(stub_url "$d" "$scheme")
    say "$scheme, ${d} ms, $c connections"
    start_front app build/app_skeleton "$endpoint" default || return 0
    url=$(cat "$tmp/app.url")/users/alice
    expect_200 "$url" || { stop_front app; return 0; }
    for p in $PEERS; do
        start_peer "$p" "$endpoint" && expect_200 "$(cat "$tmp/py-$p.url")/users/alice" ||
            say "$p did not start: $(tail -n 3 "$tmp/py-$p.log" 2>/dev/null)"
    done
    WRK_CONNS=$c run_wrk warm "$url" 2
    WRK_CONNS=$c run_wrk "direct_$tag" "$endpoint/" "$DUR" bench/ddb-getitem.lua
    WRK_CONNS=$c run_wrk "app_$tag" "$url" "$DUR" "" "$tmp/app-app.pid"
    for p in $PEERS; do
        [ -s "$tmp/py-$p.url" ] || continue
        WRK_CONNS=$c run_wrk warm "$(cat "$tmp/py-$p.url")/users/alice" 1
        WRK_CONNS=$c run_wrk "${p}_$tag" "$(cat "$tmp/py-$p.url")/users/alice" "$DUR"
    done
    for p in direct app $PEERS; do summarize "${p}_$tag"; done
    stop_front app
    for p in $PEERS; do stop_peer "$p"; rm -f "$tmp/py-$p.url"; done
}

print_table() {
    local scheme pt d c tag a D z
    echo
    echo "dynamo-fcgi latency bench: $(nproc) cores, wrk -t$THREADS, ${DUR}s per figure," \
        "app defaults, $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    row "stub delay, connections" "app req/s (CPU us/req)" "direct req/s" \
        "app / direct" "Flask sync / gthread req/s (app is Nx)"
    row --- --- --- --- ---
    for scheme in $SCHEMES; do
        z=$(num "app_${scheme}_0_$(zero_conns)_cpu")
        for pt in $POINTS; do
            d=${pt%%:*} c=${pt##*:} tag="${scheme}_${d}_${c}"
            a=$(num "app_${tag}_rps") D=$(num "direct_${tag}_rps")
            row "$scheme ${d} ms, $c" "$(or_na "$a") ($(or_na "$(num "app_${tag}_cpu")"))" \
                "$(or_na "$D")" \
                "$(ratio "$a" "$D" %.2f x); >= 0.8x: $(verdict "$(ratio "$a" "$D") >= 0.8")" \
                "$(or_na "$(num "sync_${tag}_rps")") / $(or_na "$(num "gthread_${tag}_rps")") \
($(ratio "$a" "$(num "sync_${tag}_rps")" %.1f x) / $(ratio "$a" "$(num "gthread_${tag}_rps")" %.1f x))"
            [ "$d" -gt 0 ] && row "  app CPU us/req vs at 0 ms" "$(or_na \
                "$(num "app_${tag}_cpu")")" "$(or_na "$z")" \
                "$(ratio "$(num "app_${tag}_cpu")" "$z" %.2f x)" \
                "<= 1.3x: $(verdict "$(ratio "$(num "app_${tag}_cpu")" "$z") <= 1.3")"
        done
    done
}

# The connections of the first 0 ms point (the CPU baseline).
zero_conns() {
    local pt
    for pt in $POINTS; do [ "${pt%%:*}" = 0 ] && { echo "${pt##*:}"; return; }; done
}

for b in build/bench/micro build/app_skeleton; do
    [ -x "$b" ] || { say "$b is missing: run make bench"; exit 0; }
done
install_tools || { say "wrk or nginx's echo module missing: no latency bench"; exit 0; }
start_stub || { say "the delaying stub did not start"; exit 0; }
for scheme in $SCHEMES; do
    for pt in $POINTS; do measure_point "${pt%%:*}" "${pt##*:}" "$scheme"; done
done
print_table
